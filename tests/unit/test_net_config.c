// SPDX-License-Identifier: MIT
/*
 * The --net option value (net_config_parse) and the key=value walker under it: every key, the
 * defaults, and one bad case per rule with its one-line message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "devices/net.h"
#include "vmm/kv_list.h"

static void parse_ok(const char *spec, struct net_config *c)
{
	char err[256] = "";

	if (net_config_parse(spec, c, err, sizeof(err)))
		fail_msg("'%s' refused: %s", spec, err);
}

/* Refused, with a message that contains want. */
static void parse_bad(const char *spec, const char *want)
{
	struct net_config c = { .mtu = 1234 };
	char err[256] = "";

	if (net_config_parse(spec, &c, err, sizeof(err)) != -1)
		fail_msg("'%s' accepted", spec);
	if (!strstr(err, want))
		fail_msg("'%s': message '%s' lacks '%s'", spec, err, want);
	assert_int_equal(c.mtu, 1234); /* nothing half-parsed is left in the output */
}

static void test_defaults(void **state)
{
	struct net_config c;
	uint8_t zero[6] = { 0 };

	parse_ok("tap=tap0", &c);
	assert_string_equal(c.tap_name, "tap0");
	assert_int_equal(c.tap_fd, -1);
	assert_false(c.mac_set);
	assert_memory_equal(c.mac, zero, 6);
	assert_int_equal(c.mtu, NET_MTU_DEFAULT);
	assert_string_equal(c.id, "");
	assert_int_equal(c.rx_rate.bandwidth.size, 0);
	assert_int_equal(c.rx_rate.ops.size, 0);
	assert_int_equal(c.tx_rate.bandwidth.size, 0);
	assert_int_equal(c.tx_rate.ops.size, 0);
}

static void test_every_key(void **state)
{
	struct net_config c;
	const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

	parse_ok("fd=7,mac=52:54:00:AB:cd:eF,mtu=9000,id=pod-eth0,rx_rate=bw:10M:1000:1M,"
		 "tx_rate=ops:2000:1000+bw:1G:1000",
		 &c);
	assert_string_equal(c.tap_name, "");
	assert_int_equal(c.tap_fd, 7);
	assert_true(c.mac_set);
	assert_memory_equal(c.mac, mac, 6);
	assert_int_equal(c.mtu, 9000);
	assert_string_equal(c.id, "pod-eth0");
	assert_int_equal(c.rx_rate.bandwidth.size, 10 << 20);
	assert_int_equal(c.rx_rate.bandwidth.refill_time_ms, 1000);
	assert_int_equal(c.rx_rate.bandwidth.one_time_burst, 1 << 20);
	assert_int_equal(c.rx_rate.ops.size, 0);
	assert_int_equal(c.tx_rate.ops.size, 2000);
	assert_int_equal(c.tx_rate.bandwidth.size, 1ULL << 30);

	/* Limits of each range, and a trailing comma. */
	parse_ok("tap=abcdefghijklmno,mtu=68,id=0123456789abcdef0123456789abcdef,", &c);
	assert_string_equal(c.tap_name, "abcdefghijklmno");
	assert_int_equal(c.mtu, 68);
	assert_int_equal(strlen(c.id), NET_ID_MAX);
	parse_ok("mtu=65535,fd=3", &c);
	assert_int_equal(c.mtu, 65535);
	assert_int_equal(c.tap_fd, 3);
}

static void test_errors(void **state)
{
	parse_bad("", "exactly one of tap=NAME or fd=N");
	parse_bad("mtu=1500", "exactly one of tap=NAME or fd=N");
	parse_bad("tap=t0,fd=4", "exactly one of tap=NAME or fd=N");
	parse_bad("tap=t0,tap=t1", "tap given twice");
	parse_bad("tap", "expected key=value");
	parse_bad("tap=t0,,mtu=9000", "expected key=value");
	parse_bad("=t0", "bad key");
	parse_bad("tap=t0,colour=blue", "unknown key 'colour'");
	parse_bad("tap=", "not an interface name");
	parse_bad("tap=a/b", "not an interface name");
	parse_bad("tap=a b", "not an interface name");
	parse_bad("tap=eth0:1", "not an interface name");
	parse_bad("tap=..", "not an interface name");
	parse_bad("tap=abcdefghijklmnop", "not an interface name");
	parse_bad("fd=x", "not a file descriptor");
	parse_bad("fd=-3", "not a file descriptor");
	parse_bad("fd=2147483648", "not a file descriptor");
	parse_bad("fd=2", "standard input, output or error");
	parse_bad("tap=t0,mtu=67", "mtu=67: expected 68 to 65535");
	parse_bad("tap=t0,mtu=65536", "expected 68 to 65535");
	parse_bad("tap=t0,mtu=1.5k", "expected 68 to 65535");
	parse_bad("tap=t0,mac=52:54:00:12:34", "expected xx:xx:xx:xx:xx:xx");
	parse_bad("tap=t0,mac=52-54-00-12-34-56", "expected xx:xx:xx:xx:xx:xx");
	parse_bad("tap=t0,mac=52:54:00:12:34:5g", "expected xx:xx:xx:xx:xx:xx");
	parse_bad("tap=t0,mac=01:00:5e:00:00:01", "multicast");
	parse_bad("tap=t0,mac=00:00:00:00:00:00", "all zeroes");
	parse_bad("tap=t0,id=", "id must be 1 to 32 characters");
	parse_bad("tap=t0,id=0123456789abcdef0123456789abcdefX", "id must be 1 to 32");
	parse_bad("tap=t0,rx_rate=bw:0:100", "rx_rate: bw: size");
	parse_bad("tap=t0,tx_rate=ops:1:1+ops:1:1", "tx_rate: ops given twice");
	parse_bad("tap=t0,rx_rate=", "rx_rate: empty rate limit");
}

static void test_kv_list(void **state)
{
	const char *cur = "a=1,long_key=x=y,e=,z=last";
	struct kv_pair kv;
	char err[128];
	char big[KV_VAL_MAX + 8] = "v=";

	assert_int_equal(kv_list_next(&cur, &kv, err, sizeof(err)), 1);
	assert_string_equal(kv.key, "a");
	assert_string_equal(kv.val, "1");
	assert_int_equal(kv_list_next(&cur, &kv, err, sizeof(err)), 1);
	assert_string_equal(kv.key, "long_key");
	assert_string_equal(kv.val, "x=y");
	assert_int_equal(kv_list_next(&cur, &kv, err, sizeof(err)), 1);
	assert_string_equal(kv.key, "e");
	assert_string_equal(kv.val, "");
	assert_int_equal(kv_list_next(&cur, &kv, err, sizeof(err)), 1);
	assert_string_equal(kv.val, "last");
	assert_int_equal(kv_list_next(&cur, &kv, err, sizeof(err)), 0);

	memset(big + 2, 'x', KV_VAL_MAX);
	cur = big;
	assert_int_equal(kv_list_next(&cur, &kv, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "too long"));
	big[2 + KV_VAL_MAX - 1] = 0; /* KV_VAL_MAX - 1 characters fit */
	cur = big;
	assert_int_equal(kv_list_next(&cur, &kv, err, sizeof(err)), 1);
	assert_int_equal(strlen(kv.val), KV_VAL_MAX - 1);
	cur = "0123456789012345678901234567890123=v";
	assert_int_equal(kv_list_next(&cur, &kv, err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_kv_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
