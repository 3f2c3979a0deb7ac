// SPDX-License-Identifier: MIT
/*
 * RTMR prediction for TDVF direct boot, against registers this test extends itself from events
 * it assembles byte by byte (EFI variable records, UTF-16 command line, the Authenticode ranges of
 * a PE image it builds), and the refusals: a kernel that is not PE/COFF, sections past its end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "tdx/tdx_rtmr.h"
#include "vmm/error.h"

static void sha384(const void *d, size_t n, uint8_t out[48])
{
	unsigned len;

	assert_true(EVP_Digest(d, n, out, &len, EVP_sha384(), NULL));
}

static void ext(uint8_t reg[48], const uint8_t ev[48])
{
	uint8_t buf[96];

	memcpy(buf, reg, 48);
	memcpy(buf + 48, ev, 48);
	sha384(buf, sizeof(buf), reg);
}

static void ext_data(uint8_t reg[48], const void *d, size_t n)
{
	uint8_t ev[48];

	sha384(d, n, ev);
	ext(reg, ev);
}

/* UEFI_VARIABLE_DATA: GUID (mixed endian bytes), name length, data length 0, UTF-16 name. */
static void ext_var(uint8_t reg[48], const uint8_t guid[16], const char *name)
{
	uint8_t ev[64] = { 0 };
	size_t n = strlen(name);

	memcpy(ev, guid, 16);
	ev[16] = (uint8_t)n;
	for (size_t i = 0; i < n; i++)
		ev[32 + 2 * i] = (uint8_t)name[i];
	ext_data(reg, ev, 32 + 2 * n);
}

/* A PE32+ image: headers in 0x200, one section [0x200, 0x600), 5 trailing bytes, no signature. */
#define PE_LEN 0x605
static void build_pe(uint8_t *img)
{
	for (size_t i = 0; i < PE_LEN; i++)
		img[i] = (uint8_t)(i * 13 + 1);
	memset(img + 0x3c, 0, 4);
	img[0x3c] = 0x40;
	memcpy(img + 0x40, "PE\0\0", 4);
	img[0x46] = 1;  /* one section */
	img[0x47] = 0;
	img[0x54] = 240; /* SizeOfOptionalHeader */
	img[0x55] = 0;
	img[0x58] = 0x0b; /* PE32+ magic at 0x58 */
	img[0x59] = 0x02;
	memset(img + 0x58 + 60, 0, 4);
	img[0x58 + 61] = 0x02; /* SizeOfHeaders 0x200 */
	memset(img + 0x58 + 112 + 32, 0, 8); /* no certificate table */
	memset(img + 0x58 + 240 + 16, 0, 8);
	img[0x58 + 240 + 17] = 0x04; /* SizeOfRawData 0x400 */
	img[0x58 + 240 + 21] = 0x02; /* PointerToRawData 0x200 */
}

static void expected_kernel_hash(const uint8_t *img, uint8_t out[48])
{
	static const uint8_t pad[3];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	size_t opt = 0x58, csum = opt + 64, cert = opt + 112 + 32;
	unsigned len;

	assert_true(EVP_DigestInit_ex(c, EVP_sha384(), NULL));
	EVP_DigestUpdate(c, img, csum);
	EVP_DigestUpdate(c, img + csum + 4, cert - csum - 4);
	EVP_DigestUpdate(c, img + cert + 8, 0x200 - cert - 8);
	EVP_DigestUpdate(c, img + 0x200, 0x400);
	/* unsigned: the 5 trailing bytes are not hashed; the size pads to 8 */
	EVP_DigestUpdate(c, pad, 3);
	assert_true(EVP_DigestFinal_ex(c, out, &len));
	EVP_MD_CTX_free(c);
}

