/* SPDX-License-Identifier: MIT */
/*
 * Private guest memory outside RAM, for the ranges a confidential launch adds that the RAM layout
 * does not cover: TDVF's firmware volumes just below 4 GiB, an SNP firmware image.  One
 * guest_memfd holds them all; each range gets its own memslot (so nothing between two ranges,
 * such as a device window, is covered), set PRIVATE.  The slots' shared side is an anonymous
 * mapping nobody writes: the guest never shares firmware memory, and a conversion request for it
 * is refused like any range that is not RAM.
 */
#ifndef CVMM_CVM_FW_MEMORY_H
#define CVMM_CVM_FW_MEMORY_H

#include <stdint.h>

struct error;
struct vm;

#define CVM_FW_MAX_RANGES 16

struct cvm_fw_memory {
	int gmem_fd;       /* -1 until mapped */
	uint8_t *shared;   /* the slots' shared backing, size bytes */
	uint64_t size;
	unsigned nr_ranges;
	struct {
		uint64_t gpa, size, offset; /* offset in the guest_memfd */
	} ranges[CVM_FW_MAX_RANGES];
};

void cvm_fw_memory_init(struct cvm_fw_memory *fm);

/*
 * Adds [gpa, gpa + size) (page aligned, not overlapping what is there); a range that touches
 * the previous one merges with it.  -EINVAL, or -ENOSPC past CVM_FW_MAX_RANGES.
 */
int cvm_fw_memory_add(struct cvm_fw_memory *fm, uint64_t gpa, uint64_t size);

/*
 * Creates the guest_memfd, binds one KVM_SET_USER_MEMORY_REGION2 slot per range from slot
 * first_slot on, and sets every range PRIVATE.  Nothing to do without ranges.
 */
int cvm_fw_memory_map(struct vm *vm, struct cvm_fw_memory *fm, unsigned first_slot,
		      struct error *e);

/* True when [gpa, gpa + len) lies in one range. */
int cvm_fw_memory_contains(const struct cvm_fw_memory *fm, uint64_t gpa, uint64_t len);

void cvm_fw_memory_destroy(struct cvm_fw_memory *fm);

#endif
