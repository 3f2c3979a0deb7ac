// SPDX-License-Identifier: MIT
/*
 * The --net option value as cli_parse() reads it (every key, the defaults, one bad word per
 * parse rule with its one-line message), --drive rate=, and the key=value walker under all of
 * them (the rate-limit text form itself: test_rate_limiter.c).  What the values may be is config_validate()'s
 * (test_config.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/cli.h"
#include "vmm/error.h"
#include "vmm/kv_list.h"

/* cvmm --kernel k --net SPEC [--net SPEC2]: parsed into cfg (freed by the caller). */
static int parse_net(const char *spec, const char *spec2, struct vm_config *cfg, struct error *e)
{
	char *argv[] = { "cvmm", "--kernel", "k", "--net", (char *)spec, "--net", (char *)spec2,
			 NULL };
	struct cli_extra x;

	error_clear(e);
	return cli_parse(spec2 ? 7 : 5, argv, CLI_RUN, cfg, &x, e);
}

static void parse_ok(const char *spec, struct vm_config *cfg)
{
	struct error e = ERROR_INIT;

	if (parse_net(spec, NULL, cfg, &e))
		fail_msg("'%s' refused: %s", spec, e.msg);
	assert_int_equal(cfg->nr_nets, 1);
}

/* Refused as a usage error, with a message that contains want. */
static void parse_bad(const char *spec, const char *want)
{
	struct error e = ERROR_INIT;
	struct vm_config cfg;

	if (!parse_net(spec, NULL, &cfg, &e))
		fail_msg("'%s' accepted", spec);
	if (e.cls != ERROR_USAGE || !strstr(e.msg, want))
		fail_msg("'%s': %s error '%s' lacks '%s'", spec, error_class_name(e.cls), e.msg,
			 want);
	assert_non_null(strstr(e.msg, "--net: "));
	assert_int_equal(cfg.nr_nets, 0); /* nothing half-parsed is left in the config */
	config_free(&cfg);
}

static void test_defaults(void **state)
{
	struct vm_config cfg;
	const struct net_config *n;

	parse_ok("tap=tap0", &cfg);
	n = &cfg.nets[0];
	assert_string_equal(n->tap, "tap0");
	assert_int_equal(n->fd, -1);
	assert_null(n->mac);
	assert_null(n->id);
	assert_int_equal(n->mtu, NET_MTU_DEFAULT);
	assert_int_equal(n->rx_rate.bandwidth.size, 0);
	assert_int_equal(n->rx_rate.ops.size, 0);
	assert_int_equal(n->tx_rate.bandwidth.size, 0);
	assert_int_equal(n->tx_rate.ops.size, 0);
	config_free(&cfg);
	/* No --net: no network device. */
	{
		char *argv[] = { "cvmm", "--kernel", "k", NULL };
		struct error e = ERROR_INIT;
		struct cli_extra x;

		assert_int_equal(cli_parse(3, argv, CLI_RUN, &cfg, &x, &e), 0);
		assert_int_equal(cfg.nr_nets, 0);
		config_free(&cfg);
	}
}

static void test_every_key(void **state)
{
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	const struct net_config *n;

	parse_ok("fd=7,mac=52:54:00:AB:cd:eF,mtu=9000,id=pod-eth0,rx_rate=bw:10M:1000:1M,"
		 "tx_rate=ops:2000:1000+bw:1G:1000",
		 &cfg);
	n = &cfg.nets[0];
	assert_null(n->tap);
	assert_int_equal(n->fd, 7);
	assert_string_equal(n->mac, "52:54:00:AB:cd:eF");
	assert_int_equal(n->mtu, 9000);
	assert_string_equal(n->id, "pod-eth0");
	assert_int_equal(n->rx_rate.bandwidth.size, 10 << 20);
	assert_int_equal(n->rx_rate.bandwidth.refill_time_ms, 1000);
	assert_int_equal(n->rx_rate.bandwidth.one_time_burst, 1 << 20);
	assert_int_equal(n->rx_rate.ops.size, 0);
	assert_int_equal(n->tx_rate.ops.size, 2000);
	assert_int_equal(n->tx_rate.bandwidth.size, 1ULL << 30);
	config_free(&cfg);

	/* A trailing comma; two devices in command-line order; measure takes --net too. */
	assert_int_equal(parse_net("tap=a,", "tap=b,mtu=68", &cfg, &e), 0);
	assert_int_equal(cfg.nr_nets, 2);
	assert_string_equal(cfg.nets[0].tap, "a");
	assert_string_equal(cfg.nets[1].tap, "b");
	assert_int_equal(cfg.nets[1].mtu, 68);
	config_free(&cfg);
	{
		char *argv[] = { "measure", "--tee", "snp", "--firmware", "f", "--net", "tap=t0",
				 NULL };
		struct cli_extra x;

		assert_int_equal(cli_parse(7, argv, CLI_MEASURE, &cfg, &x, &e), 0);
		assert_int_equal(cfg.nr_nets, 1);
		config_free(&cfg);
	}
}

