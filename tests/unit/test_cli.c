// SPDX-License-Identifier: MIT
/* Command-line parsing: accepted forms and one clear error for each kind of bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/cli.h"

static int parse(struct vm_config *cfg, char *err, const char *const *args)
{
	char *argv[64];
	int argc = 0;

	argv[argc++] = (char *)"cvmm";
	while (*args && argc < 63)
		argv[argc++] = (char *)*args++;
	assert_null(*args);
	argv[argc] = NULL;
	err[0] = 0;
	return cli_parse(argc, argv, cfg, err, 256);
}

#define PARSE(cfg, err, ...) parse(cfg, err, (const char *const[]){ __VA_ARGS__, NULL })

static void test_good(void **state)
{
	struct vm_config cfg;
	char err[256];

	assert_int_equal(PARSE(&cfg, err, "--kernel", "k", "--initrd=i", "--cmdline", "a b",
			       "--vcpus", "4", "--mem-mib", "0x200", "--serial", "file:/tmp/s",
			       "--irqchip", "split", "--boot-timer"),
			 0);
	assert_string_equal(cfg.kernel, "k");
	assert_string_equal(cfg.initrd, "i");
	assert_string_equal(cfg.cmdline, "a b");
	assert_int_equal(cfg.vcpus, 4);
	assert_int_equal(cfg.mem_mib, 512);
	assert_int_equal(cfg.serial, SERIAL_FILE);
	assert_string_equal(cfg.serial_path, "/tmp/s");
	assert_int_equal(cfg.irqchip, IRQCHIP_SPLIT);
	assert_true(cfg.boot_timer);

	assert_int_equal(PARSE(&cfg, err, "--kernel", "k"), 0);
	assert_int_equal(cfg.vcpus, 1);
	assert_int_equal(cfg.mem_mib, 256);
	assert_int_equal(cfg.serial, SERIAL_STDIO);
	assert_int_equal(cfg.irqchip, IRQCHIP_KERNEL);
	assert_int_equal(cfg.tee, TEE_NONE);
}

static void test_drives_and_vsock(void **state)
{
	struct vm_config cfg;
	char err[256];

	assert_int_equal(PARSE(&cfg, err, "--kernel", "k", "--drive", "path=/a,ro=on,id=root",
			       "--drive", "path=/b,engine=uring,poll_us=0", "--vsock", "cid=3,uds=/tmp/v.sock"),
			 0);
	assert_int_equal(cfg.nr_drives, 2);
	assert_string_equal(cfg.drives[0].path, "/a");
	assert_true(cfg.drives[0].read_only);
	assert_string_equal(cfg.drives[0].id, "root");
	assert_int_equal(cfg.drives[0].engine, BLK_ENGINE_SYNC);
	assert_string_equal(cfg.drives[1].path, "/b");
	assert_false(cfg.drives[1].read_only);
	assert_int_equal(cfg.drives[1].engine, BLK_ENGINE_URING);
	assert_int_equal(cfg.drives[0].poll_us, DRIVE_POLL_US_DEFAULT);
	assert_int_equal(cfg.drives[1].poll_us, 0);
	assert_true(cfg.vsock.enabled);
	assert_int_equal(cfg.vsock.guest_cid, 3);
	assert_string_equal(cfg.vsock.uds_path, "/tmp/v.sock");
}

static void expect_error(const char *needle, const char *const *args)
{
	struct vm_config cfg;
	char err[256];

	assert_int_equal(parse(&cfg, err, args), -1);
	if (!strstr(err, needle))
		fail_msg("error '%s' does not mention '%s'", err, needle);
	assert_null(strchr(err, '\n')); /* one line */
}

#define EXPECT_ERROR(needle, ...) expect_error(needle, (const char *const[]){ __VA_ARGS__, NULL })

static void test_bad_input(void **state)
{
	EXPECT_ERROR("--kernel PATH is required", "--vcpus", "2");
	EXPECT_ERROR("unknown option", "--kernel", "k", "--frobnicate");
	EXPECT_ERROR("needs an argument", "--kernel");
	EXPECT_ERROR("--mem-mib", "--kernel", "k", "--mem-mib", "0");
	EXPECT_ERROR("not a number", "--kernel", "k", "--mem-mib", "12x");
	EXPECT_ERROR("not a number", "--kernel", "k", "--mem-mib", "-5");
	EXPECT_ERROR("more than", "--kernel", "k", "--mem-mib", "99999999999");
	EXPECT_ERROR("not a number", "--kernel", "k", "--mem-mib", "99999999999999999999999");
	EXPECT_ERROR("vCPUs", "--kernel", "k", "--vcpus", "0");
	EXPECT_ERROR("vCPUs", "--kernel", "k", "--vcpus", "255");
	EXPECT_ERROR("not a number", "--kernel", "k", "--vcpus", "four");
	EXPECT_ERROR("stdio", "--kernel", "k", "--serial", "tty");
	EXPECT_ERROR("stdio", "--kernel", "k", "--serial", "file:");
	EXPECT_ERROR("kernel, split", "--kernel", "k", "--irqchip", "userspace");
	EXPECT_ERROR("takes no argument", "--kernel", "k", "--boot-timer=1");
	EXPECT_ERROR("path=PATH is required", "--kernel", "k", "--drive", "ro=on");
	EXPECT_ERROR("unknown key", "--kernel", "k", "--drive", "path=/a,cache=none");
	EXPECT_ERROR("expected on or off", "--kernel", "k", "--drive", "path=/a,ro=maybe");
	EXPECT_ERROR("sync or uring", "--kernel", "k", "--drive", "path=/a,engine=aio");
	EXPECT_ERROR("poll_us=1001: expected 0 to 1000", "--kernel", "k", "--drive",
		     "path=/a,poll_us=1001");
	EXPECT_ERROR("poll_us=-1", "--kernel", "k", "--drive", "path=/a,poll_us=-1");
	EXPECT_ERROR("poll_us=", "--kernel", "k", "--drive", "path=/a,poll_us=");
	EXPECT_ERROR("key=value", "--kernel", "k", "--drive", "/a");
	EXPECT_ERROR("reserved", "--kernel", "k", "--vsock", "cid=2,uds=/x");
	EXPECT_ERROR("both cid=N and uds=PATH", "--kernel", "k", "--vsock", "cid=3");
	EXPECT_ERROR("only one vsock", "--kernel", "k", "--vsock", "cid=3,uds=/x", "--vsock",
		     "cid=4,uds=/y");
	EXPECT_ERROR("none, emulated, tdx, snp", "--kernel", "k", "--tee", "sev");
	EXPECT_ERROR("needs --firmware", "--tee", "snp");
}

static void test_too_many_drives(void **state)
{
	const char *args[2 * CONFIG_MAX_DRIVES + 6];
	unsigned n = 0;
	struct vm_config cfg;
	char err[256];

	args[n++] = "--kernel";
	args[n++] = "k";
	for (unsigned i = 0; i <= CONFIG_MAX_DRIVES; i++) {
		args[n++] = "--drive";
		args[n++] = "path=/x";
	}
	args[n] = NULL;
	assert_int_equal(parse(&cfg, err, args), -1);
	assert_non_null(strstr(err, "at most"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_drives_and_vsock),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_too_many_drives),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
