// SPDX-License-Identifier: MIT
/*
 * The TDX options: --tdx-attributes (names, numbers, lists), the MR values as hex or base64
 * (parse_bytes), --quote-service, the same in `cvmm measure`, and what config_validate() says
 * about them (TDX only, a well-formed service address).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/cli.h"
#include "vmm/config.h"
#include "vmm/error.h"
#include "vmm/util.h"

static int parse(enum cli_command cmd, struct vm_config *cfg, struct error *e,
		 const char *const *args)
{
	struct cli_extra extra;
	char *argv[40];
	int argc = 0;

	argv[argc++] = (char *)"cvmm";
	while (*args && argc < 39)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	error_clear(e);
	return cli_parse(argc, argv, cmd, cfg, &extra, e);
}

#define RUN(cfg, e, ...) parse(CLI_RUN, cfg, e, (const char *const[]){ __VA_ARGS__, NULL })
#define MEASURE(cfg, e, ...) parse(CLI_MEASURE, cfg, e, (const char *const[]){ __VA_ARGS__, NULL })

/* 48 bytes 00 01 .. 2f, as hex and as base64 (standard alphabet). */
static const char mr_hex[] = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
			     "202122232425262728292a2b2c2d2e2f";
static const char mr_b64[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v";

static void test_parse_bytes(void **state)
{
	uint8_t out[48], want[48], two[2] = { 0xee, 0xee };

	for (int i = 0; i < 48; i++)
		want[i] = (uint8_t)i;
	assert_int_equal(parse_bytes(mr_hex, out, 48), 0);
	assert_memory_equal(out, want, 48);
	memset(out, 0, sizeof(out));
	assert_int_equal(parse_bytes(mr_b64, out, 48), 0);
	assert_memory_equal(out, want, 48);
	/* Padding for lengths that need it, optional; uppercase hex. */
	assert_int_equal(parse_bytes("3q0=", two, 2), 0);
	assert_int_equal(two[0], 0xde);
	assert_int_equal(two[1], 0xad);
	assert_int_equal(parse_bytes("3q0", two, 2), 0);
	assert_int_equal(parse_bytes("BEEF", two, 2), 0);
	assert_int_equal(two[0], 0xbe);
	/* Wrong length, stray characters, non-canonical trailing bits, wrong padding. */
	static const char *const bad[] = { "", "ab", "beefbe", "zzzz", "3q1", "3q0==", "3q=0",
					   "3q-=", "be ef" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		two[0] = 0x11;
		if (!parse_bytes(bad[i], two, 2))
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(two[0], 0x11); /* untouched */
	}
	assert_int_equal(parse_bytes(mr_hex + 2, out, 48), -EINVAL);
}

static void test_options(void **state)
{
	struct vm_config cfg;
	struct error e;

	/* Defaults: SEPT_VE_DISABLE, zero MRs, no quote service. */
	assert_int_equal(RUN(&cfg, &e, "--tee", "tdx", "--firmware", "f"), 0);
	assert_int_equal(cfg.tdx.attributes, 1ULL << 28);
	assert_false(cfg.tdx.attributes_set);
	assert_false(cfg.tdx.mr_set);
	assert_null(cfg.tdx.quote_service);
	config_free(&cfg);

	assert_int_equal(RUN(&cfg, &e, "--tee", "tdx", "--firmware", "f", "--tdx-attributes",
			     "sept-ve-disable,debug,0x40000000", "--mrconfigid", mr_hex,
			     "--mrowner", mr_b64, "--quote-service", "vsock:2:4050"), 0);
	assert_int_equal(cfg.tdx.attributes, (1ULL << 28) | 1 | (1ULL << 30));
	assert_true(cfg.tdx.attributes_set);
	assert_int_equal(cfg.tdx.mrconfigid[47], 47);
	assert_int_equal(cfg.tdx.mrowner[1], 1);
	assert_int_equal(cfg.tdx.mrownerconfig[1], 0);
	assert_string_equal(cfg.tdx.quote_service, "vsock:2:4050");
	config_free(&cfg);

	assert_int_equal(RUN(&cfg, &e, "--tdx-attributes", "perfmon,pks"), 0);
	assert_int_equal(cfg.tdx.attributes, (1ULL << 63) | (1ULL << 30));
	config_free(&cfg);

	/* The same words in `cvmm measure`. */
	assert_int_equal(MEASURE(&cfg, &e, "--tee", "tdx", "--firmware", "f", "--mrownerconfig",
				 mr_b64, "--tdx-attributes", "sept-ve-disable", "--quote-service",
				 "unix:/run/qgs"), 0);
	assert_int_equal(cfg.tdx.mrownerconfig[2], 2);
	config_free(&cfg);

	static const struct {
		const char *opt, *val, *needle;
	} bad[] = {
		{ "--tdx-attributes", "", "comma-separated" },
		{ "--tdx-attributes", "debug,,pks", "empty" },
		{ "--tdx-attributes", "migratable", "not one of" },
		{ "--tdx-attributes", "0x1g", "not one of" },
		{ "--mrconfigid", "00", "48 bytes" },
		{ "--mrowner", "!!", "48 bytes" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(RUN(&cfg, &e, bad[i].opt, bad[i].val), -EINVAL);
		assert_int_equal(e.cls, ERROR_USAGE);
		if (!strstr(e.msg, bad[i].needle) || !strstr(e.msg, bad[i].opt))
			fail_msg("%s %s: '%s'", bad[i].opt, bad[i].val, e.msg);
		config_free(&cfg);
	}
}

static void test_validate(void **state)
{
	struct vm_config cfg;
	struct error e = ERROR_INIT;

	/* TDX options without --tee tdx. */
	config_init(&cfg);
	config_set_string(&cfg.kernel, "/nonexistent", "--kernel", NULL);
	cfg.tdx.mr_set = true;
	assert_int_equal(config_validate(&cfg, CONFIG_CHECK_ALL, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "apply to --tee tdx only"));
	cfg.tdx.mr_set = false;
	config_set_string(&cfg.tdx.quote_service, "unix:/q", "qs", NULL);
	error_clear(&e);
	assert_int_equal(config_validate(&cfg, CONFIG_CHECK_ALL, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "apply to --tee tdx only"));
	config_free(&cfg);

	/* A malformed service address, before any file is opened. */
	config_init(&cfg);
	cfg.tee = TEE_TDX;
	config_set_string(&cfg.firmware, "/nonexistent", "--firmware", NULL);
	config_set_string(&cfg.tdx.quote_service, "tcp:1:2", "qs", NULL);
	error_clear(&e);
	assert_int_equal(config_validate(&cfg, CONFIG_CHECK_ALL, &e), -EINVAL);
	assert_int_equal(e.cls, ERROR_USAGE);
	assert_non_null(strstr(e.msg, "unix:PATH or vsock:CID:PORT"));
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_bytes),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_validate),
	};

	return cmocka_run_group_tests_name("tdx options", tests, NULL, NULL);
}
