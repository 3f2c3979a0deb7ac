// SPDX-License-Identifier: MIT
/*
 * Unit tests of the measurement walks: the MRTD and the SNP launch digest of small hand-made
 * plans, against digests this test assembles itself record by record from the specification.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "boot/launch_plan.h"
#include "snp/snp_measure.h"
#include "tdx/tdx_measure.h"
#include "vmm/kvm_uapi_ext.h"

#define PAGE 4096

static uint8_t data_a[5000];

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A 128-byte MRTD record: tag, zero padding to 16, GPA, zeros. */
static void ref_record(EVP_MD_CTX *ctx, const char *tag, uint64_t gpa)
{
	uint8_t rec[128] = { 0 };

	memcpy(rec, tag, strlen(tag));
	put64(rec + 16, gpa);
	assert_true(EVP_DigestUpdate(ctx, rec, sizeof(rec)));
}

static void build_tdx_plan(struct launch_plan *plan, bool with_aug, bool extend_b)
{
	const struct launch_region a = { .kind = LAUNCH_REGION_TDVF_SECTION, .gpa = 0x1000,
					 .size = 2 * PAGE, .data = data_a,
					 .data_len = sizeof(data_a), .tdx_add = true,
					 .tdx_extend = true };
	const struct launch_region b = { .kind = LAUNCH_REGION_TDVF_SECTION, .gpa = 0x10000,
					 .size = PAGE, .tdx_add = true, .tdx_extend = extend_b };
	const struct launch_region c = { .kind = LAUNCH_REGION_TDVF_SECTION, .gpa = 0x20000,
					 .size = 3 * PAGE, .data = data_a, .data_len = 100 };

	launch_plan_init(plan, LAUNCH_TEE_TDX);
	assert_int_equal(launch_plan_add(plan, &a), 0);
	if (with_aug)
		assert_int_equal(launch_plan_add(plan, &c), 0);
	assert_int_equal(launch_plan_add(plan, &b), 0);
}

static void test_mrtd_records(void **state)
{
	uint8_t want[48], got[48], page[PAGE];
	struct launch_plan plan;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n;

	for (size_t i = 0; i < sizeof(data_a); i++)
		data_a[i] = (uint8_t)(i * 7 + 3);
	assert_true(EVP_DigestInit_ex(ctx, EVP_sha384(), NULL));
	for (unsigned p = 0; p < 2; p++) {
		uint64_t gpa = 0x1000 + p * PAGE;

		memset(page, 0, sizeof(page));
		memcpy(page, data_a + p * PAGE, p ? sizeof(data_a) - PAGE : PAGE);
		ref_record(ctx, "MEM.PAGE.ADD", gpa);
		for (unsigned c = 0; c < 16; c++) {
			ref_record(ctx, "MR.EXTEND", gpa + 256 * c);
			assert_true(EVP_DigestUpdate(ctx, page + 256 * c, 256));
		}
	}
	ref_record(ctx, "MEM.PAGE.ADD", 0x10000);
	assert_true(EVP_DigestFinal_ex(ctx, want, &n));
	EVP_MD_CTX_free(ctx);

	build_tdx_plan(&plan, true, false);
	assert_int_equal(tdx_mrtd(&plan, got), 0);
	assert_memory_equal(got, want, 48);
	launch_plan_free(&plan);

	/* PAGE.AUG regions are not part of MRTD. */
	build_tdx_plan(&plan, false, false);
	assert_int_equal(tdx_mrtd(&plan, got), 0);
	assert_memory_equal(got, want, 48);
	launch_plan_free(&plan);

	/* MR.EXTEND of the last region changes it. */
	build_tdx_plan(&plan, false, true);
	assert_int_equal(tdx_mrtd(&plan, got), 0);
	assert_memory_not_equal(got, want, 48);
	launch_plan_free(&plan);
}

