// SPDX-License-Identifier: MIT
/* Parser of the SEV metadata of OVMF images. */
#include <errno.h>
#include <stdio.h>

#include "snp/sev_metadata.h"
#include "vmm/util.h"
#include "vmm/error.h"

/* Every problem found here is the input file's. */
#define ERR(code, ...) (error_set(e, ERROR_INPUT, code, __VA_ARGS__), (code))

#define SEV_HEADER_SIZE  16
#define SEV_SECTION_SIZE 12

const char *sev_section_type_name(uint32_t type)
{
	switch (type) {
	case SEV_SECTION_SNP_SEC_MEM: return "SNP_SEC_MEM";
	case SEV_SECTION_SNP_SECRETS: return "SNP_SECRETS";
	case SEV_SECTION_CPUID: return "CPUID";
	case SEV_SECTION_SVSM_CAA: return "SVSM_CAA";
	case SEV_SECTION_SNP_KERNEL_HASHES: return "SNP_KERNEL_HASHES";
	default: return "unknown";
	}
}

static int check_section(const struct sev_section *s, unsigned i, struct error *e)
{
	if (!strcmp(sev_section_type_name(s->type), "unknown"))
		return ERR(-EINVAL, "SEV metadata section %u has unknown type 0x%x", i, s->type);
	if (!IS_ALIGNED(s->base, KiB(4)) || !IS_ALIGNED(s->length, KiB(4)))
		return ERR(-EINVAL, "SEV metadata section %u (%s): base 0x%x or length 0x%x is not "
				    "4 KiB aligned", i, sev_section_type_name(s->type), s->base,
			   s->length);
	if (s->length == 0)
		return ERR(-EINVAL, "SEV metadata section %u (%s) is empty", i,
			   sev_section_type_name(s->type));
	if (!range_within(s->base, s->length, GiB(4)))
		return ERR(-EINVAL, "SEV metadata section %u (%s) at 0x%x, 0x%x bytes, runs past "
				    "4 GiB", i, sev_section_type_name(s->type), s->base, s->length);
	return 0;
}

int sev_metadata_parse(const struct fw_table *t, struct sev_metadata *md, struct error *e)
{
	const uint8_t *fw = t->fw;
	uint32_t length, version, count;
	size_t pos;
	int ret;

	ret = fw_table_locate(t, &fw_guid_sev_metadata, "SEV metadata", SEV_HEADER_SIZE, &pos,
			      e);
	if (ret)
		return ret;
	if (fw_le32(fw + pos) != SEV_METADATA_SIGNATURE)
		return ERR(-EINVAL, "SEV metadata at offset %zu has a bad signature", pos);
	length = fw_le32(fw + pos + 4);
	version = fw_le32(fw + pos + 8);
	count = fw_le32(fw + pos + 12);
	if (version != 1)
		return ERR(-EINVAL, "SEV metadata version %u is not supported (expected 1)", version);
	if (count == 0)
		return ERR(-EINVAL, "SEV metadata has no sections");
	if ((uint64_t)length != SEV_HEADER_SIZE + (uint64_t)count * SEV_SECTION_SIZE)
		return ERR(-EINVAL, "SEV metadata length %u does not match its %u sections", length,
			   count);
	if (!range_within(pos, length, t->fw_len))
		return ERR(-EINVAL, "SEV metadata (%u bytes at offset %zu) runs past the end of the "
				    "file", length, pos);
	if (count > SEV_METADATA_MAX_SECTIONS)
		return ERR(-EINVAL, "SEV metadata has %u sections; at most %d are supported", count,
			   SEV_METADATA_MAX_SECTIONS);

	md->nr_sections = count;
	for (unsigned i = 0; i < count; i++) {
		const uint8_t *p = fw + pos + SEV_HEADER_SIZE + (size_t)i * SEV_SECTION_SIZE;
		struct sev_section *s = &md->sections[i];

		s->base = fw_le32(p);
		s->length = fw_le32(p + 4);
		s->type = fw_le32(p + 8);
		ret = check_section(s, i, e);
		if (ret)
			return ret;
		for (unsigned j = 0; j < i; j++) {
			const struct sev_section *o = &md->sections[j];

			if (s->base < (uint64_t)o->base + o->length &&
			    o->base < (uint64_t)s->base + s->length)
				return ERR(-EINVAL, "SEV metadata sections %u (%s) and %u (%s) overlap",
					   j, sev_section_type_name(o->type), i,
					   sev_section_type_name(s->type));
		}
	}
	return 0;
}
