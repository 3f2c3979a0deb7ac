// SPDX-License-Identifier: MIT
/*
 * Unit tests of the AML encoder.  Expected bytes are derived by hand from ACPI 6.x sections 20.2
 * (AML grammar) and 6.4 (resource descriptors); the derivation sits next to each vector.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot/aml.h"

#define BUF_SIZE 4096

static uint8_t buf[BUF_SIZE];

static void start(struct aml *aml)
{
	memset(buf, 0xee, sizeof(buf));
	aml_init(aml, buf, sizeof(buf));
}

static void expect(const struct aml *aml, const uint8_t *want, size_t n)
{
	assert_int_equal(aml_error(aml), 0);
	assert_int_equal(aml_len(aml), n);
	assert_memory_equal(aml->buf, want, n);
}

#define EXPECT(aml, ...)                                            \
	do {                                                        \
		static const uint8_t want_[] = { __VA_ARGS__ };    \
		expect((aml), want_, sizeof(want_));                \
	} while (0)

static void test_pkglength_encode(void **state)
{
	static const struct {
		uint32_t value;
		unsigned n;
		uint8_t bytes[4];
	} vec[] = {
		{ 0, 1, { 0x00 } },
		{ 63, 1, { 0x3f } },                      /* largest one-byte form */
		{ 64, 2, { 0x40, 0x04 } },                /* 0x40: 1 more byte, nibble 0; 64 >> 4 */
		{ 0x123, 2, { 0x43, 0x12 } },
		{ 4095, 2, { 0x4f, 0xff } },              /* largest two-byte form */
		{ 4096, 3, { 0x80, 0x00, 0x01 } },        /* 4096 >> 4 = 0x100 */
		{ 0xfffff, 3, { 0x8f, 0xff, 0xff } },
		{ 0x100000, 4, { 0xc0, 0x00, 0x00, 0x01 } },
		{ 0x0fffffff, 4, { 0xcf, 0xff, 0xff, 0xff } },
	};
	uint8_t out[4];

	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		memset(out, 0, sizeof(out));
		assert_int_equal(aml_pkglength_encode(vec[i].value, out), vec[i].n);
		assert_memory_equal(out, vec[i].bytes, vec[i].n);
	}
	assert_int_equal(aml_pkglength_encode(0x10000000, out), 0);
	assert_int_equal(aml_pkglength_encode(UINT32_MAX, out), 0);
}

/*
 * Scope(A___) with a raw body: content = 4 name bytes + body.  The PkgLength counts itself, so
 * content 62 gives 63 in one byte, content 63 needs two bytes and gives 65, and so on.
 */
static void check_scope_pkglength(size_t content, const uint8_t *pkglen, unsigned n)
{
	size_t body = content - 4, total = 1 + n + content;
	uint8_t *big = malloc(total);
	struct aml aml;
	struct aml_pkg pkg;

	assert_non_null(big);
	aml_init(&aml, big, total); /* exactly the final size: the encoder must not need more */
	pkg = aml_scope_open(&aml, "A");
	for (size_t i = 0; i < body; i++)
		aml_byte(&aml, (uint8_t)(i * 7));
	aml_close(&aml, pkg);
	assert_int_equal(aml_error(&aml), 0);
	assert_int_equal(aml_len(&aml), total);
	assert_int_equal(big[0], 0x10);
	assert_memory_equal(big + 1, pkglen, n);
	assert_memory_equal(big + 1 + n, "A___", 4);
	for (size_t i = 0; i < body; i++)
		if (big[1 + n + 4 + i] != (uint8_t)(i * 7))
			fail_msg("body byte %zu moved wrongly", i);
	free(big);
}

static void test_pkglength_close_boundaries(void **state)
{
	check_scope_pkglength(62, (const uint8_t[]){ 0x3f }, 1);
	check_scope_pkglength(63, (const uint8_t[]){ 0x41, 0x04 }, 2);             /* 65 */
	check_scope_pkglength(4093, (const uint8_t[]){ 0x4f, 0xff }, 2);           /* 4095 */
	check_scope_pkglength(4094, (const uint8_t[]){ 0x81, 0x00, 0x01 }, 3);     /* 4097 */
	check_scope_pkglength(0xffffc, (const uint8_t[]){ 0x8f, 0xff, 0xff }, 3);  /* 0xfffff */
	check_scope_pkglength(0xffffd, (const uint8_t[]){ 0xc1, 0x00, 0x00, 0x01 }, 4); /* 0x100001 */
}

