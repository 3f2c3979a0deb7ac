// SPDX-License-Identifier: MIT
/*
 * The vsock multiplexer driven by a fake guest and socketpair host sockets: the hybrid
 * handshake, guest-initiated connections, RST paths, credit in both directions, shutdown,
 * malformed packets, timeouts and connection churn.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/virtio_vsock.h>

#include "tests/unit/spin_guard.h"
#include "tests/unit/vsock_fake.h"
#include "vmm/log.h"
#include "vsock/conn_table.h"

#define GUEST_BUF 65536

static int setup(void **state)
{
	struct vf *f = calloc(1, sizeof(*f));

	log_threshold = LOG_ERROR;
	assert_non_null(f);
	assert_int_equal(vf_init(f), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct vf *f = *state;

	vf_destroy(f);
	free(f);
	return 0;
}

static void counters(struct vf *f, struct vsock_mux_counters *c)
{
	vsock_mux_counters(f->mux, c);
}

static void write_all(int fd, const void *buf, size_t len)
{
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
}

static void send_ctl(struct vf *f, uint16_t op, uint32_t guest_port, uint32_t host_port,
		     uint32_t flags)
{
	vf_send(f, &(struct vf_pkt){ .op = op, .src_port = guest_port, .dst_port = host_port,
				     .flags = flags, .buf_alloc = GUEST_BUF, .len = -1 });
}

static void send_rw(struct vf *f, uint32_t guest_port, uint32_t host_port, const void *data,
		    size_t len, uint32_t fwd_cnt)
{
	vf_send(f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_RW, .src_port = guest_port,
				     .dst_port = host_port, .buf_alloc = GUEST_BUF,
				     .fwd_cnt = fwd_cnt, .payload = data, .payload_len = len,
				     .len = -1 });
}

/* The next packet must exist and have op; returns it. */
static struct vsock_hdr expect_pkt(struct vf *f, uint16_t op, void *payload, size_t cap)
{
	struct vsock_hdr h;

	vf_pump(f);
	assert_true(vf_recv(f, &h, payload, cap));
	assert_int_equal(h.op, op);
	assert_int_equal(h.src_cid, VSOCK_HOST_CID);
	assert_int_equal(h.dst_cid, VF_GUEST_CID);
	assert_int_equal(h.type, VIRTIO_VSOCK_TYPE_STREAM);
	assert_int_equal(h.buf_alloc, VSOCK_CONN_BUF);
	return h;
}

static void expect_nothing(struct vf *f)
{
	struct vsock_hdr h;

	vf_pump(f);
	assert_false(vf_recv(f, &h, NULL, 0));
}

/* A host client says line; returns the REQUEST the guest receives. */
static struct vsock_hdr host_request(struct vf *f, int *client, const char *line)
{
	struct vsock_hdr h;

	*client = vf_client(f);
	assert_true(*client >= 0);
	write_all(*client, line, strlen(line));
	h = expect_pkt(f, VIRTIO_VSOCK_OP_REQUEST, NULL, 0);
	assert_int_equal(h.len, 0);
	assert_int_equal(h.fwd_cnt, 0);
	return h;
}

/* Host-initiated connection to guest port, fully established; returns the host-side port. */
static uint32_t host_connect(struct vf *f, int *client, uint32_t port)
{
	char line[32], ok[32];
	struct vsock_hdr h;
	int n;

	snprintf(line, sizeof(line), "CONNECT %u\n", port);
	h = host_request(f, client, line);
	assert_int_equal(h.dst_port, port);
	send_ctl(f, VIRTIO_VSOCK_OP_RESPONSE, port, h.src_port, 0);
	n = snprintf(ok, sizeof(ok), "OK %u\n", h.src_port);
	char got[32] = { 0 };
	assert_true(vf_read_exact(f, *client, got, (size_t)n));
	assert_string_equal(got, ok);
	return h.src_port;
}

static void test_handshake_upper_case(void **state)
{
	struct vf *f = *state;
	char buf[64];
	struct vsock_hdr h;
	uint32_t hp;
	int c;

	hp = host_connect(f, &c, 1024);
	assert_int_equal(hp, VSOCK_HOST_PORT_FIRST);
	/* host -> guest */
	write_all(c, "hello", 5);
	h = expect_pkt(f, VIRTIO_VSOCK_OP_RW, buf, sizeof(buf));
	assert_int_equal(h.len, 5);
	assert_int_equal(h.src_port, hp);
	assert_int_equal(h.dst_port, 1024);
	assert_memory_equal(buf, "hello", 5);
	/* guest -> host */
	send_rw(f, 1024, hp, "world!", 6, 5);
	assert_true(vf_read_exact(f, c, buf, 6));
	assert_memory_equal(buf, "world!", 6);
	expect_nothing(f);
	close(c);
}

