// SPDX-License-Identifier: MIT
#include "tests/guest/dma.h"
#include "tests/guest/guest.h"
#include "tests/guest/io.h"
#include "tests/guest/libc.h"
#include "tests/guest/printf.h"

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

/*
 * The shared pool: 2 KiB slots (Linux's IO_TLB_SIZE) tracked in a bitmap, handed out next-fit
 * from a cursor so that the in-order traffic of a queue finds free slots at once.
 */
#define SLOT_SHIFT 11
#define SLOT_BYTES (1U << SLOT_SHIFT)
#define MAX_SLOTS  (uint32_t)(DMA_POOL_MAX >> SLOT_SHIFT)

static uint64_t slot_map[MAX_SLOTS / 64];
static uint8_t *pool;
static uint32_t pool_slots, cursor;
static struct dma_bounce_stats bstats;

/*
 * Copies for the bounce path: plain 64-bit moves, eight per iteration, rather than REP MOVS, which
 * binary translators (QEMU TCG, where the nested harness runs this guest) tend to execute one
 * element at a time.
 */
static void copy_fast(void *dst, const void *src, size_t n)
{
	uint64_t *d = dst;
	const uint64_t *s = src;
	size_t words = n / 8;

	if (((uintptr_t)dst | (uintptr_t)src) % 8 == 0) {
		for (; words >= 8; words -= 8, d += 8, s += 8) {
#pragma GCC unroll 8
			for (unsigned k = 0; k < 8; k++)
				d[k] = s[k];
		}
		for (; words; words--)
			*d++ = *s++;
		n %= 8;
	}
	asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}

/* The first slot at or after s whose bit is `used` (pool_slots when there is none). */
static uint32_t next_slot(uint32_t s, bool used)
{
	while (s < pool_slots) {
		uint64_t w = slot_map[s / 64];

		w = (used ? w : ~w) >> (s % 64);
		if (w) {
			s += (uint32_t)__builtin_ctzll(w);
			return s < pool_slots ? s : pool_slots;
		}
		s = (s / 64 + 1) * 64;
	}
	return pool_slots;
}

static void slots_mark(uint32_t s, uint32_t n, bool used)
{
	for (uint32_t i = s; i < s + n;) {
		uint32_t bit = i % 64, len = 64 - bit < s + n - i ? 64 - bit : s + n - i;
		uint64_t mask = (len == 64 ? ~0ULL : ((1ULL << len) - 1)) << bit;

		if (used)
			slot_map[i / 64] |= mask;
		else
			slot_map[i / 64] &= ~mask;
		i += len;
	}
	bstats.slots_used = used ? bstats.slots_used + n : bstats.slots_used - n;
}

static uint32_t round_up32(uint32_t v, uint32_t align)
{
	return (v + align - 1) & ~(align - 1);
}

/* n free slots starting at a multiple of align, next-fit from the cursor; -1 when none. */
static int64_t slots_alloc(uint32_t n, uint32_t align)
{
	uint32_t s = cursor, used;
	bool wrapped = false;

	for (;;) {
		s = round_up32(next_slot(s, false), align);
		if (s >= pool_slots || n > pool_slots - s) {
			if (wrapped)
				return -1;
			wrapped = true;
			s = 0;
			continue;
		}
		used = next_slot(s, true);
		if (used - s >= n)
			break;
		s = used; /* the run is too short: go on after it */
	}
	slots_mark(s, n, true);
	cursor = s + n;
	return s;
}

static uint32_t slots_for(uint64_t bytes)
{
	return bytes ? (uint32_t)((bytes + SLOT_BYTES - 1) >> SLOT_SHIFT) : 1;
}

bool dma_shared_pool_init(void *base, uint64_t size)
{
	if (!base || (uintptr_t)base % SLOT_BYTES || size < SLOT_BYTES || size > DMA_POOL_MAX)
		return false;
	pool = base;
	pool_slots = (uint32_t)(size >> SLOT_SHIFT);
	cursor = 0;
	memset(slot_map, 0, sizeof(slot_map));
	memset(&bstats, 0, sizeof(bstats));
	bstats.pool_bytes = (uint64_t)pool_slots << SLOT_SHIFT;
	return true;
}

bool dma_bouncing(void)
{
	return pool != NULL;
}

bool dma_in_pool(const void *p, uint64_t len)
{
	uint64_t a = (uint64_t)(uintptr_t)p, base = (uint64_t)(uintptr_t)pool;

	return pool && a >= base && a - base <= bstats.pool_bytes &&
	       len <= bstats.pool_bytes - (a - base);
}

void *dma_alloc_coherent(size_t size, size_t align)
{
	uint32_t align_slots = align > SLOT_BYTES ? (uint32_t)(align >> SLOT_SHIFT) : 1;
	int64_t s;
	void *p;

	if (!pool)
		return dma_alloc(size, align);
	if (size > bstats.pool_bytes || (align & (align - 1)))
		return NULL;
	s = slots_alloc(slots_for(size), align_slots);
	if (s < 0)
		return NULL;
	p = pool + ((uint64_t)s << SLOT_SHIFT);
	memset(p, 0, size);
	return p;
}

void *dma_bounce_map(const void *buf, uint32_t len, bool to_device)
{
	int64_t s = pool ? slots_alloc(slots_for(len), 1) : -1;
	uint8_t *slot;

	if (s < 0) {
		bstats.full++;
		return NULL;
	}
	slot = pool + ((uint64_t)s << SLOT_SHIFT);
	if (to_device) {
		copy_fast(slot, buf, len);
		bstats.bytes_out += len;
	}
	bstats.maps++;
	return slot;
}

void dma_bounce_unmap(void *slot, void *buf, uint32_t len, uint32_t copy_back)
{
	uint64_t off = (uint64_t)((uint8_t *)slot - pool);

	if (!dma_in_pool(slot, len))
		return;
	if (copy_back > len)
		copy_back = len;
	copy_fast(buf, slot, copy_back);
	bstats.bytes_in += copy_back;
	slots_mark((uint32_t)(off >> SLOT_SHIFT), slots_for(len), false);
}

void dma_bounce_get_stats(struct dma_bounce_stats *st)
{
	*st = bstats;
}

void dma_print_bounce_stats(const char *who)
{
	if (!pool)
		return;
	printf("  %s: bounced %lu buffers, %lu bytes to the device, %lu back; pool full %lu times\n",
	       who, bstats.maps, bstats.bytes_out, bstats.bytes_in, bstats.full);
}
