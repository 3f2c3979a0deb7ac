/* SPDX-License-Identifier: MIT */
/*
 * One-line diagnostics on stderr.  Functions return negative errno; the caller that knows the
 * context prints one line with log_error() and passes the error up.
 */
#ifndef CVMM_LOG_H
#define CVMM_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_threshold;

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Start-up timing (debug level: --verbose twice): the time since log_startup_begin(). */
void log_startup_begin(void);
void log_startup(const char *phase);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
