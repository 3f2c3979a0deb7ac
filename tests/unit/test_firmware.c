// SPDX-License-Identifier: MIT
/*
 * Unit tests of the firmware metadata parsers: GUIDed footer table, TDVF descriptor, SEV
 * metadata.  Each malformed image must be refused with one clear line, never a crash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "boot/firmware.h"
#include "snp/sev_metadata.h"
#include "tdx/tdvf.h"
#include "tdx/tdx_measure.h"
#include "tests/unit/fw_image.h"
#include "vmm/cmd_measure.h"
#include "vmm/error.h"
#include "vmm/exit_status.h"

static struct error e_;
/* The message of the last error; ERRP clears it before each call (the first error wins). */
#define err (e_.msg)
#define ERRP (error_clear(&e_), &e_)

/* The error is one line and says what is wrong. */
static void assert_err(const char *needle)
{
	if (!strstr(err, needle))
		fail_msg("error '%s' does not mention '%s'", err, needle);
	assert_null(strchr(err, '\n'));
}

static int parse_tdvf(const struct fw_image *img, struct tdvf_metadata *md)
{
	struct fw_table t;
	int ret;

	error_clear(&e_);
	ret = fw_table_parse(&t, img->data, img->len, ERRP);
	return ret ? ret : tdvf_parse(&t, md, ERRP);
}

static int parse_sev(const struct fw_image *img, struct sev_metadata *md)
{
	struct fw_table t;
	int ret;

	error_clear(&e_);
	ret = fw_table_parse(&t, img->data, img->len, ERRP);
	return ret ? ret : sev_metadata_parse(&t, md, ERRP);
}

static void test_valid_image(void **state)
{
	struct fw_image img;
	struct tdvf_metadata tdvf;
	struct sev_metadata sev;
	struct fw_table t;
	uint32_t v;

	fw_image_build(&img, &fw_image_ovmf);
	assert_int_equal(parse_tdvf(&img, &tdvf), 0);
	assert_int_equal(tdvf.nr_sections, 5);
	assert_int_equal(tdvf.sections[0].data_offset, 0x8000);
	assert_int_equal(tdvf.sections[0].raw_data_size, 0x17000);
	assert_int_equal(tdvf.sections[0].memory_address, 0xfffe8000);
	assert_int_equal(tdvf.sections[0].memory_data_size, 0x18000);
	assert_int_equal(tdvf.sections[0].attributes, TDVF_ATTR_MR_EXTEND);
	assert_int_equal(tdvf.sections[4].type, TDVF_SECTION_PERM_MEM);
	assert_int_equal(tdvf.sections[4].attributes, TDVF_ATTR_PAGE_AUG);
	assert_string_equal(tdvf_section_type_name(tdvf.sections[2].type), "TD_HOB");

	assert_int_equal(parse_sev(&img, &sev), 0);
	assert_int_equal(sev.nr_sections, 5);
	assert_int_equal(sev.sections[3].base, 0x80c000);
	assert_int_equal(sev.sections[3].type, SEV_SECTION_SNP_KERNEL_HASHES);
	assert_string_equal(sev_section_type_name(sev.sections[1].type), "SNP_SECRETS");

	assert_int_equal(fw_table_parse(&t, img.data, img.len, ERRP), 0);
	assert_int_equal(fw_table_u32(&t, &fw_guid_sev_es_reset_block, "reset", 0, &v, ERRP), 0);
	assert_int_equal(v, 0xffffb004);
	assert_int_equal(fw_table_u32(&t, &fw_guid_sev_hashes_table, "hashes", 1, &v, ERRP), 0);
	assert_int_equal(v, 0x400);
	/* Asking for more than the entry holds is an error, not an overread. */
	assert_int_equal(fw_table_u32(&t, &fw_guid_sev_hashes_table, "hashes", 2, &v, ERRP), -EINVAL);
	assert_err("too short");
	assert_int_equal(fw_table_u32(&t, &fw_guid_sev_secret, "secret", 0, &v, ERRP), -ENOENT);
	fw_image_free(&img);
}

static void test_truncated_file(void **state)
{
	struct fw_image img;
	struct fw_table t;

	fw_image_build(&img, &fw_image_ovmf);
	for (size_t len = 0; len < 50; len++) {
		error_clear(&e_);
		assert_int_equal(fw_table_parse(&t, img.data + img.len - len, len, ERRP), -EINVAL);
		assert_err("too small");
	}
	/* Cut off the last bytes: the footer is no longer where it belongs. */
	assert_int_equal(fw_table_parse(&t, img.data, img.len - 4096, ERRP), -EINVAL);
	assert_err("no GUIDed footer table");
	fw_image_free(&img);
}