static void test_nested_scopes_grow(void **state)
{
	struct aml aml;
	struct aml_pkg outer, inner;

	start(&aml);
	outer = aml_scope_open(&aml, "A");
	inner = aml_scope_open(&aml, "B");
	for (int i = 0; i < 100; i++)
		aml_byte(&aml, 0x01);
	aml_close(&aml, inner);
	aml_byte(&aml, 0x02);
	aml_close(&aml, outer);
	/* inner content 4 + 100 = 104 -> 106 = 0x6a: 0x4a 0x06.
	 * outer content 4 + (1 + 2 + 104) + 1 = 112 -> 114 = 0x72: 0x42 0x07. */
	assert_int_equal(aml_error(&aml), 0);
	assert_int_equal(aml_len(&aml), 1 + 2 + 112);
	assert_memory_equal(buf, ((const uint8_t[]){ 0x10, 0x42, 0x07, 'A', '_', '_', '_', 0x10,
						     0x4a, 0x06, 'B', '_', '_', '_', 0x01 }),
			    15);
	assert_int_equal(buf[1 + 2 + 4 + 1 + 2 + 4 + 99], 0x01);
	assert_int_equal(buf[1 + 2 + 112 - 1], 0x02);
}

static void test_integers(void **state)
{
	static const struct {
		uint64_t v;
		uint8_t bytes[9];
		size_t n;
	} vec[] = {
		{ 0, { 0x00 }, 1 },                     /* ZeroOp */
		{ 1, { 0x01 }, 1 },                     /* OneOp */
		{ 2, { 0x0a, 0x02 }, 2 },               /* BytePrefix */
		{ 0xff, { 0x0a, 0xff }, 2 },
		{ 0x100, { 0x0b, 0x00, 0x01 }, 3 },     /* WordPrefix */
		{ 0xffff, { 0x0b, 0xff, 0xff }, 3 },
		{ 0x10000, { 0x0c, 0x00, 0x00, 0x01, 0x00 }, 5 }, /* DWordPrefix */
		{ 0xffffffff, { 0x0c, 0xff, 0xff, 0xff, 0xff }, 5 },
		{ 0x100000000, { 0x0e, 0, 0, 0, 0, 1, 0, 0, 0 }, 9 }, /* QWordPrefix */
		{ 0x0123456789abcdef, { 0x0e, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01 }, 9 },
		{ UINT64_MAX, { 0x0e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 9 },
	};
	struct aml aml;

	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		start(&aml);
		aml_integer(&aml, vec[i].v);
		expect(&aml, vec[i].bytes, vec[i].n);
	}
}

static void test_strings(void **state)
{
	struct aml aml;

	start(&aml);
	aml_string(&aml, "LNRO0005");
	EXPECT(&aml, 0x0d, 'L', 'N', 'R', 'O', '0', '0', '0', '5', 0x00);
	start(&aml);
	aml_string(&aml, "");
	EXPECT(&aml, 0x0d, 0x00);
	start(&aml);
	aml_string(&aml, "caf\xc3\xa9"); /* not ASCII */
	assert_int_equal(aml_error(&aml), -EINVAL);
	assert_int_equal(buf[0], 0xee);
	start(&aml);
	aml_string(&aml, NULL);
	assert_int_equal(aml_error(&aml), -EINVAL);
}

static void test_eisaid(void **state)
{
	struct aml aml;

	/* P=0x10 N=0x0e P=0x10: 0x10 << 10 | 0x0e << 5 | 0x10 = 0x41d0, then 0x05 0x01. */
	start(&aml);
	aml_eisaid(&aml, "PNP0501");
	EXPECT(&aml, 0x0c, 0x41, 0xd0, 0x05, 0x01); /* DWord 0x0105d041 */
	start(&aml);
	aml_eisaid(&aml, "PNP0A03");
	EXPECT(&aml, 0x0c, 0x41, 0xd0, 0x0a, 0x03);
	/* A=1 B=2 C=3: 1 << 10 | 2 << 5 | 3 = 0x0443; a small value still takes the DWord form. */
	start(&aml);
	aml_eisaid(&aml, "ABC0000");
	EXPECT(&aml, 0x0c, 0x04, 0x43, 0x00, 0x00);

	static const char *const bad[] = { "PNP050", "PNP05011", "pnp0501", "PN10501", "PNP050G",
					   "PNP05a1", "", "P@P0501" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		start(&aml);
		aml_eisaid(&aml, bad[i]);
		assert_int_equal(aml_error(&aml), -EINVAL);
		assert_int_equal(buf[0], 0xee);
	}
	start(&aml);
	aml_eisaid(&aml, NULL);
	assert_int_equal(aml_error(&aml), -EINVAL);
}