static void test_handshake_variants_accepted(void **state)
{
	struct vf *f = *state;
	static const char *const lines[] = {
		"connect 77\n", "Connect\t 77 \r\n", "CONNECT 0\n", "cOnNeCt 4294967294\n",
	};
	static const uint32_t ports[] = { 77, 77, 0, 4294967294U };
	int c[4];

	for (unsigned i = 0; i < 4; i++) {
		struct vsock_hdr h = host_request(f, &c[i], lines[i]);

		assert_int_equal(h.dst_port, ports[i]);
	}
	/* Distinct host ports even towards the same guest port. */
	assert_int_equal(vsock_mux_nr_conns(f->mux), 4);
	for (unsigned i = 0; i < 4; i++)
		close(c[i]);
}

static void test_handshake_rejects(void **state)
{
	struct vf *f = *state;
	static const char *const bad[] = {
		"HELLO 12\n", "CONNECT\n", "CONNECT x\n", "CONNECT 12 13\n", "CONNECT -1\n",
		"CONNECT 4294967295\n", "CONNECT 99999999999\n", "CONNECTED 5\n", "\n",
		" CONNECT 5\n", "CONNECT 5\0\n",
	};
	static const size_t lens[] = { 9, 8, 10, 14, 11, 19, 20, 12, 1, 11, 11 };
	struct vsock_mux_counters cnt;
	char buf[80];
	int good, c;

	/* A healthy connection alongside must not notice anything. */
	uint32_t hp = host_connect(f, &good, 9);

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = vf_client(f);
		write_all(c, bad[i], lens[i]);
		assert_true(vf_eof(f, c));
		close(c);
		expect_nothing(f);
	}
	/* More than a line's worth without a newline. */
	c = vf_client(f);
	memset(buf, 'C', sizeof(buf));
	write_all(c, buf, VSOCK_LINE_MAX);
	assert_true(vf_eof(f, c));
	close(c);
	/* EOF in the middle of a line. */
	c = vf_client(f);
	write_all(c, "CONNE", 5);
	shutdown(c, SHUT_WR);
	assert_true(vf_eof(f, c));
	close(c);
	expect_nothing(f);

	counters(f, &cnt);
	assert_int_equal(cnt.handshake_rejected, sizeof(bad) / sizeof(bad[0]) + 2);
	assert_int_equal(vsock_mux_nr_conns(f->mux), 1);
	write_all(good, "still", 5);
	struct vsock_hdr h = expect_pkt(f, VIRTIO_VSOCK_OP_RW, buf, sizeof(buf));
	assert_int_equal(h.src_port, hp);
	close(good);
}

static void test_handshake_partial_line(void **state)
{
	struct vf *f = *state;
	struct vsock_hdr h;
	int c = vf_client(f);

	write_all(c, "CONN", 4);
	expect_nothing(f);
	write_all(c, "ECT 5", 5);
	expect_nothing(f);
	write_all(c, "2\n", 2);
	h = expect_pkt(f, VIRTIO_VSOCK_OP_REQUEST, NULL, 0);
	assert_int_equal(h.dst_port, 52);
	close(c);
}

static void test_bytes_after_line_reach_guest(void **state)
{
	struct vf *f = *state;
	char buf[16];
	struct vsock_hdr h;
	int c;

	h = host_request(f, &c, "CONNECT 5\nearly");
	send_ctl(f, VIRTIO_VSOCK_OP_RESPONSE, 5, h.src_port, 0);
	assert_true(vf_read_exact(f, c, buf, 14));
	assert_memory_equal(buf, "OK 1073741824\n", 14);
	h = expect_pkt(f, VIRTIO_VSOCK_OP_RW, buf, sizeof(buf));
	assert_int_equal(h.len, 5);
	assert_memory_equal(buf, "early", 5);
	close(c);
}

static void test_guest_rst_closes_client(void **state)
{
	struct vf *f = *state;
	struct vsock_mux_counters cnt;
	struct vsock_hdr h;
	int c;

	h = host_request(f, &c, "CONNECT 7\n");
	/* Nobody listens in the guest. */
	send_ctl(f, VIRTIO_VSOCK_OP_RST, 7, h.src_port, 0);
	assert_true(vf_eof(f, c));
	expect_nothing(f);
	counters(f, &cnt);
	assert_int_equal(cnt.rst_from_guest, 1);
	assert_int_equal(vsock_mux_nr_conns(f->mux), 0);
	close(c);
}

static void test_no_response_times_out(void **state)
{
	struct vf *f = *state;
	struct vsock_mux_counters cnt;
	struct vsock_hdr h;
	int c, idle;

	h = host_request(f, &c, "CONNECT 7\n");
	idle = vf_client(f); /* never sends its line */
	vf_pump(f);
	assert_true(vsock_mux_has_deadlines(f->mux));
	f->now += VSOCK_CONNECT_TIMEOUT_MS - 1;
	vsock_mux_tick(f->mux);
	assert_int_equal(vsock_mux_nr_conns(f->mux), 2);
	f->now += 2;
	vsock_mux_tick(f->mux);
	assert_true(vf_eof(f, c));
	assert_true(vf_eof(f, idle));
	/* The guest saw the REQUEST, so it is told the connection is gone. */
	h = expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	assert_int_equal(h.dst_port, 7);
	expect_nothing(f);
	counters(f, &cnt);
	assert_int_equal(cnt.timeouts, 2);
	assert_false(vsock_mux_has_deadlines(f->mux));
	close(c);
	close(idle);
}

