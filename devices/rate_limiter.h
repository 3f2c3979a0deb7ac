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
 * sizes).  A bucket of size 0 does not limit.  Time comes from an injected clock so tests need no
 * sleeps; the limiter never sleeps or arms timers itself: it tells the caller how long to wait.
 * See docs/net.md for the --net / --drive syntax.
 *
 * Not thread-safe: the owner serialises calls (devices do under their lock).
 */
#ifndef CVMM_RATE_LIMITER_H
#define CVMM_RATE_LIMITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A clock in nanoseconds; monotonic, never going back. */
struct rl_clock {
	uint64_t (*now_ns)(void *opaque);
	void *opaque;
};

/* CLOCK_MONOTONIC. */
extern const struct rl_clock rl_clock_monotonic;

#define RL_MAX_TOKENS    (1ULL << 60)
#define RL_MAX_REFILL_MS (24ULL * 60 * 60 * 1000) /* one day */

struct rl_bucket_config {
	uint64_t size;           /* 0: no limit */
	uint64_t one_time_burst;
	uint64_t refill_time_ms; /* > 0 when size > 0 */
};

struct rate_limit_config {
	struct rl_bucket_config bandwidth; /* bytes */
	struct rl_bucket_config ops;       /* operations */
};

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
	struct rl_clock clock;
	struct rate_limiter_counters counters;
};

/* Both buckets full, bursts available; cfg NULL or all-zero: no limit. */
void rate_limiter_init(struct rate_limiter *rl, const struct rate_limit_config *cfg,
		       const struct rl_clock *clock);
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

/*
 * Parses a limiter spec: one or both of
 *     bw:SIZE:REFILL_MS[:BURST]      bytes; SIZE and BURST take K, M, G (binary) suffixes
 *     ops:SIZE:REFILL_MS[:BURST]     operations
 * joined by '+', e.g. "bw:10M:1000+ops:2000:1000:500".  Fills out (unmentioned buckets are off)
 * or writes one line to err and returns -1.  The value of --net rx_rate= / tx_rate= and of
 * --drive rate=.
 */
int rate_limit_parse(const char *spec, struct rate_limit_config *out, char *err, size_t errlen);

#endif
