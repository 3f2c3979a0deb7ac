/* SPDX-License-Identifier: MIT */
/* The PVH boot ABI (Xen's hvm_start_info, version 1), as the guest reads it. */
#ifndef CVMM_PVH_H
#define CVMM_PVH_H

#include <stddef.h>
#include <stdint.h>

#define PVH_START_MAGIC 0x336ec578

struct pvh_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr; /* version 1 */
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct pvh_module {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct pvh_memmap_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
	uint32_t reserved;
};

_Static_assert(sizeof(struct pvh_start_info) == 56, "hvm_start_info size");
_Static_assert(offsetof(struct pvh_start_info, memmap_paddr) == 40, "memmap_paddr offset");
_Static_assert(sizeof(struct pvh_module) == 32, "hvm_modlist_entry size");
_Static_assert(sizeof(struct pvh_memmap_entry) == 24, "hvm_memmap_table_entry size");

#endif