static void test_request_unsent_times_out_silently(void **state)
{
	struct vf *f = *state;
	int c = vf_client(f);

	/* The guest never posts a buffer: the REQUEST is never delivered, so no RST either. */
	write_all(c, "CONNECT 7\n", 10);
	vf_pump(f);
	f->now += VSOCK_CONNECT_TIMEOUT_MS + 1;
	vsock_mux_tick(f->mux);
	assert_true(vf_eof(f, c));
	expect_nothing(f);
	close(c);
}

static void test_guest_initiated(void **state)
{
	struct vf *f = *state;
	struct vsock_mux_counters cnt;
	struct vsock_hdr h;
	char buf[32];
	int peer;

	f->listen_ports[f->nr_listen++] = 1025;
	send_ctl(f, VIRTIO_VSOCK_OP_REQUEST, 40000, 1025, 0);
	h = expect_pkt(f, VIRTIO_VSOCK_OP_RESPONSE, NULL, 0);
	assert_int_equal(h.src_port, 1025);
	assert_int_equal(h.dst_port, 40000);
	peer = vf_last_peer(f);
	send_rw(f, 40000, 1025, "ping", 4, 0);
	assert_true(vf_read_exact(f, peer, buf, 4));
	assert_memory_equal(buf, "ping", 4);
	write_all(peer, "pong", 4);
	h = expect_pkt(f, VIRTIO_VSOCK_OP_RW, buf, sizeof(buf));
	assert_memory_equal(buf, "pong", 4);

	/* No listener at PATH_1026: RST. */
	send_ctl(f, VIRTIO_VSOCK_OP_REQUEST, 40001, 1026, 0);
	h = expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	assert_int_equal(h.src_port, 1026);
	assert_int_equal(h.dst_port, 40001);
	counters(f, &cnt);
	assert_int_equal(cnt.guest_connects, 1);
	assert_int_equal(cnt.connect_refused, 1);

	/* A second REQUEST for a live connection is a protocol error: RST, connection gone. */
	send_ctl(f, VIRTIO_VSOCK_OP_REQUEST, 40000, 1025, 0);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	assert_true(vf_eof(f, peer));
	assert_int_equal(vsock_mux_nr_conns(f->mux), 0);
}

static void test_host_to_guest_credit(void **state)
{
	struct vf *f = *state;
	static uint8_t data[3000], got[3000];
	struct vsock_hdr h;
	uint32_t hp, total = 0;
	int c;

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);
	h = host_request(f, &c, "CONNECT 9\n");
	hp = h.src_port;
	/* The guest can take 1000 bytes. */
	vf_send(f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_RESPONSE, .src_port = 9, .dst_port = hp,
				     .buf_alloc = 1000, .len = -1 });
	assert_true(vf_read_exact(f, c, got, 14));
	write_all(c, data, sizeof(data));
	vf_pump(f);
	while (total < 1000) {
		h = expect_pkt(f, VIRTIO_VSOCK_OP_RW, got + total, sizeof(got) - total);
		total += h.len;
	}
	assert_int_equal(total, 1000);
	/* Credit gone: one CREDIT_REQUEST, then silence. */
	expect_pkt(f, VIRTIO_VSOCK_OP_CREDIT_REQUEST, NULL, 0);
	expect_nothing(f);
	/* An unchanged update does not trigger another request. */
	vf_send(f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_CREDIT_UPDATE, .src_port = 9,
				     .dst_port = hp, .buf_alloc = 1000, .len = -1 });
	expect_nothing(f);
	/* The guest consumed 600 bytes. */
	vf_send(f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_CREDIT_UPDATE, .src_port = 9,
				     .dst_port = hp, .buf_alloc = 1000, .fwd_cnt = 600,
				     .len = -1 });
	h = expect_pkt(f, VIRTIO_VSOCK_OP_RW, got + total, sizeof(got) - total);
	assert_int_equal(h.len, 600);
	total += h.len;
	expect_pkt(f, VIRTIO_VSOCK_OP_CREDIT_REQUEST, NULL, 0);
	/* All of it now. */
	vf_send(f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_CREDIT_UPDATE, .src_port = 9,
				     .dst_port = hp, .buf_alloc = 100000, .fwd_cnt = 1600,
				     .len = -1 });
	h = expect_pkt(f, VIRTIO_VSOCK_OP_RW, got + total, sizeof(got) - total);
	total += h.len;
	assert_int_equal(total, 3000);
	assert_memory_equal(got, data, sizeof(data));
	close(c);
}

