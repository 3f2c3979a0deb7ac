// SPDX-License-Identifier: MIT
/* Parser of the TDVF metadata descriptor. */
#include <errno.h>
#include <stdio.h>

#include "tdx/tdvf.h"
#include "vmm/util.h"
#include "vmm/error.h"

/* Every problem found here is the input file's. */
#define ERR(code, ...) (error_set(e, ERROR_INPUT, code, __VA_ARGS__), (code))

#define TDVF_HEADER_SIZE  16
#define TDVF_SECTION_SIZE 32

static const struct fw_guid tdvf_descriptor_guid =
	FW_GUID_INIT(0xe9eaf9f3, 0x168e, 0x44d5, 0xa8, 0xeb, 0x7f, 0x4d, 0x87, 0x38, 0xf6, 0xae);

static const char *const type_names[] = {
	[TDVF_SECTION_BFV] = "BFV",
	[TDVF_SECTION_CFV] = "CFV",
	[TDVF_SECTION_TD_HOB] = "TD_HOB",
	[TDVF_SECTION_TEMP_MEM] = "TempMem",
	[TDVF_SECTION_PERM_MEM] = "PermMem",
	[TDVF_SECTION_PAYLOAD] = "Payload",
	[TDVF_SECTION_PAYLOAD_PARAM] = "PayloadParam",
	[TDVF_SECTION_TD_INFO] = "TdInfo",
};

const char *tdvf_section_type_name(uint32_t type)
{
	return type < ARRAY_SIZE(type_names) ? type_names[type] : "unknown";
}

static int check_section(const struct fw_table *t, const struct tdvf_section *s, unsigned i,
			 struct error *e)
{
	if (s->type >= ARRAY_SIZE(type_names))
		return ERR(-EINVAL, "TDVF section %u has unknown type %u", i, s->type);
	if (s->attributes & ~(TDVF_ATTR_MR_EXTEND | TDVF_ATTR_PAGE_AUG))
		return ERR(-EINVAL, "TDVF section %u (%s) has unknown attributes 0x%x", i,
			   tdvf_section_type_name(s->type), s->attributes);
	if ((s->attributes & TDVF_ATTR_MR_EXTEND) && (s->attributes & TDVF_ATTR_PAGE_AUG))
		return ERR(-EINVAL, "TDVF section %u (%s) is both MR.EXTEND and PAGE.AUG", i,
			   tdvf_section_type_name(s->type));
	if (!range_within(s->data_offset, s->raw_data_size, t->fw_len))
		return ERR(-EINVAL, "TDVF section %u (%s): raw data at offset %u, %u bytes, runs "
				    "past the end of the %zu-byte file", i,
			   tdvf_section_type_name(s->type), s->data_offset, s->raw_data_size,
			   t->fw_len);
	if (!IS_ALIGNED(s->memory_address, KiB(4)) || !IS_ALIGNED(s->memory_data_size, KiB(4)))
		return ERR(-EINVAL, "TDVF section %u (%s): address 0x%llx or size 0x%llx is not "
				    "4 KiB aligned", i, tdvf_section_type_name(s->type),
			   (unsigned long long)s->memory_address,
			   (unsigned long long)s->memory_data_size);
	if (s->memory_data_size == 0)
		return ERR(-EINVAL, "TDVF section %u (%s) is empty", i,
			   tdvf_section_type_name(s->type));
	if (s->memory_data_size < s->raw_data_size)
		return ERR(-EINVAL, "TDVF section %u (%s): memory size 0x%llx is smaller than its "
				    "raw data size 0x%x", i, tdvf_section_type_name(s->type),
			   (unsigned long long)s->memory_data_size, s->raw_data_size);
	if (!range_within(s->memory_address, s->memory_data_size, TDVF_MAX_GPA))
		return ERR(-EINVAL, "TDVF section %u (%s) at 0x%llx, 0x%llx bytes, does not lie "
				    "below 2^47, the private memory of a TD with a %d-bit GPA "
				    "width", i, tdvf_section_type_name(s->type),
			   (unsigned long long)s->memory_address,
			   (unsigned long long)s->memory_data_size, TDVF_GPA_WIDTH);
	return 0;
}