/* One bad word per parse rule; value ranges are config_validate()'s. */
static void test_errors(void **state)
{
	parse_bad("tap=t0,tap=t1", "tap given twice");
	parse_bad("tap", "expected key=value");
	parse_bad("tap=t0,,mtu=9000", "expected key=value");
	parse_bad("=t0", "bad key");
	parse_bad("tap=t0,colour=blue", "unknown key 'colour'");
	parse_bad("fd=x", "not a file descriptor");
	parse_bad("fd=-3", "not a file descriptor");
	parse_bad("fd=2147483648", "not a file descriptor");
	parse_bad("tap=t0,mtu=1.5k", "mtu=1.5k is not a number");
	parse_bad("tap=t0,rx_rate=bw:0:100", "rx_rate: bw: size");
	parse_bad("tap=t0,tx_rate=ops:1:1+ops:1:1", "tx_rate: ops given twice");
	parse_bad("tap=t0,rx_rate=", "rx_rate: empty rate limit");
}

static void test_drive_rate(void **state)
{
	char *argv[] = { "cvmm", "--kernel", "k", "--drive", "path=/d,rate=ops:100:1000", NULL };
	char *bad[] = { "cvmm", "--kernel", "k", "--drive", "path=/d,rate=iops:1:1", NULL };
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	struct cli_extra x;

	assert_int_equal(cli_parse(5, argv, CLI_RUN, &cfg, &x, &e), 0);
	assert_int_equal(cfg.drives[0].rate.ops.size, 100);
	assert_int_equal(cfg.drives[0].rate.ops.refill_time_ms, 1000);
	assert_int_equal(cfg.drives[0].rate.bandwidth.size, 0);
	config_free(&cfg);
	assert_true(cli_parse(5, bad, CLI_RUN, &cfg, &x, &e) < 0);
	assert_non_null(strstr(e.msg, "--drive: rate: 'iops': a bucket starts with bw: or ops:"));
	config_free(&cfg);
}

static void test_kv_list(void **state)
{
	const char *cur = "a=1,long_key=x=y,e=,z=last";
	static struct kv_pair kv;
	static char big[KV_VAL_MAX + 8] = "v=";
	struct error e = ERROR_INIT;

	assert_int_equal(kv_list_next(&cur, &kv, &e), 1);
	assert_string_equal(kv.key, "a");
	assert_string_equal(kv.val, "1");
	assert_int_equal(kv_list_next(&cur, &kv, &e), 1);
	assert_string_equal(kv.key, "long_key");
	assert_string_equal(kv.val, "x=y");
	assert_int_equal(kv_list_next(&cur, &kv, &e), 1);
	assert_string_equal(kv.key, "e");
	assert_string_equal(kv.val, "");
	assert_int_equal(kv_list_next(&cur, &kv, &e), 1);
	assert_string_equal(kv.val, "last");
	assert_int_equal(kv_list_next(&cur, &kv, &e), 0);
	assert_false(error_is_set(&e));

	memset(big + 2, 'x', KV_VAL_MAX);
	cur = big;
	assert_true(kv_list_next(&cur, &kv, &e) < 0);
	assert_int_equal(e.cls, ERROR_USAGE);
	assert_non_null(strstr(e.msg, "too long"));
	big[2 + KV_VAL_MAX - 1] = 0; /* KV_VAL_MAX - 1 characters fit: a path of 4096 bytes */
	cur = big;
	assert_int_equal(kv_list_next(&cur, &kv, &e), 1);
	assert_int_equal(strlen(kv.val), KV_VAL_MAX - 1);
	cur = "0123456789012345678901234567890123=v";
	assert_true(kv_list_next(&cur, &kv, &e) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_drive_rate),
		cmocka_unit_test(test_kv_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