static void test_guest_to_host_credit(void **state)
{
	struct vf *f = *state;
	struct vsock_mux_counters cnt;
	uint8_t *big = malloc(VSOCK_CONN_BUF), *sink = malloc(VSOCK_CONN_BUF);
	struct vsock_hdr h;
	uint32_t hp, sent = 0;
	int c;

	assert_non_null(big);
	assert_non_null(sink);
	for (unsigned i = 0; i < VSOCK_CONN_BUF; i++)
		big[i] = (uint8_t)(i ^ (i >> 8));
	hp = host_connect(f, &c, 11);
	/* The host does not read: the guest fills exactly the credit cvmm gave. */
	while (sent < VSOCK_CONN_BUF) {
		uint32_t l = VSOCK_CONN_BUF - sent < 32768 ? VSOCK_CONN_BUF - sent : 32768;

		send_rw(f, 11, hp, big + sent, l, 0);
		sent += l;
	}
	assert_int_equal(vsock_mux_nr_conns(f->mux), 1);
	/* The host drains: cvmm tells the guest how much it forwarded. */
	assert_true(vf_read_exact(f, c, sink, VSOCK_CONN_BUF));
	assert_memory_equal(sink, big, VSOCK_CONN_BUF);
	h = expect_pkt(f, VIRTIO_VSOCK_OP_CREDIT_UPDATE, NULL, 0);
	assert_int_equal(h.fwd_cnt, VSOCK_CONN_BUF);
	/* Now one full window more is fine, and a byte beyond it is a violation. */
	send_rw(f, 11, hp, big, VSOCK_CONN_BUF / 2, 0);
	send_rw(f, 11, hp, big, VSOCK_CONN_BUF / 2, 0);
	send_rw(f, 11, hp, big, 1, 0);
	counters(f, &cnt);
	assert_int_equal(cnt.credit_violations, 1);
	h = expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	assert_int_equal(h.src_port, hp);
	assert_int_equal(vsock_mux_nr_conns(f->mux), 0);
	close(c);
	free(big);
	free(sink);
}

static void test_credit_request_answered(void **state)
{
	struct vf *f = *state;
	struct vsock_hdr h;
	uint32_t hp;
	int c;

	hp = host_connect(f, &c, 12);
	send_rw(f, 12, hp, "abc", 3, 0);
	send_ctl(f, VIRTIO_VSOCK_OP_CREDIT_REQUEST, 12, hp, 0);
	vf_pump(f);
	h = expect_pkt(f, VIRTIO_VSOCK_OP_CREDIT_UPDATE, NULL, 0);
	assert_int_equal(h.fwd_cnt, 3);
	close(c);
}

static void test_guest_shutdown_send_then_rcv(void **state)
{
	struct vf *f = *state;
	struct vsock_hdr h;
	char buf[16];
	uint32_t hp;
	int c;

	hp = host_connect(f, &c, 13);
	send_rw(f, 13, hp, "last", 4, 0);
	send_ctl(f, VIRTIO_VSOCK_OP_SHUTDOWN, 13, hp, VIRTIO_VSOCK_SHUTDOWN_SEND);
	assert_true(vf_read_exact(f, c, buf, 4));
	assert_memory_equal(buf, "last", 4);
	assert_true(vf_eof(f, c));
	/* Half-closed: the other direction still works. */
	write_all(c, "more", 4);
	h = expect_pkt(f, VIRTIO_VSOCK_OP_RW, buf, sizeof(buf));
	assert_memory_equal(buf, "more", 4);
	/* Data after SHUTDOWN(SEND) breaks the protocol. */
	send_rw(f, 13, hp, "x", 1, 0);
	h = expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	assert_int_equal(h.src_port, hp);
	assert_int_equal(vsock_mux_nr_conns(f->mux), 0);
	close(c);
}

static void test_guest_shutdown_rcv(void **state)
{
	struct vf *f = *state;
	uint32_t hp;
	int c;

	hp = host_connect(f, &c, 14);
	send_ctl(f, VIRTIO_VSOCK_OP_SHUTDOWN, 14, hp, VIRTIO_VSOCK_SHUTDOWN_RCV);
	vf_pump(f);
	/* The host's writes now fail rather than pile up in cvmm. */
	assert_int_equal(send(c, "x", 1, MSG_NOSIGNAL), -1);
	assert_int_equal(errno, EPIPE);
	expect_nothing(f);
	close(c);
}

static void test_guest_close_flushes_then_rst(void **state)
{
	struct vf *f = *state;
	enum { LEN = VSOCK_CONN_BUF };
	uint8_t *big = malloc(LEN), *got = malloc(LEN);
	struct vsock_hdr h;
	uint32_t hp;
	int c;

	hp = host_connect(f, &c, 15);
	for (unsigned i = 0; i < LEN; i++)
		big[i] = (uint8_t)(i * 7);
	/* More than a Unix socket holds, so part of it waits in cvmm. */
	for (unsigned off = 0; off < LEN; off += 65536)
		send_rw(f, 15, hp, big + off, 65536, 0);
	send_ctl(f, VIRTIO_VSOCK_OP_SHUTDOWN, 15, hp, VIRTIO_VSOCK_SHUTDOWN_RCV |
		 VIRTIO_VSOCK_SHUTDOWN_SEND);
	/* Buffered data still flows; the RST comes once it is all out. */
	expect_nothing(f);
	assert_int_equal(vsock_mux_nr_conns(f->mux), 1);
	assert_true(vf_read_exact(f, c, got, LEN));
	assert_memory_equal(got, big, LEN);
	h = expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	assert_int_equal(h.src_port, hp);
	assert_true(vf_eof(f, c));
	assert_int_equal(vsock_mux_nr_conns(f->mux), 0);
	close(c);
	free(big);
	free(got);
}

