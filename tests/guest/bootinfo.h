/* SPDX-License-Identifier: MIT */
/*
 * The VMM's boot information (Xen PVH struct hvm_start_info, or Linux struct boot_params),
 * read once into one VMM-agnostic form.  Every field is validated against the 4 GiB identity map.
 */
#ifndef GUEST_BOOTINFO_H
#define GUEST_BOOTINFO_H

#include <stdbool.h>
#include <stdint.h>

#define BOOT_MAP_MAX     128
#define BOOT_CMDLINE_MAX 4096

/* e820 / PVH memory map types. */
#define MEM_RAM      1
#define MEM_RESERVED 2
#define MEM_ACPI     3
#define MEM_NVS      4

struct mem_region {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

struct boot_info {
	int kind;		/* BOOT_KIND_PVH or BOOT_KIND_LINUX64 */
	uint64_t info_addr;	/* start_info or boot_params */
	const char *error;	/* set when the structure itself is unusable */

	bool has_cmdline;
	bool cmdline_truncated;
	uint64_t cmdline_addr;
	char cmdline[BOOT_CMDLINE_MAX];

	const char *map_error;	/* why there is no usable memory map */
	uint32_t map_entries;
	struct mem_region map[BOOT_MAP_MAX];

	const char *initrd_error;
	bool has_initrd;
	uint32_t nr_modules;
	uint64_t initrd_addr;
	uint64_t initrd_size;

	uint64_t rsdp_addr;	/* 0 when not passed */
};

void boot_info_read(struct boot_info *bi, int kind, uint64_t addr);
const char *boot_kind_name(int kind);
const char *mem_type_name(uint32_t type);

#endif
