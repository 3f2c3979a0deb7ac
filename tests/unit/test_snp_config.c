// SPDX-License-Identifier: MIT
/*
 * The SEV-SNP options as words and as a config: --snp-policy, --host-data, --snp-id-block and
 * --snp-id-auth for the VM and `cvmm measure` alike, --vcpu-sig and --guest-features for the VM
 * too; the policy rules; SNP options refused for other TEE kinds; and the fw_cfg device's rule
 * (one instance for every firmware boot, none otherwise) and its kernel checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "devices/fw_cfg.h"
#include "snp/snp_policy.h"
#include "vmm/cli.h"
#include "vmm/config.h"
#include "vmm/device_env.h"
#include "vmm/error.h"
#include "vmm/util.h"

static int parse(enum cli_command cmd, struct vm_config *cfg, struct error *e,
		 const char *const *args)
{
	struct cli_extra extra;
	char *argv[40] = { "cvmm" };
	int argc = 1;

	while (*args)
		argv[argc++] = (char *)*args++;
	error_clear(e);
	return cli_parse(argc, argv, cmd, cfg, &extra, e);
}

#define WORDS(...) (const char *const[]){ __VA_ARGS__, NULL }

static void test_words(void **state)
{
	static const char hd[] = "000102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F";
	static const char bad[] = "zz0102030405060708090a0b0c0d0e0f101112131415161718191A1B1C1D1E1F";
	struct error e = ERROR_INIT;
	struct vm_config cfg;

	for (int cmd = CLI_RUN; cmd <= CLI_MEASURE; cmd++) {
		assert_int_equal(parse(cmd, &cfg, &e,
				       WORDS("--tee", "snp", "--firmware", "f", "--snp-policy",
					     "0xb0000", "--host-data", hd, "--snp-id-block", "b",
					     "--snp-id-auth", "a", "--vcpu-sig", "0xa00f11",
					     "--guest-features", "0x21")),
				 0);
		assert_int_equal(cfg.snp.policy, 0xb0000);
		assert_true(cfg.snp.policy_set);
		assert_true(cfg.snp.host_data_set);
		for (unsigned i = 0; i < 32; i++)
			assert_int_equal(cfg.snp.host_data[i], i);
		assert_string_equal(cfg.snp.id_block, "b");
		assert_string_equal(cfg.snp.id_auth, "a");
		assert_int_equal(cfg.snp.vcpu_sig, 0xa00f11);
		assert_int_equal(cfg.snp.guest_features, 0x21);
		config_free(&cfg);
		/* The defaults. */
		config_init(&cfg);
		assert_int_equal(cfg.snp.policy, 0x30000);
		assert_int_equal(cfg.snp.guest_features, 1);
		config_free(&cfg);
	}
	assert_true(parse(CLI_RUN, &cfg, &e, WORDS("--host-data", "00ff")) < 0);
	assert_non_null(strstr(e.msg, "not 64 hex digits"));
	config_free(&cfg);
	/* 64 characters, not all hex. */
	assert_true(parse(CLI_RUN, &cfg, &e, WORDS("--host-data", bad)) < 0);
	config_free(&cfg);
	assert_true(parse(CLI_RUN, &cfg, &e, WORDS("--snp-policy", "lots")) < 0);
	assert_non_null(strstr(e.msg, "--snp-policy: 'lots' is not a 64-bit guest policy"));
	config_free(&cfg);
}