static void test_stuck_close_times_out(void **state)
{
	struct vf *f = *state;
	static uint8_t big[65536];
	uint32_t hp;
	int c;

	hp = host_connect(f, &c, 16);
	for (unsigned off = 0; off < VSOCK_CONN_BUF; off += sizeof(big))
		send_rw(f, 16, hp, big, sizeof(big), 0);
	send_ctl(f, VIRTIO_VSOCK_OP_SHUTDOWN, 16, hp, 3);
	expect_nothing(f);
	f->now += VSOCK_CLOSE_TIMEOUT_MS + 1;
	vsock_mux_tick(f->mux);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	assert_int_equal(vsock_mux_nr_conns(f->mux), 0);
	close(c);
}

static void test_host_half_close_and_close(void **state)
{
	struct vf *f = *state;
	struct vsock_hdr h;
	char buf[8];
	uint32_t hp;
	int c;

	hp = host_connect(f, &c, 17);
	write_all(c, "bye", 3);
	shutdown(c, SHUT_WR);
	h = expect_pkt(f, VIRTIO_VSOCK_OP_RW, buf, sizeof(buf));
	assert_memory_equal(buf, "bye", 3);
	h = expect_pkt(f, VIRTIO_VSOCK_OP_SHUTDOWN, NULL, 0);
	assert_int_equal(h.flags, VIRTIO_VSOCK_SHUTDOWN_SEND);
	/* The guest may still answer. */
	send_rw(f, 17, hp, "ack", 3, 3);
	assert_true(vf_read_exact(f, c, buf, 3));
	assert_memory_equal(buf, "ack", 3);
	/* The host closes completely: the guest's next data cannot be delivered: RST. */
	close(c);
	send_rw(f, 17, hp, "lost", 4, 3);
	h = expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	assert_int_equal(h.src_port, hp);
	assert_int_equal(vsock_mux_nr_conns(f->mux), 0);
}

static int host_gone_step(void *arg)
{
	struct vf *f = arg;
	struct vsock_hdr h;

	/* The socket is writable again (hung up): the buffered data has nowhere to go. */
	vf_pump(f);
	if (!vf_recv(f, &h, NULL, 0) || h.op != VIRTIO_VSOCK_OP_RST)
		return 1;
	return vsock_mux_nr_conns(f->mux) == 0 ? 0 : 2;
}

/* The host closes while guest data waits in the connection's buffer for its socket. */
static void test_host_closes_with_data_buffered(void **state)
{
	struct vf *f = *state;
	static uint8_t data[32768];
	uint32_t hp;
	int c;

	f->sndbuf = 4096;
	hp = host_connect(f, &c, 19);
	/* The socket takes a few KiB; the rest is buffered. */
	send_rw(f, 19, hp, data, sizeof(data), 0);
	close(c);
	/* In a child: a write that raises SIGPIPE would kill it, not the suite. */
	assert_int_equal(spin_guard_run(host_gone_step, f), 0);
}

static void test_guest_closes_after_host_eof(void **state)
{
	struct vf *f = *state;
	uint32_t hp;
	int c;

	hp = host_connect(f, &c, 18);
	close(c);
	expect_pkt(f, VIRTIO_VSOCK_OP_SHUTDOWN, NULL, 0);
	/* Linux answers the peer's close with SHUTDOWN(both) once its socket is closed. */
	send_ctl(f, VIRTIO_VSOCK_OP_SHUTDOWN, 18, hp, 3);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	assert_int_equal(vsock_mux_nr_conns(f->mux), 0);
}

