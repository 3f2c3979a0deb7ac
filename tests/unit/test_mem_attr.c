// SPDX-License-Identifier: MIT
/*
 * Unit tests of the private/shared attribute map: random operation sequences checked against a
 * naive one-byte-per-page model, alignment edges around 4 KiB / 2 MiB / 1 GiB boundaries, the
 * summary-only fast paths, the end of the map and invalid ranges.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/mem_attr.h"

#define PG   4096ULL
#define M2   (2ULL << 20)
#define G1   (1ULL << 30)
#define ALIGN_DOWN_PG(x) ((x) & ~(PG - 1))
#define MIN(a, b) ((a) < (b) ? (a) : (b))

struct model {
	struct mem_attr_map *map;
	uint8_t *page; /* 1 = shared */
	uint64_t nr_pages;
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static void model_init(struct model *m, uint64_t limit)
{
	assert_int_equal(mem_attr_create(&m->map, limit), 0);
	m->nr_pages = limit / PG;
	m->page = calloc(m->nr_pages, 1);
	assert_non_null(m->page);
}

static void model_free(struct model *m)
{
	mem_attr_destroy(m->map);
	free(m->page);
}

static void model_set(struct model *m, uint64_t gpa, uint64_t len, bool shared)
{
	assert_int_equal(mem_attr_set(m->map, gpa, len, shared), 0);
	memset(m->page + gpa / PG, shared, len / PG);
}

/* The model's answer to "is every byte of [gpa, gpa + len) in state?" */
static bool model_is(const struct model *m, uint64_t gpa, uint64_t len, bool shared)
{
	uint64_t first, end;

	if (gpa + len < gpa || gpa + len > m->nr_pages * PG)
		return false;
	if (len == 0)
		return true;
	first = gpa / PG;
	end = (gpa + len - 1) / PG + 1;
	return memchr(m->page + first, !shared, end - first) == NULL;
}

static void check_query(const struct model *m, uint64_t gpa, uint64_t len)
{
	bool want_shared = model_is(m, gpa, len, true), want_private = model_is(m, gpa, len, false);

	if (mem_attr_is_shared(m->map, gpa, len) != want_shared ||
	    mem_attr_is_private(m->map, gpa, len) != want_private)
		fail_msg("query [0x%llx, +0x%llx): map says shared %d private %d, model %d %d",
			 (unsigned long long)gpa, (unsigned long long)len,
			 mem_attr_is_shared(m->map, gpa, len),
			 mem_attr_is_private(m->map, gpa, len), want_shared, want_private);
}

/* The first run of @shared pages from page p, as the model sees it. */
static void check_next_run(const struct model *m, uint64_t p, uint64_t end, bool shared)
{
	uint64_t s = p, e, rs = 0, re = 0;
	bool found;

	while (s < end && m->page[s] != shared)
		s++;
	e = s;
	while (e < end && m->page[e] == shared)
		e++;
	found = mem_attr_next_run(m->map, p * PG, end * PG,
				  shared ? MEM_ATTR_SHARED : MEM_ATTR_PRIVATE, &rs, &re);
	if (found != (s < end) || (found && (rs != s * PG || re != e * PG)))
		fail_msg("next_run(%s) from page 0x%llx to 0x%llx: map %d [0x%llx, 0x%llx), "
			 "model [0x%llx, 0x%llx)", shared ? "shared" : "private",
			 (unsigned long long)p, (unsigned long long)end, found,
			 (unsigned long long)rs, (unsigned long long)re,
			 (unsigned long long)(s * PG), (unsigned long long)(e * PG));
}

static void check_every_page(const struct model *m)
{
	for (uint64_t p = 0; p < m->nr_pages; p++)
		if (mem_attr_is_shared(m->map, p * PG, PG) != m->page[p])
			fail_msg("page 0x%llx: map %d model %d", (unsigned long long)p,
				 mem_attr_is_shared(m->map, p * PG, PG), m->page[p]);
}

