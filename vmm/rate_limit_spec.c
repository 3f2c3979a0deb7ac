// SPDX-License-Identifier: MIT
/* The text form of a rate limiter: "bw:SIZE:REFILL_MS[:BURST]+ops:SIZE:REFILL_MS[:BURST]". */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "vmm/error.h"
#include "vmm/rate_limit_spec.h"
#include "vmm/util.h"

#define ERR(...) error_set(e, ERROR_USAGE, EINVAL, __VA_ARGS__)

#define SPEC_MAX 256
#define FIELDS_MAX 4

/* Splits s in place at sep into at most max fields; returns their number, or max + 1. */
static unsigned split(char *s, char sep, char **fields, unsigned max)
{
	unsigned n = 0;

	for (;;) {
		char *next = strchr(s, sep);

		if (n == max)
			return max + 1;
		fields[n++] = s;
		if (!next)
			return n;
		*next = 0;
		s = next + 1;
	}
}

static int parse_bucket(char *text, struct rate_limit_config *out, bool *seen_bw,
			bool *seen_ops, struct error *e)
{
	char *f[FIELDS_MAX];
	unsigned n = split(text, ':', f, FIELDS_MAX);
	struct rl_bucket_config *b;
	bool bytes, *seen;
	uint64_t v;

	if (!strcmp(f[0], "bw")) {
		b = &out->bandwidth;
		bytes = true;
		seen = seen_bw;
	} else if (!strcmp(f[0], "ops")) {
		b = &out->ops;
		bytes = false;
		seen = seen_ops;
	} else {
		return ERR("'%s': a bucket starts with bw: or ops:", f[0]);
	}
	if (*seen)
		return ERR("%s given twice", f[0]);
	*seen = true;
	if (n < 3 || n > FIELDS_MAX)
		return ERR("%s: expected %s:SIZE:REFILL_MS[:BURST]", f[0], f[0]);
	if (parse_u64(f[1], &v, bytes) || v == 0)
		return ERR("%s: size '%s' is not a positive number%s", f[0], f[1],
			   bytes ? " (K, M, G allowed)" : "");
	b->size = v;
	if (parse_u64(f[2], &v, false) || v == 0)
		return ERR("%s: refill time '%s' is not a positive number of ms", f[0], f[2]);
	b->refill_time_ms = v;
	if (n == 4) {
		if (parse_u64(f[3], &v, bytes))
			return ERR("%s: burst '%s' is not a number", f[0], f[3]);
		b->one_time_burst = v;
	}
	return 0;
}

int rate_limit_parse(const char *spec, struct rate_limit_config *out, struct error *e)
{
	char copy[SPEC_MAX], *buckets[3];
	bool seen_bw = false, seen_ops = false;
	unsigned n;

	*out = (struct rate_limit_config){ 0 };
	if (!spec || !*spec)
		return ERR("empty rate limit (expected bw:SIZE:REFILL_MS[:BURST] and/or "
			   "ops:SIZE:REFILL_MS[:BURST], joined by +)");
	if (strlen(spec) >= sizeof(copy))
		return ERR("rate limit spec is too long");
	memcpy(copy, spec, strlen(spec) + 1);
	n = split(copy, '+', buckets, 2);
	if (n > 2)
		return ERR("at most two buckets (bw and ops)");
	for (unsigned i = 0; i < n; i++)
		if (parse_bucket(buckets[i], out, &seen_bw, &seen_ops, e))
			return -EINVAL;
	return 0;
}
