// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "vmm/mem_attr.h"
#include "vmm/util.h"

#define PAGES_2M  ((uint64_t)MEM_ATTR_PAGES_2M)
#define PAGES_1G  (PAGES_2M * MEM_ATTR_2M_PER_1G)
#define WORDS_2M  MEM_ATTR_WORDS_2M

static inline void store8(uint8_t *p, uint8_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline uint64_t load_word(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void store_word(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

/* Bits first..last (inclusive, same word) set. */
static inline uint64_t word_mask(unsigned first, unsigned last)
{
	return (~0ULL >> (63 - last)) & (~0ULL << first);
}

int mem_attr_create(struct mem_attr_map **out, uint64_t limit)
{
	struct mem_attr_map *map;
	void *bits;

	*out = NULL;
	if (limit == 0 || !IS_ALIGNED(limit, 1ULL << MEM_ATTR_PAGE_SHIFT) ||
	    limit > MEM_ATTR_MAX_LIMIT)
		return -EINVAL;
	map = calloc(1, sizeof(*map));
	if (!map)
		return -ENOMEM;
	map->limit = limit;
	map->nr_pages = limit >> MEM_ATTR_PAGE_SHIFT;
	map->nr_1g = (uint32_t)(ALIGN_UP(limit, 1ULL << MEM_ATTR_1G_SHIFT) >> MEM_ATTR_1G_SHIFT);
	map->state_1g = calloc(map->nr_1g, 1);
	map->state_2m = calloc((size_t)map->nr_1g * MEM_ATTR_2M_PER_1G, 1);
	map->shared_2m = calloc(map->nr_1g, sizeof(*map->shared_2m));
	map->mixed_2m = calloc(map->nr_1g, sizeof(*map->mixed_2m));
	/* The bitmap is only touched where blocks are mixed: let the kernel hand out zero pages. */
	map->bits_bytes = (uint64_t)map->nr_1g * PAGES_1G / 8;
	bits = mmap(NULL, map->bits_bytes, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	map->bits = bits == MAP_FAILED ? NULL : bits;
	if (!map->state_1g || !map->state_2m || !map->shared_2m || !map->mixed_2m || !map->bits) {
		mem_attr_destroy(map);
		return -ENOMEM;
	}
	*out = map;
	return 0;
}

void mem_attr_destroy(struct mem_attr_map *map)
{
	if (!map)
		return;
	if (map->bits)
		munmap(map->bits, map->bits_bytes);
	free(map->state_1g);
	free(map->state_2m);
	free(map->shared_2m);
	free(map->mixed_2m);
	free(map);
}

/* ---- queries ---- */

/* Pages [p0, p1] (inclusive) of one 2 MiB block all have bit value @shared in the bitmap. */
static bool bits_uniform(const uint64_t *bits, uint64_t p0, uint64_t p1, bool shared)
{
	uint64_t flip = shared ? 0 : ~0ULL;

	for (uint64_t w = p0 >> 6; w <= p1 >> 6; w++) {
		unsigned lo = w == p0 >> 6 ? (unsigned)(p0 & 63) : 0;
		unsigned hi = w == p1 >> 6 ? (unsigned)(p1 & 63) : 63;
		uint64_t mask = word_mask(lo, hi);

		if (((load_word(&bits[w]) ^ flip) & mask) != mask)
			return false;
	}
	return true;
}

bool mem_attr_range_is_slow(const struct mem_attr_map *map, uint64_t gpa, uint64_t len,
			    enum mem_attr_state state)
{
	uint64_t first, end;
	bool shared = state == MEM_ATTR_SHARED;

	if (!range_within(gpa, len, map->limit))
		return false;
	if (len == 0)
		return true;
	if (state != MEM_ATTR_SHARED && state != MEM_ATTR_PRIVATE)
		return false;
	first = gpa >> MEM_ATTR_PAGE_SHIFT;
	end = ((gpa + len - 1) >> MEM_ATTR_PAGE_SHIFT) + 1;

	for (uint64_t p = first; p < end;) {
		uint64_t g = p / PAGES_1G, g_end = MIN(end, (g + 1) * PAGES_1G);
		uint8_t s = mem_attr_load8(&map->state_1g[g]);

		if (s != MEM_ATTR_MIXED) {
			if (s != state)
				return false;
			p = g_end;
			continue;
		}
		while (p < g_end) {
			uint64_t b = p / PAGES_2M, b_start = b * PAGES_2M;
			uint64_t b_end = MIN(g_end, b_start + PAGES_2M);

			s = mem_attr_load8(&map->state_2m[b]);
			if (s == MEM_ATTR_MIXED) {
				/* A mixed block that the range covers whole cannot be uniform. */
				if (p == b_start && b_end == b_start + PAGES_2M)
					return false;
				if (!bits_uniform(map->bits, p, b_end - 1, shared))
					return false;
			} else if (s != state) {
				return false;
			}
			p = b_end;
		}
	}
	return true;
}

/* First page in [p, end) in @state, or end. */
static uint64_t find_page(const struct mem_attr_map *map, uint64_t p, uint64_t end,
			  enum mem_attr_state state)
{
	uint64_t flip = state == MEM_ATTR_SHARED ? 0 : ~0ULL;

	while (p < end) {
		uint64_t g = p / PAGES_1G, g_end = MIN(end, (g + 1) * PAGES_1G);
		uint8_t s = mem_attr_load8(&map->state_1g[g]);

		if (s != MEM_ATTR_MIXED) {
			if (s == state)
				return p;
			p = g_end;
			continue;
		}
		while (p < g_end) {
			uint64_t b_end = MIN(g_end, (p / PAGES_2M + 1) * PAGES_2M);

			s = mem_attr_load8(&map->state_2m[p / PAGES_2M]);
			if (s == state)
				return p;
			if (s == MEM_ATTR_MIXED) {
				while (p < b_end) {
					uint64_t w = (load_word(&map->bits[p >> 6]) ^ flip) >>
						     (p & 63);

					if (w) {
						uint64_t hit = p + (uint64_t)__builtin_ctzll(w);

						if (hit < b_end)
							return hit;
						break;
					}
					p = ALIGN_DOWN(p, 64) + 64;
				}
			}
			p = b_end;
		}
	}
	return end;
}

bool mem_attr_next_run(const struct mem_attr_map *map, uint64_t gpa, uint64_t end,
		       enum mem_attr_state state, uint64_t *run_start, uint64_t *run_end)
{
	uint64_t p, e, q;
	enum mem_attr_state other;

	if (state != MEM_ATTR_SHARED && state != MEM_ATTR_PRIVATE)
		return false;
	end = MIN(end, map->limit);
	if (gpa >= end)
		return false;
	other = state == MEM_ATTR_SHARED ? MEM_ATTR_PRIVATE : MEM_ATTR_SHARED;
	p = gpa >> MEM_ATTR_PAGE_SHIFT;
	e = end >> MEM_ATTR_PAGE_SHIFT;
	p = find_page(map, p, e, state);
	if (p >= e)
		return false;
	q = find_page(map, p + 1, e, other);
	*run_start = p << MEM_ATTR_PAGE_SHIFT;
	*run_end = q << MEM_ATTR_PAGE_SHIFT;
	return true;
}

/* ---- updates ---- */

static void set_bits(uint64_t *bits, uint64_t p0, uint64_t p1, bool shared)
{
	for (uint64_t w = p0 >> 6; w <= p1 >> 6; w++) {
		unsigned lo = w == p0 >> 6 ? (unsigned)(p0 & 63) : 0;
		unsigned hi = w == p1 >> 6 ? (unsigned)(p1 & 63) : 63;
		uint64_t mask = word_mask(lo, hi), v = load_word(&bits[w]);

		store_word(&bits[w], shared ? v | mask : v & ~mask);
	}
}

/* The state the bitmap words of one 2 MiB block describe. */
static uint8_t block_state(const uint64_t *w)
{
	uint64_t all_and = ~0ULL, all_or = 0;

	for (unsigned i = 0; i < WORDS_2M; i++) {
		all_and &= w[i];
		all_or |= w[i];
	}
	return all_and == ~0ULL ? MEM_ATTR_SHARED : all_or == 0 ? MEM_ATTR_PRIVATE : MEM_ATTR_MIXED;
}

/* 1 GiB block g's summary after its 2 MiB children changed (it is mixed until now). */
static void refresh_1g(struct mem_attr_map *map, uint64_t g)
{
	if (map->shared_2m[g] == MEM_ATTR_2M_PER_1G)
		store8(&map->state_1g[g], MEM_ATTR_SHARED);
	else if (map->shared_2m[g] == 0 && map->mixed_2m[g] == 0)
		store8(&map->state_1g[g], MEM_ATTR_PRIVATE);
}

/* Changes the state of 2 MiB block b in 1 GiB block g, keeping g's child counters right. */
static void set_2m(struct mem_attr_map *map, uint64_t g, uint64_t b, uint8_t s)
{
	uint8_t old = map->state_2m[b];

	if (old == s)
		return;
	map->shared_2m[g] += (s == MEM_ATTR_SHARED) - (old == MEM_ATTR_SHARED);
	map->mixed_2m[g] += (s == MEM_ATTR_MIXED) - (old == MEM_ATTR_MIXED);
	store8(&map->state_2m[b], s);
}

/* Pages [p0, p1] of 2 MiB block b (inclusive, not the whole block) become @shared. */
static void update_partial_2m(struct mem_attr_map *map, uint64_t g, uint64_t b, uint64_t p0,
			      uint64_t p1, bool shared)
{
	uint64_t *w = &map->bits[b * WORDS_2M];
	uint8_t s = map->state_2m[b];

	if (s == (shared ? MEM_ATTR_SHARED : MEM_ATTR_PRIVATE))
		return;
	if (s != MEM_ATTR_MIXED) {
		/* Uniform until now: the stale bitmap becomes authoritative, so fill it first. */
		for (unsigned i = 0; i < WORDS_2M; i++)
			store_word(&w[i], s == MEM_ATTR_SHARED ? ~0ULL : 0);
	}
	set_bits(map->bits, p0, p1, shared);
	set_2m(map, g, b, block_state(w));
}

/* Pages [p, end) of 1 GiB block g (not the whole block) become @shared. */
static void update_partial_1g(struct mem_attr_map *map, uint64_t g, uint64_t p, uint64_t end,
			      bool shared)
{
	uint8_t want = shared ? MEM_ATTR_SHARED : MEM_ATTR_PRIVATE;
	uint8_t s = map->state_1g[g];

	if (s == want)
		return;
	if (s != MEM_ATTR_MIXED) {
		memset(&map->state_2m[g * MEM_ATTR_2M_PER_1G], s, MEM_ATTR_2M_PER_1G);
		map->shared_2m[g] = s == MEM_ATTR_SHARED ? MEM_ATTR_2M_PER_1G : 0;
		map->mixed_2m[g] = 0;
		store8(&map->state_1g[g], MEM_ATTR_MIXED);
	}
	while (p < end) {
		uint64_t b = p / PAGES_2M, b_start = b * PAGES_2M;
		uint64_t b_end = MIN(end, b_start + PAGES_2M);

		if (p == b_start && b_end == b_start + PAGES_2M)
			set_2m(map, g, b, want);
		else
			update_partial_2m(map, g, b, p, b_end - 1, shared);
		p = b_end;
	}
	refresh_1g(map, g);
}

void mem_attr_settle_2m(struct mem_attr_map *map, uint64_t gpa)
{
	uint64_t p = gpa >> MEM_ATTR_PAGE_SHIFT, g = p / PAGES_1G, b = p / PAGES_2M;
	uint8_t s = block_state(&map->bits[b * WORDS_2M]);

	if (s != MEM_ATTR_MIXED) {
		set_2m(map, g, b, s);
		refresh_1g(map, g);
	}
}

int mem_attr_set_slow(struct mem_attr_map *map, uint64_t gpa, uint64_t len, bool shared)
{
	uint64_t p, end;

	if (len == 0 || !IS_ALIGNED(gpa, 1ULL << MEM_ATTR_PAGE_SHIFT) ||
	    !IS_ALIGNED(len, 1ULL << MEM_ATTR_PAGE_SHIFT) || !range_within(gpa, len, map->limit))
		return -EINVAL;
	p = gpa >> MEM_ATTR_PAGE_SHIFT;
	end = p + (len >> MEM_ATTR_PAGE_SHIFT);
	while (p < end) {
		uint64_t g = p / PAGES_1G, g_start = g * PAGES_1G;
		uint64_t g_end = MIN(end, g_start + PAGES_1G);

		if (p == g_start && g_end == g_start + PAGES_1G)
			store8(&map->state_1g[g], shared ? MEM_ATTR_SHARED : MEM_ATTR_PRIVATE);
		else
			update_partial_1g(map, g, p, g_end, shared);
		p = g_end;
	}
	return 0;
}