/* Queries around a changed range's edges, inside it, and at random places. */
static void check_around(const struct model *m, uint64_t gpa, uint64_t len)
{
	const uint64_t edges[] = { gpa, gpa + len };
	const int64_t deltas[] = { -(int64_t)PG, -1, 0, 1, (int64_t)PG };

	check_query(m, gpa, len);
	for (unsigned e = 0; e < 2; e++) {
		for (unsigned i = 0; i < 5; i++) {
			for (unsigned j = 0; j < 5; j++) {
				uint64_t a = edges[e] + (uint64_t)deltas[i];
				uint64_t b = edges[e] + (uint64_t)deltas[j] + PG;

				if (a < b && b <= m->nr_pages * PG)
					check_query(m, a, b - a);
			}
		}
	}
	for (unsigned i = 0; i < 4; i++) {
		uint64_t a = rnd_below(m->nr_pages * PG), l = 1 + rnd_below(4 * M2 + PG);

		check_query(m, a, l);
		check_query(m, ALIGN_DOWN_PG(a), l);
	}
}

/* A range of the kind the generator is asked for, clipped to the map. */
static void random_range(const struct model *m, uint64_t *gpa, uint64_t *len)
{
	uint64_t limit = m->nr_pages * PG, a, l;
	const uint64_t blocks[] = { PG, M2, G1 };

	switch (rnd_below(6)) {
	case 0: /* small, anywhere */
		a = rnd_below(m->nr_pages) * PG;
		l = (1 + rnd_below(1100)) * PG;
		break;
	case 1: /* whole 2 MiB blocks */
		a = rnd_below(limit / M2) * M2;
		l = (1 + rnd_below(3)) * M2;
		break;
	case 2: /* a whole 1 GiB block, or one page more or less at either end */
		a = rnd_below(limit / G1 + 1) * G1;
		l = G1;
		if (rnd_below(2)) {
			int64_t d = (int64_t)rnd_below(3) - 1;

			a += (uint64_t)(d * (int64_t)PG);
			l += (uint64_t)(((int64_t)rnd_below(3) - 1) * (int64_t)PG);
		}
		break;
	case 3: { /* from one boundary +-1 page to another */
		uint64_t b = blocks[rnd_below(3)];

		a = rnd_below(limit / b + 1) * b + (rnd_below(3) - 1) * PG;
		l = (1 + rnd_below(2)) * blocks[rnd_below(3)] + (rnd_below(3) - 1) * PG;
		break;
	}
	case 4: /* large */
		a = rnd_below(m->nr_pages) * PG;
		l = (1 + rnd_below(G1 + G1 / 2 / PG)) * PG;
		break;
	default: /* the end of the map */
		l = (1 + rnd_below(2000)) * PG;
		a = limit - MIN(l, limit);
		break;
	}
	if (a >= limit)
		a = ALIGN_DOWN_PG(rnd_below(limit));
	if (l == 0 || l > limit - a)
		l = limit - a;
	*gpa = a;
	*len = l;
}

static void run_random(uint64_t seed, uint64_t limit, unsigned nr_ops)
{
	struct model m;

	rng_state = seed;
	model_init(&m, limit);
	for (unsigned op = 0; op < nr_ops; op++) {
		uint64_t gpa, len;

		random_range(&m, &gpa, &len);
		model_set(&m, gpa, len, rnd_below(2));
		check_around(&m, gpa, len);
		if (op % 16 == 0) {
			uint64_t p = rnd_below(m.nr_pages), e = p + rnd_below(m.nr_pages - p) + 1;

			check_next_run(&m, p, e, true);
			check_next_run(&m, p, e, false);
		}
		if (op % 500 == 499)
			check_every_page(&m);
	}
	check_every_page(&m);
	model_free(&m);
}

static void test_random_sequences(void **state)
{
	/* 2 GiB + 2 MiB + 5 pages: the last 1 GiB and 2 MiB blocks are partial. */
	const uint64_t limit = 2 * G1 + M2 + 5 * PG;

	run_random(0x9e3779b97f4a7c15ULL, limit, 3000);
	run_random(42, limit, 3000);
	run_random(0xdeadbeefcafef00dULL, 3 * G1, 2000);
}

/* Fresh map, one update [a, b) (either sign), compared with the model around every boundary. */
static void one_edge_case(uint64_t limit, uint64_t a, uint64_t b, bool base_shared)
{
	struct model m;

	model_init(&m, limit);
	if (base_shared)
		model_set(&m, 0, limit, true);
	model_set(&m, a, b - a, !base_shared);
	check_around(&m, a, b - a);
	for (unsigned e = 0; e < 2; e++) {
		uint64_t edge = e ? b : a;

		for (uint64_t x = edge >= 2 * M2 ? edge - 2 * M2 : 0; x < MIN(edge + 2 * M2, limit);
		     x += PG)
			check_query(&m, x, PG);
	}
	check_next_run(&m, 0, m.nr_pages, true);
	check_next_run(&m, 0, m.nr_pages, false);
	model_free(&m);
}

