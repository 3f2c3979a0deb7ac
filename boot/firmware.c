// SPDX-License-Identifier: MIT
/* Parser of the GUIDed footer table of OVMF-family firmware images. */
#include <errno.h>
#include <stdio.h>

#include "boot/firmware.h"
#include "vmm/error.h"

const struct fw_guid fw_guid_footer_table =
	FW_GUID_INIT(0x96b582de, 0x1fb2, 0x45f7, 0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d);
const struct fw_guid fw_guid_sev_es_reset_block =
	FW_GUID_INIT(0x00f771de, 0x1a7e, 0x4fcb, 0x89, 0x0e, 0x68, 0xc7, 0x7e, 0x2f, 0xb4, 0x4e);
const struct fw_guid fw_guid_sev_hashes_table =
	FW_GUID_INIT(0x7255371f, 0x3a3b, 0x4b04, 0x92, 0x7b, 0x1d, 0xa6, 0xef, 0xa8, 0xd4, 0x54);
const struct fw_guid fw_guid_sev_secret =
	FW_GUID_INIT(0x4c2eb361, 0x7d9b, 0x4cc3, 0x80, 0x81, 0x12, 0x7c, 0x90, 0xd3, 0xd2, 0x94);
const struct fw_guid fw_guid_sev_metadata =
	FW_GUID_INIT(0xdc886566, 0x984a, 0x4798, 0xa7, 0x5e, 0x55, 0x85, 0xa7, 0xbf, 0x67, 0xcc);
const struct fw_guid fw_guid_tdx_metadata =
	FW_GUID_INIT(0xe47a6535, 0x984a, 0x4798, 0x86, 0x5e, 0x46, 0x85, 0xa7, 0xbf, 0x8e, 0xc2);

/* Every problem found here is the input file's. */
#define ERR(code, ...) (error_set(e, ERROR_INPUT, code, __VA_ARGS__), (code))

int fw_table_parse(struct fw_table *t, const uint8_t *fw, size_t fw_len, struct error *e)
{
	size_t end, start, pos;
	uint16_t total;

	if (fw_len < FW_TABLE_TAIL + FW_ENTRY_TRAILER)
		return ERR(-EINVAL, "firmware is %zu bytes, too small to hold a GUIDed footer table",
			   fw_len);
	end = fw_len - FW_TABLE_TAIL;
	if (memcmp(fw + end - 16, fw_guid_footer_table.b, 16))
		return ERR(-EINVAL, "no GUIDed footer table 32 bytes before the end of the firmware"
				    " (not an OVMF/TDVF image?)");
	total = fw_le16(fw + end - FW_ENTRY_TRAILER);
	if (total < FW_ENTRY_TRAILER)
		return ERR(-EINVAL, "footer table length %u is smaller than its own header", total);
	if (total > end)
		return ERR(-EINVAL, "footer table length %u runs past the start of the file", total);
	start = end - total;
	/* Walk every entry once so lookups can trust the chain. */
	pos = end - FW_ENTRY_TRAILER;
	while (pos > start) {
		uint16_t len;

		if (pos - start < FW_ENTRY_TRAILER)
			return ERR(-EINVAL, "footer table entry at offset %zu is truncated", pos);
		len = fw_le16(fw + pos - FW_ENTRY_TRAILER);
		if (len < FW_ENTRY_TRAILER)
			return ERR(-EINVAL, "footer table entry at offset %zu has length %u (minimum 18)",
				   pos - FW_ENTRY_TRAILER, len);
		if (len > pos - start)
			return ERR(-EINVAL, "footer table entry at offset %zu has length %u, larger "
					    "than the table", pos - FW_ENTRY_TRAILER, len);
		pos -= len;
	}
	t->fw = fw;
	t->fw_len = fw_len;
	t->start = start;
	t->end = end - FW_ENTRY_TRAILER;
	return 0;
}

int fw_table_find(const struct fw_table *t, const struct fw_guid *guid, const uint8_t **data,
		  size_t *len)
{
	size_t pos = t->end;

	while (pos > t->start) {
		uint16_t elen = fw_le16(t->fw + pos - FW_ENTRY_TRAILER);

		if (elen < FW_ENTRY_TRAILER || elen > pos - t->start)
			return -EINVAL; /* fw_table_parse has ruled this out */
		if (!memcmp(t->fw + pos - 16, guid->b, 16)) {
			*data = t->fw + pos - elen;
			*len = elen - FW_ENTRY_TRAILER;
			return 0;
		}
		pos -= elen;
	}
	return -ENOENT;
}

int fw_table_u32(const struct fw_table *t, const struct fw_guid *guid, const char *what,
		 unsigned index, uint32_t *out, struct error *e)
{
	const uint8_t *data;
	size_t len;
	int ret = fw_table_find(t, guid, &data, &len);

	if (ret)
		return ret;
	if (len < 4 * ((size_t)index + 1))
		return ERR(-EINVAL, "footer table entry of the %s holds %zu bytes, too short", what,
			   len);
	*out = fw_le32(data + 4 * (size_t)index);
	return 0;
}

int fw_table_locate(const struct fw_table *t, const struct fw_guid *guid, const char *what,
		    size_t need, size_t *pos, struct error *e)
{
	uint32_t off;
	int ret = fw_table_u32(t, guid, what, 0, &off, e);

	if (ret == -ENOENT)
		return ERR(-ENOENT, "firmware has no %s", what);
	if (ret)
		return ret;
	if (off > t->fw_len)
		return ERR(-EINVAL, "%s offset %u lies before the start of the %zu-byte firmware",
			   what, off, t->fw_len);
	if (need > off)
		return ERR(-EINVAL, "%s at offset %u from the end runs past the end of the file",
			   what, off);
	*pos = t->fw_len - off;
	return 0;
}