static void test_table_length(void **state)
{
	struct fw_image img;
	struct fw_table t;

	fw_image_build(&img, &fw_image_ovmf);
	/* A table that claims more than the file holds in front of it. */
	fw_image_put16(img.data + img.table_end - 18, 0xffff);
	assert_int_equal(fw_table_parse(&t, img.data, 0x1000, ERRP), -EINVAL);
	memmove(img.data, img.data + img.len - 0x1000, 0x1000);
	assert_int_equal(fw_table_parse(&t, img.data, 0x1000, ERRP), -EINVAL);
	assert_err("runs past the start of the file");
	fw_image_free(&img);

	fw_image_build(&img, &fw_image_ovmf);
	fw_image_put16(img.data + img.table_end - 18, 17);
	assert_int_equal(fw_table_parse(&t, img.data, img.len, ERRP), -EINVAL);
	assert_err("smaller than its own header");
	/* A table one byte longer than its entries leaves a truncated entry at its start. */
	fw_image_put16(img.data + img.table_end - 18, (uint16_t)(img.table_end - img.table_start
								  + 1));
	assert_int_equal(fw_table_parse(&t, img.data, img.len, ERRP), -EINVAL);
	assert_err("truncated");
	fw_image_free(&img);
}

static void test_entry_length(void **state)
{
	struct fw_image img;
	struct fw_table t;
	/* The entry nearest the footer: its length field sits right before the footer's. */
	size_t first_len;

	fw_image_build(&img, &fw_image_ovmf);
	first_len = img.table_end - 18 - 18;
	fw_image_put16(img.data + first_len, 0);
	assert_int_equal(fw_table_parse(&t, img.data, img.len, ERRP), -EINVAL);
	assert_err("length 0");
	fw_image_put16(img.data + first_len, 17);
	assert_int_equal(fw_table_parse(&t, img.data, img.len, ERRP), -EINVAL);
	assert_err("minimum 18");
	fw_image_put16(img.data + first_len, (uint16_t)(img.table_end - img.table_start));
	assert_int_equal(fw_table_parse(&t, img.data, img.len, ERRP), -EINVAL);
	assert_err("larger than the table");
	fw_image_free(&img);
}

static void test_metadata_offset(void **state)
{
	struct fw_image img;
	struct tdvf_metadata tdvf;
	struct sev_metadata sev;

	fw_image_build(&img, &fw_image_ovmf);
	/* Offset larger than the file: before its start. */
	fw_image_put32(img.data + img.tdx_entry, (uint32_t)img.len + 1);
	assert_int_equal(parse_tdvf(&img, &tdvf), -EINVAL);
	assert_err("before the start");
	fw_image_put32(img.data + img.tdx_entry, 0xffffffff);
	assert_int_equal(parse_tdvf(&img, &tdvf), -EINVAL);
	/* Offset so small the header would run past the end of the file. */
	fw_image_put32(img.data + img.tdx_entry, 8);
	assert_int_equal(parse_tdvf(&img, &tdvf), -EINVAL);
	assert_err("past the end");
	fw_image_put32(img.data + img.sev_entry, 4);
	assert_int_equal(parse_sev(&img, &sev), -EINVAL);
	assert_err("past the end");
	fw_image_put32(img.data + img.sev_entry, 0);
	assert_int_equal(parse_sev(&img, &sev), -EINVAL);
	/* Offset right at the file start: the descriptor GUID would precede the file. */
	fw_image_put32(img.data + img.tdx_entry, (uint32_t)img.len);
	assert_int_equal(parse_tdvf(&img, &tdvf), -EINVAL);
	assert_err("GUID");
	fw_image_free(&img);
}

static void test_missing_metadata(void **state)
{
	struct fw_image_layout l = fw_image_ovmf;
	struct fw_image img;
	struct tdvf_metadata tdvf;
	struct sev_metadata sev;

	l.tdvf = NULL;
	l.sev = NULL;
	fw_image_build(&img, &l);
	assert_int_equal(parse_tdvf(&img, &tdvf), -ENOENT);
	assert_err("no TDX metadata");
	assert_int_equal(parse_sev(&img, &sev), -ENOENT);
	assert_err("no SEV metadata");
	fw_image_free(&img);
}

