// SPDX-License-Identifier: MIT
/*
 * The quote generation service client on its own: the address syntax, the request bytes, every
 * way a reply can be malformed, a service that never answers (the deadline), one that cannot be
 * reached, and requests dropped by destroying the client.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "tdx/qgs.h"
#include "vmm/error.h"
#include "vmm/event_loop.h"
#include "vmm/log.h"

static void test_addresses(void **state)
{
	static const char *const bad[] = { "", "unix:", "tcp:1.2.3.4:5", "vsock:", "vsock:3",
					   "vsock::5", "vsock:3:", "vsock:x:5", "vsock:3:99999999999",
					   "vsock:4294967296:1" };
	struct error e = ERROR_INIT;
	struct qgs_addr a;
	char longpath[200];

	assert_int_equal(qgs_addr_parse("unix:/run/qgs.sock", &a, &e), 0);
	assert_int_equal(a.family, QGS_UNIX);
	assert_string_equal(a.path, "/run/qgs.sock");
	assert_int_equal(qgs_addr_parse("vsock:2:4050", &a, &e), 0);
	assert_int_equal(a.family, QGS_VSOCK);
	assert_int_equal(a.cid, 2);
	assert_int_equal(a.port, 4050);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error_clear(&e);
		if (!qgs_addr_parse(bad[i], &a, &e))
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(e.cls, ERROR_USAGE);
		assert_non_null(strstr(e.msg, "--quote-service"));
	}
	memset(longpath, 'a', sizeof(longpath));
	memcpy(longpath, "unix:", 5);
	longpath[sizeof(longpath) - 1] = 0;
	error_clear(&e);
	assert_int_equal(qgs_addr_parse(longpath, &a, &e), -EINVAL);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void test_request_bytes(void **state)
{
	uint8_t report[5] = { 1, 2, 3, 4, 5 }, out[64];
	size_t n = qgs_request_size(sizeof(report));

	assert_int_equal(n, 4 + 24 + 5);
	qgs_encode_request(out, report, sizeof(report));
	assert_memory_equal(out, "\x00\x00\x00\x1d", 4); /* 29, big endian */
	assert_int_equal(out[4] | out[5] << 8, 1);      /* major */
	assert_int_equal(out[6] | out[7] << 8, 1);      /* minor */
	assert_int_equal(le32(out + 8), 0);             /* GET_QUOTE_REQ */
	assert_int_equal(le32(out + 12), 29);
	assert_int_equal(le32(out + 16), 0);            /* error_code */
	assert_int_equal(le32(out + 20), 5);            /* report_size */
	assert_int_equal(le32(out + 24), 0);            /* id_list_size */
	assert_memory_equal(out + 28, report, 5);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* A valid reply with a 3-byte quote, for corrupting one field at a time. */
static void good_reply(uint8_t m[27])
{
	memset(m, 0, 27);
	m[0] = 1;
	m[2] = 1;
	put32(m + 4, 1);
	put32(m + 8, 27);
	put32(m + 20, 3);
	memcpy(m + 24, "abc", 3);
}

