// SPDX-License-Identifier: MIT
/* RTMR prediction for TDVF direct boot (see tdx_rtmr.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "boot/firmware.h"
#include "tdx/tdx_rtmr.h"
#include "vmm/digest.h"
#include "vmm/error.h"
#include "vmm/util.h"

#define HOB_END_SIZE      8
#define PE_MAX_SECTIONS   96
#define SECURITY_DIR      4

static const struct fw_guid efi_global_variable =
	FW_GUID_INIT(0x8be4df61, 0x93ca, 0x11d2, 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c);
static const struct fw_guid image_security_database =
	FW_GUID_INIT(0xd719b2cb, 0x3d3a, 0x4596, 0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f);

/*
 * Boot0000 as OVMF creates it for direct boot: an active application load option "UiApp" with
 * the firmware-volume file path of the UI application (bytes as tdx-measure records them).
 */
static const uint8_t boot0000[] = {
	0x09, 0x01, 0x00, 0x00, 0x2c, 0x00, 0x55, 0x00, 0x69, 0x00, 0x41, 0x00, 0x70, 0x00, 0x70,
	0x00, 0x00, 0x00, 0x04, 0x07, 0x14, 0x00, 0xc9, 0xbd, 0xb8, 0x7c, 0xeb, 0xf8, 0x34, 0x4f,
	0xaa, 0xea, 0x3e, 0xe4, 0xaf, 0x65, 0x16, 0xa1, 0x04, 0x06, 0x14, 0x00, 0x21, 0xaa, 0x2c,
	0x46, 0x14, 0x76, 0x03, 0x45, 0x83, 0x6e, 0x8a, 0xb6, 0xf4, 0x66, 0x23, 0x31, 0x7f, 0xff,
	0x04, 0x00,
};

struct rtmr {
	uint8_t value[TDX_RTMR_SIZE];
	struct digest *d;
	int err;
};

/* RTMR = SHA-384(RTMR || event digest). */
static void extend(struct rtmr *r, const uint8_t event[TDX_RTMR_SIZE])
{
	if (r->err)
		return;
	r->err = digest_reset(r->d);
	if (!r->err)
		r->err = digest_update(r->d, r->value, TDX_RTMR_SIZE);
	if (!r->err)
		r->err = digest_update(r->d, event, TDX_RTMR_SIZE);
	if (!r->err)
		r->err = digest_final(r->d, r->value);
}

static void extend_data(struct rtmr *r, const void *data, size_t len)
{
	uint8_t ev[TDX_RTMR_SIZE];

	if (r->err)
		return;
	r->err = digest_oneshot(DIGEST_SHA384, data, len, ev);
	extend(r, ev);
}

