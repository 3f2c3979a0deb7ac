// SPDX-License-Identifier: MIT
/*
 * Unit tests of the launch plan and the builders that fill it: region validation and page
 * iteration, the TDX and SNP plans of a synthetic firmware, the SEV hashes table, the VMSA reset
 * state (checked at raw byte offsets) and the TD HOB.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "boot/launch_plan.h"
#include "snp/sev_hashes.h"
#include "snp/sev_metadata.h"
#include "snp/snp_measure.h"
#include "snp/vmsa.h"
#include "tdx/td_hob.h"
#include "tdx/tdvf.h"
#include "tdx/tdx_measure.h"
#include "tests/unit/fw_image.h"
#include "vmm/kvm_uapi_ext.h"
#include "vmm/util.h"
#include "vmm/error.h"

static struct error e_;
/* The message of the last error; ERRP clears it before each call (the first error wins). */
#define err (e_.msg)
#define ERRP (error_clear(&e_), &e_)

static uint64_t rd(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void test_plan_add_validates(void **state)
{
	struct launch_plan plan;
	uint8_t data[16] = { 0 };
	struct launch_region ok = { .gpa = 0x1000, .size = 0x2000 };
	struct launch_region r;

	launch_plan_init(&plan, LAUNCH_TEE_TDX);
	assert_int_equal(launch_plan_add(&plan, &ok), 0);
	r = ok;
	r.gpa = 0x1800;
	assert_int_equal(launch_plan_add(&plan, &r), -EINVAL);
	r = ok;
	r.size = 0x1001;
	assert_int_equal(launch_plan_add(&plan, &r), -EINVAL);
	r = ok;
	r.size = 0;
	assert_int_equal(launch_plan_add(&plan, &r), -EINVAL);
	r = ok;
	r.gpa = 0xfffffffffffff000ull;
	assert_int_equal(launch_plan_add(&plan, &r), -EINVAL);
	r = ok;
	r.data = data;
	r.data_len = 0x2001;
	assert_int_equal(launch_plan_add(&plan, &r), -EINVAL);
	r.data_len = 16;
	r.data = NULL;
	assert_int_equal(launch_plan_add(&plan, &r), -EINVAL);
	/* Many regions: the array grows. */
	for (int i = 0; i < 100; i++)
		assert_int_equal(launch_plan_add(&plan, &ok), 0);
	assert_int_equal(plan.nr_regions, 101);
	assert_int_equal(launch_plan_pages(&plan), 202);
	launch_plan_free(&plan);
	assert_int_equal(plan.nr_regions, 0);
}

static void test_region_pages(void **state)
{
	static uint8_t data[LAUNCH_PAGE_SIZE + 100];
	uint8_t scratch[LAUNCH_PAGE_SIZE];
	struct launch_region r = { .gpa = 0, .size = 3 * LAUNCH_PAGE_SIZE, .data = data,
				   .data_len = sizeof(data) };
	const uint8_t *p;

	memset(data, 0xa5, sizeof(data));
	assert_int_equal(launch_region_pages(&r), 3);
	/* A whole page of data is used in place. */
	assert_ptr_equal(launch_region_page(&r, 0, scratch), data);
	/* The partial page is copied and zero-filled. */
	memset(scratch, 0xff, sizeof(scratch));
	p = launch_region_page(&r, 1, scratch);
	assert_ptr_equal(p, scratch);
	assert_int_equal(p[99], 0xa5);
	assert_int_equal(p[100], 0);
	assert_int_equal(p[LAUNCH_PAGE_SIZE - 1], 0);
	/* Past the data: zeros. */
	p = launch_region_page(&r, 2, scratch);
	for (unsigned i = 0; i < LAUNCH_PAGE_SIZE; i++)
		assert_int_equal(p[i], 0);
}

static void test_tdx_plan(void **state)
{
	struct launch_plan plan;
	struct fw_image img;

	fw_image_build(&img, &fw_image_ovmf);
	launch_plan_init(&plan, LAUNCH_TEE_TDX);
	assert_int_equal(tdx_plan_build(&plan, img.data, img.len, ERRP), 0);
	assert_int_equal(plan.nr_regions, 5);
	assert_int_equal(plan.regions[0].kind, LAUNCH_REGION_TDVF_SECTION);
	assert_int_equal(plan.regions[0].gpa, 0xfffe8000);
	assert_ptr_equal(plan.regions[0].data, img.data + 0x8000);
	assert_int_equal(plan.regions[0].data_len, 0x17000);
	assert_true(plan.regions[0].tdx_add && plan.regions[0].tdx_extend);
	assert_true(plan.regions[1].tdx_add && !plan.regions[1].tdx_extend);
	assert_int_equal(plan.regions[2].section_type, TDVF_SECTION_TD_HOB);
	assert_null(plan.regions[2].data);
	assert_false(plan.regions[4].tdx_add);
	assert_ptr_equal(launch_plan_find(&plan, LAUNCH_REGION_TDVF_SECTION, TDVF_SECTION_TD_HOB),
			 &plan.regions[2]);
	launch_plan_free(&plan);

	/* A malformed image leaves a message and no plan. */
	fw_image_put32(img.data + img.tdvf_pos + 16 + 24, 42);
	launch_plan_init(&plan, LAUNCH_TEE_TDX);
	assert_int_equal(tdx_plan_build(&plan, img.data, img.len, ERRP), -EINVAL);
	assert_non_null(strstr(err, "unknown type 42"));
	launch_plan_free(&plan);
	fw_image_free(&img);
}

static int snp_plan(struct launch_plan *plan, const struct fw_image *img, unsigned vcpus,
		    const struct sev_hashes *h)
{
	struct snp_launch_params p = {
		.fw = img->data,
		.fw_len = img->len,
		.vcpus = vcpus,
		.vcpu_sig = 0x800f12,
		.guest_features = 0x1,
		.hashes = h,
	};

	launch_plan_init(plan, LAUNCH_TEE_SNP);
	error_clear(&e_);
	return snp_plan_build(plan, &p, ERRP);
}

static void test_snp_plan_order_and_types(void **state)
{
	static const uint8_t types[] = { SNP_PAGE_TYPE_NORMAL,  SNP_PAGE_TYPE_ZERO,
					 SNP_PAGE_TYPE_SECRETS, SNP_PAGE_TYPE_CPUID,
					 SNP_PAGE_TYPE_ZERO,    SNP_PAGE_TYPE_ZERO,
					 SNP_PAGE_TYPE_VMSA,    SNP_PAGE_TYPE_VMSA,
					 SNP_PAGE_TYPE_VMSA };
	struct launch_plan plan;
	struct fw_image img;

	fw_image_build(&img, &fw_image_ovmf);
	assert_int_equal(snp_plan(&plan, &img, 3, NULL), 0);
	assert_int_equal(plan.nr_regions, ARRAY_SIZE(types));
	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		assert_int_equal(plan.regions[i].snp_type, types[i]);
	assert_int_equal(plan.regions[0].gpa, 0x100000000ull - img.len);
	assert_ptr_equal(plan.regions[0].data, img.data);
	assert_int_equal(plan.regions[5].gpa, 0x80d000);
	assert_int_equal(plan.regions[5].size, 0x3000);
	for (unsigned v = 0; v < 3; v++) {
		const struct launch_region *r = &plan.regions[6 + v];

		assert_int_equal(r->kind, LAUNCH_REGION_VMSA);
		assert_int_equal(r->vcpu, v);
		assert_int_equal(r->gpa, 0xfffffffff000ull);
	}
	launch_plan_free(&plan);
	fw_image_free(&img);
}

static void test_snp_plan_hashes_page(void **state)
{
	struct launch_plan plan;
	struct sev_hashes h;
	struct fw_image img;
	uint8_t table[SEV_HASHES_TABLE_PADDED];
	const struct launch_region *r;

	memset(&h, 0x11, sizeof(h));
	sev_hashes_table(&h, table);
	fw_image_build(&img, &fw_image_ovmf);
	assert_int_equal(snp_plan(&plan, &img, 1, &h), 0);
	r = launch_plan_find(&plan, LAUNCH_REGION_SEV_SECTION, SEV_SECTION_SNP_KERNEL_HASHES);
	assert_non_null(r);
	assert_int_equal(r->snp_type, SNP_PAGE_TYPE_NORMAL);
	assert_int_equal(r->gpa, 0x80c000);
	assert_int_equal(r->data_len, LAUNCH_PAGE_SIZE);
	/* The table sits at the hashes-table base's offset in its page, zeros elsewhere. */
	assert_memory_equal(r->data + 0xc00, table, sizeof(table));
	for (unsigned i = 0; i < 0xc00; i++)
		assert_int_equal(r->data[i], 0);
	for (unsigned i = 0xc00 + sizeof(table); i < LAUNCH_PAGE_SIZE; i++)
		assert_int_equal(r->data[i], 0);
	launch_plan_free(&plan);
	fw_image_free(&img);
}

static void test_snp_plan_errors(void **state)
{
	struct fw_image_layout l = fw_image_ovmf;
	struct fw_image_sev sev[5];
	struct launch_plan plan;
	struct sev_hashes h = { 0 };
	struct fw_image img;

	/* No AP reset address: one vCPU works, two cannot. */
	l.ap_reset = 0;
	fw_image_build(&img, &l);
	assert_int_equal(snp_plan(&plan, &img, 1, NULL), 0);
	launch_plan_free(&plan);
	assert_int_equal(snp_plan(&plan, &img, 2, NULL), -EINVAL);
	assert_non_null(strstr(err, "AP reset"));
	launch_plan_free(&plan);
	assert_int_equal(snp_plan(&plan, &img, 0, NULL), -EINVAL);
	launch_plan_free(&plan);
	fw_image_free(&img);

	/* A kernel needs a KERNEL_HASHES section and a hashes-table entry. */
	l = fw_image_ovmf;
	memcpy(sev, fw_image_ovmf.sev, sizeof(sev));
	sev[3].type = SEV_SECTION_SNP_SEC_MEM;
	l.sev = sev;
	fw_image_build(&img, &l);
	assert_int_equal(snp_plan(&plan, &img, 1, &h), -EINVAL);
	assert_non_null(strstr(err, "no SNP_KERNEL_HASHES section"));
	launch_plan_free(&plan);
	fw_image_free(&img);

	l = fw_image_ovmf;
	l.hashes_base = 0;
	fw_image_build(&img, &l);
	assert_int_equal(snp_plan(&plan, &img, 1, &h), -EINVAL);
	assert_non_null(strstr(err, "no SEV hashes table"));
	launch_plan_free(&plan);
	/* Without a kernel the section is only zero pages, so that firmware is fine. */
	assert_int_equal(snp_plan(&plan, &img, 1, NULL), 0);
	launch_plan_free(&plan);
	fw_image_free(&img);

	l = fw_image_ovmf;
	l.hashes_base = 0x80cf80; /* the table would cross the page end */
	fw_image_build(&img, &l);
	assert_int_equal(snp_plan(&plan, &img, 1, &h), -EINVAL);
	assert_non_null(strstr(err, "within its page"));
	launch_plan_free(&plan);
	fw_image_free(&img);

	/* Firmware sizes that cannot be mapped page by page below 4 GiB. */
	fw_image_build(&img, &fw_image_ovmf);
	img.len -= 100;
	assert_int_equal(snp_plan(&plan, &img, 1, NULL), -EINVAL);
	assert_non_null(strstr(err, "multiple of 4 KiB"));
	launch_plan_free(&plan);
	img.len += 100;
	fw_image_free(&img);
}

static void test_sev_hashes_table(void **state)
{
	static const uint8_t table_guid[16] = { 0x06, 0xd6, 0x38, 0x94, 0x22, 0x4f, 0xc9, 0x4c,
						0xb4, 0x79, 0xa7, 0x93, 0xd4, 0x11, 0xfd, 0x21 };
	static const uint8_t kernel_guid[16] = { 0x37, 0x94, 0xe7, 0x4d, 0xd2, 0xab, 0x7f, 0x42,
						 0xb8, 0x35, 0xd5, 0xb1, 0x72, 0xd2, 0x04, 0x5b };
	/* SHA-256 of the empty string and of a single NUL byte. */
	static const uint8_t sha_empty[32] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
		0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
		0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55 };
	static const uint8_t sha_nul[32] = {
		0x6e, 0x34, 0x0b, 0x9c, 0xff, 0xb3, 0x7a, 0x98, 0x9c, 0xa5, 0x44,
		0xe6, 0xbb, 0x78, 0x0a, 0x2c, 0x78, 0x90, 0x1d, 0x3f, 0xb3, 0x37,
		0x38, 0x76, 0x85, 0x11, 0xa3, 0x06, 0x17, 0xaf, 0xa0, 0x1d };
	uint8_t t[SEV_HASHES_TABLE_PADDED];
	struct sev_hashes h;

	assert_int_equal(sev_hashes_from_buffers(&h, NULL, 0, NULL, 0, NULL), 0);
	assert_memory_equal(h.kernel, sha_empty, 32);
	assert_memory_equal(h.initrd, sha_empty, 32);
	assert_memory_equal(h.cmdline, sha_nul, 32);
	assert_int_equal(sev_hashes_from_buffers(&h, NULL, 0, NULL, 0, ""), 0);
	assert_memory_equal(h.cmdline, sha_nul, 32);

	memset(&h, 0, sizeof(h));
	h.kernel[0] = 0xaa;
	h.initrd[0] = 0xbb;
	h.cmdline[0] = 0xcc;
	memset(t, 0xff, sizeof(t));
	sev_hashes_table(&h, t);
	assert_memory_equal(t, table_guid, 16);
	assert_int_equal(rd(t + 16, 2), 168);
	/* Entries: cmdline, initrd, kernel; each GUID, u16 50, hash. */
	assert_int_equal(rd(t + 18 + 16, 2), 50);
	assert_int_equal(t[18 + 18], 0xcc);
	assert_int_equal(rd(t + 68 + 16, 2), 50);
	assert_int_equal(t[68 + 18], 0xbb);
	assert_memory_equal(t + 118, kernel_guid, 16);
	assert_int_equal(t[118 + 18], 0xaa);
	for (unsigned i = 168; i < sizeof(t); i++)
		assert_int_equal(t[i], 0);
}