static void test_tdvf_header(void **state)
{
	struct fw_image img;
	struct tdvf_metadata md;
	uint8_t *h;

	fw_image_build(&img, &fw_image_ovmf);
	h = img.data + img.tdvf_pos;
	h[0] = 'X';
	assert_int_equal(parse_tdvf(&img, &md), -EINVAL);
	assert_err("signature");
	h[0] = 'T';
	fw_image_put32(h + 8, 2);
	assert_int_equal(parse_tdvf(&img, &md), -EINVAL);
	assert_err("version 2");
	fw_image_put32(h + 8, 1);
	fw_image_put32(h + 12, 0);
	fw_image_put32(h + 4, 16);
	assert_int_equal(parse_tdvf(&img, &md), -EINVAL);
	assert_err("no sections");
	/* 16 + 32 * 0x08000000 wraps to 16 in 32 bits: the count must not be trusted. */
	fw_image_put32(h + 12, 0x08000000);
	assert_int_equal(parse_tdvf(&img, &md), -EINVAL);
	assert_err("does not match");
	fw_image_put32(h + 12, 0xffffffff);
	fw_image_put32(h + 4, 0xfffffff0);
	assert_int_equal(parse_tdvf(&img, &md), -EINVAL);
	/* Consistent length and count, but far more than the file holds. */
	fw_image_put32(h + 12, 1000);
	fw_image_put32(h + 4, 16 + 32 * 1000);
	assert_int_equal(parse_tdvf(&img, &md), -EINVAL);
	assert_err("runs past the end of the file");
	/* In the file, but more than the parser keeps. */
	fw_image_put32(h + 12, TDVF_MAX_SECTIONS + 1);
	fw_image_put32(h + 4, 16 + 32 * (TDVF_MAX_SECTIONS + 1));
	assert_int_equal(parse_tdvf(&img, &md), -EINVAL);
	assert_err("at most");
	fw_image_free(&img);
}

/* Rewrites one field of TDVF section i and expects the parser to refuse with `needle`. */
static void tdvf_refuses(size_t field, unsigned i, uint64_t value, unsigned width,
			 const char *needle)
{
	struct fw_image img;
	struct tdvf_metadata md;
	uint8_t *p;

	fw_image_build(&img, &fw_image_ovmf);
	p = img.data + img.tdvf_pos + 16 + 32 * i + field;
	if (width == 8)
		fw_image_put64(p, value);
	else
		fw_image_put32(p, (uint32_t)value);
	assert_int_equal(parse_tdvf(&img, &md), -EINVAL);
	assert_err(needle);
	fw_image_free(&img);
}

static void test_tdvf_sections(void **state)
{
	tdvf_refuses(8, 0, 0xfffe8800, 8, "not 4 KiB aligned");      /* address */
	tdvf_refuses(16, 2, 0x2100, 8, "not 4 KiB aligned");         /* size */
	tdvf_refuses(16, 1, 0x4000, 8, "smaller than its raw data"); /* memory < raw */
	tdvf_refuses(16, 3, 0, 8, "empty");
	tdvf_refuses(24, 1, 9, 4, "unknown type 9");
	tdvf_refuses(28, 1, 4, 4, "unknown attributes");
	tdvf_refuses(28, 0, 3, 4, "both MR.EXTEND and PAGE.AUG");
	tdvf_refuses(0, 0, 0x10000, 4, "runs past the end");          /* raw data offset */
	tdvf_refuses(4, 0, 0xffffffff, 4, "runs past the end");        /* raw data size */
	tdvf_refuses(0, 1, 0xffffffff, 4, "runs past the end");        /* offset + size wraps */
	tdvf_refuses(8, 3, 0x808000, 8, "overlap");
	tdvf_refuses(8, 4, 0xfffffffffffff000ull, 8, "2^47");          /* address + size wraps */
	tdvf_refuses(24, 3, TDVF_SECTION_TD_HOB, 4, "more than one TD_HOB");
}

#define GIB (1ULL << 30)

/* A 64 KiB image: a measured BFV, a TD_HOB and one more section as given. */
static void build_64k(struct fw_image *img, uint64_t gpa, uint64_t size, uint32_t type,
		      uint32_t attrs)
{
	const struct fw_image_tdvf secs[] = {
		{ 0x0, 0x8000, 0xffff0000, 0x10000, TDVF_SECTION_BFV, TDVF_ATTR_MR_EXTEND },
		{ 0, 0, 0x809000, 0x2000, TDVF_SECTION_TD_HOB, 0 },
		{ 0, 0, gpa, size, type, attrs },
	};
	const struct fw_image_layout l = { .size = 0x10000, .tdvf = secs, .nr_tdvf = 3 };

	fw_image_build(img, &l);
}

static int parse_64k(uint64_t gpa, uint64_t size, uint32_t type, uint32_t attrs)
{
	struct fw_image img;
	struct tdvf_metadata md;
	int ret;

	build_64k(&img, gpa, size, type, attrs);
	ret = parse_tdvf(&img, &md);
	fw_image_free(&img);
	return ret;
}