static void test_malformed_packets(void **state)
{
	struct vf *f = *state;
	struct vsock_mux_counters cnt;
	struct vsock_hdr h;
	uint8_t short_hdr[43] = { 0 };
	struct iovec iov = { short_hdr, sizeof(short_hdr) };
	uint32_t hp;
	int c;

	/* Dropped: short, wrong CIDs, port VMADDR_PORT_ANY. */
	vsock_mux_guest_tx(f->mux, &iov, 1);
	vf_send(f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_REQUEST, .src_cid = 4, .src_port = 1,
				     .dst_port = 2, .len = -1 });
	vf_send(f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_REQUEST, .dst_cid = 5, .src_port = 1,
				     .dst_port = 2, .len = -1 });
	vf_send(f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_REQUEST, .src_port = VSOCK_PORT_ANY,
				     .dst_port = 2, .len = -1 });
	expect_nothing(f);
	counters(f, &cnt);
	assert_int_equal(cnt.bad_packets[VSOCK_PKT_SHORT], 1);
	assert_int_equal(cnt.bad_packets[VSOCK_PKT_BAD_CID], 2);
	assert_int_equal(cnt.bad_packets[VSOCK_PKT_BAD_PORT], 1);

	/* Answered with RST: type, op, len beyond the buffer, payload on a control op, flags. */
	vf_send(f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_REQUEST, .type = 2, .src_port = 1,
				     .dst_port = 2, .len = -1 });
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	vf_send(f, &(struct vf_pkt){ .op = 99, .src_port = 1, .dst_port = 2, .len = -1 });
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	vf_send(f, &(struct vf_pkt){ .op = 0, .src_port = 1, .dst_port = 2, .len = -1 });
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	vf_send(f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_RW, .src_port = 1, .dst_port = 2,
				     .payload = "abc", .payload_len = 3, .len = 4 });
	h = expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	assert_int_equal(h.src_port, 2);
	assert_int_equal(h.dst_port, 1);
	vf_send(f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_RW, .src_port = 1, .dst_port = 2,
				     .len = 0xfffffff0 });
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	vf_send(f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_REQUEST, .src_port = 1, .dst_port = 2,
				     .payload = "x", .payload_len = 1, .len = -1 });
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	vf_send(f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_SHUTDOWN, .src_port = 1, .dst_port = 2,
				     .flags = 4, .len = -1 });
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	/* Packets for no connection: RST, except an RST (and a malformed RST). */
	send_rw(f, 1, 2, "zz", 2, 0);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	send_ctl(f, VIRTIO_VSOCK_OP_RST, 1, 2, 0);
	vf_send(f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_RST, .type = 7, .src_port = 1,
				     .dst_port = 2, .len = -1 });
	expect_nothing(f);
	counters(f, &cnt);
	assert_int_equal(cnt.bad_packets[VSOCK_PKT_BAD_TYPE], 2);
	assert_int_equal(cnt.bad_packets[VSOCK_PKT_BAD_OP], 2);
	assert_int_equal(cnt.bad_packets[VSOCK_PKT_BAD_LEN], 3);
	assert_int_equal(cnt.bad_packets[VSOCK_PKT_BAD_FLAGS], 1);

	/* A malformed packet naming a live connection ends it. */
	hp = host_connect(f, &c, 19);
	vf_send(f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_RW, .src_port = 19, .dst_port = hp,
				     .payload = "abc", .payload_len = 3, .len = 9 });
	h = expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	assert_int_equal(h.src_port, hp);
	assert_true(vf_eof(f, c));
	assert_int_equal(vsock_mux_nr_conns(f->mux), 0);
	close(c);
}

static void test_wrong_state_packets(void **state)
{
	struct vf *f = *state;
	struct vsock_mux_counters cnt;
	struct vsock_hdr h;
	uint32_t hp;
	int c;

	/* Data before RESPONSE. */
	h = host_request(f, &c, "CONNECT 20\n");
	send_rw(f, 20, h.src_port, "x", 1, 0);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	assert_true(vf_eof(f, c));
	close(c);
	/* RESPONSE on an established connection. */
	hp = host_connect(f, &c, 21);
	send_ctl(f, VIRTIO_VSOCK_OP_RESPONSE, 21, hp, 0);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	assert_true(vf_eof(f, c));
	close(c);
	counters(f, &cnt);
	assert_int_equal(cnt.protocol_errors, 2);
	assert_int_equal(vsock_mux_nr_conns(f->mux), 0);
}

static void test_header_split_across_buffers(void **state)
{
	struct vf *f = *state;
	char buf[16];
	uint32_t hp;
	int c;

	hp = host_connect(f, &c, 22);
	vf_send(f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_RW, .src_port = 22, .dst_port = hp,
				     .payload = "split-data", .payload_len = 10, .len = -1,
				     .split = 7 });
	assert_true(vf_read_exact(f, c, buf, 10));
	assert_memory_equal(buf, "split-data", 10);
	/* One byte per buffer: more pieces than one sendmsg takes; the rest follows at once. */
	uint8_t many[300], got[300];

	for (unsigned i = 0; i < sizeof(many); i++)
		many[i] = (uint8_t)(i * 3);
	vf_send(f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_RW, .src_port = 22, .dst_port = hp,
				     .payload = many, .payload_len = sizeof(many), .len = -1,
				     .split = 1 });
	assert_int_equal(read(c, got, sizeof(got)), (ssize_t)sizeof(got));
	assert_memory_equal(got, many, sizeof(many));
	close(c);
}

static void test_small_rx_buffers_and_fairness(void **state)
{
	struct vf *f = *state;
	enum { N = 300 };
	static int cl[N];
	static uint32_t hp[N], got[N];

	(void)hp;
	uint8_t data[2000], buf[256];
	struct vsock_hdr h;

	memset(data, 0x5a, sizeof(data));
	for (int i = 0; i < N; i++)
		hp[i] = host_connect(f, &cl[i], 100 + (uint32_t)i);
	for (int i = 0; i < N; i++)
		write_all(cl[i], data, sizeof(data));
	vf_pump(f);
	/* 100-byte payloads: every connection gets its turn before any gets a second one. */
	f->rx_buf_size = VSOCK_HDR_SIZE + 100;
	for (int round = 0; round < 2; round++) {
		memset(got, 0, sizeof(got));
		for (int i = 0; i < N; i++) {
			h = expect_pkt(f, VIRTIO_VSOCK_OP_RW, buf, sizeof(buf));
			assert_int_equal(h.len, 100);
			assert_true(h.dst_port >= 100 && h.dst_port < 100 + N);
			got[h.dst_port - 100]++;
		}
		for (int i = 0; i < N; i++)
			assert_int_equal(got[i], 1);
	}
	for (int i = 0; i < N; i++)
		close(cl[i]);
}

