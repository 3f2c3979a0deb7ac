// SPDX-License-Identifier: MIT
/* hvm_start_info for PVH kernels: command line, memory map, the initrd as module 0, RSDP. */
#include <errno.h>
#include <string.h>

#include "boot/boot.h"
#include "boot/pvh.h"
#include "vmm/layout.h"
#include "vmm/memory.h"

#define PVH_MEMMAP_ADDR (LAYOUT_PVH_INFO_ADDR + 64)
#define PVH_MODLIST_ADDR (PVH_MEMMAP_ADDR + BOOT_MAX_MEM_RANGES * sizeof(struct pvh_memmap_entry))

_Static_assert(PVH_MODLIST_ADDR + sizeof(struct pvh_module) <= LAYOUT_BOOT_PARAMS_ADDR,
	       "PVH structures fit below the zero page");

int boot_write_pvh_start_info(struct guest_mem *gm, uint64_t rsdp_gpa, uint64_t initrd_gpa,
			      uint64_t initrd_size)
{
	struct pvh_start_info *si = guest_mem_ptr(gm, LAYOUT_PVH_INFO_ADDR, sizeof(*si));
	struct pvh_memmap_entry *mm = guest_mem_ptr(gm, PVH_MEMMAP_ADDR,
						    BOOT_MAX_MEM_RANGES * sizeof(*mm));
	struct pvh_module *mod = guest_mem_ptr(gm, PVH_MODLIST_ADDR, sizeof(*mod));
	struct boot_mem_range map[BOOT_MAX_MEM_RANGES];
	unsigned n;

	if (!si || !mm || !mod)
		return -EFAULT;
	memset(si, 0, sizeof(*si));
	si->magic = PVH_START_MAGIC;
	si->version = 1;
	si->cmdline_paddr = LAYOUT_CMDLINE_ADDR;
	si->rsdp_paddr = rsdp_gpa;

	n = boot_memory_map(gm, map, BOOT_MAX_MEM_RANGES);
	for (unsigned i = 0; i < n; i++)
		mm[i] = (struct pvh_memmap_entry){
			.addr = map[i].addr, .size = map[i].size, .type = map[i].type,
		};
	si->memmap_paddr = PVH_MEMMAP_ADDR;
	si->memmap_entries = n;

	if (initrd_size) {
		*mod = (struct pvh_module){ .paddr = initrd_gpa, .size = initrd_size };
		si->modlist_paddr = PVH_MODLIST_ADDR;
		si->nr_modules = 1;
	}
	return 0;
}
