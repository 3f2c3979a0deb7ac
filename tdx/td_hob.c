// SPDX-License-Identifier: MIT
/* TD HOB builder (UEFI PI HOB list handed to TDVF in RCX). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tdx/td_hob.h"
#include "vmm/util.h"
#include "vmm/error.h"

/* Every problem found here is the input file's. */
#define ERR(code, ...) (error_set(e, ERROR_INPUT, code, __VA_ARGS__), (code))

struct hob_writer {
	uint8_t *buf;
	size_t len;
	size_t pos;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Reserves a HOB of `size` bytes with its generic header filled in; NULL when full. */
static uint8_t *hob_put(struct hob_writer *w, uint16_t type, uint16_t size)
{
	uint8_t *p;

	if (!range_within(w->pos, size, w->len))
		return NULL;
	p = w->buf + w->pos;
	memset(p, 0, size);
	put16(p, type);
	put16(p + 2, size);
	w->pos += size;
	return p;
}

static int put_resource(struct hob_writer *w, uint64_t start, uint64_t len, uint32_t type)
{
	uint8_t *p = hob_put(w, TD_HOB_TYPE_RESOURCE, TD_HOB_RESOURCE_SIZE);

	if (!p)
		return -ENOSPC;
	/* 8: owner GUID, left zero */
	put32(p + 24, type);
	put32(p + 28, TD_HOB_RES_ATTRIBUTES);
	put64(p + 32, start);
	put64(p + 40, len);
	return 0;
}

/* Describes [start, end) piece by piece: added-at-launch ranges vs the rest. */
static int put_ram_range(struct hob_writer *w, uint64_t start, uint64_t end,
			 const struct launch_plan *plan)
{
	uint64_t cur = start;

	while (cur < end) {
		uint64_t added_end = 0, next_added = end;
		int ret;

		for (size_t i = 0; i < plan->nr_regions; i++) {
			const struct launch_region *r = &plan->regions[i];

			if (!r->tdx_add)
				continue;
			if (r->gpa <= cur && cur - r->gpa < r->size)
				added_end = MAX(added_end, r->gpa + r->size);
			else if (r->gpa > cur && r->gpa < next_added)
				next_added = r->gpa;
		}
		if (added_end) {
			added_end = MIN(added_end, end);
			ret = put_resource(w, cur, added_end - cur, TD_HOB_RES_SYSTEM_MEMORY);
			cur = added_end;
		} else {
			ret = put_resource(w, cur, next_added - cur, TD_HOB_RES_UNACCEPTED);
			cur = next_added;
		}
		if (ret)
			return ret;
	}
	return 0;
}

static int put_guid_ext(struct hob_writer *w, const struct td_hob_guid *g)
{
	size_t size = ALIGN_UP(TD_HOB_GUID_HDR_SIZE + g->len, (size_t)8);
	uint8_t *p;

	if (g->len > UINT16_MAX || size > UINT16_MAX)
		return -E2BIG;
	p = hob_put(w, TD_HOB_TYPE_GUID_EXT, (uint16_t)size);
	if (!p)
		return -ENOSPC;
	memcpy(p + 8, g->guid, 16);
	memcpy(p + TD_HOB_GUID_HDR_SIZE, g->data, g->len);
	return 0;
}

int td_hob_build(uint8_t *buf, size_t buflen, uint64_t hob_gpa, const struct td_hob_ram *ram,
		 size_t nr_ram, const struct launch_plan *plan, size_t *used, struct error *e)
{
	return td_hob_build_ext(buf, buflen, hob_gpa, ram, nr_ram, plan, NULL, 0, used, e);
}

int td_hob_build_ext(uint8_t *buf, size_t buflen, uint64_t hob_gpa, const struct td_hob_ram *ram,
		     size_t nr_ram, const struct launch_plan *plan, const struct td_hob_guid *ext,
		     size_t nr_ext, size_t *used, struct error *e)
{
	struct hob_writer w = { .buf = buf, .len = buflen };
	uint8_t *phit;
	int ret;

	for (size_t i = 0; i < nr_ram; i++) {
		const struct td_hob_ram *m = &ram[i];

		if (!m->size || !IS_ALIGNED(m->start, KiB(4)) || !IS_ALIGNED(m->size, KiB(4)) ||
		    m->start + m->size < m->start)
			return ERR(-EINVAL, "RAM range %zu (0x%llx, 0x%llx bytes) is empty, "
					    "misaligned or wraps", i, (unsigned long long)m->start,
				   (unsigned long long)m->size);
		if (i && m->start < ram[i - 1].start + ram[i - 1].size)
			return ERR(-EINVAL, "RAM range %zu at 0x%llx is not sorted or overlaps the "
					    "previous one", i, (unsigned long long)m->start);
	}
	phit = hob_put(&w, TD_HOB_TYPE_HANDOFF, TD_HOB_HANDOFF_SIZE);
	if (!phit)
		return ERR(-ENOSPC, "TD HOB buffer of %zu bytes is too small", buflen);
	put32(phit + 8, TD_HOB_HANDOFF_VERSION);
	/* boot mode 0 (full configuration), memory top/bottom fields left zero */
	for (size_t i = 0; i < nr_ram; i++) {
		ret = put_ram_range(&w, ram[i].start, ram[i].start + ram[i].size, plan);
		if (ret)
			return ERR(ret, "TD HOB buffer of %zu bytes is too small for %zu RAM ranges",
				   buflen, nr_ram);
	}
	for (size_t i = 0; i < nr_ext; i++) {
		ret = put_guid_ext(&w, &ext[i]);
		if (ret)
			return ERR(ret, "TD HOB buffer of %zu bytes is too small for GUID HOB %zu "
					"(%zu bytes)", buflen, i, ext[i].len);
	}
	if (!hob_put(&w, TD_HOB_TYPE_END, TD_HOB_END_SIZE))
		return ERR(-ENOSPC, "TD HOB buffer of %zu bytes is too small", buflen);
	if (hob_gpa + w.pos < hob_gpa)
		return ERR(-EINVAL, "TD HOB at 0x%llx wraps the address space",
			   (unsigned long long)hob_gpa);
	put64(phit + 48, hob_gpa + w.pos);
	*used = w.pos;
	return 0;
}
