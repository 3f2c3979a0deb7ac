// SPDX-License-Identifier: MIT
/*
 * Command-line parsing: accepted forms fill the config; each kind of malformed word gives one
 * clear usage error.  Value limits and combinations are config_validate()'s (test_config.c).
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
#include "vmm/resources.h"

static int parse_cmd(enum cli_command cmd, struct vm_config *cfg, struct error *e,
		     const char *const *args)
{
	struct cli_extra extra;
	char *argv[80];
	int argc = 0;

	argv[argc++] = (char *)"cvmm";
	while (*args && argc < 79)
		argv[argc++] = (char *)*args++;
	assert_null(*args);
	argv[argc] = NULL;
	error_clear(e);
	return cli_parse(argc, argv, cmd, cfg, &extra, e);
}

#define PARSE(cfg, e, ...) \
	parse_cmd(CLI_RUN, cfg, e, (const char *const[]){ __VA_ARGS__, NULL })

static void test_good(void **state)
{
	struct vm_config cfg;
	struct error e;

	assert_int_equal(PARSE(&cfg, &e, "--kernel", "k", "--initrd=i", "--cmdline", "a b",
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
	assert_true(cfg.irqchip_set);
	assert_true(cfg.boot_timer);
	config_free(&cfg);

	assert_int_equal(PARSE(&cfg, &e, "--kernel", "k"), 0);
	assert_int_equal(cfg.vcpus, 1);
	assert_int_equal(cfg.mem_mib, 256);
	assert_int_equal(cfg.serial, SERIAL_STDIO);
	assert_int_equal(cfg.irqchip, IRQCHIP_KERNEL);
	assert_false(cfg.irqchip_set);
	assert_int_equal(cfg.tee, TEE_NONE);
	assert_false(cfg.virtio_access_platform);
	config_free(&cfg);

	assert_int_equal(PARSE(&cfg, &e, "--kernel", "k", "--virtio-access-platform"), 0);
	assert_true(cfg.virtio_access_platform);
	config_free(&cfg);
	assert_int_not_equal(PARSE(&cfg, &e, "--kernel", "k", "--virtio-access-platform=1"), 0);
	config_free(&cfg);
}

static void test_drives_and_vsock(void **state)
{
	struct vm_config cfg;
	struct error e;

	assert_int_equal(PARSE(&cfg, &e, "--kernel", "k", "--drive", "path=/a,ro=on,id=root",
			       "--drive", "path=/b,engine=uring,poll_us=0", "--vsock",
			       "cid=3,uds=/tmp/v.sock"),
			 0);
	assert_int_equal(cfg.nr_drives, 2);
	assert_string_equal(cfg.drives[0].path, "/a");
	assert_true(cfg.drives[0].read_only);
	assert_string_equal(cfg.drives[0].id, "root");
	assert_int_equal(cfg.drives[0].engine, BLK_ENGINE_SYNC);
	assert_string_equal(cfg.drives[1].path, "/b");
	assert_null(cfg.drives[1].id);
	assert_false(cfg.drives[1].read_only);
	assert_int_equal(cfg.drives[1].engine, BLK_ENGINE_URING);
	assert_int_equal(cfg.drives[0].poll_us, DRIVE_POLL_US_DEFAULT);
	assert_int_equal(cfg.drives[1].poll_us, 0);
	assert_true(cfg.vsock.enabled);
	assert_int_equal(cfg.vsock.guest_cid, 3);
	assert_string_equal(cfg.vsock.uds_path, "/tmp/v.sock");
	config_free(&cfg);
}

static void expect_error(enum cli_command cmd, const char *needle, const char *const *args)
{
	struct vm_config cfg;
	struct error e;

	assert_true(parse_cmd(cmd, &cfg, &e, args) < 0);
	config_free(&cfg);
	assert_int_equal(e.cls, ERROR_USAGE);
	if (!strstr(e.msg, needle))
		fail_msg("error '%s' does not mention '%s'", e.msg, needle);
	assert_null(strchr(e.msg, '\n')); /* one line */
}

#define EXPECT_ERROR(needle, ...) \
	expect_error(CLI_RUN, needle, (const char *const[]){ __VA_ARGS__, NULL })

