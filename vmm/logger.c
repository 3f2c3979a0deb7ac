// SPDX-License-Identifier: MIT
/*
 * The log file: level-filtered one-line messages to a file or FIFO (--log-path, PUT /logger), in
 * the layout vmm/log.h describes.  Writes never block: the fd is non-blocking, a line that does
 * not fit is dropped and counted (Firecracker's logger.missed_log_count).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vmm/error.h"
#include "vmm/log.h"

#define LOG_LINE_MAX 1280

static int log_fd = -1;
static char instance[65] = "anonymous-instance";
static bool show_level = true, show_origin;
static uint64_t missed;

static const char *const level_tags[] = {
	[LOG_ERROR] = "ERROR",
	[LOG_WARN] = "WARN",
	[LOG_INFO] = "INFO",
	[LOG_DEBUG] = "DEBUG",
};

int log_open_output(const char *path, const char *what, struct error *e)
{
	struct stat st;
	int fd;

	if (!path || !*path)
		return error_set(e, ERROR_USAGE, EINVAL, "%s: empty path", what);
	if (stat(path, &st) == 0 && S_ISFIFO(st.st_mode))
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	else if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode))
		return error_set(e, ERROR_INPUT, EINVAL, "%s %s: not a file or FIFO", what, path);
	else
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_set(e, ERROR_INPUT, errno, "%s %s: %s", what, path, strerror(errno));
	return fd;
}

int log_open_file(const char *path, struct error *e)
{
	int fd = log_open_output(path, "log_path", e);

	if (fd < 0)
		return fd;
	/*
	 * glibc's first gmtime_r() reads the time-zone files: now, while files may be opened, not
	 * in a confined thread's first line.
	 */
	tzset();
	log_close_file();
	__atomic_store_n(&log_fd, fd, __ATOMIC_RELEASE);
	return 0;
}

void log_close_file(void)
{
	int fd = __atomic_exchange_n(&log_fd, -1, __ATOMIC_ACQ_REL);

	if (fd >= 0)
		close(fd);
}

bool log_file_active(void)
{
	return __atomic_load_n(&log_fd, __ATOMIC_ACQUIRE) >= 0;
}

int log_parse_level(const char *name, enum log_level *out)
{
	static const struct {
		const char *name;
		enum log_level level;
	} names[] = {
		{ "error", LOG_ERROR }, { "warning", LOG_WARN }, { "warn", LOG_WARN },
		{ "info", LOG_INFO },   { "debug", LOG_DEBUG },  { "trace", LOG_DEBUG },
	};

	for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(name, names[i].name)) {
			*out = names[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

void log_set_instance(const char *id)
{
	snprintf(instance, sizeof(instance), "%s", id);
}

void log_set_decorations(bool level, bool origin)
{
	show_level = level;
	show_origin = origin;
}

uint64_t log_missed_lines(void)
{
	return __atomic_load_n(&missed, __ATOMIC_RELAXED);
}

/* The calling thread's name, read once per thread. */
static const char *thread_name(void)
{
	static __thread char name[16];

	if (!name[0] && pthread_getname_np(pthread_self(), name, sizeof(name)))
		snprintf(name, sizeof(name), "?");
	return name;
}

int logger_emit(enum log_level level, const char *file, int lineno, const char *msg)
{
	int fd = __atomic_load_n(&log_fd, __ATOMIC_ACQUIRE);
	char line[LOG_LINE_MAX], origin[96] = "";
	struct timespec ts;
	struct tm tm;
	int n;

	if (fd < 0)
		return -EBADF;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	if (show_origin && file) {
		const char *base = strrchr(file, '/');

		snprintf(origin, sizeof(origin), ":%s:%d", base ? base + 1 : file, lineno);
	}
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ [%s:%s%s%s%s] %s\n",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		     ts.tv_nsec / 1000, instance, thread_name(), show_level ? ":" : "",
		     show_level ? level_tags[level] : "", origin, msg);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	/* One write per line (a FIFO takes up to PIPE_BUF bytes atomically); never waits. */
	if (write(fd, line, (size_t)n) != n)
		__atomic_fetch_add(&missed, 1, __ATOMIC_RELAXED);
	return 0;
}
