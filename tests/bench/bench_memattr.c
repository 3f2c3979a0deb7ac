// SPDX-License-Identifier: MIT
/*
 * Microbenchmark of the private/shared attribute map (vmm/mem_attr.h) over a 64 GiB guest, against
 * two plain per-page bitmaps run on the same inputs in the same process:
 *   - "per-page": one bit per page, ranges handled page by page (the naive structure),
 *   - "word-wise": the same bitmap, ranges handled 64 pages per word operation.
 * Only the data structures are timed (no syscalls, no guest RAM).  Prints ns per operation, the
 * median of several runs, and the speed-up of the map over each baseline.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/mem_attr.h"

#define PG        4096ULL
#define M2        (2ULL << 20)
#define MAP_BYTES (64ULL << 30)
#define NR_PAGES  (MAP_BYTES / PG)
#define RUNS      7
#define NR_OPS    (1U << 18)

/* ---- the baseline: a plain bitmap, 1 = shared ---- */

static uint64_t *bitmap;

static void pp_set(uint64_t gpa, uint64_t len, bool shared)
{
	for (uint64_t p = gpa / PG; p < (gpa + len) / PG; p++) {
		if (shared)
			bitmap[p >> 6] |= 1ULL << (p & 63);
		else
			bitmap[p >> 6] &= ~(1ULL << (p & 63));
	}
}

static bool pp_shared(uint64_t gpa, uint64_t len)
{
	for (uint64_t p = gpa / PG; p <= (gpa + len - 1) / PG; p++)
		if (!(bitmap[p >> 6] >> (p & 63) & 1))
			return false;
	return true;
}

static inline uint64_t mask_of(uint64_t p, uint64_t last)
{
	unsigned lo = (unsigned)(p & 63), hi = (p >> 6) == (last >> 6) ? (unsigned)(last & 63) : 63;

	return (~0ULL >> (63 - hi)) & (~0ULL << lo);
}

static void ww_set(uint64_t gpa, uint64_t len, bool shared)
{
	uint64_t last = (gpa + len) / PG - 1;

	for (uint64_t p = gpa / PG; p <= last; p = (p | 63) + 1) {
		uint64_t m = mask_of(p, last);

		bitmap[p >> 6] = shared ? bitmap[p >> 6] | m : bitmap[p >> 6] & ~m;
	}
}

static bool ww_shared(uint64_t gpa, uint64_t len)
{
	uint64_t last = (gpa + len - 1) / PG;

	for (uint64_t p = gpa / PG; p <= last; p = (p | 63) + 1) {
		uint64_t m = mask_of(p, last);

		if ((bitmap[p >> 6] & m) != m)
			return false;
	}
	return true;
}

/* ---- inputs ---- */

struct req {
	uint64_t gpa, len;
	bool shared;
};

static uint64_t rng = 0x243f6a8885a308d3ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static struct req *reqs;

enum workload { W_CONV_4K, W_CONV_2M, W_QUERY_1500, W_QUERY_64K, W_QUERY_2M, W_MAX };

static const char *const names[W_MAX] = {
	"convert 4 KiB (random page)",
	"convert 2 MiB (aligned)",
	"query 1500 B (DMA buffer)",
	"query 64 KiB (unaligned)",
	"query 2 MiB (aligned)",
};

/* Guest-like state for queries: a 64 MiB bounce pool shared, plus 20000 scattered shared pages. */
#define SWIOTLB_GPA (2ULL << 30)
#define SWIOTLB_LEN (64ULL << 20)

static void make_inputs(enum workload w)
{
	for (unsigned i = 0; i < NR_OPS; i++) {
		struct req *r = &reqs[i];
		bool in_pool = rnd() & 1;

		r->shared = rnd() & 1;
		switch (w) {
		case W_CONV_4K:
			r->gpa = (rnd() % NR_PAGES) * PG;
			r->len = PG;
			break;
		case W_CONV_2M:
			r->gpa = (rnd() % (MAP_BYTES / M2)) * M2;
			r->len = M2;
			break;
		case W_QUERY_1500:
			r->len = 1500;
			r->gpa = in_pool ? SWIOTLB_GPA + rnd() % (SWIOTLB_LEN - r->len)
					 : rnd() % (MAP_BYTES - r->len);
			break;
		case W_QUERY_64K:
			r->len = 64 << 10;
			r->gpa = in_pool ? SWIOTLB_GPA + rnd() % (SWIOTLB_LEN - r->len)
					 : rnd() % (MAP_BYTES - r->len);
			break;
		default:
			r->len = M2;
			r->gpa = in_pool ? SWIOTLB_GPA + (rnd() % (SWIOTLB_LEN / M2)) * M2
					 : (rnd() % (MAP_BYTES / M2)) * M2;
			break;
		}
	}
}