static void test_bad_words(void **state)
{
	EXPECT_ERROR("unknown option", "--kernel", "k", "--frobnicate");
	EXPECT_ERROR("needs an argument", "--kernel");
	EXPECT_ERROR("not a number", "--kernel", "k", "--mem-mib", "12x");
	EXPECT_ERROR("not a number", "--kernel", "k", "--mem-mib", "-5");
	EXPECT_ERROR("not a number", "--kernel", "k", "--mem-mib", "99999999999999999999999");
	EXPECT_ERROR("not a number", "--kernel", "k", "--vcpus", "four");
	EXPECT_ERROR("stdio", "--kernel", "k", "--serial", "tty");
	EXPECT_ERROR("stdio", "--kernel", "k", "--serial", "file:");
	EXPECT_ERROR("kernel, split", "--kernel", "k", "--irqchip", "userspace");
	EXPECT_ERROR("takes no argument", "--kernel", "k", "--boot-timer=1");
	EXPECT_ERROR("path=PATH is required", "--kernel", "k", "--drive", "ro=on");
	EXPECT_ERROR("unknown key", "--kernel", "k", "--drive", "path=/a,cache=none");
	EXPECT_ERROR("expected on or off", "--kernel", "k", "--drive", "path=/a,ro=maybe");
	EXPECT_ERROR("sync or uring", "--kernel", "k", "--drive", "path=/a,engine=aio");
	EXPECT_ERROR("poll_us=-1", "--kernel", "k", "--drive", "path=/a,poll_us=-1");
	EXPECT_ERROR("poll_us=", "--kernel", "k", "--drive", "path=/a,poll_us=");
	EXPECT_ERROR("key=value", "--kernel", "k", "--drive", "/a");
	EXPECT_ERROR("id must be 1 to 20", "--kernel", "k", "--drive",
		     "path=/a,id=123456789012345678901");
	EXPECT_ERROR("32-bit number", "--kernel", "k", "--vsock", "cid=4294967296,uds=/x");
	EXPECT_ERROR("both cid=N and uds=PATH", "--kernel", "k", "--vsock", "cid=3");
	EXPECT_ERROR("only one vsock", "--kernel", "k", "--vsock", "cid=3,uds=/x", "--vsock",
		     "cid=4,uds=/y");
	EXPECT_ERROR("none, emulated, tdx, snp", "--kernel", "k", "--tee", "sev");
	/* measure's own options are not the VM's (the SNP inputs are both's). */
	EXPECT_ERROR("unknown option", "--kernel", "k", "--json");
	expect_error(CLI_MEASURE, "32-bit CPUID signature",
		     (const char *const[]){ "--vcpu-sig", "0x100000000", NULL });
}

/* The drive array is bounded by the allocator; the limit itself is config_validate()'s. */
static void test_drive_array_bound(void **state)
{
	const char *args[2 * RESOURCES_MAX_VIRTIO + 8];
	unsigned n = 0;
	struct vm_config cfg;
	struct error e;

	args[n++] = "--kernel";
	args[n++] = "k";
	for (unsigned i = 0; i <= RESOURCES_MAX_VIRTIO; i++) {
		args[n++] = "--drive";
		args[n++] = "path=/x";
	}
	args[n] = NULL;
	assert_int_equal(parse_cmd(CLI_RUN, &cfg, &e, args), -EINVAL);
	assert_non_null(strstr(e.msg, "at most"));
	config_free(&cfg);
}

/* The measure subcommand takes the VM's options and its own. */
static void test_measure_words(void **state)
{
	struct vm_config cfg;
	struct error e;

	assert_int_equal(parse_cmd(CLI_MEASURE, &cfg, &e,
				   (const char *const[]){ "--tee", "snp", "--firmware", "f",
							  "--vcpus", "2", "--vcpu-sig", "0x800f12",
							  "--guest-features", "0x41", "--drive",
							  "path=/d", "--json", NULL }),
			 0);
	assert_int_equal(cfg.tee, TEE_SNP);
	assert_string_equal(cfg.firmware, "f");
	assert_int_equal(cfg.vcpus, 2);
	assert_int_equal(cfg.snp.vcpu_sig, 0x800f12);
	assert_true(cfg.snp.vcpu_sig_set);
	assert_int_equal(cfg.snp.guest_features, 0x41);
	assert_int_equal(cfg.nr_drives, 1);
	config_free(&cfg);
}

/* Cloud Hypervisor's flags, and which option first describes the VM (--api-socket refuses it). */
static void test_clh_words(void **state)
{
	const char *const plain[] = { "cvmm", "--api-socket", "/s", "-v", "--seccomp", "false",
				      "--log-path", "/l", NULL };
	const char *const vm[] = { "cvmm", "--api-socket", "/s", "-v", "--vcpus", "2", "--tee",
				   "tdx", NULL };
	struct cli_extra x;
	struct vm_config cfg;
	struct error e = ERROR_INIT;

	assert_int_equal(cli_parse(8, (char **)plain, CLI_RUN, &cfg, &x, &e), 0);
	assert_string_equal(x.api_socket, "/s");
	assert_null(x.api_sock);
	assert_null(x.vm_option);
	assert_int_equal(cfg.verbose, 1);
	assert_int_equal(cfg.seccomp, SECCOMP_LEVEL_OFF); /* --seccomp false: --no-seccomp */
	config_free(&cfg);
	assert_int_equal(cli_parse(8, (char **)vm, CLI_RUN, &cfg, &x, &e), 0);
	assert_string_equal(x.vm_option, "--vcpus");
	config_free(&cfg);
	assert_int_equal(PARSE(&cfg, &e, "--api-socket", "/s", "--seccomp", "true"), 0);
	assert_int_equal(cfg.seccomp, SECCOMP_LEVEL_DEFAULT);
	config_free(&cfg);
	assert_int_not_equal(PARSE(&cfg, &e, "--api-socket", "/s", "--seccomp", "log"), 0);
	assert_non_null(strstr(e.msg, "--seccomp: 'log': true (the default"));
	config_free(&cfg);
	assert_int_not_equal(PARSE(&cfg, &e, "--api-socket", ""), 0);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_drives_and_vsock),
		cmocka_unit_test(test_bad_words),
		cmocka_unit_test(test_drive_array_bound),
		cmocka_unit_test(test_measure_words),
		cmocka_unit_test(test_clh_words),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