static void test_alignment_edges(void **state)
{
	const uint64_t limit = 3 * G1 + 4 * M2;
	const uint64_t bounds[] = { M2, 2 * M2, G1, 2 * G1, G1 + 3 * M2 };
	const int64_t d[] = { -1, 0, 1 };

	for (unsigned i = 0; i < 5; i++) {
		for (unsigned j = 0; j < 5; j++) {
			if (bounds[j] <= bounds[i])
				continue;
			for (unsigned x = 0; x < 3; x++) {
				for (unsigned y = 0; y < 3; y++) {
					uint64_t a = bounds[i] + (uint64_t)(d[x] * (int64_t)PG);
					uint64_t b = bounds[j] + (uint64_t)(d[y] * (int64_t)PG);

					one_edge_case(limit, a, b, false);
					one_edge_case(limit, a, b, true);
				}
			}
		}
		/* Single pages at and around each boundary. */
		for (unsigned x = 0; x < 3; x++) {
			uint64_t a = bounds[i] + (uint64_t)(d[x] * (int64_t)PG);

			one_edge_case(limit, a, a + PG, false);
		}
	}
}

static void test_2m_fast_path(void **state)
{
	struct mem_attr_map *map;

	assert_int_equal(mem_attr_create(&map, 2 * G1), 0);
	assert_int_equal(mem_attr_set(map, G1 + 6 * M2, 2 * M2, true), 0);
	/* Only summaries changed: the bitmap of those blocks was never written. */
	assert_int_equal(map->state_2m[512 + 6], MEM_ATTR_SHARED);
	assert_int_equal(map->state_2m[512 + 7], MEM_ATTR_SHARED);
	assert_int_equal(map->state_1g[1], MEM_ATTR_MIXED);
	for (unsigned w = 0; w < 2 * MEM_ATTR_WORDS_2M; w++)
		assert_int_equal(map->bits[(512 + 6) * MEM_ATTR_WORDS_2M + w], 0);
	assert_true(mem_attr_is_shared(map, G1 + 6 * M2, 2 * M2));
	assert_false(mem_attr_is_shared(map, G1 + 6 * M2 - PG, 2 * M2));
	assert_false(mem_attr_is_shared(map, G1 + 6 * M2, 2 * M2 + 1));
	assert_true(mem_attr_is_private(map, G1 + 8 * M2, M2));
	/* Back to private: the 1 GiB block becomes uniform again. */
	assert_int_equal(mem_attr_set(map, G1 + 6 * M2, 2 * M2, false), 0);
	assert_int_equal(map->state_1g[1], MEM_ATTR_PRIVATE);
	mem_attr_destroy(map);
}

static void test_1g_fast_path(void **state)
{
	struct mem_attr_map *map;

	assert_int_equal(mem_attr_create(&map, 3 * G1), 0);
	assert_int_equal(mem_attr_set(map, G1, G1, true), 0);
	assert_int_equal(map->state_1g[1], MEM_ATTR_SHARED);
	for (unsigned b = 0; b < MEM_ATTR_2M_PER_1G; b++)
		assert_int_equal(map->state_2m[512 + b], MEM_ATTR_PRIVATE); /* untouched, stale */
	assert_true(mem_attr_is_shared(map, G1, G1));
	assert_true(mem_attr_is_shared(map, G1 + 12345, 4 * M2));
	assert_false(mem_attr_is_shared(map, G1 - PG, 2 * PG));
	/* Splitting it: one page private, everything else in the block still shared. */
	assert_int_equal(mem_attr_set(map, G1 + 5 * M2 + 7 * PG, PG, false), 0);
	assert_int_equal(map->state_1g[1], MEM_ATTR_MIXED);
	assert_int_equal(map->state_2m[512 + 5], MEM_ATTR_MIXED);
	assert_int_equal(map->state_2m[512 + 4], MEM_ATTR_SHARED);
	assert_true(mem_attr_is_private(map, G1 + 5 * M2 + 7 * PG, PG));
	assert_true(mem_attr_is_shared(map, G1 + 5 * M2, 7 * PG));
	assert_true(mem_attr_is_shared(map, G1 + 5 * M2 + 8 * PG, M2 - 8 * PG));
	/* A page at a time, the block becomes uniform again and so does the 1 GiB block. */
	assert_int_equal(mem_attr_set(map, G1 + 5 * M2 + 7 * PG, PG, true), 0);
	assert_int_equal(map->state_2m[512 + 5], MEM_ATTR_SHARED);
	assert_int_equal(map->state_1g[1], MEM_ATTR_SHARED);
	mem_attr_destroy(map);
}

