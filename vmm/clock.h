/* SPDX-License-Identifier: MIT */
/*
 * A clock that code asks for the time instead of calling clock_gettime() itself, so that tests can
 * replace it: the event loop's busy-poll windows, rate limiters, the boot timer.
 */
#ifndef CVMM_CLOCK_H
#define CVMM_CLOCK_H

#include <stdint.h>

struct clock {
	uint64_t (*now_ns)(const struct clock *c);
	void *ctx;
};

/* CLOCK_MONOTONIC. */
extern const struct clock clock_monotonic;

static inline uint64_t clock_now_ns(const struct clock *c)
{
	return c->now_ns(c);
}

/* A clock that moves only when told to (tests). */
struct manual_clock {
	struct clock clock;
	uint64_t now;
};

void manual_clock_init(struct manual_clock *m, uint64_t start_ns);
static inline void manual_clock_advance(struct manual_clock *m, uint64_t ns)
{
	__atomic_add_fetch(&m->now, ns, __ATOMIC_RELAXED);
}

#endif
