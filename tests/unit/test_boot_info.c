// SPDX-License-Identifier: MIT
/* Boot information: e820 / PVH memory map, zero page, PVH start info, page tables, command line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <asm/bootparam.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot/boot.h"
#include "boot/cmdline.h"
#include "boot/pvh.h"
#include "vmm/layout.h"
#include "vmm/memory.h"
#include "vmm/resources.h"
#include "vmm/util.h"

static uint64_t ram_total(const struct boot_mem_range *m, unsigned n)
{
	uint64_t t = 0;

	for (unsigned i = 0; i < n; i++)
		if (m[i].type == BOOT_E820_RAM)
			t += m[i].size;
	return t;
}

static void check_map_sane(const struct boot_mem_range *m, unsigned n, uint64_t ram_bytes)
{
	uint64_t reserved_low = 0;

	for (unsigned i = 1; i < n; i++)
		assert_true(m[i - 1].addr + m[i - 1].size <= m[i].addr); /* sorted, disjoint */
	for (unsigned i = 0; i < n; i++) {
		assert_true(m[i].addr + m[i].size <= LAYOUT_MMIO_HOLE_START ||
			    m[i].addr >= LAYOUT_HIGH_RAM_START); /* nothing in the MMIO hole */
		if (m[i].type == BOOT_E820_RESERVED && m[i].addr < MiB(1))
			reserved_low += m[i].size;
	}
	/* Every byte of RAM is described, the low reserved area included. */
	assert_int_equal(ram_total(m, n) + reserved_low, ram_bytes);
}

static void test_memory_map_small(void **state)
{
	struct guest_mem gm;
	struct boot_mem_range m[BOOT_MAX_MEM_RANGES];
	unsigned n;

	assert_int_equal(guest_mem_create(&gm, MiB(256)), 0);
	n = boot_memory_map(&gm, m, BOOT_MAX_MEM_RANGES);
	assert_int_equal(n, 3);
	assert_int_equal(m[0].addr, 0);
	assert_int_equal(m[0].type, BOOT_E820_RAM);
	assert_int_equal(m[2].addr, MiB(1));
	assert_int_equal(m[2].addr + m[2].size, MiB(256));
	check_map_sane(m, n, MiB(256));
	guest_mem_destroy(&gm);
}

static void test_memory_map_above_hole(void **state)
{
	struct guest_mem gm;
	struct boot_mem_range m[BOOT_MAX_MEM_RANGES];
	unsigned n;

	/* 4 GiB of RAM: 3 GiB below the hole, 1 GiB from 4 GiB up. */
	assert_int_equal(guest_mem_create(&gm, GiB(4)), 0);
	assert_int_equal(gm.nr_regions, 2);
	n = boot_memory_map(&gm, m, BOOT_MAX_MEM_RANGES);
	assert_int_equal(n, 4);
	assert_int_equal(m[3].addr, LAYOUT_HIGH_RAM_START);
	assert_int_equal(m[3].size, GiB(1));
	check_map_sane(m, n, GiB(4));
	/* Both halves are reachable and distinct. */
	*(uint32_t *)guest_mem_ptr(&gm, LAYOUT_MMIO_HOLE_START - 4, 4) = 0x11223344;
	*(uint32_t *)guest_mem_ptr(&gm, LAYOUT_HIGH_RAM_START, 4) = 0x55667788;
	assert_int_equal(*(uint32_t *)guest_mem_ptr(&gm, LAYOUT_MMIO_HOLE_START - 4, 4),
			 0x11223344);
	assert_null(guest_mem_ptr(&gm, LAYOUT_MMIO_HOLE_START - 4, 8)); /* straddles the hole */
	assert_null(guest_mem_ptr(&gm, LAYOUT_IOAPIC_ADDR, 4));
	assert_null(guest_mem_ptr(&gm, LAYOUT_HIGH_RAM_START + GiB(1), 1));
	guest_mem_destroy(&gm);
}

static void test_zero_page(void **state)
{
	struct guest_mem gm;
	struct boot_kernel k = { .kind = BOOT_IMAGE_BZIMAGE, .cmdline_max = 2047 };
	struct boot_params *bp;

	assert_int_equal(guest_mem_create(&gm, MiB(128)), 0);
	/* A setup header as found in a file: version 2.15, loadflags with a CAN_USE_HEAP bit. */
	k.setup_header_len = 0x77;
	memset(k.setup_header, 0, sizeof(k.setup_header));
	k.setup_header[0x202 - 0x1f1] = 'H';
	k.setup_header[0x211 - 0x1f1] = 0x80;
	assert_int_equal(boot_write_zero_page(&gm, &k, LAYOUT_ACPI_START, 0x12345000ULL, 0x6789), 0);
	bp = guest_mem_ptr(&gm, LAYOUT_BOOT_PARAMS_ADDR, sizeof(*bp));
	assert_int_equal(bp->hdr.type_of_loader, 0xff);
	assert_int_equal(bp->hdr.loadflags, 0x81); /* LOADED_HIGH added, the rest kept */
	assert_int_equal(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE_ADDR);
	assert_int_equal(bp->hdr.ramdisk_image, 0x12345000);
	assert_int_equal(bp->hdr.ramdisk_size, 0x6789);
	assert_int_equal(bp->ext_ramdisk_image, 0);
	assert_int_equal(bp->acpi_rsdp_addr, LAYOUT_ACPI_START);
	assert_int_equal(bp->e820_entries, 3);
	assert_int_equal(bp->e820_table[2].addr, MiB(1));
	assert_int_equal(bp->e820_table[2].addr + bp->e820_table[2].size, MiB(128));
	assert_int_equal(bp->e820_table[1].type, 2);

	/* vmlinux: cvmm writes the header fields itself. */
	k.kind = BOOT_IMAGE_ELF;
	assert_int_equal(boot_write_zero_page(&gm, &k, LAYOUT_ACPI_START, 0, 0), 0);
	assert_int_equal(bp->hdr.boot_flag, 0xaa55);
	assert_int_equal(bp->hdr.header, 0x53726448);
	assert_int_equal(bp->hdr.ramdisk_image, 0);
	guest_mem_destroy(&gm);
}

