/* SPDX-License-Identifier: MIT */
/*
 * Rate limiting for log lines that something outside cvmm can cause again and again (a failing
 * disk, a guest that keeps hitting an error): at most LOG_RATELIMIT_BURST lines per window of
 * LOG_RATELIMIT_WINDOW_NS; the first line printed after a quiet spell says how many were dropped.
 * The caller passes the time (vmm/clock.h), so tests decide when windows pass.
 */
#ifndef CVMM_LOG_RATELIMIT_H
#define CVMM_LOG_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define LOG_RATELIMIT_BURST     5
#define LOG_RATELIMIT_WINDOW_NS (10ULL * 1000000000ULL)

struct log_ratelimit {
	uint64_t window_start; /* ns; 0: no line yet */
	unsigned printed;      /* lines printed in this window */
	uint64_t dropped;      /* lines dropped since the last one printed */
};

/*
 * Whether a line may be printed at now_ns.  When it may, *dropped is how many were dropped since
 * the last one printed (for the line to mention), and the count starts again.
 */
bool log_ratelimit_allow(struct log_ratelimit *rl, uint64_t now_ns, uint64_t *dropped);

#endif