static void guest_like_state(struct mem_attr_map *map)
{
	uint64_t save = rng;

	memset(bitmap, 0, NR_PAGES / 8);
	mem_attr_set(map, 0, MAP_BYTES, false);
	mem_attr_set(map, SWIOTLB_GPA, SWIOTLB_LEN, true);
	ww_set(SWIOTLB_GPA, SWIOTLB_LEN, true);
	for (unsigned i = 0; i < 20000; i++) {
		uint64_t gpa = (rnd() % NR_PAGES) * PG;

		mem_attr_set(map, gpa, PG, true);
		ww_set(gpa, PG, true);
	}
	rng = save;
}

/* ---- timing ---- */

enum impl { I_MAP, I_PER_PAGE, I_WORD_WISE, I_MAX };

static volatile uint64_t sink;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double run_once(struct mem_attr_map *map, enum workload w, enum impl impl)
{
	bool query = w >= W_QUERY_1500;
	uint64_t hits = 0;
	double t0 = now_ns();

	for (unsigned i = 0; i < NR_OPS; i++) {
		const struct req *r = &reqs[i];

		if (query) {
			hits += impl == I_MAP        ? mem_attr_is_shared(map, r->gpa, r->len) :
				impl == I_PER_PAGE   ? pp_shared(r->gpa, r->len) :
						       ww_shared(r->gpa, r->len);
		} else if (impl == I_MAP) {
			hits += (uint64_t)mem_attr_set(map, r->gpa, r->len, r->shared);
		} else if (impl == I_PER_PAGE) {
			pp_set(r->gpa, r->len, r->shared);
		} else {
			ww_set(r->gpa, r->len, r->shared);
		}
	}
	sink += hits;
	return (now_ns() - t0) / NR_OPS;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_ns(struct mem_attr_map *map, enum workload w, enum impl impl)
{
	double t[RUNS];

	run_once(map, w, impl); /* warm up */
	for (int i = 0; i < RUNS; i++)
		t[i] = run_once(map, w, impl);
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	return t[RUNS / 2];
}

int main(void)
{
	struct mem_attr_map *map;
	double ns[W_MAX][I_MAX];

	reqs = calloc(NR_OPS, sizeof(*reqs));
	bitmap = calloc(NR_PAGES / 64, sizeof(*bitmap));
	if (!reqs || !bitmap || mem_attr_create(&map, MAP_BYTES)) {
		fprintf(stderr, "bench-memattr: out of memory\n");
		return 1;
	}
	for (enum workload w = 0; w < W_MAX; w++) {
		make_inputs(w);
		for (enum impl i = 0; i < I_MAX; i++) {
			if (w >= W_QUERY_1500)
				guest_like_state(map);
			else
				memset(bitmap, 0, NR_PAGES / 8);
			ns[w][i] = median_ns(map, w, i);
		}
	}

	printf("\nmemory attribute map: 64 GiB guest (%llu pages), ns/op, median of %d runs of "
	       "%u ops\n", (unsigned long long)NR_PAGES, RUNS, NR_OPS);
	printf("%-30s %10s %12s %8s %12s %8s\n", "operation", "map", "per-page", "speedup",
	       "word-wise", "speedup");
	for (enum workload w = 0; w < W_MAX; w++)
		printf("%-30s %10.1f %12.1f %7.1fx %12.1f %7.1fx\n", names[w], ns[w][I_MAP],
		       ns[w][I_PER_PAGE], ns[w][I_PER_PAGE] / ns[w][I_MAP], ns[w][I_WORD_WISE],
		       ns[w][I_WORD_WISE] / ns[w][I_MAP]);
	printf("targets: query <= 20 ns (1500 B: %s), 2 MiB conversion <= 1000 ns (%s), "
	       ">= 10x the per-page bitmap on 2 MiB (%s)\n",
	       ns[W_QUERY_1500][I_MAP] <= 20 ? "met" : "missed",
	       ns[W_CONV_2M][I_MAP] <= 1000 ? "met" : "missed",
	       ns[W_CONV_2M][I_PER_PAGE] / ns[W_CONV_2M][I_MAP] >= 10 &&
			       ns[W_QUERY_2M][I_PER_PAGE] / ns[W_QUERY_2M][I_MAP] >= 10 ?
		       "met" : "missed");
	mem_attr_destroy(map);
	free(reqs);
	free(bitmap);
	return 0;
}