struct header_only {
	struct vf *f;
	uint32_t hp;
};

static int header_only_step(void *arg)
{
	struct header_only *t = arg;
	struct vf *f = t->f;
	static uint8_t buf[4096];
	struct vsock_hdr h;

	/* Only data waits, on two connections: no packet fits, and each call says so. */
	f->rx_buf_size = VSOCK_HDR_SIZE;
	for (int i = 0; i < 3; i++)
		if (vf_recv(f, &h, NULL, 0))
			return 1;
	/* A control packet does fit: the answer to a CREDIT_REQUEST goes out in one. */
	vf_send(f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_CREDIT_REQUEST, .src_port = 20,
				     .dst_port = t->hp, .buf_alloc = GUEST_BUF, .len = -1 });
	if (!vf_recv(f, &h, NULL, 0) || h.op != VIRTIO_VSOCK_OP_CREDIT_UPDATE ||
	    h.src_port != t->hp || h.len != 0)
		return 2;
	if (vf_recv(f, &h, NULL, 0))
		return 3;
	/* With room again, both connections' data is there, one packet each. */
	f->rx_buf_size = VSOCK_HDR_SIZE + sizeof(buf);
	for (int i = 0; i < 2; i++)
		if (!vf_recv(f, &h, buf, sizeof(buf)) || h.op != VIRTIO_VSOCK_OP_RW ||
		    h.len != 3000)
			return 4 + i;
	return 0;
}

static void test_header_only_rx_buffer(void **state)
{
	struct vf *f = *state;
	struct header_only t = { .f = f };
	static uint8_t data[3000];
	int a, b;

	memset(data, 0x33, sizeof(data));
	t.hp = host_connect(f, &a, 20);
	host_connect(f, &b, 21);
	write_all(a, data, sizeof(data));
	write_all(b, data, sizeof(data));
	vf_pump(f);
	/* In a child: a multiplexer that spins on the buffer is stopped there. */
	assert_int_equal(spin_guard_run(header_only_step, &t), 0);
	close(a);
	close(b);
}

static void test_churn_no_leak(void **state)
{
	struct vf *f = *state;
	struct vsock_mux_counters cnt;
	int fds_before = vf_count_fds();
	char buf[8];

	f->listen_ports[f->nr_listen++] = 5000;
	for (uint32_t i = 0; i < 3000; i++) {
		struct vsock_hdr h;
		uint32_t hp;
		int c;

		/* Host-initiated, closed by the host. */
		hp = host_connect(f, &c, 80);
		write_all(c, "x", 1);
		expect_pkt(f, VIRTIO_VSOCK_OP_RW, buf, sizeof(buf));
		close(c);
		expect_pkt(f, VIRTIO_VSOCK_OP_SHUTDOWN, NULL, 0);
		send_ctl(f, VIRTIO_VSOCK_OP_SHUTDOWN, 80, hp, 3);
		expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
		/* Guest-initiated, closed by the guest. */
		send_ctl(f, VIRTIO_VSOCK_OP_REQUEST, 30000 + i, 5000, 0);
		h = expect_pkt(f, VIRTIO_VSOCK_OP_RESPONSE, NULL, 0);
		assert_int_equal(h.dst_port, 30000 + i);
		send_ctl(f, VIRTIO_VSOCK_OP_RST, 30000 + i, 5000, 0);
		close(f->peers[--f->nr_peers]);
		/* A rejected handshake. */
		c = vf_client(f);
		write_all(c, "nope\n", 5);
		assert_true(vf_eof(f, c));
		close(c);
	}
	assert_int_equal(vsock_mux_nr_conns(f->mux), 0);
	assert_int_equal(vf_count_fds(), fds_before);
	counters(f, &cnt);
	assert_int_equal(cnt.closed, 9000);
}

static void test_reset_keeps_what_the_guest_never_saw(void **state)
{
	struct vf *f = *state;
	struct vsock_hdr h;
	int c1, c2, c3, c4;

	host_connect(f, &c1, 30);            /* established */
	host_request(f, &c2, "CONNECT 31\n"); /* REQUEST delivered */
	c3 = vf_client(f);                   /* handshake in progress */
	write_all(c3, "CONN", 4);
	c4 = vf_client(f);                   /* REQUEST not delivered yet */
	write_all(c4, "CONNECT 32\n", 11);
	vf_pump(f);
	assert_int_equal(vsock_mux_nr_conns(f->mux), 4);
	vsock_mux_reset(f->mux);
	assert_int_equal(vsock_mux_nr_conns(f->mux), 2);
	assert_true(vf_eof(f, c1));
	assert_true(vf_eof(f, c2));
	/* The reset guest gets the pending REQUEST, and the other handshake goes on. */
	h = expect_pkt(f, VIRTIO_VSOCK_OP_REQUEST, NULL, 0);
	assert_int_equal(h.dst_port, 32);
	write_all(c3, "ECT 33\n", 7);
	h = expect_pkt(f, VIRTIO_VSOCK_OP_REQUEST, NULL, 0);
	assert_int_equal(h.dst_port, 33);
	expect_nothing(f);
	close(c1);
	close(c2);
	close(c3);
	close(c4);
}