static void test_pages_coalesce(void **state)
{
	struct mem_attr_map *map;

	assert_int_equal(mem_attr_create(&map, G1), 0);
	for (uint64_t p = 0; p < MEM_ATTR_PAGES_2M; p++) {
		assert_int_equal(mem_attr_set(map, 3 * M2 + p * PG, PG, true), 0);
		assert_int_equal(map->state_2m[3], p + 1 == MEM_ATTR_PAGES_2M ? MEM_ATTR_SHARED :
										  MEM_ATTR_MIXED);
	}
	for (uint64_t b = 0; b < MEM_ATTR_2M_PER_1G; b++)
		assert_int_equal(mem_attr_set(map, b * M2, M2, true), 0);
	assert_int_equal(map->state_1g[0], MEM_ATTR_SHARED);
	assert_true(mem_attr_is_shared(map, 0, G1));
	mem_attr_destroy(map);
}

/*
 * Single pages, the inline fast path: concentrated on a few 2 MiB blocks so that words and blocks
 * go uniform and mixed again many times, checked against the model and against the summaries
 * (a block whose pages are all on one side must say so, and so must its 1 GiB block).
 */
static void test_single_pages(void **state)
{
	const uint64_t limit = 2 * G1 + M2 + 5 * PG;
	const uint64_t blocks[] = { 0, G1 - M2, G1, 2 * G1 };
	struct model m;

	rng_state = 0x5eed5eed;
	model_init(&m, limit);
	for (unsigned op = 0; op < 200000; op++) {
		uint64_t base = blocks[rnd_below(4)], nr = MIN(M2, limit - base) / PG;
		/* A narrow window of pages: a whole word, or a block, keeps flipping back. */
		uint64_t gpa = base + (op & 1 ? rnd_below(nr) : rnd_below(MIN(nr, 70))) * PG;

		model_set(&m, gpa, PG, rnd_below(3) != 0 ? op / 5000 % 2 : rnd_below(2));
		if (op % 997 == 0) {
			check_around(&m, gpa, PG);
			for (unsigned i = 0; i < 4; i++) {
				uint64_t b = blocks[i] / M2;
				uint64_t n = MIN(M2, limit - blocks[i]);
				bool sh = model_is(&m, blocks[i], n, true);
				bool pr = model_is(&m, blocks[i], n, false);

				if (blocks[i] + M2 <= limit && (sh || pr))
					assert_int_equal(m.map->state_2m[b], sh ? MEM_ATTR_SHARED :
										  MEM_ATTR_PRIVATE);
			}
		}
	}
	check_every_page(&m);
	/* Everything back to private a page at a time: every summary says private again. */
	for (unsigned i = 0; i < 4; i++)
		for (uint64_t a = blocks[i]; a < MIN(blocks[i] + M2, limit); a += PG)
			model_set(&m, a, PG, false);
	for (unsigned g = 0; g < 2; g++)
		assert_int_equal(m.map->state_1g[g], MEM_ATTR_PRIVATE);
	assert_true(mem_attr_is_private(m.map, 0, limit));
	model_free(&m);
}

static void test_end_of_map(void **state)
{
	const uint64_t limit = G1 + M2 + 3 * PG; /* partial 2 MiB and 1 GiB blocks at the end */
	struct model m;

	model_init(&m, limit);
	model_set(&m, limit - PG, PG, true);
	check_around(&m, limit - PG, PG);
	model_set(&m, G1, limit - G1, true);
	check_around(&m, G1, limit - G1);
	assert_int_equal(mem_attr_set(m.map, limit - PG, 2 * PG, true), -EINVAL);
	assert_int_equal(mem_attr_set(m.map, limit, PG, true), -EINVAL);
	assert_false(mem_attr_is_shared(m.map, limit - PG, PG + 1));
	assert_false(mem_attr_is_shared(m.map, limit, 1));
	assert_true(mem_attr_is_shared(m.map, limit, 0));
	assert_false(mem_attr_is_shared(m.map, limit + PG, 0));
	/* Everything shared but the blocks reach past the end: queries still see it all shared. */
	model_set(&m, 0, limit, true);
	assert_true(mem_attr_is_shared(m.map, 0, limit));
	check_every_page(&m);
	model_free(&m);
}

