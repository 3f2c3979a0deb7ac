/* SPDX-License-Identifier: MIT */
/*
 * Guest RAM: one memfd laid out below and above the 32-bit MMIO hole, mapped into cvmm.
 *
 * Two ways in:
 *  - guest_mem_ptr(): any RAM, for cvmm's own boot-time writes (loaders, boot structures).
 *  - guest_mem_dma(): the only accessor device emulation may use.  It refuses ranges that are not
 *    entirely RAM and, in confidential modes, ranges that are not entirely shared (mem_attr.h).
 */
#ifndef CVMM_MEMORY_H
#define CVMM_MEMORY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/mem_attr.h"

#define GUEST_PAGE_SIZE       4096ULL
#define GUEST_MEM_MAX_REGIONS 2

struct guest_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t fd_offset; /* offset of this region in the memfd */
	uint8_t *hva;       /* cvmm's mapping, also handed to KVM */
	uint8_t *dev_hva;   /* device-side mapping: == hva unless confidential (private = PROT_NONE) */
};

struct guest_mem {
	int memfd;          /* the shared backing */
	int gmem_fd;        /* the private backing (guest_memfd, same offsets as memfd), or -1 */
	uint64_t ram_size;
	unsigned nr_regions;
	struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
	struct mem_attr_map *attrs; /* NULL when every page is shared (no TEE) */
	uint8_t *dev_base;          /* separate device-side mapping of the memfd, or NULL */
	/* With attrs: device sections (read side) against revocations (write side). */
	pthread_rwlock_t dev_lock;
};

/*
 * The regions of a guest with ram_size bytes, nothing allocated or mapped: what loaders and the
 * config check guest-physical ranges against before the VM exists.
 */
void guest_mem_layout(struct guest_mem *gm, uint64_t ram_size);
/* Creates the memfd and maps it; RAM above LAYOUT_MMIO_HOLE_START goes above 4 GiB. */
int guest_mem_create(struct guest_mem *gm, uint64_t ram_size);
void guest_mem_destroy(struct guest_mem *gm);

static inline const struct guest_mem_region *guest_mem_region_of(const struct guest_mem *gm,
								  uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < gm->nr_regions; i++) {
		const struct guest_mem_region *r = &gm->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size && len <= r->size - (gpa - r->gpa))
			return r;
	}
	return 0;
}

/* True when [gpa, gpa + len) is entirely guest RAM (one region; len may be 0). */
static inline bool guest_mem_is_ram(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	return guest_mem_region_of(gm, gpa, len) != 0;
}

/*
 * Makes the memory confidential: creates the attribute map (every page private) covering all RAM.
 * With @protect_dev, device emulation also gets its own mapping of the memfd (dev_hva) in which
 * private pages are PROT_NONE; guest_mem_set_dev_access() keeps it in step with conversions.
 */
int guest_mem_enable_attrs(struct guest_mem *gm, bool protect_dev);

/*
 * Device sections.  A pointer from guest_mem_dma() stays usable only while the pages stay
 * shared; a conversion to private revokes them.  Device code dereferences such pointers only
 * inside a section (the virtio transport opens one with every virtio_dev_lock()), and within a
 * section no page stops being shared: conversions to private wait for running sections to end
 * (guest_mem_revoke_begin).  Pointers kept across sections (I/O in flight) must be re-checked
 * with guest_mem_dma_still_shared() in the next section before cvmm touches them.  No-ops
 * unless the memory is confidential.  Sections may nest (read side).
 */
void guest_mem_dev_enter(struct guest_mem *gm);
void guest_mem_dev_exit(struct guest_mem *gm);
/* The converter, around taking pages away from devices; waits for running device sections. */
void guest_mem_revoke_begin(struct guest_mem *gm);
void guest_mem_revoke_end(struct guest_mem *gm);
/*
 * Whether the device-side bytes [p, p + len), a pointer guest_mem_dma() gave out earlier, are
 * still shared guest RAM (always true without confidential memory).  A refusal is counted as in
 * guest_mem_dma().  Inside a device section the answer holds until the section ends.
 */
bool guest_mem_dma_still_shared(const struct guest_mem *gm, const void *p, uint64_t len);

/* Opens (@shared) or closes [gpa, gpa + len) in the device-side mapping; no-op without one. */
int guest_mem_set_dev_access(struct guest_mem *gm, uint64_t gpa, uint64_t len, bool shared);

static inline bool guest_mem_is_confidential(const struct guest_mem *gm)
{
	return gm->attrs != 0;
}

/* Offset of gpa in the memfd (and guest_memfd); the range must be RAM (guest_mem_is_ram). */
static inline uint64_t guest_mem_fd_offset(const struct guest_mem *gm, uint64_t gpa)
{
	const struct guest_mem_region *r = guest_mem_region_of(gm, gpa, 0);

	return r ? r->fd_offset + (gpa - r->gpa) : 0;
}

/* guest_mem_dma() refusals of RAM ranges that were not entirely shared (confidential VMs). */
uint64_t guest_mem_dma_refusals(const struct guest_mem *gm);

/* Host pointer for boot-time writes by cvmm itself; NULL unless the range is RAM. */
void *guest_mem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/*
 * Allocates the host pages behind [gpa, gpa + len) in one call (MADV_POPULATE_WRITE) before cvmm
 * fills them, instead of one page fault per page; a no-op where the kernel lacks it (< 5.14).
 */
void guest_mem_populate(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/*
 * Host pointer for device DMA; NULL unless [gpa, gpa + len) is RAM and (confidential VMs) shared.
 * A zero-length range at a valid address is accepted.
 */
void *guest_mem_dma(const struct guest_mem *gm, uint64_t gpa, uint64_t len);

/* Copies between guest RAM and cvmm's memory through guest_mem_dma(); -EFAULT when refused. */
int guest_mem_read(const struct guest_mem *gm, uint64_t gpa, void *dst, uint64_t len);
int guest_mem_write(const struct guest_mem *gm, uint64_t gpa, const void *src, uint64_t len);

#endif
