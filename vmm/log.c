// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "vmm/log.h"

enum log_level log_threshold = LOG_WARN;

static const char *const level_names[] = {
	[LOG_ERROR] = "error",
	[LOG_WARN] = "warning",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (level > log_threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line so lines from different threads do not interleave. */
	fprintf(stderr, "cvmm: %s: %s\n", level_names[level], line);
}

static struct timespec startup_t0;

void log_startup_begin(void)
{
	clock_gettime(CLOCK_MONOTONIC, &startup_t0);
}

void log_startup(const char *phase)
{
	struct timespec now;

	if (log_threshold < LOG_DEBUG)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	log_msg(LOG_DEBUG, "start-up: %s at %.3f ms", phase,
		(double)(now.tv_sec - startup_t0.tv_sec) * 1e3 +
			(double)(now.tv_nsec - startup_t0.tv_nsec) / 1e6);
}