/* The x86 layout: RAM below the 3 GiB MMIO hole, the rest from 4 GiB; the map spans both. */
static void test_two_ram_regions(void **state)
{
	const uint64_t hole = 3 * G1, high = 4 * G1, limit = high + G1 / 2;
	struct model m;

	model_init(&m, limit);
	model_set(&m, hole - 4 * M2 - PG, 4 * M2 + PG, true); /* the top of low RAM */
	check_around(&m, hole - 4 * M2 - PG, 4 * M2 + PG);
	model_set(&m, high, 2 * M2 + PG, true); /* the bottom of high RAM */
	check_around(&m, high, 2 * M2 + PG);
	model_set(&m, limit - 3 * M2, 3 * M2, true); /* the end of high RAM */
	check_around(&m, limit - 3 * M2, 3 * M2);
	assert_false(mem_attr_is_shared(m.map, hole - PG, high - hole + 2 * PG));
	check_next_run(&m, (hole - 5 * M2) / PG, limit / PG, true);
	check_next_run(&m, hole / PG, limit / PG, true);
	check_every_page(&m);
	model_free(&m);
}

static void test_invalid(void **state)
{
	struct mem_attr_map *map;

	assert_int_equal(mem_attr_create(&map, 0), -EINVAL);
	assert_null(map);
	assert_int_equal(mem_attr_create(&map, G1 + 1), -EINVAL);
	assert_int_equal(mem_attr_create(&map, MEM_ATTR_MAX_LIMIT + PG), -EINVAL);
	assert_int_equal(mem_attr_create(&map, G1), 0);
	assert_int_equal(mem_attr_set(map, 0, 0, true), -EINVAL);
	assert_int_equal(mem_attr_set(map, 1, PG, true), -EINVAL);
	assert_int_equal(mem_attr_set(map, PG, PG + 1, true), -EINVAL);
	assert_int_equal(mem_attr_set(map, ~0ULL & ~(PG - 1), 2 * PG, true), -EINVAL);
	assert_int_equal(mem_attr_set(map, 0, ~0ULL & ~(PG - 1), true), -EINVAL);
	assert_int_equal(mem_attr_set(map, G1, PG, true), -EINVAL);
	/* Nothing changed. */
	assert_true(mem_attr_is_private(map, 0, G1));
	assert_false(mem_attr_is_shared(map, ~0ULL - 10, 100)); /* wraps */
	assert_false(mem_attr_is_private(map, G1 - PG, 2 * PG));
	assert_false(mem_attr_range_is(map, 0, PG, MEM_ATTR_MIXED));
	mem_attr_destroy(map);
	mem_attr_destroy(NULL);
}

static void test_large_map_is_lazy(void **state)
{
	struct mem_attr_map *map;

	/* 1 TiB of RAM above 4 GiB: the summaries are small and the bitmap is only reserved. */
	assert_int_equal(mem_attr_create(&map, MEM_ATTR_MAX_LIMIT), 0);
	assert_int_equal(mem_attr_set(map, MEM_ATTR_MAX_LIMIT - G1, G1, true), 0);
	assert_int_equal(mem_attr_set(map, 7 * PG, PG, true), 0);
	assert_true(mem_attr_is_shared(map, MEM_ATTR_MAX_LIMIT - 4 * M2, 4 * M2));
	assert_true(mem_attr_is_shared(map, 7 * PG, PG));
	assert_false(mem_attr_is_shared(map, 6 * PG, 2 * PG));
	mem_attr_destroy(map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_sequences),
		cmocka_unit_test(test_alignment_edges),
		cmocka_unit_test(test_2m_fast_path),
		cmocka_unit_test(test_1g_fast_path),
		cmocka_unit_test(test_pages_coalesce),
		cmocka_unit_test(test_single_pages),
		cmocka_unit_test(test_end_of_map),
		cmocka_unit_test(test_two_ram_regions),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_large_map_is_lazy),
	};

	return cmocka_run_group_tests_name("mem_attr", tests, NULL, NULL);
}