static void test_mrtd_empty(void **state)
{
	/* SHA-384 of nothing. */
	static const uint8_t empty[48] = {
		0x38, 0xb0, 0x60, 0xa7, 0x51, 0xac, 0x96, 0x38, 0x4c, 0xd9, 0x32, 0x7e,
		0xb1, 0xb1, 0xe3, 0x6a, 0x21, 0xfd, 0xb7, 0x11, 0x14, 0xbe, 0x07, 0x43,
		0x4c, 0x0c, 0xc7, 0xbf, 0x63, 0xf6, 0xe1, 0xda, 0x27, 0x4e, 0xde, 0xbf,
		0xe7, 0x6f, 0x65, 0xfb, 0xd5, 0x1a, 0xd2, 0xf1, 0x48, 0x98, 0xb9, 0x5b };
	struct launch_plan plan;
	uint8_t got[48];

	launch_plan_init(&plan, LAUNCH_TEE_TDX);
	assert_int_equal(tdx_mrtd(&plan, got), 0);
	assert_memory_equal(got, empty, 48);
}

/* One step of the PAGE_INFO chain, assembled field by field. */
static void ref_page_info(uint8_t ld[48], uint64_t gpa, uint8_t type, const uint8_t *contents)
{
	uint8_t info[0x70] = { 0 };
	unsigned int n;

	memcpy(info, ld, 48);
	if (contents)
		assert_true(EVP_Digest(contents, PAGE, info + 48, &n, EVP_sha384(), NULL));
	info[96] = 0x70;
	info[98] = type;
	put64(info + 104, gpa);
	assert_true(EVP_Digest(info, sizeof(info), ld, &n, EVP_sha384(), NULL));
}

static void test_snp_page_info_chain(void **state)
{
	static uint8_t fw[2 * PAGE], vmsa[PAGE];
	const struct launch_region regions[] = {
		{ .kind = LAUNCH_REGION_FIRMWARE, .gpa = 0xffffe000, .size = 2 * PAGE, .data = fw,
		  .data_len = sizeof(fw), .snp_type = SNP_PAGE_TYPE_NORMAL },
		{ .kind = LAUNCH_REGION_SEV_SECTION, .gpa = 0x800000, .size = 2 * PAGE,
		  .snp_type = SNP_PAGE_TYPE_ZERO },
		{ .kind = LAUNCH_REGION_SEV_SECTION, .gpa = 0x802000, .size = PAGE,
		  .snp_type = SNP_PAGE_TYPE_SECRETS },
		{ .kind = LAUNCH_REGION_SEV_SECTION, .gpa = 0x803000, .size = PAGE,
		  .snp_type = SNP_PAGE_TYPE_CPUID, .data = fw, .data_len = PAGE },
		{ .kind = LAUNCH_REGION_VMSA, .gpa = 0xfffffffff000ull, .size = PAGE, .data = vmsa,
		  .data_len = PAGE, .snp_type = SNP_PAGE_TYPE_VMSA },
	};
	uint8_t want[48] = { 0 }, got[48];
	struct launch_plan plan;
	struct snp_ld ld;

	for (size_t i = 0; i < sizeof(fw); i++)
		fw[i] = (uint8_t)(i ^ (i >> 8));
	memset(vmsa, 0x5a, 100);
	ref_page_info(want, 0xffffe000, 1, fw);
	ref_page_info(want, 0xfffff000, 1, fw + PAGE);
	ref_page_info(want, 0x800000, 3, NULL);
	ref_page_info(want, 0x801000, 3, NULL);
	ref_page_info(want, 0x802000, 5, NULL);
	ref_page_info(want, 0x803000, 6, NULL); /* CPUID contents are not measured */
	ref_page_info(want, 0xfffffffff000ull, 2, vmsa);

	launch_plan_init(&plan, LAUNCH_TEE_SNP);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(launch_plan_add(&plan, &regions[i]), 0);
	assert_int_equal(snp_launch_digest(&plan, got), 0);
	assert_memory_equal(got, want, 48);

	/* The incremental interface walks the same chain. */
	assert_int_equal(snp_ld_init(&ld), 0);
	for (size_t i = 0; i < plan.nr_regions; i++)
		assert_int_equal(snp_ld_add_region(&ld, &plan.regions[i]), 0);
	assert_memory_equal(ld.digest, want, 48);
	snp_ld_free(&ld);
	launch_plan_free(&plan);

	/* An empty plan leaves the digest at zero. */
	memset(want, 0, sizeof(want));
	launch_plan_init(&plan, LAUNCH_TEE_SNP);
	assert_int_equal(snp_launch_digest(&plan, got), 0);
	assert_memory_equal(got, want, 48);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mrtd_records),
		cmocka_unit_test(test_mrtd_empty),
		cmocka_unit_test(test_snp_page_info_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
