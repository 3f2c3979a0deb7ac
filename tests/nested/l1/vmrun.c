// SPDX-License-Identifier: MIT
/*
 * vmrun: runs a VMM inside L1 with a deadline, copies its console (stdout and stderr) to a log
 * file and times the arrival of a marker line.
 *
 *   vmrun -t SECONDS -o LOG [-m MARKER] [-v PREFIX] -- VMM ARGS...
 *
 * Prints one line: `exit=N timeout=0|1 marker_ms=MS total_ms=MS` (exit is 128+signal when the
 * VMM was killed, marker_ms is -1 when the marker never arrived).  The clock starts just before
 * the fork that execs the VMM.  -v also copies the console to stderr as it arrives, each line
 * prefixed with PREFIX.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_MARKER 128

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* Finds the marker in the stream, also across read boundaries. */
struct marker_scan {
	const char *marker;
	size_t len;
	char tail[2 * MAX_MARKER];
	size_t tail_len;
};

static bool marker_seen(struct marker_scan *s, const char *buf, size_t n)
{
	char window[2 * MAX_MARKER + 4096];

	if (!s->len)
		return false;
	while (n) {
		size_t take = n < 4096 ? n : 4096;
		size_t wlen = s->tail_len + take;

		memcpy(window, s->tail, s->tail_len);
		memcpy(window + s->tail_len, buf, take);
		if (memmem(window, wlen, s->marker, s->len))
			return true;
		s->tail_len = wlen < s->len - 1 ? wlen : s->len - 1;
		memcpy(s->tail, window + wlen - s->tail_len, s->tail_len);
		buf += take;
		n -= take;
	}
	return false;
}

/* Copies console output to stderr with a prefix at the start of every line. */
static void echo_prefixed(const char *prefix, const char *buf, size_t n, bool *at_line_start)
{
	char out[2 * 4096 + 256];
	size_t len = 0, plen = strlen(prefix);

	for (size_t i = 0; i < n; i++) {
		if (*at_line_start && plen < sizeof(out) - len - 1) {
			memcpy(out + len, prefix, plen);
			len += plen;
		}
		out[len++] = buf[i];
		*at_line_start = buf[i] == '\n';
		if (len > sizeof(out) - plen - 2) {
			write_all(STDERR_FILENO, out, len);
			len = 0;
		}
	}
	write_all(STDERR_FILENO, out, len);
}

static pid_t spawn(char **argv, int out_fd)
{
	pid_t pid = fork();
	int null;

	if (pid)
		return pid;
	setpgid(0, 0);
	null = open("/dev/null", O_RDONLY);
	if (null >= 0)
		dup2(null, STDIN_FILENO);
	dup2(out_fd, STDOUT_FILENO);
	dup2(out_fd, STDERR_FILENO);
	execvp(argv[0], argv);
	fprintf(stderr, "vmrun: cannot exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static int usage(void)
{
	fprintf(stderr, "usage: vmrun -t SECONDS -o LOG [-m MARKER] [-v PREFIX] -- VMM ARGS...\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct marker_scan scan = { 0 };
	int64_t start, deadline, marker_ms = -1;
	const char *log_path = NULL, *echo_prefix = NULL;
	bool timed_out = false, at_line_start = true;
	long timeout_s = 0;
	int opt, pipefd[2], log_fd, status = 0;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+t:o:m:v:")) != -1) {
		switch (opt) {
		case 't':
			timeout_s = strtol(optarg, NULL, 10);
			break;
		case 'o':
			log_path = optarg;
			break;
		case 'm':
			scan.marker = optarg;
			scan.len = strlen(optarg);
			break;
		case 'v':
			echo_prefix = optarg;
			break;
		default:
			return usage();
		}
	}
	if (optind >= argc || timeout_s <= 0 || !log_path || scan.len > MAX_MARKER)
		return usage();
	log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (log_fd < 0 || pipe2(pipefd, O_CLOEXEC)) {
		fprintf(stderr, "vmrun: %s: %s\n", log_path, strerror(errno));
		return 2;
	}
	start = now_ms();
	deadline = start + timeout_s * 1000;
	pid = spawn(argv + optind, pipefd[1]);
	if (pid < 0) {
		fprintf(stderr, "vmrun: fork: %s\n", strerror(errno));
		return 2;
	}
	close(pipefd[1]);

	for (;;) {
		struct pollfd pfd = { .fd = pipefd[0], .events = POLLIN };
		int64_t left = deadline - now_ms();
		char buf[4096];
		ssize_t n;

		if (left <= 0) {
			timed_out = true;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = read(pipefd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (marker_ms < 0 && marker_seen(&scan, buf, (size_t)n))
			marker_ms = now_ms() - start;
		write_all(log_fd, buf, (size_t)n);
		if (echo_prefix)
			echo_prefixed(echo_prefix, buf, (size_t)n, &at_line_start);
	}
	/* EOF: the VMM closed its output, but give it until the deadline to exit. */
	for (;;) {
		pid_t got = waitpid(pid, &status, timed_out ? 0 : WNOHANG);

		if (got == pid)
			break;
		if (got < 0 && errno != EINTR) {
			status = -1;
			break;
		}
		if (!timed_out && now_ms() >= deadline) {
			timed_out = true;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
		} else if (!timed_out) {
			usleep(10000);
		}
	}
	printf("exit=%d timeout=%d marker_ms=%lld total_ms=%lld\n",
	       status == -1 ? 255 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
	       timed_out,
	       (long long)marker_ms, (long long)(now_ms() - start));
	close(log_fd);
	return 0;
}
