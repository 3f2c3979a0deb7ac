// SPDX-License-Identifier: MIT
/*
 * The SEV-SNP CPUID page built from a vCPU's CPUID table: one entry per leaf in table order,
 * ecx_in only where the subleaf matters, the XSAVE fix-up of leaf 0xD subleaves 0 and 1, the
 * 64-entry limit; and the lines that say where the firmware's corrected page differs, for a page
 * the firmware may have filled with anything.
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
#include <linux/kvm.h>

#include "snp/snp_cpuid_page.h"
#include "vmm/error.h"

static struct kvm_cpuid2 *table(unsigned n)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

	assert_non_null(c);
	c->nent = n;
	return c;
}

static void entry(struct kvm_cpuid2 *c, unsigned i, uint32_t fn, uint32_t idx, bool indexed,
		  uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	c->entries[i] = (struct kvm_cpuid_entry2){
		.function = fn,
		.index = idx,
		.flags = indexed ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
		.eax = eax, .ebx = ebx, .ecx = ecx, .edx = edx,
	};
}

static void test_build(void **state)
{
	struct kvm_cpuid2 *c = table(5);
	struct snp_cpuid_page page;
	const struct snp_cpuid_entry *e = page.entries;

	entry(c, 0, 0, 0, false, 0x10, 1, 2, 3);
	entry(c, 1, 1, 7, false, 0x800f12, 0x00020800, 0x80200000, 0x178bfbff); /* index ignored */
	entry(c, 2, 0xd, 0, true, 0x7, 0x988, 0x988, 0);
	entry(c, 3, 0xd, 1, true, 0xf, 0x988, 0, 0);
	entry(c, 4, 0xd, 2, true, 0x100, 0x240, 0, 0);
	memset(&page, 0xee, sizeof(page));
	assert_int_equal(snp_cpuid_page_build(c, &page, NULL), 0);
	assert_int_equal(page.count, 5);
	assert_int_equal(page.reserved1 | page.reserved2, 0);
	assert_int_equal(e[1].eax_in, 1);
	assert_int_equal(e[1].ecx_in, 0);
	assert_int_equal(e[1].eax, 0x800f12);
	assert_int_equal(e[1].edx, 0x178bfbff);
	/* 0xD.0 and 0xD.1: the reset XSAVE state, whatever the host's sizes. */
	for (int i = 2; i <= 3; i++) {
		assert_int_equal(e[i].eax_in, 0xd);
		assert_int_equal(e[i].ecx_in, i - 2);
		assert_int_equal(e[i].ebx, 0x240);
		assert_int_equal(e[i].xcr0_in, 1);
		assert_int_equal(e[i].xss_in, 0);
	}
	assert_int_equal(e[2].eax, 0x7);
	assert_int_equal(e[2].ecx, 0x988);
	/* Other subleaves are the table's. */
	assert_int_equal(e[4].ecx_in, 2);
	assert_int_equal(e[4].ebx, 0x240);
	assert_int_equal(e[4].xcr0_in, 0);
	assert_int_equal(e[4].eax, 0x100);
	/* Unused entries and the tail of the page are zero. */
	for (size_t i = 5; i < SNP_CPUID_MAX_ENTRIES; i++)
		assert_int_equal(e[i].eax_in | e[i].eax | e[i].reserved, 0);
	for (size_t i = 0; i < sizeof(page.pad); i++)
		assert_int_equal(page.pad[i], 0);
	free(c);
}

static void test_too_many_leaves(void **state)
{
	struct kvm_cpuid2 *c = table(SNP_CPUID_MAX_ENTRIES + 1);
	struct snp_cpuid_page page;
	struct error e = ERROR_INIT;

	assert_int_equal(snp_cpuid_page_build(c, &page, &e), -E2BIG);
	assert_int_equal(e.cls, ERROR_HOST);
	assert_non_null(strstr(e.msg, "65 leaves; the SEV-SNP CPUID page holds 64"));
	c->nent = SNP_CPUID_MAX_ENTRIES;
	assert_int_equal(snp_cpuid_page_build(c, &page, NULL), 0);
	free(c);
}

static char lines[8][192];
static unsigned nr_lines;

static void collect(void *ctx, const char *line)
{
	if (nr_lines < 8)
		snprintf(lines[nr_lines], sizeof(lines[0]), "%s", line);
	nr_lines++;
}

static void test_diff(void **state)
{
	struct kvm_cpuid2 *c = table(3);
	struct snp_cpuid_page ours, fw;

	entry(c, 0, 1, 0, false, 0x800f12, 0, 0x80200000, 0x178bfbff);
	entry(c, 1, 7, 0, true, 0, 0x219c95a9, 0, 0x10);
	entry(c, 2, 0x80000008, 0, false, 0x3030, 0, 0, 0);
	assert_int_equal(snp_cpuid_page_build(c, &ours, NULL), 0);
	fw = ours;
	nr_lines = 0;
	assert_int_equal(snp_cpuid_page_diff(&ours, &fw, collect, NULL), 0);

	/* The firmware clears a feature bit, reorders nothing, drops leaf 0x80000008. */
	fw.entries[1].ebx &= ~0x8u;
	fw.count = 2;
	assert_int_equal(snp_cpuid_page_diff(&ours, &fw, collect, NULL), 2);
	assert_string_equal(lines[0], "leaf 0x7.0: eax 0x0 ebx 0x219c95a9 ecx 0x0 edx 0x10; the "
				      "firmware accepts eax 0x0 ebx 0x219c95a1 ecx 0x0 edx 0x10");
	assert_string_equal(lines[1], "leaf 0x80000008.0: dropped by the firmware");

	/* A hostile page: its count is clamped to the 64 entries there are, each one a line. */
	fw = ours;
	fw.count = 0xffffffff;
	fw.entries[3].eax_in = 0x8000001f;
	nr_lines = 0;
	assert_int_equal(snp_cpuid_page_diff(&ours, &fw, collect, NULL), 61);
	assert_string_equal(lines[0], "leaf 0x8000001f.0: added by the firmware");
	assert_string_equal(lines[1], "leaf 0x0.0: added by the firmware");
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_too_many_leaves),
		cmocka_unit_test(test_diff),
	};

	return cmocka_run_group_tests_name("snp_cpuid_page", tests, NULL, NULL);
}
