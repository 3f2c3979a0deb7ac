/* SPDX-License-Identifier: MIT */
/*
 * One-line diagnostics on stderr.  Functions return negative errno; the caller that knows the
 * context prints one line with log_error() and passes the error up.
 */
#ifndef CVMM_LOG_H
#define CVMM_LOG_H

#include <stdbool.h>
#include <stdint.h>

struct error;

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_threshold;

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, with the origin of the message (shown in the log file with show_log_origin). */
void log_msg_at(enum log_level level, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Start-up timing (debug level: --verbose twice): the time since log_startup_begin(). */
void log_startup_begin(void);
void log_startup(const char *phase);
#define log_error(...) log_msg_at(LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define log_warn(...)  log_msg_at(LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define log_info(...)  log_msg_at(LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define log_debug(...) log_msg_at(LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)

/*
 * The log file (vmm/logger.c): once opened (--log-path, the API's PUT /logger), messages go there
 * instead of stderr, one line each, written with one write() so that lines from different threads
 * never interleave and a full FIFO drops a line (counted) instead of blocking the thread:
 *
 *   2026-12-06T08:14:37.123456Z [INSTANCE-ID:THREAD:LEVEL:file.c:123] message
 *
 * LEVEL appears with show_level, file:line with show_origin.  A FIFO is opened read-write so that
 * opening it never blocks or fails for want of a reader.
 */
int log_open_file(const char *path, struct error *e);
void log_close_file(void);
bool log_file_active(void);
/* Error, Warning (or Warn), Info, Debug (or Trace), any case. */
int log_parse_level(const char *name, enum log_level *out);
void log_set_instance(const char *id);
void log_set_decorations(bool show_level, bool show_origin);
/* Lines dropped because the file or FIFO could not take them, and failed writes. */
uint64_t log_missed_lines(void);
/*
 * Opens an output the way the log file is opened (the metrics use it too): a FIFO read-write, a
 * file for appending (created 0600); non-blocking.  Returns the fd; what names it in errors.
 */
int log_open_output(const char *path, const char *what, struct error *e);
/* The log file's sink (log.c calls it; 0 when the line was taken). */
int logger_emit(enum log_level level, const char *file, int line, const char *msg);

#endif
