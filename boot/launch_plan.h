/* SPDX-License-Identifier: MIT */
/*
 * A launch plan: the ordered list of guest-physical regions a confidential launch adds to the
 * guest before it runs, with their initial contents and how each is added and measured.
 *
 * One plan drives both the launch ioctls and the measurement prediction, so the two cannot
 * drift apart:
 *   TDX: for each region with tdx_add, in plan order, KVM_TDX_INIT_MEM_REGION over the region
 *        (source = launch_region_page() contents) with KVM_TDX_MEASURE_MEMORY_REGION iff
 *        tdx_extend; regions without tdx_add are PAGE.AUG memory, accepted by the guest later.
 *        tdx_mrtd() hashes the same walk.
 *   SNP: for each region except VMSA ones, in plan order, KVM_SEV_SNP_LAUNCH_UPDATE with type
 *        snp_type; VMSA regions record the reset state KVM measures for each vCPU (in vCPU
 *        order) at LAUNCH_FINISH.  snp_launch_digest() hashes the same walk.
 *
 * Regions are ranges, not pages; contents are `data_len` bytes from `data` followed by zeros.
 * `data` points into a buffer the caller keeps alive (the firmware image) or into memory the
 * plan owns (launch_plan_alloc).
 */
#ifndef CVMM_BOOT_LAUNCH_PLAN_H
#define CVMM_BOOT_LAUNCH_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LAUNCH_PAGE_SIZE 4096u

enum launch_tee {
	LAUNCH_TEE_TDX,
	LAUNCH_TEE_SNP,
};

enum launch_region_kind {
	LAUNCH_REGION_FIRMWARE,      /* SNP: the whole firmware image below 4 GiB */
	LAUNCH_REGION_TDVF_SECTION,  /* TDX: a TDVF metadata section (section_type) */
	LAUNCH_REGION_SEV_SECTION,   /* SNP: an SEV metadata section (section_type) */
	LAUNCH_REGION_VMSA,          /* SNP: a vCPU's initial save area (vcpu) */
};

struct launch_region {
	enum launch_region_kind kind;
	uint32_t section_type; /* enum tdvf_section_type / sev_section_type */
	uint32_t vcpu;         /* VMSA regions: the vCPU index */
	uint64_t gpa;          /* 4 KiB aligned */
	uint64_t size;         /* bytes, a non-zero multiple of 4 KiB */
	const uint8_t *data;   /* initial contents; NULL when data_len is 0 */
	uint64_t data_len;     /* <= size; the rest of the region is zero */
	bool tdx_add;          /* TDX: added (TDH.MEM.PAGE.ADD) by INIT_MEM_REGION */
	bool tdx_extend;       /* TDX: measured into MRTD (MR.EXTEND) */
	uint8_t snp_type;      /* SNP: SNP_PAGE_TYPE_* of every page */
};

struct launch_plan {
	enum launch_tee tee;
	struct launch_region *regions;
	size_t nr_regions;
	size_t cap_regions;
	void **owned; /* buffers freed with the plan */
	size_t nr_owned;
	size_t cap_owned;
};

void launch_plan_init(struct launch_plan *plan, enum launch_tee tee);
void launch_plan_free(struct launch_plan *plan);

/* Appends a copy of *region.  -EINVAL if misaligned, empty, overflowing or data_len > size. */
int launch_plan_add(struct launch_plan *plan, const struct launch_region *region);

/* A zeroed buffer that lives as long as the plan; NULL when out of memory. */
void *launch_plan_alloc(struct launch_plan *plan, size_t size);

/* First region of this kind and section type, or NULL. */
struct launch_region *launch_plan_find(struct launch_plan *plan, enum launch_region_kind kind,
				       uint32_t section_type);

static inline uint64_t launch_region_pages(const struct launch_region *r)
{
	return r->size / LAUNCH_PAGE_SIZE;
}

/*
 * The contents of page `index` of the region: a pointer into r->data when the page lies wholly
 * inside it, else the page assembled in `scratch` (LAUNCH_PAGE_SIZE bytes), or a shared zero
 * page.  No allocation.
 */
const uint8_t *launch_region_page(const struct launch_region *r, uint64_t index,
				  uint8_t *scratch);

/*
 * The region's contents (its data, zeros to r->size) in a fresh page-aligned anonymous mapping of
 * r->size bytes: what the launch ioctls copy from (TDX INIT_MEM_REGION, SNP LAUNCH_UPDATE), which
 * want page-aligned user memory.  munmap(*out, r->size) when done; -errno from mmap.
 */
int launch_region_stage(const struct launch_region *r, uint8_t **out);

/* Total pages of all regions of the plan. */
uint64_t launch_plan_pages(const struct launch_plan *plan);

#endif
