// SPDX-License-Identifier: MIT
/* Token buckets for bandwidth and operations; see rate_limiter.h for the semantics. */
#include "devices/rate_limiter.h"

typedef unsigned __int128 u128;

static void bucket_init(struct token_bucket *b, const struct rl_bucket_config *c, uint64_t now)
{
	*b = (struct token_bucket){ .last_ns = now };
	if (!c || !c->size || !c->refill_time_ms)
		return;
	b->size = c->size < RL_MAX_TOKENS ? c->size : RL_MAX_TOKENS;
	b->refill_ns = (c->refill_time_ms < RL_MAX_REFILL_MS ? c->refill_time_ms
							      : RL_MAX_REFILL_MS) * 1000000ULL;
	b->budget = (int64_t)b->size;
	b->burst = c->one_time_burst < RL_MAX_TOKENS ? c->one_time_burst : RL_MAX_TOKENS;
}

void rate_limiter_init(struct rate_limiter *rl, const struct rate_limit_config *cfg,
		       const struct clock *clock)
{
	uint64_t now;

	rl->clock = clock ? clock : &clock_monotonic;
	rl->counters = (struct rate_limiter_counters){ 0 };
	now = clock_now_ns(rl->clock);
	bucket_init(&rl->bandwidth, cfg ? &cfg->bandwidth : NULL, now);
	bucket_init(&rl->ops, cfg ? &cfg->ops : NULL, now);
}

bool rate_limiter_active(const struct rate_limiter *rl)
{
	return rl->bandwidth.size || rl->ops.size;
}

/*
 * Adds the tokens earned since last_ns: size per refill_ns.  Only whole tokens go into the
 * budget; the rest is kept exactly in carry (in units of ns * size, below refill_ns), so frequent
 * updates lose nothing.  A full bucket banks no time.
 */
static void refill(struct token_bucket *b, uint64_t now)
{
	uint64_t room;
	u128 earned;

	if (now <= b->last_ns)
		return;
	room = (uint64_t)((int64_t)b->size - b->budget);
	earned = (u128)(now - b->last_ns) * b->size + b->carry;
	b->last_ns = now;
	if (earned / b->refill_ns >= room) {
		b->budget = (int64_t)b->size;
		b->carry = 0;
		return;
	}
	b->budget += (int64_t)(earned / b->refill_ns);
	b->carry = (uint64_t)(earned % b->refill_ns);
}

/* Tokens a request of n must find in the bucket (burst included). */
static uint64_t needed(const struct token_bucket *b, uint64_t n)
{
	return n < b->size ? n : b->size;
}

static bool bucket_allows(const struct token_bucket *b, uint64_t n)
{
	int64_t need = (int64_t)needed(b, n);

	if (!b->size || (uint64_t)need <= b->burst)
		return true;
	return b->budget >= need - (int64_t)b->burst;
}

/* Nanoseconds from now until the bucket allows n (it does not now; refill() just ran). */
static uint64_t bucket_wait_ns(const struct token_bucket *b, uint64_t n)
{
	uint64_t deficit = (uint64_t)((int64_t)needed(b, n) - (int64_t)b->burst - b->budget);
	u128 owed = (u128)deficit * b->refill_ns - b->carry;
	u128 ns = (owed + b->size - 1) / b->size;

	return ns > UINT64_MAX ? UINT64_MAX : ns ? (uint64_t)ns : 1;
}

static void bucket_take(struct token_bucket *b, uint64_t n)
{
	uint64_t from_burst;

	if (!b->size)
		return;
	from_burst = n < b->burst ? n : b->burst;
	b->burst -= from_burst;
	n -= from_burst;
	if (n > RL_MAX_TOKENS)
		n = RL_MAX_TOKENS;
	b->budget -= (int64_t)n;
	if (b->budget < -(int64_t)RL_MAX_TOKENS)
		b->budget = -(int64_t)RL_MAX_TOKENS;
}

static void update(struct rate_limiter *rl)
{
	uint64_t now = clock_now_ns(rl->clock);

	if (rl->bandwidth.size)
		refill(&rl->bandwidth, now);
	if (rl->ops.size)
		refill(&rl->ops, now);
}

bool rate_limiter_may(struct rate_limiter *rl, uint64_t bytes)
{
	bool bw_ok, ops_ok;

	if (!rate_limiter_active(rl))
		return true;
	update(rl);
	bw_ok = bucket_allows(&rl->bandwidth, bytes);
	ops_ok = bucket_allows(&rl->ops, 1);
	if (!bw_ok)
		rl->counters.bandwidth_throttled++;
	if (!ops_ok)
		rl->counters.ops_throttled++;
	return bw_ok && ops_ok;
}

void rate_limiter_charge(struct rate_limiter *rl, uint64_t bytes)
{
	if (!rate_limiter_active(rl))
		return;
	update(rl);
	bucket_take(&rl->bandwidth, bytes);
	bucket_take(&rl->ops, 1);
}

bool rate_limiter_consume(struct rate_limiter *rl, uint64_t bytes)
{
	if (!rate_limiter_may(rl, bytes))
		return false;
	rate_limiter_charge(rl, bytes);
	return true;
}

uint64_t rate_limiter_wait_ns(struct rate_limiter *rl, uint64_t bytes)
{
	uint64_t wait = 0, w;

	if (!rate_limiter_active(rl))
		return 0;
	update(rl);
	if (!bucket_allows(&rl->bandwidth, bytes))
		wait = bucket_wait_ns(&rl->bandwidth, bytes);
	if (!bucket_allows(&rl->ops, 1)) {
		w = bucket_wait_ns(&rl->ops, 1);
		wait = w > wait ? w : wait;
	}
	return wait;
}
