// SPDX-License-Identifier: MIT
#include "vmm/log_ratelimit.h"

bool log_ratelimit_allow(struct log_ratelimit *rl, uint64_t now_ns, uint64_t *dropped)
{
	if (!rl->window_start || now_ns - rl->window_start >= LOG_RATELIMIT_WINDOW_NS) {
		rl->window_start = now_ns ? now_ns : 1;
		rl->printed = 0;
	}
	if (rl->printed >= LOG_RATELIMIT_BURST) {
		rl->dropped++;
		return false;
	}
	rl->printed++;
	*dropped = rl->dropped;
	rl->dropped = 0;
	return true;
}