static void test_namestrings(void **state)
{
	struct aml aml;

	start(&aml);
	aml_namestring(&aml, "_HID");
	EXPECT(&aml, '_', 'H', 'I', 'D');
	start(&aml);
	aml_namestring(&aml, "\\_SB");
	EXPECT(&aml, 0x5c, '_', 'S', 'B', '_');
	start(&aml);
	aml_namestring(&aml, "\\_SB.COM1");
	EXPECT(&aml, 0x5c, 0x2e, '_', 'S', 'B', '_', 'C', 'O', 'M', '1');
	start(&aml);
	aml_namestring(&aml, "\\A.B.C9");
	EXPECT(&aml, 0x5c, 0x2f, 0x03, 'A', '_', '_', '_', 'B', '_', '_', '_', 'C', '9', '_', '_');
	start(&aml);
	aml_namestring(&aml, "^^FOO");
	EXPECT(&aml, 0x5e, 0x5e, 'F', 'O', 'O', '_');
	start(&aml);
	aml_namestring(&aml, "");
	EXPECT(&aml, 0x00);
	start(&aml);
	aml_namestring(&aml, "\\");
	EXPECT(&aml, 0x5c, 0x00);

	static const char *const bad[] = { "1ABC", "ABCDE", "A..B", "A.", ".A", "abc", "A-B",
					   "\\^A", "^\\A", "A B" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		start(&aml);
		aml_namestring(&aml, bad[i]);
		assert_int_equal(aml_error(&aml), -EINVAL);
		assert_int_equal(aml_len(&aml), 0);
		assert_int_equal(buf[0], 0xee);
	}
	start(&aml);
	aml_namestring(&aml, NULL);
	assert_int_equal(aml_error(&aml), -EINVAL);
}

static void test_objects(void **state)
{
	struct aml aml;
	struct aml_pkg pkg;

	/* Method(_STA, 0, NotSerialized) { Return (0x0F) }: PkgLength 1 + 4 + 1 + 3 = 9. */
	start(&aml);
	pkg = aml_method_open(&aml, "_STA", 0, false);
	aml_return(&aml);
	aml_integer(&aml, 0x0f);
	aml_close(&aml, pkg);
	EXPECT(&aml, 0x14, 0x09, '_', 'S', 'T', 'A', 0x00, 0xa4, 0x0a, 0x0f);

	/* Method(M, 3, Serialized) {}: flags 3 | 1 << 3. */
	start(&aml);
	pkg = aml_method_open(&aml, "M", 3, true);
	aml_close(&aml, pkg);
	EXPECT(&aml, 0x14, 0x06, 'M', '_', '_', '_', 0x0b);

	/* Device(COM1) {} */
	start(&aml);
	pkg = aml_device_open(&aml, "COM1");
	aml_close(&aml, pkg);
	EXPECT(&aml, 0x5b, 0x82, 0x05, 'C', 'O', 'M', '1');

	/* Name(_S5, Package(4) {5, 0, 0, 0}): PkgLength 1 + 1 + 2 + 1 + 1 + 1 = 7. */
	start(&aml);
	aml_name(&aml, "_S5");
	pkg = aml_package_open(&aml, 4);
	aml_integer(&aml, 5);
	aml_integer(&aml, 0);
	aml_integer(&aml, 0);
	aml_integer(&aml, 0);
	aml_close(&aml, pkg);
	EXPECT(&aml, 0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x04, 0x0a, 0x05, 0x00, 0x00, 0x00);

	start(&aml);
	aml_name_integer(&aml, "_UID", 0x1234);
	aml_name_string(&aml, "_HID", "X");
	aml_name_eisaid(&aml, "_CID", "PNP0501");
	EXPECT(&aml, 0x08, '_', 'U', 'I', 'D', 0x0b, 0x34, 0x12, 0x08, '_', 'H', 'I', 'D', 0x0d,
	       'X', 0x00, 0x08, '_', 'C', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01);

	start(&aml);
	pkg = aml_method_open(&aml, "M", 8, false);
	assert_int_equal(aml_error(&aml), -EINVAL);
	start(&aml);
	pkg = aml_package_open(&aml, 256);
	assert_int_equal(aml_error(&aml), -EINVAL);
}

