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

static void vlog(enum log_level level, const char *file, int lineno, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

static void vlog(enum log_level level, const char *file, int lineno, const char *fmt, va_list ap)
{
	char line[1024];

	if (level > log_threshold)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_file_active() && logger_emit(level, file, lineno, line) == 0)
		return;
	/* One write per line so lines from different threads do not interleave. */
	fprintf(stderr, "cvmm: %s: %s\n", level_names[level], line);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, NULL, 0, fmt, ap);
	va_end(ap);
}

void log_msg_at(enum log_level level, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, file, line, fmt, ap);
	va_end(ap);
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
