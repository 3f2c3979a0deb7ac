// SPDX-License-Identifier: MIT
/*
 * The token-bucket rate limiter on a manual clock (no sleeps, no timing): refill arithmetic and
 * its fractions, the cap at the bucket size, the one-time burst, requests larger than the
 * bucket, the two buckets together, the wait the caller arms a timer for (exact to the
 * nanosecond), the long-run rate, and the text form parsed for --net and --drive.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "devices/rate_limiter.h"
#include "vmm/clock.h"
#include "vmm/error.h"
#include "vmm/rate_limit_spec.h"

#define MS 1000000ULL

static struct manual_clock clk;

static void limiter(struct rate_limiter *rl, uint64_t bw_size, uint64_t bw_ms, uint64_t bw_burst,
		    uint64_t ops_size, uint64_t ops_ms)
{
	struct rate_limit_config cfg = {
		.bandwidth = { bw_size, bw_burst, bw_ms },
		.ops = { ops_size, 0, ops_ms },
	};

	manual_clock_init(&clk, 1000 * MS);
	rate_limiter_init(rl, &cfg, &clk.clock);
}

static void test_unlimited(void **state)
{
	struct rate_limiter rl;

	limiter(&rl, 0, 0, 0, 0, 0);
	assert_false(rate_limiter_active(&rl));
	for (int i = 0; i < 1000; i++)
		assert_true(rate_limiter_consume(&rl, 1 << 20));
	assert_int_equal(rate_limiter_wait_ns(&rl, UINT32_MAX), 0);
	/* A size without a refill time limits nothing either. */
	limiter(&rl, 100, 0, 0, 0, 0);
	assert_false(rate_limiter_active(&rl));
	rate_limiter_init(&rl, NULL, &clk.clock);
	assert_false(rate_limiter_active(&rl));
}

/* 1000 bytes per 100 ms: starts full, one token every 100 us. */
static void test_bandwidth_refill(void **state)
{
	struct rate_limiter rl;

	limiter(&rl, 1000, 100, 0, 0, 0);
	assert_true(rate_limiter_active(&rl));
	assert_true(rate_limiter_consume(&rl, 600));
	assert_true(rate_limiter_consume(&rl, 400));
	assert_false(rate_limiter_consume(&rl, 1));
	assert_int_equal(rl.counters.bandwidth_throttled, 1);
	assert_int_equal(rl.counters.ops_throttled, 0);
	assert_int_equal(rate_limiter_wait_ns(&rl, 1), 100000);
	assert_int_equal(rate_limiter_wait_ns(&rl, 250), 25 * MS);
	manual_clock_advance(&clk, 50 * MS);
	assert_false(rate_limiter_consume(&rl, 501));
	assert_true(rate_limiter_consume(&rl, 500));
	assert_false(rate_limiter_may(&rl, 1));
	assert_int_equal(rl.counters.bandwidth_throttled, 3);
}

/* A full bucket banks no time: a long idle period gives one bucketful, not more. */
static void test_refill_caps_at_size(void **state)
{
	struct rate_limiter rl;

	limiter(&rl, 1000, 100, 0, 0, 0);
	manual_clock_advance(&clk, 10000 * MS);
	assert_true(rate_limiter_consume(&rl, 1000));
	assert_false(rate_limiter_may(&rl, 1));
	/* Idle while full, then drained: the refill counts from the drain, not from before. */
	manual_clock_advance(&clk, 1000 * MS);
	rate_limiter_may(&rl, 1);
	manual_clock_advance(&clk, 1000 * MS);
	assert_true(rate_limiter_consume(&rl, 1000));
	manual_clock_advance(&clk, 10 * MS);
	assert_false(rate_limiter_may(&rl, 101));
	assert_true(rate_limiter_may(&rl, 100));
}

/* 3 tokens per ms: fractions of a token are kept, not lost at each update. */
static void test_refill_keeps_fractions(void **state)
{
	struct rate_limiter rl;
	unsigned got = 0;

	limiter(&rl, 3, 1, 0, 0, 0);
	assert_true(rate_limiter_consume(&rl, 3));
	/* 90 steps of 100 us = 9 ms = 27 tokens, each step earning 0.3 of one. */
	for (int i = 0; i < 90; i++) {
		manual_clock_advance(&clk, MS / 10);
		while (rate_limiter_consume(&rl, 1))
			got++;
	}
	assert_int_equal(got, 27);
}

