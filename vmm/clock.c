// SPDX-License-Identifier: MIT
#include <time.h>

#include "vmm/clock.h"

static uint64_t monotonic_now(const struct clock *c)
{
	struct timespec ts;

	(void)c;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

const struct clock clock_monotonic = { .now_ns = monotonic_now };

static uint64_t manual_now(const struct clock *c)
{
	const struct manual_clock *m = c->ctx;

	return __atomic_load_n(&m->now, __ATOMIC_RELAXED);
}

void manual_clock_init(struct manual_clock *m, uint64_t start_ns)
{
	m->clock = (struct clock){ .now_ns = manual_now, .ctx = m };
	m->now = start_ns;
}