static void extend_str(struct rtmr *r, const char *s)
{
	extend_data(r, s, strlen(s));
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* UEFI_VARIABLE_DATA of an empty variable: GUID, u64 name length, u64 0, UTF-16 name. */
static void extend_empty_variable(struct rtmr *r, const struct fw_guid *vendor, const char *name)
{
	uint8_t ev[16 + 8 + 8 + 2 * 16];
	size_t n = strlen(name);

	memcpy(ev, vendor->b, 16);
	put_le64(ev + 16, n);
	put_le64(ev + 24, 0);
	for (size_t i = 0; i < n; i++) {
		ev[32 + 2 * i] = (uint8_t)name[i];
		ev[33 + 2 * i] = 0;
	}
	extend_data(r, ev, 32 + 2 * n);
}

static uint32_t rd32(const uint8_t *img, size_t len, size_t off, bool *ok)
{
	if (!range_within(off, 4, len)) {
		*ok = false;
		return 0;
	}
	return fw_le32(img + off);
}

static uint16_t rd16(const uint8_t *img, size_t len, size_t off, bool *ok)
{
	if (!range_within(off, 2, len)) {
		*ok = false;
		return 0;
	}
	return fw_le16(img + off);
}

struct pe_section {
	uint32_t ptr, size;
};

static int cmp_section(const void *a, const void *b)
{
	const struct pe_section *x = a, *y = b;

	return x->ptr < y->ptr ? -1 : x->ptr > y->ptr;
}

static int hash_range(struct digest *d, const uint8_t *img, size_t len, size_t from, size_t to)
{
	if (from > to || to > len)
		return -ENOEXEC;
	return digest_update(d, img + from, to - from);
}

/* The headers but the checksum and the certificate directory, the sections, what follows. */
static int authenticode(struct digest *d, const uint8_t *img, size_t len)
{
	struct pe_section sec[PE_MAX_SECTIONS];
	size_t pe, opt, csum, cert_dir, hdrs, hashed, table;
	uint32_t cert_addr, cert_size;
	unsigned nsec, n = 0;
	uint16_t magic;
	bool ok = true;
	int ret;

	pe = rd32(img, len, 0x3c, &ok);
	if (!ok || rd32(img, len, pe, &ok) != 0x00004550 || !ok)
		return -ENOEXEC;
	opt = pe + 24;
	nsec = rd16(img, len, pe + 6, &ok);
	table = opt + rd16(img, len, pe + 20, &ok);
	magic = rd16(img, len, opt, &ok);
	if (!ok || (magic != 0x10b && magic != 0x20b) || nsec > PE_MAX_SECTIONS)
		return -ENOEXEC;
	csum = opt + 64;
	cert_dir = opt + (magic == 0x20b ? 112 : 96) + SECURITY_DIR * 8;
	hdrs = rd32(img, len, opt + 60, &ok);
	cert_addr = rd32(img, len, cert_dir, &ok);
	cert_size = rd32(img, len, cert_dir + 4, &ok);
	if (!ok || hdrs < cert_dir + 8)
		return -ENOEXEC;
	ret = hash_range(d, img, len, 0, csum);
	if (!ret)
		ret = hash_range(d, img, len, csum + 4, cert_dir);
	if (!ret)
		ret = hash_range(d, img, len, cert_dir + 8, hdrs);
	if (ret)
		return ret;
	hashed = hdrs;
	for (unsigned i = 0; i < nsec; i++) {
		size_t s = table + 40 * (size_t)i;
		uint32_t size = rd32(img, len, s + 16, &ok), ptr = rd32(img, len, s + 20, &ok);

		if (!ok)
			return -ENOEXEC;
		if (size)
			sec[n++] = (struct pe_section){ ptr, size };
	}
	qsort(sec, n, sizeof(sec[0]), cmp_section);
	for (unsigned i = 0; i < n && !ret; i++) {
		ret = hash_range(d, img, len, sec[i].ptr, (size_t)sec[i].ptr + sec[i].size);
		hashed += sec[i].size;
	}
	if (ret)
		return ret;
	/* Data after the sections, less the certificate table, when the image is signed. */
	if (cert_addr && cert_size && len > hashed && len - hashed > cert_size)
		ret = hash_range(d, img, len, hashed, len - cert_size);
	if (!ret && len % 8) {
		static const uint8_t zeros[8];

		ret = digest_update(d, zeros, 8 - len % 8);
	}
	return ret;
}

int tdx_authenticode_sha384(const uint8_t *img, size_t len, uint8_t out[TDX_RTMR_SIZE])
{
	struct digest *d;
	int ret = digest_new(&d, DIGEST_SHA384);

	if (ret)
		return ret;
	ret = authenticode(d, img, len);
	if (!ret)
		ret = digest_final(d, out);
	digest_free(d);
	return ret;
}

/* The command line as OVMF hands it to the kernel: UTF-16 (each byte widened), NUL. */
static void extend_cmdline(struct rtmr *r, const char *cmdline, bool initrd)
{
	static const char suffix[] = " initrd=initrd";
	size_t n = strlen(cmdline), total = n + (initrd ? sizeof(suffix) - 1 : 0);
	uint8_t *w = calloc(total + 1, 2);

	if (!w) {
		r->err = r->err ? r->err : -ENOMEM;
		return;
	}
	for (size_t i = 0; i < total; i++)
		w[2 * i] = (uint8_t)(i < n ? cmdline[i] : suffix[i - n]);
	extend_data(r, w, 2 * (total + 1));
	free(w);
}

int tdx_rtmr_predict(const struct tdx_rtmr_inputs *in, uint8_t rtmr[3][TDX_RTMR_SIZE],
		     struct error *e)
{
	static const uint8_t separator[4], boot_order[2];
	uint8_t kernel_hash[TDX_RTMR_SIZE];
	struct rtmr r[3];
	int ret;

	if (in->hob_len < HOB_END_SIZE)
		return error_set(e, ERROR_INPUT, EINVAL, "RTMR prediction needs the TD HOB");
	ret = tdx_authenticode_sha384(in->kernel, in->kernel_len, kernel_hash);
	if (ret == -ENOEXEC)
		return error_set(e, ERROR_INPUT, ENOEXEC, "the kernel is not a PE/COFF image (a "
				 "bzImage with an EFI stub), which TDVF measures into RTMR[1]");
	if (ret)
		return error_set(e, ERROR_HOST, ret, "hashing the kernel failed: %s",
				 strerror(-ret));
	memset(r, 0, sizeof(r));
	for (int i = 0; i < 3 && !ret; i++)
		ret = digest_new(&r[i].d, DIGEST_SHA384);
	if (ret) {
		for (int i = 0; i < 3; i++)
			digest_free(r[i].d);
		return error_set(e, ERROR_HOST, ret, "SHA-384 is not available: %s",
				 strerror(-ret));
	}

	extend_data(&r[0], in->hob, in->hob_len - HOB_END_SIZE);
	extend_data(&r[0], in->cfv, in->cfv_len);
	extend_empty_variable(&r[0], &efi_global_variable, "SecureBoot");
	extend_empty_variable(&r[0], &efi_global_variable, "PK");
	extend_empty_variable(&r[0], &efi_global_variable, "KEK");
	extend_empty_variable(&r[0], &image_security_database, "db");
	extend_empty_variable(&r[0], &image_security_database, "dbx");
	extend_data(&r[0], separator, sizeof(separator));
	extend_data(&r[0], in->acpi_loader, in->acpi_loader_len);
	extend_data(&r[0], in->acpi_rsdp, in->acpi_rsdp_len);
	extend_data(&r[0], in->acpi_tables, in->acpi_tables_len);
	extend_data(&r[0], boot_order, sizeof(boot_order));
	extend_data(&r[0], boot0000, sizeof(boot0000));

	extend(&r[1], kernel_hash);
	extend_str(&r[1], "Calling EFI Application from Boot Option");
	extend_data(&r[1], separator, sizeof(separator));
	extend_str(&r[1], "Exit Boot Services Invocation");
	extend_str(&r[1], "Exit Boot Services Returned with Success");

	extend_cmdline(&r[2], in->cmdline ? in->cmdline : "", in->initrd != NULL);
	if (in->initrd)
		extend_data(&r[2], in->initrd, in->initrd_len);

	for (int i = 0; i < 3; i++) {
		if (!ret)
			ret = r[i].err;
		memcpy(rtmr[i], r[i].value, TDX_RTMR_SIZE);
		digest_free(r[i].d);
	}
	if (ret)
		return error_set(e, ERROR_HOST, ret, "computing the RTMRs failed: %s",
				 strerror(-ret));
	return 0;
}
