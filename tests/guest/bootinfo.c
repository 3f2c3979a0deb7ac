// SPDX-License-Identifier: MIT
#include "tests/guest/bootinfo.h"
#include "tests/guest/io.h"
#include "tests/guest/layout.h"
#include "tests/guest/libc.h"

/* Xen public/arch-x86/hvm/start_info.h */
#define PVH_MAGIC          0x336ec578
#define PVH_INFO_SIZE_V0   40
#define PVH_INFO_SIZE_V1   56
#define PVH_MODLIST_ENTRY  32
#define PVH_MEMMAP_ENTRY   24
#define PVH_MAX_MODULES    64

/* Linux Documentation/arch/x86/zero-page.rst and boot.rst */
#define BP_SIZE            4096
#define BP_ACPI_RSDP_ADDR  0x070
#define BP_EXT_RAMDISK_IMG 0x0c0
#define BP_EXT_RAMDISK_SZ  0x0c4
#define BP_EXT_CMD_LINE    0x0c8
#define BP_RAMDISK_IMAGE   0x218
#define BP_RAMDISK_SIZE    0x21c
#define BP_CMD_LINE_PTR    0x228
#define BP_E820_ENTRY_SIZE 20

static uint32_t rd32(const uint8_t *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return v;
}

static void read_cmdline(struct boot_info *bi, uint64_t addr)
{
	size_t n = 0;

	bi->cmdline_addr = addr;
	if (!addr || !phys_range_ok(addr, 1))
		return;
	const char *s = phys_ptr(addr);

	while (n < BOOT_CMDLINE_MAX - 1 && phys_range_ok(addr, n + 1) && s[n]) {
		bi->cmdline[n] = s[n];
		n++;
	}
	bi->cmdline[n] = '\0';
	bi->cmdline_truncated = n == BOOT_CMDLINE_MAX - 1 && phys_range_ok(addr, n + 1) && s[n];
	bi->has_cmdline = true;
}

static void set_initrd(struct boot_info *bi, uint64_t addr, uint64_t size)
{
	if (!addr && !size)
		return;
	if (!phys_range_ok(addr, size)) {
		bi->initrd_error = "initrd lies beyond the guest's 4 GiB identity map";
		return;
	}
	bi->has_initrd = true;
	bi->initrd_addr = addr;
	bi->initrd_size = size;
}

static void read_pvh(struct boot_info *bi, uint64_t addr)
{
	uint8_t info[PVH_INFO_SIZE_V1];
	uint32_t version, entries;
	uint64_t map_addr, mods;

	if (!phys_range_ok(addr, sizeof(info))) {
		bi->error = "start_info address outside the first 4 GiB";
		return;
	}
	memcpy(info, phys_ptr(addr), sizeof(info));
	if (rd32(info, 0) != PVH_MAGIC) {
		bi->error = "start_info magic is not 0x336ec578";
		return;
	}
	version = rd32(info, 4);
	read_cmdline(bi, rd64(info, 24));
	bi->rsdp_addr = rd64(info, 32);

	bi->nr_modules = rd32(info, 12);
	mods = rd64(info, 16);
	if (bi->nr_modules > PVH_MAX_MODULES) {
		bi->initrd_error = "implausible nr_modules";
	} else if (bi->nr_modules) {
		if (!phys_range_ok(mods, (uint64_t)bi->nr_modules * PVH_MODLIST_ENTRY))
			bi->initrd_error = "module list outside the first 4 GiB";
		else
			set_initrd(bi, rd64(phys_ptr(mods), 0), rd64(phys_ptr(mods), 8));
	}

	if (version < 1) {
		bi->map_error = "start_info version 0 carries no memory map";
		return;
	}
	map_addr = rd64(info, 40);
	entries = rd32(info, 48);
	if (!map_addr || !entries) {
		bi->map_error = "start_info has an empty memory map";
		return;
	}
	if (entries > BOOT_MAP_MAX) {
		bi->map_error = "memory map has more than 128 entries";
		return;
	}
	if (!phys_range_ok(map_addr, (uint64_t)entries * PVH_MEMMAP_ENTRY)) {
		bi->map_error = "memory map outside the first 4 GiB";
		return;
	}
	for (uint32_t i = 0; i < entries; i++) {
		const uint8_t *e = (const uint8_t *)phys_ptr(map_addr) + i * PVH_MEMMAP_ENTRY;

		bi->map[i].addr = rd64(e, 0);
		bi->map[i].size = rd64(e, 8);
		bi->map[i].type = rd32(e, 16);
	}
	bi->map_entries = entries;
}

static void read_boot_params(struct boot_info *bi, uint64_t addr)
{
	const uint8_t *bp;
	uint32_t entries;

	if (!phys_range_ok(addr, BP_SIZE)) {
		bi->error = "boot_params address outside the first 4 GiB";
		return;
	}
	bp = phys_ptr(addr);
	read_cmdline(bi, (uint64_t)rd32(bp, BP_EXT_CMD_LINE) << 32 | rd32(bp, BP_CMD_LINE_PTR));
	bi->rsdp_addr = rd64(bp, BP_ACPI_RSDP_ADDR);
	set_initrd(bi, (uint64_t)rd32(bp, BP_EXT_RAMDISK_IMG) << 32 | rd32(bp, BP_RAMDISK_IMAGE),
		   (uint64_t)rd32(bp, BP_EXT_RAMDISK_SZ) << 32 | rd32(bp, BP_RAMDISK_SIZE));

	entries = bp[BP_E820_ENTRIES];
	if (!entries) {
		bi->map_error = "boot_params has no e820 entries";
		return;
	}
	if (entries > BP_E820_MAX) {
		bi->map_error = "e820_entries is larger than the 128-entry table";
		return;
	}
	for (uint32_t i = 0; i < entries; i++) {
		const uint8_t *e = bp + BP_E820_TABLE + i * BP_E820_ENTRY_SIZE;

		bi->map[i].addr = rd64(e, 0);
		bi->map[i].size = rd64(e, 8);
		bi->map[i].type = rd32(e, 16);
	}
	bi->map_entries = entries;
}

void boot_info_read(struct boot_info *bi, int kind, uint64_t addr)
{
	bi->kind = kind;
	bi->info_addr = addr;
	if (kind == BOOT_KIND_PVH)
		read_pvh(bi, addr);
	else if (kind == BOOT_KIND_LINUX64)
		read_boot_params(bi, addr);
	else
		bi->error = "unknown entry path";
	if (bi->error)
		bi->map_error = bi->initrd_error = bi->error;
}

const char *boot_kind_name(int kind)
{
	return kind == BOOT_KIND_PVH ? "pvh" : kind == BOOT_KIND_LINUX64 ? "linux64" : "unknown";
}

const char *mem_type_name(uint32_t type)
{
	static const char *const names[] = { "?", "ram", "reserved", "acpi", "nvs", "unusable",
					     "disabled", "pmem" };

	return type < ARRAY_SIZE(names) ? names[type] : "other";
}
