// SPDX-License-Identifier: MIT
/*
 * --limits: the defaults, each key set and checked against its range, unknown keys and
 * malformed lists refused with one usage line, the combination check, and the option reaching
 * the config through the command line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/cli.h"
#include "vmm/error.h"
#include "vmm/limits.h"

static void test_defaults(void **state)
{
	struct vm_limits l;
	struct error e = ERROR_INIT;

	limits_init(&l);
	assert_int_equal(l.vsock_conns, 1024);
	assert_int_equal(l.vsock_handshakes, 64);
	assert_int_equal(l.vsock_handshake_ms, 2000);
	assert_int_equal(l.vsock_buf_kib, 256);
	assert_int_equal(l.vsock_mem_mib, 64);
	assert_int_equal(l.serial_file_mib, 64);
	assert_int_equal(limits_validate(&l, &e), 0);
}

static void test_parse(void **state)
{
	struct vm_limits l;
	struct error e = ERROR_INIT;

	limits_init(&l);
	assert_int_equal(limits_parse(&l, "vsock_conns=16,vsock_mem_mib=8,serial_file_mib=1", &e),
			 0);
	assert_int_equal(l.vsock_conns, 16);
	assert_int_equal(l.vsock_mem_mib, 8);
	assert_int_equal(l.serial_file_mib, 1);
	assert_int_equal(l.vsock_buf_kib, 256); /* untouched */
	assert_int_equal(limits_parse(&l, "vsock_handshakes=2,vsock_handshake_ms=100", &e), 0);
	assert_int_equal(l.vsock_handshakes, 2);
	assert_int_equal(l.vsock_handshake_ms, 100);
}

static void expect_usage(const char *spec, const char *words)
{
	struct vm_limits l;
	struct error e = ERROR_INIT;

	limits_init(&l);
	assert_int_equal(limits_parse(&l, spec, &e), -EINVAL);
	assert_int_equal(e.cls, ERROR_USAGE);
	if (!strstr(e.msg, words))
		fail_msg("'%s': '%s' lacks '%s'", spec, e.msg, words);
}

static void test_bad_specs(void **state)
{
	expect_usage("vsock_cons=3", "unknown limit 'vsock_cons'");
	expect_usage("vsock_conns=0", "vsock_conns=0: expected 1 to 65536");
	expect_usage("vsock_handshake_ms=99", "expected 100 to 60000");
	expect_usage("vsock_buf_kib=x", "vsock_buf_kib=x: expected 4 to 16384");
	expect_usage("vsock_conns", "expected key=value");
	expect_usage("serial_file_mib=-1", "serial_file_mib=-1");
}

static void test_combination(void **state)
{
	struct vm_limits l;
	struct error e = ERROR_INIT;

	limits_init(&l);
	assert_int_equal(limits_parse(&l, "vsock_buf_kib=2048,vsock_mem_mib=1", &e), 0);
	assert_int_equal(limits_validate(&l, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "vsock_buf_kib=2048 is more than vsock_mem_mib=1 holds"));
}

static void test_command_line(void **state)
{
	char *argv[] = { "cvmm", "--limits", "vsock_conns=5", "--limits=serial_file_mib=2", NULL };
	char *bad[] = { "cvmm", "--limits", "nope=1", NULL };
	struct error e = ERROR_INIT;
	struct cli_extra x;
	struct vm_config cfg;

	assert_int_equal(cli_parse(4, argv, CLI_RUN, &cfg, &x, &e), 0);
	assert_int_equal(cfg.limits.vsock_conns, 5);
	assert_int_equal(cfg.limits.serial_file_mib, 2);
	config_free(&cfg);
	assert_int_equal(cli_parse(3, bad, CLI_RUN, &cfg, &x, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "--limits: unknown limit 'nope'"));
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_bad_specs),
		cmocka_unit_test(test_combination),
		cmocka_unit_test(test_command_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