static void test_sev_hashes_missing_file(void **state)
{
	struct sev_hashes h;

	assert_int_equal(sev_hashes_from_files(&h, "/nonexistent/kernel", NULL, NULL, ERRP), -ENOENT);
	assert_non_null(strstr(err, "kernel /nonexistent/kernel"));
}

static void test_vmsa_reset_state(void **state)
{
	struct sev_es_save_area sa;
	const uint8_t *b = (const uint8_t *)&sa;

	snp_vmsa_reset_state(&sa, 0xffffb004, 0x800f12, 0x5);
	/* CS at 0x10: selector, attrib, limit, base. */
	assert_int_equal(rd(b + 0x10, 2), 0xf000);
	assert_int_equal(rd(b + 0x12, 2), 0x9b);
	assert_int_equal(rd(b + 0x14, 4), 0xffff);
	assert_int_equal(rd(b + 0x18, 8), 0xffff0000);
	for (unsigned s = 0; s < 10; s++) {
		static const uint16_t attrib[10] = { 0x93, 0x9b, 0x93, 0x93, 0x93,
						     0x93, 0,    0x82, 0,    0x8b };

		assert_int_equal(rd(b + 16 * s + 2, 2), attrib[s]);
		assert_int_equal(rd(b + 16 * s + 4, 4), 0xffff);
	}
	assert_int_equal(rd(b + 0xd0, 8), 0x1000);      /* EFER */
	assert_int_equal(rd(b + 0x148, 8), 0x40);       /* CR4 */
	assert_int_equal(rd(b + 0x158, 8), 0x10);       /* CR0 */
	assert_int_equal(rd(b + 0x160, 8), 0x400);      /* DR7 */
	assert_int_equal(rd(b + 0x168, 8), 0xffff0ff0); /* DR6 */
	assert_int_equal(rd(b + 0x170, 8), 2);          /* RFLAGS */
	assert_int_equal(rd(b + 0x178, 8), 0xb004);     /* RIP */
	assert_int_equal(rd(b + 0x268, 8), 0x0007040600070406ull);
	assert_int_equal(rd(b + 0x310, 8), 0x800f12);   /* RDX */
	assert_int_equal(rd(b + 0x3b0, 8), 0x5);        /* SEV features */
	assert_int_equal(rd(b + 0x3e8, 8), 1);          /* XCR0 */
	assert_int_equal(rd(b + 0x408, 4), 0x1f80);     /* MXCSR */
	assert_int_equal(rd(b + 0x410, 2), 0x37f);      /* FCW */
	for (unsigned i = 0x418; i < sizeof(sa); i++)
		assert_int_equal(b[i], 0);
}

