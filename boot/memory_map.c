// SPDX-License-Identifier: MIT
/* The guest memory map handed to the kernel (e820 in the zero page, PVH memmap). */
#include "boot/boot.h"
#include "vmm/layout.h"
#include "vmm/memory.h"

unsigned boot_memory_map(const struct guest_mem *gm, struct boot_mem_range *out, unsigned max)
{
	const struct guest_mem_region *low = &gm->regions[0];
	unsigned n = 0;

#define ADD(a, s, t)                                                                        \
	do {                                                                                \
		if (n < max)                                                                \
			out[n] = (struct boot_mem_range){ .addr = (a), .size = (s), .type = (t) }; \
		n++;                                                                        \
	} while (0)

	ADD(0, LAYOUT_EBDA_START, BOOT_E820_RAM);
	/* EBDA, VGA hole, BIOS area: cvmm keeps its boot structures and ACPI tables there. */
	ADD(LAYOUT_EBDA_START, LAYOUT_KERNEL_ADDR - LAYOUT_EBDA_START, BOOT_E820_RESERVED);
	if (low->size > LAYOUT_KERNEL_ADDR)
		ADD(LAYOUT_KERNEL_ADDR, low->size - LAYOUT_KERNEL_ADDR, BOOT_E820_RAM);
	for (unsigned i = 1; i < gm->nr_regions; i++)
		ADD(gm->regions[i].gpa, gm->regions[i].size, BOOT_E820_RAM);
#undef ADD
	return n < max ? n : max;
}
