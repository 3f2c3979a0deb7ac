/* SPDX-License-Identifier: MIT */
/*
 * The GUIDed footer table of OVMF / TDVF / td-shim images: a list of [data][u16 len][GUID]
 * entries that ends 32 bytes before the end of the file, found through a footer GUID.  The
 * firmware file is untrusted; every accessor checks bounds.
 */
#ifndef CVMM_BOOT_FIRMWARE_H
#define CVMM_BOOT_FIRMWARE_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct error;

/* A GUID as its 16 bytes appear in the file (the mixed-endian EFI layout). */
struct fw_guid {
	uint8_t b[16];
};

#define FW_GUID_INIT(a, b, c, d0, d1, d2, d3, d4, d5, d6, d7)                                   \
	{ { (a) & 0xff, ((a) >> 8) & 0xff, ((a) >> 16) & 0xff, ((a) >> 24) & 0xff, (b) & 0xff,   \
	    ((b) >> 8) & 0xff, (c) & 0xff, ((c) >> 8) & 0xff, d0, d1, d2, d3, d4, d5, d6, d7 } }

extern const struct fw_guid fw_guid_footer_table;
extern const struct fw_guid fw_guid_sev_es_reset_block;
extern const struct fw_guid fw_guid_sev_hashes_table;
extern const struct fw_guid fw_guid_sev_secret;
extern const struct fw_guid fw_guid_sev_metadata;
extern const struct fw_guid fw_guid_tdx_metadata;

/* The footer table sits in the 32 bytes..(32 + length) before the end of the file. */
#define FW_TABLE_TAIL  32
#define FW_ENTRY_TRAILER 18 /* u16 length + GUID after each entry's data */

struct fw_table {
	const uint8_t *fw; /* the whole firmware image, kept by the caller */
	size_t fw_len;
	size_t start; /* entries occupy fw[start, end) */
	size_t end;
};

/* Locates and validates the whole table.  On error writes one line to err, returns -EINVAL. */
int fw_table_parse(struct fw_table *t, const uint8_t *fw, size_t fw_len, struct error *e);

/* Data of the entry with this GUID (the one nearest the end if repeated); -ENOENT if absent. */
int fw_table_find(const struct fw_table *t, const struct fw_guid *guid, const uint8_t **data,
		  size_t *len);

/*
 * Reads the index-th u32 of an entry's data.  -ENOENT if the entry is absent (err untouched),
 * -EINVAL with a message if the entry is too short to hold it.
 */
int fw_table_u32(const struct fw_table *t, const struct fw_guid *guid, const char *what,
		 unsigned index, uint32_t *out, struct error *e);

/*
 * Resolves a metadata block that the table locates by its u32 offset from the end of the file:
 * checks that `need` bytes fit at that place and returns their position in *pos.
 */
int fw_table_locate(const struct fw_table *t, const struct fw_guid *guid, const char *what,
		    size_t need, size_t *pos, struct error *e);

static inline uint16_t fw_le16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return le16toh(v);
}

static inline uint32_t fw_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static inline uint64_t fw_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

#endif
