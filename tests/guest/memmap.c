// SPDX-License-Identifier: MIT
/*
 * memmap: the memory map is sane and adds up to cvmmtest.mem_mib.
 *
 *   - 1..128 entries, each non-empty and not wrapping, sorted by address, none overlapping
 *     (cvmmtest.memmap_lax=1 first drops empty entries and sorts, as Linux's e820 code does:
 *     QEMU 7.2 microvm hands over an unsorted map ending in an empty entry);
 *   - a RAM entry starts at 0 and a RAM entry covers 1 MiB;
 *   - no RAM in 0xfec00000..4 GiB (IOAPIC, LAPIC);
 *   - size rule: low = end of the run of back-to-back entries (any type, ending at or below
 *     4 GiB) that starts with the RAM entry covering 1 MiB, so the legacy holes below 1 MiB and
 *     firmware-reserved RAM right after it count as memory while MMIO-hole entries do not;
 *     high = sum of RAM entries at or above 4 GiB, the first of which must start exactly at
 *     4 GiB; low + high == mem_mib MiB.
 */
#include "tests/guest/cmdline.h"
#include "tests/guest/guest.h"
#include "tests/guest/printf.h"

#define FOUR_GIB   0x100000000ULL
#define APIC_START 0xfec00000ULL

static struct mem_region map[BOOT_MAP_MAX];
static uint32_t entries;

/* Copies the map; in lax mode without empty entries and sorted.  Returns how many changed. */
static uint32_t copy_map(bool lax)
{
	uint32_t fixed = 0;

	entries = 0;
	for (uint32_t i = 0; i < boot.map_entries; i++) {
		struct mem_region r = boot.map[i];
		uint32_t j = entries;

		if (lax && !r.size) {
			fixed++;
			continue;
		}
		while (lax && j && map[j - 1].addr > r.addr) {
			map[j] = map[j - 1];
			j--;
		}
		fixed += j != entries;
		map[j] = r;
		entries++;
	}
	return fixed;
}

static void print_map(void)
{
	for (uint32_t i = 0; i < entries; i++) {
		const struct mem_region *r = &map[i];

		printf("  memmap %2u: 0x%012lx-0x%012lx %s (%u)\n", i, r->addr,
		       r->addr + r->size - 1, mem_type_name(r->type), r->type);
	}
}

static bool map_sane(struct check_result *res)
{
	bool ram_at_0 = false, ram_at_1m = false;

	for (uint32_t i = 0; i < entries; i++) {
		const struct mem_region *r = &map[i];

		if (!r->size || r->addr + r->size < r->addr) {
			result_add(res, "entry %u is empty or wraps", i);
			return false;
		}
		if (i && r->addr < map[i - 1].addr + map[i - 1].size) {
			result_add(res, "entry %u at 0x%lx is unsorted or overlaps entry %u", i,
				   r->addr, i - 1);
			return false;
		}
		if (r->type != MEM_RAM)
			continue;
		if (r->addr == 0)
			ram_at_0 = true;
		if (r->addr <= 0x100000 && r->addr + r->size > 0x100000)
			ram_at_1m = true;
		if (r->addr < FOUR_GIB && r->addr + r->size > APIC_START) {
			result_add(res, "RAM entry %u reaches into 0xfec00000-0xffffffff", i);
			return false;
		}
	}
	if (!ram_at_0 || !ram_at_1m) {
		result_add(res, "no RAM %s", !ram_at_0 ? "starting at 0" : "covering 1 MiB");
		return false;
	}
	return true;
}

bool check_memmap(struct check_result *res)
{
	uint64_t low = 0, high = 0, first_high = 0, want_mib, lax = 0;
	uint32_t fixed;
	bool ok;

	if (boot.map_error) {
		result_add(res, "%s", boot.map_error);
		return false;
	}
	cmdline_get_u64(boot.cmdline, "cvmmtest.memmap_lax", &lax);
	fixed = copy_map(lax);
	if (fixed)
		result_add(res, "lax: %u entries dropped or moved", fixed);
	if (!entries) {
		result_add(res, "no entries");
		return false;
	}
	ok = map_sane(res);
	for (uint32_t i = 0; ok && i < entries; i++) {
		const struct mem_region *r = &map[i];
		uint64_t end = r->addr + r->size;

		if (r->type == MEM_RAM && r->addr <= 0x100000 && end > 0x100000)
			low = end;
		else if (low && r->addr == low && end <= FOUR_GIB)
			low = end;
		if (r->addr >= FOUR_GIB && r->type == MEM_RAM) {
			if (!high)
				first_high = r->addr;
			high += r->size;
		}
	}
	if (ok && high && first_high != FOUR_GIB) {
		result_add(res, "RAM above 4 GiB starts at 0x%lx, not at 4 GiB", first_high);
		ok = false;
	}
	if (ok) {
		result_add(res, "%u entries, %lu KiB below 4 GiB + %lu KiB above", entries,
			   low >> 10, high >> 10);
		if (cmdline_get_u64(boot.cmdline, "cvmmtest.mem_mib", &want_mib)) {
			if (low + high != want_mib << 20) {
				result_add(res, "expected %lu MiB", want_mib);
				ok = false;
			} else {
				result_add(res, "= mem_mib %lu", want_mib);
			}
		} else {
			result_add(res, "no cvmmtest.mem_mib to compare with");
		}
	}
	if (!ok)
		print_map();
	return ok;
}