static void test_registers(void **state)
{
	static const uint8_t global[16] = { 0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11,
					    0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c };
	static const uint8_t secdb[16] = { 0xcb, 0xb2, 0x19, 0xd7, 0x3a, 0x3d, 0x96, 0x45,
					   0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f };
	uint8_t hob[72], cfv[300], loader[256], rsdp[36], tables[500], initrd[777], img[PE_LEN];
	uint8_t got[3][48], want[3][48] = { { 0 } }, ev[48], sep[4] = { 0 }, order[2] = { 0 };
	uint8_t line[2 * 32];
	const char *cmd = "x y initrd=initrd";
	struct error e = ERROR_INIT;

	memset(hob, 1, sizeof(hob));
	memset(cfv, 2, sizeof(cfv));
	memset(loader, 3, sizeof(loader));
	memset(rsdp, 4, sizeof(rsdp));
	memset(tables, 5, sizeof(tables));
	memset(initrd, 6, sizeof(initrd));
	build_pe(img);
	struct tdx_rtmr_inputs in = {
		.hob = hob, .hob_len = sizeof(hob), .cfv = cfv, .cfv_len = sizeof(cfv),
		.acpi_loader = loader, .acpi_loader_len = sizeof(loader),
		.acpi_rsdp = rsdp, .acpi_rsdp_len = sizeof(rsdp),
		.acpi_tables = tables, .acpi_tables_len = sizeof(tables),
		.kernel = img, .kernel_len = sizeof(img),
		.initrd = initrd, .initrd_len = sizeof(initrd), .cmdline = "x y",
	};
	assert_int_equal(tdx_rtmr_predict(&in, got, &e), 0);

	ext_data(want[0], hob, sizeof(hob) - 8); /* the end HOB is not measured */
	ext_data(want[0], cfv, sizeof(cfv));
	ext_var(want[0], global, "SecureBoot");
	ext_var(want[0], global, "PK");
	ext_var(want[0], global, "KEK");
	ext_var(want[0], secdb, "db");
	ext_var(want[0], secdb, "dbx");
	ext_data(want[0], sep, 4);
	ext_data(want[0], loader, sizeof(loader));
	ext_data(want[0], rsdp, sizeof(rsdp));
	ext_data(want[0], tables, sizeof(tables));
	ext_data(want[0], order, 2);
	/* Boot0000, as tdx-measure writes it: "UiApp" and the firmware-volume path of the UI app. */
	static const char boot0000[] = "090100002c0055006900410070007000000004071400c9bdb87cebf8344f"
				       "aaea3ee4af6516a10406140021aa2c4614760345836e8ab6f46623317f"
				       "ff0400";
	uint8_t b[sizeof(boot0000) / 2];

	for (size_t i = 0; i < sizeof(b); i++) {
		unsigned v;

		assert_int_equal(sscanf(boot0000 + 2 * i, "%2x", &v), 1);
		b[i] = (uint8_t)v;
	}
	ext_data(want[0], b, sizeof(b));
	assert_memory_equal(got[0], want[0], 48);

	expected_kernel_hash(img, ev);
	ext(want[1], ev);
	ext_data(want[1], "Calling EFI Application from Boot Option", 40);
	ext_data(want[1], sep, 4);
	ext_data(want[1], "Exit Boot Services Invocation", 29);
	ext_data(want[1], "Exit Boot Services Returned with Success", 40);
	assert_memory_equal(got[1], want[1], 48);

	memset(line, 0, sizeof(line));
	for (size_t i = 0; i < strlen(cmd); i++)
		line[2 * i] = (uint8_t)cmd[i];
	ext_data(want[2], line, 2 * (strlen(cmd) + 1));
	ext_data(want[2], initrd, sizeof(initrd));
	assert_memory_equal(got[2], want[2], 48);

	/* Without an initrd: the bare command line, nothing else. */
	in.initrd = NULL;
	assert_int_equal(tdx_rtmr_predict(&in, got, &e), 0);
	memset(want[2], 0, 48);
	memset(line, 0, sizeof(line));
	line[0] = 'x';
	line[2] = ' ';
	line[4] = 'y';
	ext_data(want[2], line, 8);
	assert_memory_equal(got[2], want[2], 48);
}

/* RTMR[0] up to Boot0000 is checked through its prefix: same inputs, one changed, differ. */
static void test_rtmr0_inputs(void **state)
{
	uint8_t hob[16] = { 0 }, cfv[8] = { 0 }, a[4] = { 0 }, img[PE_LEN], r1[3][48], r2[3][48];
	struct error e = ERROR_INIT;
	struct tdx_rtmr_inputs in = {
		.hob = hob, .hob_len = sizeof(hob), .cfv = cfv, .cfv_len = sizeof(cfv),
		.acpi_loader = a, .acpi_loader_len = 4, .acpi_rsdp = a, .acpi_rsdp_len = 4,
		.acpi_tables = a, .acpi_tables_len = 4, .kernel = img, .kernel_len = PE_LEN,
		.cmdline = "",
	};

	build_pe(img);
	assert_int_equal(tdx_rtmr_predict(&in, r1, &e), 0);
	hob[15] = 1; /* in the end HOB: not measured */
	assert_int_equal(tdx_rtmr_predict(&in, r2, &e), 0);
	assert_memory_equal(r1[0], r2[0], 48);
	hob[0] = 1;
	assert_int_equal(tdx_rtmr_predict(&in, r2, &e), 0);
	assert_memory_not_equal(r1[0], r2[0], 48);
	assert_memory_equal(r1[1], r2[1], 48);
	hob[0] = 0;
	a[0] = 9; /* the ACPI files */
	assert_int_equal(tdx_rtmr_predict(&in, r2, &e), 0);
	assert_memory_not_equal(r1[0], r2[0], 48);
}

static void test_refused(void **state)
{
	uint8_t hob[16] = { 0 }, img[PE_LEN], r[3][48];
	struct error e = ERROR_INIT;
	struct tdx_rtmr_inputs in = { .hob = hob, .hob_len = sizeof(hob), .kernel = img,
				       .kernel_len = PE_LEN, .cmdline = "" };

	/* Not PE: no "PE\0\0" where e_lfanew says. */
	build_pe(img);
	img[0x41] = 'X';
	assert_int_equal(tdx_rtmr_predict(&in, r, &e), -ENOEXEC);
	assert_int_equal(e.cls, ERROR_INPUT);
	/* A section past the end of the file; e_lfanew past it; too short a file. */
	build_pe(img);
	img[0x58 + 240 + 17] = 0x08;
	error_clear(&e);
	assert_int_equal(tdx_rtmr_predict(&in, r, &e), -ENOEXEC);
	build_pe(img);
	img[0x3c] = 0xff;
	img[0x3d] = 0xff;
	assert_int_equal(tdx_authenticode_sha384(img, PE_LEN, r[0]), -ENOEXEC);
	assert_int_equal(tdx_authenticode_sha384(img, 0x30, r[0]), -ENOEXEC);
	/* No TD HOB. */
	build_pe(img);
	in.hob_len = 4;
	error_clear(&e);
	assert_int_equal(tdx_rtmr_predict(&in, r, &e), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registers),
		cmocka_unit_test(test_rtmr0_inputs),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests_name("tdx rtmr", tests, NULL, NULL);
}