static void test_td_hob(void **state)
{
	struct launch_plan plan;
	struct fw_image img;
	/* Low RAM below the MMIO hole, high RAM above 4 GiB. */
	const struct td_hob_ram ram[] = { { 0, 0x80000000 }, { 0x100000000ull, 0x40000000 } };
	/* Expected pieces: [0,TempMem) unaccepted, TempMem, gap, TD_HOB, rest, high RAM. */
	static const uint64_t want[][3] = {
		{ 0, 0x800000, 7 },         { 0x800000, 0x6000, 0 },
		{ 0x806000, 0x3000, 7 },    { 0x809000, 0x2000, 0 },
		{ 0x80b000, 0x7f7f5000, 7 }, { 0x100000000ull, 0x40000000, 7 },
	};
	uint8_t buf[4096];
	size_t used;

	fw_image_build(&img, &fw_image_ovmf);
	launch_plan_init(&plan, LAUNCH_TEE_TDX);
	assert_int_equal(tdx_plan_build(&plan, img.data, img.len, ERRP), 0);
	assert_int_equal(td_hob_build(buf, sizeof(buf), 0x809000, ram, 2, &plan, &used, ERRP), 0);
	assert_int_equal(used, 56 + 6 * 48 + 8);
	/* Handoff info table. */
	assert_int_equal(rd(buf, 2), 1);
	assert_int_equal(rd(buf + 2, 2), 56);
	assert_int_equal(rd(buf + 8, 4), 9);
	assert_int_equal(rd(buf + 48, 8), 0x809000 + used);
	for (unsigned i = 0; i < 6; i++) {
		const uint8_t *h = buf + 56 + 48 * i;

		assert_int_equal(rd(h, 2), 3);
		assert_int_equal(rd(h + 2, 2), 48);
		for (unsigned g = 8; g < 24; g++)
			assert_int_equal(h[g], 0);
		assert_int_equal(rd(h + 24, 4), want[i][2]);
		assert_int_equal(rd(h + 28, 4), 7);
		assert_int_equal(rd(h + 32, 8), want[i][0]);
		assert_int_equal(rd(h + 40, 8), want[i][1]);
	}
	assert_int_equal(rd(buf + 56 + 6 * 48, 2), 0xffff);
	assert_int_equal(rd(buf + 56 + 6 * 48 + 2, 2), 8);

	/* Too small a buffer, at every size short of the need. */
	for (size_t len = 0; len < used; len += 8)
		assert_int_equal(td_hob_build(buf, len, 0x809000, ram, 2, &plan, &used, ERRP), -ENOSPC);
	/* Unsorted or misaligned RAM. */
	const struct td_hob_ram unsorted[] = { ram[1], ram[0] };
	const struct td_hob_ram misaligned[] = { { 0x800, 0x1000 } };

	assert_int_equal(td_hob_build(buf, sizeof(buf), 0x809000, unsorted, 2, &plan, &used, ERRP), -EINVAL);
	assert_non_null(strstr(err, "not sorted"));
	assert_int_equal(td_hob_build(buf, sizeof(buf), 0x809000, misaligned, 1, &plan, &used,
				      ERRP), -EINVAL);
	launch_plan_free(&plan);
	fw_image_free(&img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_add_validates),
		cmocka_unit_test(test_region_pages),
		cmocka_unit_test(test_tdx_plan),
		cmocka_unit_test(test_snp_plan_order_and_types),
		cmocka_unit_test(test_snp_plan_hashes_page),
		cmocka_unit_test(test_snp_plan_errors),
		cmocka_unit_test(test_sev_hashes_table),
		cmocka_unit_test(test_sev_hashes_missing_file),
		cmocka_unit_test(test_vmsa_reset_state),
		cmocka_unit_test(test_td_hob),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