static void test_one_time_burst(void **state)
{
	struct rate_limiter rl;

	/* 100 bytes/s with a burst of 500: 600 at once, then the rate. */
	limiter(&rl, 100, 1000, 500, 0, 0);
	assert_true(rate_limiter_consume(&rl, 300));
	assert_true(rate_limiter_consume(&rl, 300));
	assert_int_equal(rl.bandwidth.burst, 0);
	assert_int_equal(rl.bandwidth.budget, 0);
	assert_false(rate_limiter_may(&rl, 1));
	assert_int_equal(rate_limiter_wait_ns(&rl, 50), 500 * MS);
	/* The burst is spent once: a full refill later, only the bucket is there. */
	manual_clock_advance(&clk, 5000 * MS);
	assert_true(rate_limiter_consume(&rl, 100));
	assert_false(rate_limiter_may(&rl, 1));
}

/* A request larger than the bucket goes when the bucket is full and is paid back after. */
static void test_request_larger_than_bucket(void **state)
{
	struct rate_limiter rl;
	uint64_t w;

	limiter(&rl, 1000, 1000, 0, 0, 0);
	assert_true(rate_limiter_consume(&rl, 5000));
	assert_int_equal(rl.bandwidth.budget, -4000);
	w = rate_limiter_wait_ns(&rl, 1);
	assert_int_equal(w, 4001 * MS);
	manual_clock_advance(&clk, w - 1);
	assert_false(rate_limiter_may(&rl, 1));
	manual_clock_advance(&clk, 1);
	assert_true(rate_limiter_may(&rl, 1));
	/* A bucket that is not full does not take it. */
	assert_false(rate_limiter_may(&rl, 5000));
	assert_int_equal(rate_limiter_wait_ns(&rl, 5000), 999 * MS);
}

static void test_ops_bucket(void **state)
{
	struct rate_limiter rl;

	limiter(&rl, 0, 0, 0, 10, 1000);
	for (int i = 0; i < 10; i++)
		assert_true(rate_limiter_consume(&rl, 1 << 20));
	assert_false(rate_limiter_consume(&rl, 0));
	assert_int_equal(rl.counters.ops_throttled, 1);
	assert_int_equal(rl.counters.bandwidth_throttled, 0);
	assert_int_equal(rate_limiter_wait_ns(&rl, 0), 100 * MS);
}

/* Both buckets must allow; a refusal by one takes nothing from the other. */
static void test_both_buckets(void **state)
{
	struct rate_limiter rl;

	limiter(&rl, 1000, 1000, 0, 2, 1000);
	assert_true(rate_limiter_consume(&rl, 100));
	assert_true(rate_limiter_consume(&rl, 100));
	assert_false(rate_limiter_consume(&rl, 100));
	assert_int_equal(rl.bandwidth.budget, 800);
	assert_int_equal(rl.counters.ops_throttled, 1);
	manual_clock_advance(&clk, 500 * MS);
	/* One op back (500 ms), 500 bytes back (capped at 1000). */
	assert_true(rate_limiter_consume(&rl, 1000));
	assert_false(rate_limiter_may(&rl, 1));
	assert_int_equal(rl.counters.ops_throttled, 2);
	assert_int_equal(rl.counters.bandwidth_throttled, 1);
	/* The longer of the two waits: the ops bucket needs 500 ms, bytes 1 ms. */
	assert_int_equal(rate_limiter_wait_ns(&rl, 1), 500 * MS);
}

/* charge() takes whatever is asked, for sizes known only afterwards. */
static void test_charge_after_the_fact(void **state)
{
	struct rate_limiter rl;

	limiter(&rl, 1000, 1000, 0, 0, 0);
	assert_true(rate_limiter_may(&rl, 1));
	rate_limiter_charge(&rl, 1500);
	assert_false(rate_limiter_may(&rl, 1));
	assert_int_equal(rate_limiter_wait_ns(&rl, 1), 501 * MS);
}

