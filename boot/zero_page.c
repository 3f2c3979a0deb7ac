// SPDX-License-Identifier: MIT
/* The Linux zero page (struct boot_params) for the 64-bit boot protocol. */
#include <asm/bootparam.h>
#include <errno.h>
#include <string.h>

#include "boot/boot.h"
#include "vmm/layout.h"
#include "vmm/memory.h"

_Static_assert(sizeof(struct boot_params) == 4096, "zero page is one page");

#define LOADER_TYPE_UNDEFINED 0xff

int boot_write_zero_page(struct guest_mem *gm, const struct boot_kernel *k, uint64_t rsdp_gpa,
			 uint64_t initrd_gpa, uint64_t initrd_size)
{
	struct boot_params *bp = guest_mem_ptr(gm, LAYOUT_BOOT_PARAMS_ADDR, sizeof(*bp));
	struct boot_mem_range map[BOOT_MAX_MEM_RANGES];
	unsigned n;

	if (!bp)
		return -EFAULT;
	memset(bp, 0, sizeof(*bp));
	if (k->kind == BOOT_IMAGE_BZIMAGE) {
		memcpy(&bp->hdr, k->setup_header, k->setup_header_len);
	} else {
		/* A vmlinux has no setup header: write the fields the kernel reads. */
		bp->hdr.boot_flag = 0xaa55;
		bp->hdr.header = 0x53726448;
		bp->hdr.version = 0x020f;
		bp->hdr.kernel_alignment = 0x1000000;
		bp->hdr.cmdline_size = k->cmdline_max;
	}
	bp->hdr.type_of_loader = LOADER_TYPE_UNDEFINED;
	bp->hdr.loadflags |= LOADED_HIGH;
	bp->hdr.cmd_line_ptr = (uint32_t)LAYOUT_CMDLINE_ADDR;
	bp->ext_cmd_line_ptr = 0;
	bp->hdr.ramdisk_image = (uint32_t)initrd_gpa;
	bp->ext_ramdisk_image = (uint32_t)(initrd_gpa >> 32);
	bp->hdr.ramdisk_size = (uint32_t)initrd_size;
	bp->ext_ramdisk_size = (uint32_t)(initrd_size >> 32);
	bp->acpi_rsdp_addr = rsdp_gpa;

	n = boot_memory_map(gm, map, BOOT_MAX_MEM_RANGES);
	for (unsigned i = 0; i < n; i++) {
		bp->e820_table[i].addr = map[i].addr;
		bp->e820_table[i].size = map[i].size;
		bp->e820_table[i].type = map[i].type;
	}
	bp->e820_entries = (uint8_t)n;
	return 0;
}