static void test_reply_checks(void **state)
{
	static const struct {
		size_t off;
		uint32_t value;
		const char *why;
	} bad[] = {
		{ 0, 2, "major version" },
		{ 4, 0, "not a GET_QUOTE_RESP" },
		{ 8, 28, "size field" },
		{ 12, 1, "reported an error" },
		{ 16, 4, "key id" },
		{ 20, 2, "quote size" },
	};
	const uint8_t *quote;
	const char *why;
	size_t len;
	uint8_t m[27];

	good_reply(m);
	assert_int_equal(qgs_decode_response(m, sizeof(m), &quote, &len, &why), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(quote, "abc", 3);
	assert_int_equal(qgs_decode_response(m, 23, &quote, &len, &why), -EPROTO);
	assert_non_null(strstr(why, "shorter"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		good_reply(m);
		if (bad[i].off == 0)
			m[0] = (uint8_t)bad[i].value;
		else
			put32(m + bad[i].off, bad[i].value);
		assert_int_equal(qgs_decode_response(m, sizeof(m), &quote, &len, &why), -EPROTO);
		if (!strstr(why, bad[i].why))
			fail_msg("field at %zu: '%s'", bad[i].off, why);
	}
}

struct outcome {
	int calls;
	enum qgs_status status;
};

static void record_done(void *ctx, enum qgs_status status, const uint8_t *quote, size_t len)
{
	struct outcome *o = ctx;

	o->calls++;
	o->status = status;
}

static void run_until(struct ev_loop *loop, const struct outcome *o)
{
	for (int i = 0; i < 300 && !o->calls; i++)
		assert_true(ev_loop_run_once(loop, 10) >= 0);
}

/* A service that accepts and never answers: the request fails at its deadline. */
static void test_deadline(void **state)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct qgs_addr addr = { .family = QGS_UNIX };
	struct outcome o = { 0 };
	struct qgs_client *c;
	struct ev_loop loop;
	uint8_t report[8] = { 0 };
	int lfd;

	snprintf(addr.path, sizeof(addr.path), "/tmp/cvmm-qgs-%d.sock", getpid());
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", addr.path);
	unlink(addr.path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(ev_loop_init(&loop), 0);
	assert_int_equal(qgs_client_create(&c, &loop, &addr, 100), 0);
	assert_int_equal(qgs_client_submit(c, report, sizeof(report), 4096, record_done, &o), 0);
	run_until(&loop, &o);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.status, QGS_FAILED);
	qgs_client_destroy(c);
	ev_loop_destroy(&loop);
	close(lfd);
	unlink(addr.path);
}

/* Nothing to connect to (a Unix path, a vsock CID with no listener): unavailable. */
static void test_unreachable(void **state)
{
	struct qgs_addr addrs[2] = { { .family = QGS_UNIX, .path = "/nonexistent/qgs.sock" },
				     { .family = QGS_VSOCK, .cid = 1, .port = 1 } };
	uint8_t report[8] = { 0 };

	for (int i = 0; i < 2; i++) {
		struct outcome o = { 0 };
		struct qgs_client *c;
		struct ev_loop loop;

		assert_int_equal(ev_loop_init(&loop), 0);
		assert_int_equal(qgs_client_create(&c, &loop, &addrs[i], 1000), 0);
		assert_int_equal(qgs_client_submit(c, report, sizeof(report), 4096, record_done, &o),
				 0);
		run_until(&loop, &o);
		assert_int_equal(o.calls, 1);
		/* A vsock that refuses may also time out; never success. */
		assert_true(o.status == QGS_UNAVAILABLE || (i == 1 && o.status == QGS_FAILED));
		qgs_client_destroy(c);
		ev_loop_destroy(&loop);
	}
}

/* Requests still queued when the client goes: each hears QGS_CANCELLED once. */
static void test_destroy_cancels(void **state)
{
	struct qgs_addr addr = { .family = QGS_UNIX, .path = "/nonexistent/qgs.sock" };
	struct outcome o[QGS_MAX_INFLIGHT] = { { 0 } };
	struct outcome extra = { 0 };
	uint8_t report[8] = { 0 };
	struct qgs_client *c;
	struct ev_loop loop;

	assert_int_equal(ev_loop_init(&loop), 0);
	assert_int_equal(qgs_client_create(&c, &loop, &addr, 1000), 0);
	for (int i = 0; i < QGS_MAX_INFLIGHT; i++)
		assert_int_equal(qgs_client_submit(c, report, 8, 4096, record_done, &o[i]), 0);
	assert_int_equal(qgs_client_submit(c, report, 8, 4096, record_done, &extra), -EBUSY);
	qgs_client_destroy(c);
	for (int i = 0; i < QGS_MAX_INFLIGHT; i++) {
		assert_int_equal(o[i].calls, 1);
		assert_int_equal(o[i].status, QGS_CANCELLED);
	}
	assert_int_equal(extra.calls, 0);
	ev_loop_destroy(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_request_bytes),
		cmocka_unit_test(test_reply_checks),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_destroy_cancels),
	};

	log_threshold = LOG_ERROR;
	return cmocka_run_group_tests_name("quote service client", tests, NULL, NULL);
}