/* Greedy use over 60 simulated seconds stays within size per refill time, plus one bucket. */
static void test_long_run_rate(void **state)
{
	static const struct {
		uint64_t size, ms, burst, request;
	} cases[] = {
		{ 1000, 100, 0, 64 }, { 1 << 20, 1000, 1 << 16, 1500 },
		{ 12345, 7, 999, 4000 }, { 10, 1000, 0, 25 },
	};

	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct rate_limiter rl;
		uint64_t sent = 0, start, elapsed, allowed, steps = 0;

		limiter(&rl, cases[c].size, cases[c].ms, cases[c].burst, 0, 0);
		start = clk.now;
		while (clk.now - start < 60000 * MS) {
			uint64_t w = rate_limiter_wait_ns(&rl, cases[c].request);

			/* Far more than the case needs: a limiter that never waits fails here. */
			assert_true(++steps < 10000000);
			if (w) {
				manual_clock_advance(&clk, w);
				continue;
			}
			assert_true(rate_limiter_consume(&rl, cases[c].request));
			sent += cases[c].request;
		}
		elapsed = clk.now - start;
		allowed = cases[c].size * elapsed / (cases[c].ms * MS) + cases[c].size +
			  cases[c].burst;
		assert_true(sent <= allowed + cases[c].request);
		/* ... and the waits are not too long: at least 99% of the rate is used. */
		assert_true(sent * 100 >= (allowed - cases[c].size - cases[c].burst) * 99);
	}
}

static void parse_ok(const char *spec, struct rate_limit_config *out)
{
	struct error e = ERROR_INIT;

	if (rate_limit_parse(spec, out, &e))
		fail_msg("'%s' refused: %s", spec, e.msg);
}

static void test_parse(void **state)
{
	struct rate_limit_config c;

	parse_ok("bw:10M:1000", &c);
	assert_int_equal(c.bandwidth.size, 10 << 20);
	assert_int_equal(c.bandwidth.refill_time_ms, 1000);
	assert_int_equal(c.bandwidth.one_time_burst, 0);
	assert_int_equal(c.ops.size, 0);

	parse_ok("ops:2000:500:100+bw:64K:10:1G", &c);
	assert_int_equal(c.ops.size, 2000);
	assert_int_equal(c.ops.refill_time_ms, 500);
	assert_int_equal(c.ops.one_time_burst, 100);
	assert_int_equal(c.bandwidth.size, 65536);
	assert_int_equal(c.bandwidth.refill_time_ms, 10);
	assert_int_equal(c.bandwidth.one_time_burst, 1 << 30);

	parse_ok("ops:1:86400000", &c);
	assert_int_equal(c.ops.refill_time_ms, RL_MAX_REFILL_MS);
	assert_int_equal(c.bandwidth.size, 0);
	/* Numbers beyond the limiter's range parse; config_validate() refuses them. */
	parse_ok("bw:1:86400001+ops:1152921504606846977:1", &c);
	assert_int_equal(c.bandwidth.refill_time_ms, RL_MAX_REFILL_MS + 1);
	assert_int_equal(c.ops.size, RL_MAX_TOKENS + 1);
}

static void test_parse_errors(void **state)
{
	static const char *const bad[] = {
		"", "bw", "bw:10M", "bw:10M:", "bw:0:100", "bw:10M:0", "bw:-1:100",
		"bw:10M:100:5:6", "bw:10X:100", "bw:10M:100ms", "ops:1K:100",
		"bw:1:1+bw:1:1", "ops:1:1+ops:1:1", "bw:1:1+ops:1:1+bw:1:1", "iops:1:1",
		"bw:1:1+", "+bw:1:1", "bw:1:1:ff",
	};
	struct rate_limit_config c;
	struct error e;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error_clear(&e);
		if (rate_limit_parse(bad[i], &c, &e) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
		assert_int_equal(e.cls, ERROR_USAGE);
		assert_true(strlen(e.msg) > 0);
		assert_null(strchr(e.msg, '\n'));
	}
	error_clear(&e);
	assert_int_equal(rate_limit_parse(NULL, &c, &e), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unlimited),
		cmocka_unit_test(test_bandwidth_refill),
		cmocka_unit_test(test_refill_caps_at_size),
		cmocka_unit_test(test_refill_keeps_fractions),
		cmocka_unit_test(test_one_time_burst),
		cmocka_unit_test(test_request_larger_than_bucket),
		cmocka_unit_test(test_ops_bucket),
		cmocka_unit_test(test_both_buckets),
		cmocka_unit_test(test_charge_after_the_fact),
		cmocka_unit_test(test_long_run_rate),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