static void test_pvh_start_info(void **state)
{
	struct guest_mem gm;
	struct pvh_start_info *si;
	struct pvh_memmap_entry *mm;
	struct pvh_module *mod;

	assert_int_equal(guest_mem_create(&gm, MiB(64)), 0);
	assert_int_equal(boot_write_pvh_start_info(&gm, 0xe0000, 0x3000000, 4096), 0);
	si = guest_mem_ptr(&gm, LAYOUT_PVH_INFO_ADDR, sizeof(*si));
	assert_int_equal(si->magic, 0x336ec578);
	assert_int_equal(si->version, 1);
	assert_int_equal(si->cmdline_paddr, LAYOUT_CMDLINE_ADDR);
	assert_int_equal(si->rsdp_paddr, 0xe0000);
	assert_int_equal(si->nr_modules, 1);
	assert_int_equal(si->memmap_entries, 3);
	mm = guest_mem_ptr(&gm, si->memmap_paddr, 3 * sizeof(*mm));
	assert_non_null(mm);
	assert_int_equal(mm[2].addr + mm[2].size, MiB(64));
	mod = guest_mem_ptr(&gm, si->modlist_paddr, sizeof(*mod));
	assert_non_null(mod);
	assert_int_equal(mod->paddr, 0x3000000);
	assert_int_equal(mod->size, 4096);
	/* No initrd: no module list. */
	assert_int_equal(boot_write_pvh_start_info(&gm, 0xe0000, 0, 0), 0);
	assert_int_equal(si->nr_modules, 0);
	assert_int_equal(si->modlist_paddr, 0);
	guest_mem_destroy(&gm);
}

static void test_page_tables_identity(void **state)
{
	struct guest_mem gm;
	uint64_t *pml4, *pdpt, *pd;

	assert_int_equal(guest_mem_create(&gm, MiB(32)), 0);
	assert_int_equal(boot_write_page_tables(&gm), 0);
	pml4 = guest_mem_ptr(&gm, LAYOUT_PML4_ADDR, 4096);
	pdpt = guest_mem_ptr(&gm, LAYOUT_PDPT_ADDR, 4096);
	/* Walk the tables for a few addresses and check they map to themselves. */
	for (uint64_t va = 0; va < GiB(4); va += GiB(1) - MiB(2)) {
		uint64_t e1 = pml4[(va >> 39) & 511];
		uint64_t e2, e3;

		assert_true(e1 & 1);
		assert_int_equal(e1 & ~0xfffULL, LAYOUT_PDPT_ADDR);
		e2 = pdpt[(va >> 30) & 511];
		assert_true(e2 & 1);
		pd = guest_mem_ptr(&gm, e2 & ~0xfffULL, 4096);
		assert_non_null(pd);
		e3 = pd[(va >> 21) & 511];
		assert_true((e3 & 0x81) == 0x81); /* present, 2 MiB page */
		assert_int_equal(e3 & ~0x1fffffULL, va & ~0x1fffffULL);
	}
	assert_int_equal(boot_write_gdt(&gm), 0);
	guest_mem_destroy(&gm);
}

static void test_cmdline_build(void **state)
{
	struct resource_slot slots[2] = {
		{ .base = 0xd0000000, .gsi = 16 },
		{ .base = 0xd0001000, .gsi = 17 },
	};
	char out[256];

	assert_int_equal(cmdline_build("console=ttyS0", slots, 2, out, sizeof(out)), 0);
	assert_string_equal(out, "console=ttyS0 virtio_mmio.device=4K@0xd0000000:16 "
				 "virtio_mmio.device=4K@0xd0001000:17");
	assert_int_equal(cmdline_build(NULL, slots, 1, out, sizeof(out)), 0);
	assert_string_equal(out, "virtio_mmio.device=4K@0xd0000000:16");
	assert_int_equal(cmdline_build("", NULL, 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(cmdline_build("console=ttyS0", slots, 2, out, 40), -E2BIG);
	assert_int_equal(cmdline_build("0123456789", NULL, 0, out, 10), -E2BIG);
	assert_int_equal(cmdline_build("012345678", NULL, 0, out, 10), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory_map_small),
		cmocka_unit_test(test_memory_map_above_hole),
		cmocka_unit_test(test_zero_page),
		cmocka_unit_test(test_pvh_start_info),
		cmocka_unit_test(test_page_tables_identity),
		cmocka_unit_test(test_cmdline_build),
	};

	return cmocka_run_group_tests_name("boot info", tests, NULL, NULL);
}
