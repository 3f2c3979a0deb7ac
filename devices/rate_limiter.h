/* SPDX-License-Identifier: MIT */
/*
 * Rate limiting for device I/O: two token buckets per direction, one counting bytes and one
 * counting operations (frames, requests), with Firecracker's parameters:
 *
 *   size            tokens the bucket holds, refilled in full every refill_time_ms;
 *   one_time_burst  extra tokens available once at start, spent before the bucket;
 *   refill_time_ms  the refill period (the rate is size / refill_time_ms).
 *
 * The bucket starts full.  A request of n tokens goes when the bucket (burst included) holds
 * min(n, size) tokens; it then takes all n, so a request larger than the bucket leaves a debt
 * that the refill pays back before the next one goes (the long-run rate holds whatever the request
 * sizes).  A bucket of size 0 does not limit.  Time comes from a struct clock (vmm/clock.h; the
 * device environment's, a manual clock in tests), so tests need no sleeps; the limiter never
 * sleeps or arms timers itself: it tells the caller how long to wait.  The configuration types are
 * vmm/config.h's; vmm/rate_limit_spec.h parses their text form (docs/net.md).
 *
 * Not thread-safe: the owner serialises calls (devices do under their lock).
 */
#ifndef CVMM_RATE_LIMITER_H
#define CVMM_RATE_LIMITER_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/clock.h"
#include "vmm/config.h"

struct token_bucket {
	uint64_t size;       /* 0: unlimited */
	uint64_t refill_ns;
	int64_t budget;      /* tokens in the bucket; negative while a large request is paid back */
	uint64_t burst;      /* one-time burst left */
	uint64_t carry;      /* fraction of a token earned, in ns * size (< refill_ns) */
	uint64_t last_ns;    /* when budget was last brought up to date */
};

struct rate_limiter_counters {
	uint64_t bandwidth_throttled; /* requests held back for want of bytes */
	uint64_t ops_throttled;       /* ... for want of operations */
};

struct rate_limiter {
	struct token_bucket bandwidth;
	struct token_bucket ops;
	const struct clock *clock;
	struct rate_limiter_counters counters;
};

/* Both buckets full, bursts available; cfg NULL or all-zero: no limit.  clock (NULL:
 * CLOCK_MONOTONIC) must outlive the limiter. */
void rate_limiter_init(struct rate_limiter *rl, const struct rate_limit_config *cfg,
		       const struct clock *clock);
/* Whether any bucket limits at all. */
bool rate_limiter_active(const struct rate_limiter *rl);

/*
 * Whether one operation of bytes may go now (nothing is taken).  A refusal is counted as a
 * throttle of each bucket that refused.  bytes = 1 asks "is there any budget left", for requests
 * whose size is only known once done (then charged with rate_limiter_charge()).
 */
bool rate_limiter_may(struct rate_limiter *rl, uint64_t bytes);
/* Takes one operation and bytes, whatever the buckets hold (they may go into debt). */
void rate_limiter_charge(struct rate_limiter *rl, uint64_t bytes);
/* rate_limiter_may() then, if allowed, rate_limiter_charge(); true when the operation may go. */
bool rate_limiter_consume(struct rate_limiter *rl, uint64_t bytes);
/* Nanoseconds until rate_limiter_may(bytes) holds (0: now); counts nothing. */
uint64_t rate_limiter_wait_ns(struct rate_limiter *rl, uint64_t bytes);

#endif