static void test_buffers(void **state)
{
	struct aml aml;
	struct aml_pkg pkg;
	uint8_t *p;

	/* Buffer() {1, 2, 3}: BufferSize 0x0a 0x03, PkgLength 1 + 2 + 3 = 6. */
	start(&aml);
	pkg = aml_buffer_open(&aml);
	aml_bytes(&aml, (const uint8_t[]){ 1, 2, 3 }, 3);
	aml_buffer_close(&aml, pkg);
	EXPECT(&aml, 0x11, 0x06, 0x0a, 0x03, 0x01, 0x02, 0x03);

	/* Buffer() {}: BufferSize ZeroOp, PkgLength 2. */
	start(&aml);
	pkg = aml_buffer_open(&aml);
	aml_buffer_close(&aml, pkg);
	EXPECT(&aml, 0x11, 0x02, 0x00);

	/* 300 bytes: BufferSize 0x0b 0x2c 0x01; content 303 -> 305 = 0x131: 0x41 0x13. */
	start(&aml);
	pkg = aml_buffer_open(&aml);
	for (int i = 0; i < 300; i++)
		aml_byte(&aml, (uint8_t)i);
	aml_buffer_close(&aml, pkg);
	assert_int_equal(aml_error(&aml), 0);
	assert_int_equal(aml_len(&aml), 1 + 2 + 3 + 300);
	assert_memory_equal(buf, ((const uint8_t[]){ 0x11, 0x41, 0x13, 0x0b, 0x2c, 0x01 }), 6);
	p = buf + 6;
	for (int i = 0; i < 300; i++)
		assert_int_equal(p[i], (uint8_t)i);
}

static void test_resource_templates(void **state)
{
	struct aml aml;
	struct aml_pkg pkg;

	/*
	 * IO(Decode16, 0x3f8, 0x3f8, 1, 8): 0x47, info bit 0 = 16-bit decode, min, max, align, len.
	 * IRQNoFlags() {4}: 0x22 and the IRQ mask 0x0010.  EndTag 0x79: descriptors sum to 0xf2 with
	 * the tag, so the checksum is 0x0e.  BufferSize 13; PkgLength 1 + 2 + 13 = 16.
	 */
	start(&aml);
	pkg = aml_restemplate_open(&aml);
	aml_res_io(&aml, true, 0x3f8, 0x3f8, 1, 8);
	aml_res_irq_noflags(&aml, 4);
	aml_restemplate_close(&aml, pkg);
	EXPECT(&aml, 0x11, 0x10, 0x0a, 0x0d, 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, 0x22,
	       0x10, 0x00, 0x79, 0x0e);

	/*
	 * Memory32Fixed(ReadWrite, 0xd0000000, 0x1000): 0x86, length 9, info bit 0 = writable,
	 * base, length.  Interrupt(ResourceConsumer, Edge, ActiveHigh, Exclusive) {5}: 0x89,
	 * length 6, flags consumer | edge = 0x03, one entry, DWord 5.  Sum with the end tag 0x81,
	 * checksum 0x7f.  BufferSize 23; PkgLength 26.
	 */
	start(&aml);
	pkg = aml_restemplate_open(&aml);
	aml_res_memory32_fixed(&aml, true, 0xd0000000, 0x1000);
	aml_res_interrupt(&aml, AML_INT_CONSUMER | AML_INT_EDGE, 5);
	aml_restemplate_close(&aml, pkg);
	EXPECT(&aml, 0x11, 0x1a, 0x0a, 0x17, 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00,
	       0x10, 0x00, 0x00, 0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00, 0x79, 0x7f);

	/* Other flag and field encodings. */
	start(&aml);
	aml_res_interrupt(&aml, AML_INT_ACTIVE_LOW | AML_INT_SHARED | AML_INT_WAKE, 0x12345678);
	aml_res_memory32_fixed(&aml, false, 0xfec00000, 0x100);
	aml_res_io(&aml, false, 0x60, 0x64, 4, 1);
	aml_res_irq_noflags(&aml, 15);
	aml_res_irq_noflags(&aml, 0);
	EXPECT(&aml, 0x89, 0x06, 0x00, 0x1c, 0x01, 0x78, 0x56, 0x34, 0x12, 0x86, 0x09, 0x00, 0x00,
	       0x00, 0x00, 0xc0, 0xfe, 0x00, 0x01, 0x00, 0x00, 0x47, 0x00, 0x60, 0x00, 0x64, 0x00,
	       0x04, 0x01, 0x22, 0x00, 0x80, 0x22, 0x01, 0x00);

	/* An empty template is just the end tag: checksum 0x100 - 0x79 = 0x87; PkgLength 1+2+2. */
	start(&aml);
	pkg = aml_restemplate_open(&aml);
	aml_restemplate_close(&aml, pkg);
	EXPECT(&aml, 0x11, 0x05, 0x0a, 0x02, 0x79, 0x87);
}