static void test_too_many_connections(void **state)
{
	struct vf *f = *state;
	static int cl[VSOCK_MAX_CONNS + 1];
	struct vsock_mux_counters cnt;

	for (int i = 0; i < VSOCK_MAX_CONNS; i++)
		cl[i] = vf_client(f);
	cl[VSOCK_MAX_CONNS] = vf_client(f);
	assert_true(vf_eof(f, cl[VSOCK_MAX_CONNS]));
	/* And a guest REQUEST beyond the limit is refused. */
	f->listen_ports[f->nr_listen++] = 7;
	send_ctl(f, VIRTIO_VSOCK_OP_REQUEST, 1, 7, 0);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, NULL, 0);
	counters(f, &cnt);
	assert_int_equal(cnt.handshake_rejected, 1);
	assert_int_equal(cnt.connect_refused, 1);
	for (int i = 0; i <= VSOCK_MAX_CONNS; i++)
		close(cl[i]);
}

static void test_conn_table(void **state)
{
	enum { N = 20000 };
	struct vsock_conn_table t;
	struct vsock_hnode *nodes = calloc(N, sizeof(*nodes));

	assert_non_null(nodes);
	assert_int_equal(vsock_table_init(&t, 4), 0);
	for (uint32_t i = 0; i < N; i++) {
		nodes[i].local_port = i % 7;
		nodes[i].peer_port = i;
		assert_null(vsock_table_find(&t, i % 7, i));
		vsock_table_insert(&t, &nodes[i]);
	}
	assert_int_equal(t.count, N);
	assert_true(t.mask + 1 >= N);
	for (uint32_t i = 0; i < N; i++)
		assert_ptr_equal(vsock_table_find(&t, i % 7, i), &nodes[i]);
	assert_null(vsock_table_find(&t, 1, 0));
	for (uint32_t i = 0; i < N; i += 2)
		vsock_table_remove(&t, &nodes[i]);
	for (uint32_t i = 0; i < N; i++) {
		if (i % 2)
			assert_ptr_equal(vsock_table_find(&t, i % 7, i), &nodes[i]);
		else
			assert_null(vsock_table_find(&t, i % 7, i));
	}
	assert_int_equal(t.count, N / 2);
	vsock_table_destroy(&t);
	free(nodes);
}

static void test_packet_roundtrip(void **state)
{
	struct vsock_hdr in, out;
	uint8_t raw[VSOCK_HDR_SIZE];

	memset(&in, 0, sizeof(in));
	memset(&out, 0xff, sizeof(out));
	in.src_cid = 0x0102030405060708ULL;
	in.dst_cid = 2;
	in.src_port = 0xa1b2c3d4;
	in.dst_port = 7;
	in.len = 9;
	in.type = 1;
	in.op = 5;
	in.flags = 3;
	in.buf_alloc = 77;
	in.fwd_cnt = 0xffffffff;
	vsock_hdr_encode(&in, raw);
	/* Little-endian on the wire, in the uapi's field order. */
	assert_int_equal(raw[0], 0x08);
	assert_int_equal(raw[7], 0x01);
	assert_int_equal(raw[16], 0xd4);
	assert_int_equal(raw[28], 1);
	assert_int_equal(raw[30], 5);
	vsock_hdr_decode(raw, &out);
	assert_int_equal(out.src_cid, in.src_cid);
	assert_int_equal(out.dst_cid, in.dst_cid);
	assert_int_equal(out.src_port, in.src_port);
	assert_int_equal(out.dst_port, in.dst_port);
	assert_int_equal(out.len, in.len);
	assert_int_equal(out.type, in.type);
	assert_int_equal(out.op, in.op);
	assert_int_equal(out.flags, in.flags);
	assert_int_equal(out.buf_alloc, in.buf_alloc);
	assert_int_equal(out.fwd_cnt, in.fwd_cnt);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_handshake_upper_case),
		T(test_handshake_variants_accepted),
		T(test_handshake_rejects),
		T(test_handshake_partial_line),
		T(test_bytes_after_line_reach_guest),
		T(test_guest_rst_closes_client),
		T(test_no_response_times_out),
		T(test_request_unsent_times_out_silently),
		T(test_guest_initiated),
		T(test_host_to_guest_credit),
		T(test_guest_to_host_credit),
		T(test_credit_request_answered),
		T(test_guest_shutdown_send_then_rcv),
		T(test_guest_shutdown_rcv),
		T(test_guest_close_flushes_then_rst),
		T(test_stuck_close_times_out),
		T(test_host_half_close_and_close),
		T(test_host_closes_with_data_buffered),
		T(test_guest_closes_after_host_eof),
		T(test_malformed_packets),
		T(test_wrong_state_packets),
		T(test_header_split_across_buffers),
		T(test_small_rx_buffers_and_fairness),
		T(test_header_only_rx_buffer),
		T(test_churn_no_leak),
		T(test_reset_keeps_what_the_guest_never_saw),
		T(test_too_many_connections),
		cmocka_unit_test(test_conn_table),
		cmocka_unit_test(test_packet_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
