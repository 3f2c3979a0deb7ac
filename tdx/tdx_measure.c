// SPDX-License-Identifier: MIT
/*
 * MRTD prediction.  The TDX module extends MRTD with a 128-byte record per TDH.MEM.PAGE.ADD
 * ("MEM.PAGE.ADD", GPA) and per 256-byte chunk of TDH.MR.EXTEND ("MR.EXTEND", GPA, then the
 * chunk); KVM adds each page and then extends it before moving to the next page.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "tdx/tdvf.h"
#include "tdx/tdx_measure.h"
#include "vmm/digest.h"
#include "vmm/error.h"

/* Every problem found here is the input file's. */
#define ERR(code, ...) (error_set(e, ERROR_INPUT, code, __VA_ARGS__), (code))

#define RECORD_SIZE  128
#define CHUNK_SIZE   256
#define CHUNKS       (LAUNCH_PAGE_SIZE / CHUNK_SIZE)

int tdx_plan_build(struct launch_plan *plan, const uint8_t *fw, size_t fw_len, struct error *e)
{
	struct tdvf_metadata md;
	struct fw_table table;
	int ret;

	ret = fw_table_parse(&table, fw, fw_len, e);
	if (ret)
		return ret;
	ret = tdvf_parse(&table, &md, e);
	if (ret)
		return ret;
	for (unsigned i = 0; i < md.nr_sections; i++) {
		const struct tdvf_section *s = &md.sections[i];
		struct launch_region r = {
			.kind = LAUNCH_REGION_TDVF_SECTION,
			.section_type = s->type,
			.gpa = s->memory_address,
			.size = s->memory_data_size,
			.data = s->raw_data_size ? fw + s->data_offset : NULL,
			.data_len = s->raw_data_size,
			.tdx_add = !(s->attributes & TDVF_ATTR_PAGE_AUG),
			.tdx_extend = s->attributes & TDVF_ATTR_MR_EXTEND,
		};

		ret = launch_plan_add(plan, &r);
		if (ret)
			return ERR(ret, "TDVF section %u (%s): cannot add it to the launch plan", i,
				   tdvf_section_type_name(s->type));
	}
	return 0;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The records of one page, assembled so they go to the hash in a single update. */
struct page_records {
	uint8_t add[RECORD_SIZE];
	struct {
		uint8_t record[RECORD_SIZE];
		uint8_t chunk[CHUNK_SIZE];
	} extend[CHUNKS];
};
_Static_assert(offsetof(struct page_records, extend) == RECORD_SIZE, "records are contiguous");

int tdx_mrtd(const struct launch_plan *plan, uint8_t mrtd[TDX_MRTD_SIZE])
{
	static const char add_tag[] = "MEM.PAGE.ADD", extend_tag[] = "MR.EXTEND";
	struct page_records *rec;
	uint8_t *scratch;
	struct digest *ctx = NULL;
	int ret;

	rec = calloc(1, sizeof(*rec) + LAUNCH_PAGE_SIZE);
	if (!rec)
		return -ENOMEM;
	ret = digest_new(&ctx, DIGEST_SHA384);
	if (ret)
		goto out;
	scratch = (uint8_t *)(rec + 1);
	memcpy(rec->add, add_tag, sizeof(add_tag) - 1);
	for (unsigned c = 0; c < CHUNKS; c++)
		memcpy(rec->extend[c].record, extend_tag, sizeof(extend_tag) - 1);

	for (size_t i = 0; i < plan->nr_regions; i++) {
		const struct launch_region *r = &plan->regions[i];

		if (!r->tdx_add && !r->tdx_extend)
			continue;
		for (uint64_t p = 0; p < launch_region_pages(r); p++) {
			uint64_t gpa = r->gpa + p * LAUNCH_PAGE_SIZE;
			const uint8_t *page;
			const uint8_t *start = (const uint8_t *)rec->extend;
			size_t n = 0;

			if (r->tdx_add) {
				put_le64(rec->add + 16, gpa);
				start = rec->add;
				n = RECORD_SIZE;
			}
			if (r->tdx_extend) {
				page = launch_region_page(r, p, scratch);
				for (unsigned c = 0; c < CHUNKS; c++) {
					put_le64(rec->extend[c].record + 16, gpa + c * CHUNK_SIZE);
					memcpy(rec->extend[c].chunk, page + c * CHUNK_SIZE,
					       CHUNK_SIZE);
				}
				n += sizeof(rec->extend);
			}
			ret = digest_update(ctx, start, n);
			if (ret)
				goto out;
		}
	}
	ret = digest_final(ctx, mrtd);
out:
	digest_free(ctx);
	free(rec);
	return ret;
}
