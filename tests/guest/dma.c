// SPDX-License-Identifier: MIT
#include "tests/guest/dma.h"
#include "tests/guest/guest.h"
#include "tests/guest/io.h"
#include "tests/guest/libc.h"

extern char _end[];

#define DMA_MIN_START 0x400000ULL /* leave the first 4 MiB to boot structures and the image */

static uint64_t next, limit;

bool dma_init(const char **why)
{
	uint64_t start = (uint64_t)(uintptr_t)_end;
	uint64_t best_lo = 0, best_hi = 0;

	if (start < DMA_MIN_START)
		start = DMA_MIN_START;
	start = (start + 0xfff) & ~0xfffULL;
	for (uint32_t i = 0; i < boot.map_entries; i++) {
		const struct mem_region *r = &boot.map[i];
		uint64_t lo = r->addr, hi = r->addr + r->size;

		if (r->type != MEM_RAM || hi <= start || lo >= PHYS_LIMIT)
			continue;
		if (lo < start)
			lo = start;
		if (hi > PHYS_LIMIT)
			hi = PHYS_LIMIT;
		/* Keep clear of the initrd: use the larger side of it. */
		if (boot.has_initrd && boot.initrd_addr < hi &&
		    boot.initrd_addr + boot.initrd_size > lo) {
			uint64_t below = boot.initrd_addr > lo ? boot.initrd_addr - lo : 0;
			uint64_t above_lo = (boot.initrd_addr + boot.initrd_size + 0xfff) & ~0xfffULL;
			uint64_t above = hi > above_lo ? hi - above_lo : 0;

			if (above > below)
				lo = above_lo;
			else
				hi = boot.initrd_addr;
		}
		if (hi > lo && hi - lo > best_hi - best_lo) {
			best_lo = lo;
			best_hi = hi;
		}
	}
	if (best_hi <= best_lo) {
		*why = "no free RAM above the guest image";
		return false;
	}
	next = best_lo;
	limit = best_hi;
	return true;
}

void *dma_alloc(size_t size, size_t align)
{
	const char *why;
	uint64_t p;

	if (!limit && !dma_init(&why))
		return NULL;
	if (!align)
		align = 1;
	p = (next + align - 1) & ~((uint64_t)align - 1);
	if (p < next || p > limit || size > limit - p)
		return NULL;
	next = p + size;
	memset((void *)(uintptr_t)p, 0, size);
	return (void *)(uintptr_t)p;
}

uint64_t dma_free_bytes(void)
{
	return limit > next ? limit - next : 0;
}