static bool sections_overlap(const struct tdvf_section *a, const struct tdvf_section *b)
{
	return a->memory_address < b->memory_address + b->memory_data_size &&
	       b->memory_address < a->memory_address + a->memory_data_size;
}

int tdvf_parse(const struct fw_table *t, struct tdvf_metadata *md, struct error *e)
{
	const uint8_t *fw = t->fw;
	size_t pos;
	uint32_t length, version, count;
	uint64_t added = 0;
	unsigned hobs = 0;
	int ret;

	ret = fw_table_locate(t, &fw_guid_tdx_metadata, "TDX metadata (TDVF descriptor)",
			      TDVF_HEADER_SIZE, &pos, e);
	if (ret)
		return ret;
	if (pos < 16 || memcmp(fw + pos - 16, tdvf_descriptor_guid.b, 16))
		return ERR(-EINVAL, "TDVF descriptor at offset %zu is not preceded by its GUID", pos);
	if (fw_le32(fw + pos) != TDVF_SIGNATURE)
		return ERR(-EINVAL, "TDVF descriptor at offset %zu has a bad signature", pos);
	length = fw_le32(fw + pos + 4);
	version = fw_le32(fw + pos + 8);
	count = fw_le32(fw + pos + 12);
	if (version != 1)
		return ERR(-EINVAL, "TDVF descriptor version %u is not supported (expected 1)",
			   version);
	if (count == 0)
		return ERR(-EINVAL, "TDVF descriptor has no sections");
	if ((uint64_t)length != TDVF_HEADER_SIZE + (uint64_t)count * TDVF_SECTION_SIZE)
		return ERR(-EINVAL, "TDVF descriptor length %u does not match its %u sections",
			   length, count);
	if (!range_within(pos, length, t->fw_len))
		return ERR(-EINVAL, "TDVF descriptor (%u bytes at offset %zu) runs past the end of "
				    "the file", length, pos);
	if (count > TDVF_MAX_SECTIONS)
		return ERR(-EINVAL, "TDVF descriptor has %u sections; at most %d are supported",
			   count, TDVF_MAX_SECTIONS);

	md->nr_sections = count;
	for (unsigned i = 0; i < count; i++) {
		const uint8_t *p = fw + pos + TDVF_HEADER_SIZE + (size_t)i * TDVF_SECTION_SIZE;
		struct tdvf_section *s = &md->sections[i];

		s->data_offset = fw_le32(p);
		s->raw_data_size = fw_le32(p + 4);
		s->memory_address = fw_le64(p + 8);
		s->memory_data_size = fw_le64(p + 16);
		s->type = fw_le32(p + 24);
		s->attributes = fw_le32(p + 28);
		ret = check_section(t, s, i, e);
		if (ret)
			return ret;
		/* Each size is below 2^47 here, so 64 of them cannot wrap the sum. */
		if (!(s->attributes & TDVF_ATTR_PAGE_AUG))
			added += s->memory_data_size;
		if (added > TDVF_MAX_ADDED)
			return ERR(-EINVAL, "TDVF section %u (%s) brings the memory added at "
					    "launch to 0x%llx bytes; at most 1 GiB is supported",
				   i, tdvf_section_type_name(s->type), (unsigned long long)added);
		if (s->type == TDVF_SECTION_TD_HOB && ++hobs > 1)
			return ERR(-EINVAL, "TDVF descriptor has more than one TD_HOB section");
		for (unsigned j = 0; j < i; j++)
			if (sections_overlap(s, &md->sections[j]))
				return ERR(-EINVAL, "TDVF sections %u (%s) and %u (%s) overlap", j,
					   tdvf_section_type_name(md->sections[j].type), i,
					   tdvf_section_type_name(s->type));
	}
	return 0;
}