static void test_policy_rules(void **state)
{
	static const struct {
		uint64_t policy;
		const char *error; /* NULL: accepted */
	} cases[] = {
		{ 0x30000, NULL },
		{ 0xb0000, NULL },    /* debugging allowed */
		{ 0x3011f, NULL },    /* minimum API 1.31 */
		{ 0x10000, "bits 16 (SMT allowed) and 17" },
		{ 0x20000, "bits 16 (SMT allowed) and 17" },
		{ 0x130000, "bit 20 (single socket)" },
		{ 0x70000, "unknown bits 0x40000" }, /* migration agent: KVM refuses it */
		{ 0x230000, "unknown bits 0x200000" },
		{ 1ULL << 63 | 0x30000, "unknown bits 0x8000000000000000" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct error e = ERROR_INIT;
		int ret = snp_policy_check(cases[i].policy, &e);

		if (!cases[i].error) {
			assert_int_equal(ret, 0);
			continue;
		}
		assert_int_equal(ret, -EINVAL);
		assert_int_equal(e.cls, ERROR_USAGE);
		if (!strstr(e.msg, cases[i].error))
			fail_msg("policy 0x%llx: '%s' lacks '%s'",
				 (unsigned long long)cases[i].policy, e.msg, cases[i].error);
	}
}

static void test_snp_options_need_snp(void **state)
{
	struct error e = ERROR_INIT;
	struct vm_config cfg;

	config_init(&cfg);
	config_set_string(&cfg.kernel, "/nonexistent", "--kernel", NULL);
	cfg.snp.host_data_set = true;
	assert_true(config_validate(&cfg, CONFIG_CHECK_ALL, &e) < 0);
	assert_int_equal(e.cls, ERROR_USAGE);
	assert_non_null(strstr(e.msg, "apply to --tee snp only"));
	cfg.snp.host_data_set = false;
	cfg.tee = TEE_TDX;
	config_set_string(&cfg.firmware, "/nonexistent", "--firmware", NULL);
	config_set_string(&cfg.snp.id_block, "b", "--snp-id-block", NULL);
	error_clear(&e);
	assert_true(config_validate(&cfg, CONFIG_CHECK_MEASURE, &e) < 0);
	assert_non_null(strstr(e.msg, "--snp-id-block and --snp-id-auth apply to --tee snp only"));
	config_free(&cfg);
}

static void test_fw_cfg_device_rule(void **state)
{
	struct vm_config cfg;

	config_init(&cfg);
	config_set_string(&cfg.kernel, "k", "--kernel", NULL);
	assert_int_equal(fw_cfg_device.count(&cfg), 0); /* direct boot: cvmm loads the kernel */
	cfg.tee = TEE_EMULATED;
	assert_int_equal(fw_cfg_device.count(&cfg), 0);
	cfg.tee = TEE_SNP;
	assert_int_equal(fw_cfg_device.count(&cfg), 1);
	cfg.tee = TEE_TDX;
	assert_int_equal(fw_cfg_device.count(&cfg), 1);
	/* Without a kernel the firmware still reads its memory map, CPU count and ACPI there. */
	config_set_string(&cfg.kernel, NULL, "--kernel", NULL);
	assert_int_equal(fw_cfg_device.count(&cfg), 1);
	cfg.tee = TEE_SNP;
	assert_int_equal(fw_cfg_device.count(&cfg), 1);
	config_free(&cfg);
}

/* fw_cfg_linux_check() judges a kernel from its header alone, as config_validate() uses it. */
static void test_fw_cfg_linux_check(void **state)
{
	uint8_t hdr[FW_CFG_LINUX_HEADER_LEN] = { 0 };
	struct fw_cfg_linux lb = { .kernel = hdr, .kernel_len = 1 << 20 };

	hdr[0x1f1] = 4;
	memcpy(hdr + 0x202, "HdrS", 4);
	hdr[0x206] = 0x0c, hdr[0x207] = 0x02;
	hdr[0x211] = 1;    /* LOADED_HIGH */
	hdr[0x236] = 0x2;  /* XLF_CAN_BE_LOADED_ABOVE_4G: the initrd's limit is the RAM's */
	assert_int_equal(fw_cfg_linux_check(&lb), 0);
	lb.initrd = hdr; /* only its presence matters */
	lb.initrd_len = 1 << 20;
	lb.initrd_limit = 64 << 20;
	assert_int_equal(fw_cfg_linux_check(&lb), 0);
	lb.initrd_len = 64 << 20; /* does not fit below the limit */
	assert_int_equal(fw_cfg_linux_check(&lb), -E2BIG);
	lb.initrd_len = 1 << 20;
	lb.kernel_len = 2000; /* shorter than its setup sectors */
	assert_int_equal(fw_cfg_linux_check(&lb), -ENOEXEC);
	lb.kernel_len = 1 << 20;
	memcpy(hdr + 0x202, "HdrX", 4);
	assert_int_equal(fw_cfg_linux_check(&lb), -ENOEXEC);
}

static void test_hex_bytes(void **state)
{
	uint8_t b[3];

	assert_int_equal(parse_hex_bytes("00aBfF", b, 3), 0);
	assert_int_equal(b[0], 0);
	assert_int_equal(b[1], 0xab);
	assert_int_equal(b[2], 0xff);
	assert_int_equal(parse_hex_bytes("00aBf", b, 3), -EINVAL);
	assert_int_equal(parse_hex_bytes("00aBfF0", b, 3), -EINVAL);
	assert_int_equal(parse_hex_bytes("0xaBfF", b, 3), -EINVAL);
	assert_int_equal(parse_hex_bytes("", b, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_policy_rules),
		cmocka_unit_test(test_snp_options_need_snp),
		cmocka_unit_test(test_fw_cfg_device_rule),
		cmocka_unit_test(test_fw_cfg_linux_check),
		cmocka_unit_test(test_hex_bytes),
	};

	return cmocka_run_group_tests_name("snp_config", tests, NULL, NULL);
}
