// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>

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
