/* SPDX-License-Identifier: MIT */
/*
 * Private/shared attribute of every 4 KiB guest page in [0, limit), built for fast queries and
 * fast large updates.
 *
 * Three levels, each authoritative only where the level above says "mixed":
 *   - one state per 1 GiB block (private, shared or mixed),
 *   - one state per 2 MiB block,
 *   - one bit per 4 KiB page (1 = shared).
 * A uniform block hides everything below it, so converting an aligned 2 MiB or 1 GiB block writes
 * one summary byte, and the common query (a descriptor inside one 2 MiB block) is two byte loads
 * plus, only for a mixed block, one or two bitmap words.  When a partial update splits a uniform
 * block, the level below is first filled with the block's state; when an update leaves a block
 * uniform again, its summary says so and the level below goes stale.
 *
 * Updates must be serialized by the caller.  Queries may run concurrently with an update from other
 * threads; they then see each touched page either before or after the update.
 */
#ifndef CVMM_MEM_ATTR_H
#define CVMM_MEM_ATTR_H

#include <stdbool.h>
#include <stdint.h>

#define MEM_ATTR_PAGE_SHIFT 12
#define MEM_ATTR_2M_SHIFT   21
#define MEM_ATTR_1G_SHIFT   30
#define MEM_ATTR_PAGES_2M   (1U << (MEM_ATTR_2M_SHIFT - MEM_ATTR_PAGE_SHIFT)) /* 512 */
#define MEM_ATTR_WORDS_2M   (MEM_ATTR_PAGES_2M / 64)                           /* 8 */
#define MEM_ATTR_2M_PER_1G  (1U << (MEM_ATTR_1G_SHIFT - MEM_ATTR_2M_SHIFT))    /* 512 */

/* The largest map: 1 TiB of RAM above the 4 GiB boundary. */
#define MEM_ATTR_MAX_LIMIT (1ULL << 41)

enum mem_attr_state {
	MEM_ATTR_PRIVATE = 0,
	MEM_ATTR_SHARED = 1,
	MEM_ATTR_MIXED = 2,
};

struct mem_attr_map {
	uint64_t limit;      /* bytes of GPA space covered, a multiple of 4 KiB */
	uint64_t nr_pages;   /* limit / 4 KiB */
	uint32_t nr_1g;      /* blocks, rounded up */
	uint8_t *state_1g;   /* [nr_1g] */
	uint8_t *state_2m;   /* [nr_1g * 512] */
	uint16_t *shared_2m; /* [nr_1g]: 2 MiB children all shared (valid while 1 GiB is mixed) */
	uint16_t *mixed_2m;  /* [nr_1g]: 2 MiB children mixed (same) */
	uint64_t *bits;      /* [nr_1g * 512 * 8], mapped lazily */
	uint64_t bits_bytes;
	uint64_t refusals;   /* guest_mem_dma() ranges refused as not shared (atomic) */
};

/* A map of [0, limit) with every page private; limit is a non-zero multiple of 4 KiB. */
int mem_attr_create(struct mem_attr_map **out, uint64_t limit);
void mem_attr_destroy(struct mem_attr_map *map);

/* mem_attr_set() for any range; the inline function below takes the common page first. */
int mem_attr_set_slow(struct mem_attr_map *map, uint64_t gpa, uint64_t len, bool shared);
/* After a page of a mixed 2 MiB block changed: marks the block (and its 1 GiB block) uniform if
 * it has become so. */
void mem_attr_settle_2m(struct mem_attr_map *map, uint64_t gpa);

/* True when every page of [gpa, gpa + len) is in @state (shared or private); false outside the map.
 * An empty range is uniform when gpa <= limit. */
bool mem_attr_range_is_slow(const struct mem_attr_map *map, uint64_t gpa, uint64_t len,
			    enum mem_attr_state state);

/*
 * First run of pages in @state inside [gpa, end): sets *run_start and *run_end (page aligned) and
 * returns true, or returns false when there is none.  gpa and end must be page aligned.
 */
bool mem_attr_next_run(const struct mem_attr_map *map, uint64_t gpa, uint64_t end,
		       enum mem_attr_state state, uint64_t *run_start, uint64_t *run_end);

static inline uint8_t mem_attr_load8(const uint8_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/*
 * True when [gpa, gpa + len) lies inside the map and every byte of it is in @state.  Ranges inside
 * one 2 MiB block (every virtio descriptor in practice) take a few loads; longer ones cost one
 * summary load per 2 MiB plus at most two partial blocks of bitmap.
 */
static inline bool mem_attr_range_is(const struct mem_attr_map *map, uint64_t gpa, uint64_t len,
				     enum mem_attr_state state)
{
	uint64_t first = gpa >> MEM_ATTR_PAGE_SHIFT, last = (gpa + len - 1) >> MEM_ATTR_PAGE_SHIFT;
	uint64_t word, mask;
	uint8_t s;

	if (len == 0 || gpa + len < gpa || gpa + len > map->limit ||
	    (first >> 9) != (last >> 9) || (first >> 6) != (last >> 6))
		return mem_attr_range_is_slow(map, gpa, len, state);
	s = mem_attr_load8(&map->state_1g[first >> 18]);
	if (s != MEM_ATTR_MIXED)
		return s == state;
	s = mem_attr_load8(&map->state_2m[first >> 9]);
	if (s != MEM_ATTR_MIXED)
		return s == state;
	word = __atomic_load_n(&map->bits[first >> 6], __ATOMIC_RELAXED);
	if (state == MEM_ATTR_PRIVATE)
		word = ~word;
	mask = (~0ULL >> (63 - (last & 63))) & (~0ULL << (first & 63));
	return (word & mask) == mask;
}

/*
 * Sets [gpa, gpa + len) shared or private.  -EINVAL unless gpa and len are 4 KiB aligned, len is
 * non-zero and the range lies inside the map.
 *
 * One page of a mixed 2 MiB block (an SNP page-state change, a bounce buffer's page) changes one
 * bitmap word; only when that word becomes uniform are the block's other words, in the same cache
 * line, looked at.  Everything else goes through the summaries (mem_attr_set_slow).
 */
static inline int mem_attr_set(struct mem_attr_map *map, uint64_t gpa, uint64_t len, bool shared)
{
	uint64_t p = gpa >> MEM_ATTR_PAGE_SHIFT, bit = 1ULL << (p & 63), old, val;
	uint64_t *w;

	if (len != 1ULL << MEM_ATTR_PAGE_SHIFT || (gpa & (len - 1)) || gpa >= map->limit ||
	    map->state_1g[gpa >> MEM_ATTR_1G_SHIFT] != MEM_ATTR_MIXED ||
	    map->state_2m[gpa >> MEM_ATTR_2M_SHIFT] != MEM_ATTR_MIXED)
		return mem_attr_set_slow(map, gpa, len, shared);
	w = &map->bits[p >> 6];
	old = __atomic_load_n(w, __ATOMIC_RELAXED);
	val = shared ? old | bit : old & ~bit;
	if (val != old) {
		__atomic_store_n(w, val, __ATOMIC_RELAXED);
		if (val == 0 || val == ~0ULL)
			mem_attr_settle_2m(map, gpa);
	}
	return 0;
}

static inline bool mem_attr_is_shared(const struct mem_attr_map *map, uint64_t gpa, uint64_t len)
{
	return mem_attr_range_is(map, gpa, len, MEM_ATTR_SHARED);
}

static inline bool mem_attr_is_private(const struct mem_attr_map *map, uint64_t gpa, uint64_t len)
{
	return mem_attr_range_is(map, gpa, len, MEM_ATTR_PRIVATE);
}

#endif