/* What a TD can hold: private GPAs below 2^47, at most 1 GiB added page by page at launch. */
static void test_tdvf_section_bounds(void **state)
{
	const uint64_t added = 0x10000 + 0x2000; /* BFV and TD_HOB */
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char path[256];
	char *argv[] = { "measure", "--tee", "tdx", "--firmware", path, NULL };
	struct launch_plan plan;
	struct fw_image img;
	int fd;

	/* The 64 KiB image with a 1 TiB TempMem section: refused by the parser, at once. */
	assert_int_equal(parse_64k(1ULL << 32, 1ULL << 40, TDVF_SECTION_TEMP_MEM, 0), -EINVAL);
	assert_err("TDVF section 2 (TempMem)");
	assert_err("at most 1 GiB");
	build_64k(&img, 1ULL << 32, 1ULL << 40, TDVF_SECTION_TEMP_MEM, 0);
	launch_plan_init(&plan, LAUNCH_TEE_TDX);
	error_clear(&e_);
	assert_int_equal(tdx_plan_build(&plan, img.data, img.len, ERRP), -EINVAL);
	assert_err("at most 1 GiB");
	launch_plan_free(&plan);
	/* ... and so by `cvmm measure`, as bad input (exit status 2). */
	snprintf(path, sizeof(path), "%s/cvmm-fw-XXXXXX", tmp);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, img.data, img.len), (ssize_t)img.len);
	close(fd);
	assert_int_equal(cmd_measure(5, argv), VM_EXIT_USAGE);
	unlink(path);
	fw_image_free(&img);

	/* The limit is on the sum of what is added: exactly 1 GiB passes, a page more does not. */
	assert_int_equal(parse_64k(1ULL << 32, GIB - added, TDVF_SECTION_TEMP_MEM, 0), 0);
	assert_int_equal(parse_64k(1ULL << 32, GIB - added + 0x1000, TDVF_SECTION_TEMP_MEM, 0),
			 -EINVAL);
	assert_err("at most 1 GiB");
	/* PAGE.AUG sections (the guest accepts them itself): only the address space bounds them. */
	assert_int_equal(parse_64k(1ULL << 32, 1ULL << 46, TDVF_SECTION_PERM_MEM,
				   TDVF_ATTR_PAGE_AUG), 0);
	/* Bit 47 is the shared bit of a TD with a 48-bit GPA width: nothing private lies above. */
	assert_int_equal(parse_64k((1ULL << 47) - 0x2000, 0x2000, TDVF_SECTION_PERM_MEM,
				   TDVF_ATTR_PAGE_AUG), 0);
	assert_int_equal(parse_64k((1ULL << 47) - 0x1000, 0x2000, TDVF_SECTION_PERM_MEM,
				   TDVF_ATTR_PAGE_AUG), -EINVAL);
	assert_err("2^47");
	assert_int_equal(parse_64k(1ULL << 47, 0x1000, TDVF_SECTION_TEMP_MEM, 0), -EINVAL);
	assert_err("2^47");
}

static void sev_refuses(size_t field, unsigned i, uint32_t value, const char *needle)
{
	struct fw_image img;
	struct sev_metadata md;

	fw_image_build(&img, &fw_image_ovmf);
	fw_image_put32(img.data + img.sev_pos + 16 + 12 * i + field, value);
	assert_int_equal(parse_sev(&img, &md), -EINVAL);
	assert_err(needle);
	fw_image_free(&img);
}

static void test_sev_metadata(void **state)
{
	struct fw_image img;
	struct sev_metadata md;
	uint8_t *h;

	sev_refuses(0, 0, 0x800800, "not 4 KiB aligned");
	sev_refuses(4, 1, 0x1001, "not 4 KiB aligned");
	sev_refuses(4, 1, 0, "empty");
	sev_refuses(8, 2, 7, "unknown type 0x7");
	sev_refuses(0, 4, 0xfffff000, "runs past 4 GiB");
	sev_refuses(4, 0, 0xb000, "overlap");

	fw_image_build(&img, &fw_image_ovmf);
	h = img.data + img.sev_pos;
	h[0] = 'B';
	assert_int_equal(parse_sev(&img, &md), -EINVAL);
	assert_err("signature");
	h[0] = 'A';
	fw_image_put32(h + 12, 0x15555556); /* 16 + 12 * count wraps to 24 */
	fw_image_put32(h + 4, 24);
	assert_int_equal(parse_sev(&img, &md), -EINVAL);
	assert_err("does not match");
	fw_image_put32(h + 12, 200);
	fw_image_put32(h + 4, 16 + 12 * 200);
	assert_int_equal(parse_sev(&img, &md), -EINVAL);
	assert_err("runs past the end");
	fw_image_free(&img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_image),
		cmocka_unit_test(test_truncated_file),
		cmocka_unit_test(test_table_length),
		cmocka_unit_test(test_entry_length),
		cmocka_unit_test(test_metadata_offset),
		cmocka_unit_test(test_missing_metadata),
		cmocka_unit_test(test_tdvf_header),
		cmocka_unit_test(test_tdvf_sections),
		cmocka_unit_test(test_tdvf_section_bounds),
		cmocka_unit_test(test_sev_metadata),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
