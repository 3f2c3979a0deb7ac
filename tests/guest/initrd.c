// SPDX-License-Identifier: MIT
/*
 * initrd: with cvmmtest.initrd_size=N (N > 0) the initrd (PVH module 0, or boot_params
 * ramdisk_image/ramdisk_size) is N bytes and, with cvmmtest.initrd_crc=<hex>, has that CRC-32;
 * with cvmmtest.initrd_size=0 there is none.  Without either option it is just described.
 */
#include "tests/guest/cmdline.h"
#include "tests/guest/guest.h"
#include "tests/guest/io.h"
#include "tests/guest/layout.h"
#include "tests/guest/libc.h"

extern char _end[];

static bool in_ram(uint64_t addr, uint64_t size)
{
	for (uint32_t i = 0; i < boot.map_entries; i++) {
		const struct mem_region *r = &boot.map[i];

		if (r->type == MEM_RAM && addr >= r->addr && addr - r->addr <= r->size &&
		    size <= r->size - (addr - r->addr))
			return true;
	}
	return false;
}

bool check_initrd(struct check_result *res)
{
	uint64_t want_size, want_crc = 0;
	bool have_size, have_crc = false;
	const char *v;
	size_t n;
	uint32_t crc;

	if (boot.initrd_error) {
		result_add(res, "%s", boot.initrd_error);
		return false;
	}
	have_size = cmdline_get_u64(boot.cmdline, "cvmmtest.initrd_size", &want_size);
	if (cmdline_get(boot.cmdline, "cvmmtest.initrd_crc", &v, &n)) {
		have_crc = parse_hex_u64(v, n, &want_crc) && want_crc <= UINT32_MAX;
		if (!have_crc) {
			result_add(res, "malformed cvmmtest.initrd_crc=%.*s", (int)n, v);
			return false;
		}
	}
	if (!boot.has_initrd || !boot.initrd_size) {
		result_add(res, "no initrd");
		if (have_size && want_size) {
			result_add(res, "expected %lu bytes", want_size);
			return false;
		}
		return true;
	}
	if (boot.initrd_addr < (uintptr_t)_end &&
	    boot.initrd_addr + boot.initrd_size > GUEST_LOAD_ADDR) {
		result_add(res, "initrd at 0x%lx overlaps the guest image", boot.initrd_addr);
		return false;
	}
	if (!boot.map_error && !in_ram(boot.initrd_addr, boot.initrd_size)) {
		result_add(res, "initrd at 0x%lx (%lu bytes) is not inside one RAM entry",
			   boot.initrd_addr, boot.initrd_size);
		return false;
	}
	crc = crc32(0, phys_ptr(boot.initrd_addr), boot.initrd_size);
	result_add(res, "%lu bytes at 0x%lx crc32 %08x", boot.initrd_size, boot.initrd_addr, crc);
	if (have_size && want_size != boot.initrd_size) {
		result_add(res, want_size ? "expected %lu bytes" : "expected none (size %lu)",
			   want_size);
		return false;
	}
	if (have_crc && want_crc != crc) {
		result_add(res, "expected crc32 %08lx", want_crc);
		return false;
	}
	return true;
}
