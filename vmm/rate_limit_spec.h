/* SPDX-License-Identifier: MIT */
/* The text form of a rate limit, the value of --net rx_rate= / tx_rate= and --drive rate=. */
#ifndef CVMM_RATE_LIMIT_SPEC_H
#define CVMM_RATE_LIMIT_SPEC_H

#include "vmm/config.h"

struct error;

/*
 * Parses one or both of
 *     bw:SIZE:REFILL_MS[:BURST]      bytes; SIZE and BURST take K, M, G (binary) suffixes
 *     ops:SIZE:REFILL_MS[:BURST]     operations
 * joined by '+', e.g. "bw:10M:1000+ops:2000:1000:500".  Fills out (unmentioned buckets are off)
 * or returns -EINVAL with a usage error in e.  Numbers only: their ranges are config_validate()'s.
 */
int rate_limit_parse(const char *spec, struct rate_limit_config *out, struct error *e);

#endif