static void test_resource_errors(void **state)
{
	struct aml aml;

	start(&aml);
	aml_res_irq_noflags(&aml, 16);
	assert_int_equal(aml_error(&aml), -EINVAL);
	start(&aml);
	aml_res_io(&aml, true, 0x400, 0x3f8, 1, 8);
	assert_int_equal(aml_error(&aml), -EINVAL);
	start(&aml);
	aml_res_interrupt(&aml, 0x20, 5);
	assert_int_equal(aml_error(&aml), -EINVAL);
	assert_int_equal(aml_len(&aml), 0);
}

/* A device like the DSDT's COM1, used to exercise overflow handling. */
static void encode_sample(struct aml *aml)
{
	struct aml_pkg sb, dev, sta, crs;

	sb = aml_scope_open(aml, "\\_SB");
	dev = aml_device_open(aml, "COM1");
	aml_name_eisaid(aml, "_HID", "PNP0501");
	aml_name_integer(aml, "_UID", 1);
	sta = aml_method_open(aml, "_STA", 0, false);
	aml_return(aml);
	aml_integer(aml, 0x0f);
	aml_close(aml, sta);
	aml_name(aml, "_CRS");
	crs = aml_restemplate_open(aml);
	aml_res_io(aml, true, 0x3f8, 0x3f8, 1, 8);
	aml_res_irq_noflags(aml, 4);
	aml_restemplate_close(aml, crs);
	aml_close(aml, dev);
	for (int i = 0; i < 20; i++)
		aml_name_string(aml, "PAD", "0123456789"); /* push the scope past 63 bytes */
	aml_close(aml, sb);
}

static void test_overflow_every_size(void **state)
{
	struct aml aml;
	size_t need;
	uint8_t *full;

	aml_init(&aml, NULL, 0);
	encode_sample(&aml);
	assert_int_equal(aml_error(&aml), 0); /* measuring is not an overflow */
	need = aml_len(&aml);
	assert_true(need > 64);

	full = malloc(need);
	assert_non_null(full);
	aml_init(&aml, full, need);
	encode_sample(&aml);
	assert_int_equal(aml_error(&aml), 0);
	assert_int_equal(aml_len(&aml), need);

	for (size_t cap = 0; cap < need; cap++) {
		/* Exactly cap bytes, so ASan sees any write past the end. */
		uint8_t *small = malloc(cap ? cap : 1);

		assert_non_null(small);
		memset(small, 0xa5, cap);
		aml_init(&aml, small, cap);
		encode_sample(&aml);
		assert_int_equal(aml_error(&aml), -ENOSPC);
		assert_int_equal(aml_len(&aml), need);
		free(small);
	}
	free(full);
}

static void test_sticky_error_and_bad_handle(void **state)
{
	struct aml aml;
	struct aml_pkg pkg;

	start(&aml);
	aml_namestring(&aml, "bad");
	aml_integer(&aml, 0x1234);
	assert_int_equal(aml_error(&aml), -EINVAL);
	assert_int_equal(aml_len(&aml), 3); /* still counted */
	assert_int_equal(buf[0], 0xee);     /* never written */

	start(&aml);
	aml_byte(&aml, 0x01);
	pkg.at = 5;
	aml_close(&aml, pkg);
	assert_int_equal(aml_error(&aml), -EINVAL);
	start(&aml);
	aml_buffer_close(&aml, pkg);
	assert_int_equal(aml_error(&aml), -EINVAL);
	start(&aml);
	aml_restemplate_close(&aml, pkg);
	assert_int_equal(aml_error(&aml), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkglength_encode),
		cmocka_unit_test(test_pkglength_close_boundaries),
		cmocka_unit_test(test_nested_scopes_grow),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_eisaid),
		cmocka_unit_test(test_namestrings),
		cmocka_unit_test(test_objects),
		cmocka_unit_test(test_buffers),
		cmocka_unit_test(test_resource_templates),
		cmocka_unit_test(test_resource_errors),
		cmocka_unit_test(test_overflow_every_size),
		cmocka_unit_test(test_sticky_error_and_bad_handle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
