// SPDX-License-Identifier: MIT
/*
 * hvsock: the host side of cvmm's hybrid vsock inside L1 (no Python there), for the test guest's
 * vsock services (tests/guest/vsock.c).  Connects to cvmm's Unix socket, says "CONNECT <port>",
 * waits for "OK <host_port>", then:
 *   hvsock echo   PATH PORT BYTES   sends BYTES of the pattern while reading them back, compares
 *   hvsock sink   PATH PORT BYTES   sends BYTES, half-closes, reads the guest's 12-byte report
 *   hvsock source PATH PORT         reads to EOF, compares with the pattern
 *   hvsock stop   PATH PORT         connects and closes (the guest's stop service)
 * An optional last argument VERB replaces the handshake's "CONNECT" (e.g. "connect", as the Rust
 * Kata shim sends it).
 * Prints one line, `hvsock: MODE bytes=N ms=M` (and MB/s), exit 0; or `hvsock: FAIL why`, exit 1.
 * The pattern: byte i is (j * 157 + (j >> 8)) & 0xff with j = i % 65536.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536

static uint8_t pattern[CHUNK];

static int fail(const char *why)
{
	printf("hvsock: FAIL %s%s%s\n", why, errno ? ": " : "", errno ? strerror(errno) : "");
	return 1;
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* The connected stream, after the hybrid handshake; -1 on failure (errno 0: refused). */
static int hv_connect(const char *path, unsigned port, const char *verb)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char line[64];
	size_t n = 0;
	int fd;

	if (strlen(path) >= sizeof(a.sun_path))
		return -1;
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return -1;
	n = (size_t)snprintf(line, sizeof(line), "%s %u\n", verb, port);
	if (n >= sizeof(line))
		return -1;
	if (write(fd, line, n) != (ssize_t)n)
		return -1;
	/* The answer, one byte at a time so that no payload is consumed with it. */
	for (n = 0; n < sizeof(line) - 1; n++) {
		if (read(fd, line + n, 1) != 1) {
			errno = 0;
			close(fd);
			return -1;
		}
		if (line[n] == '\n')
			break;
	}
	line[n] = 0;
	if (strncmp(line, "OK ", 3)) {
		errno = 0;
		close(fd);
		return -1;
	}
	return fd;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static void report(const char *mode, uint64_t bytes, double ms)
{
	printf("hvsock: %s bytes=%llu ms=%.1f MBps=%.2f\n", mode, (unsigned long long)bytes, ms,
	       ms > 0 ? bytes / ms / 1e3 : 0.0);
}

/* Sends and receives at once (the guest's window is smaller than the transfer). */
static int do_echo(int fd, uint64_t bytes)
{
	static uint8_t in[CHUNK];
	uint64_t sent = 0, got = 0;
	double t0 = now_ms(), ms;

	while (got < bytes) {
		struct pollfd p = { fd, POLLIN | (sent < bytes ? POLLOUT : 0), 0 };

		if (poll(&p, 1, 30000) <= 0)
			return fail("echo stalled");
		if (p.revents & POLLOUT) {
			size_t off = sent % CHUNK, n = CHUNK - off;
			ssize_t w;

			if (n > bytes - sent)
				n = bytes - sent;
			w = send(fd, pattern + off, n, MSG_DONTWAIT);
			if (w < 0 && errno != EAGAIN)
				return fail("send");
			if (w > 0)
				sent += (uint64_t)w;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = recv(fd, in, sizeof(in), MSG_DONTWAIT);

			if (r == 0 || (r < 0 && errno != EAGAIN))
				return fail("connection ended before the echo was complete");
			for (ssize_t i = 0; i < r; i++)
				if (in[i] != pattern[(got + (uint64_t)i) % CHUNK])
					return errno = 0, fail("echoed data differs");
			if (r > 0)
				got += (uint64_t)r;
		}
	}
	ms = now_ms() - t0;
	/* A half-close ends the guest's echo connection; wait for its end. */
	shutdown(fd, SHUT_WR);
	while (poll(&(struct pollfd){ fd, POLLIN, 0 }, 1, 10000) > 0 && read(fd, in, sizeof(in)) > 0)
		;
	report("echo", bytes, ms);
	return 0;
}

static int do_sink(int fd, uint64_t bytes)
{
	uint8_t rep[12];
	uint64_t count, sent = 0;
	size_t have = 0;
	double t0 = now_ms(), ms;

	while (sent < bytes) {
		size_t n = bytes - sent < CHUNK ? (size_t)(bytes - sent) : CHUNK;

		if (write_all(fd, pattern, n) < 0)
			return fail("send");
		sent += n;
	}
	shutdown(fd, SHUT_WR);
	while (have < sizeof(rep)) {
		ssize_t r = read(fd, rep + have, sizeof(rep) - have);

		if (r <= 0)
			return errno = 0, fail("no report from the sink");
		have += (size_t)r;
	}
	ms = now_ms() - t0;
	memcpy(&count, rep, 8);
	if (count != bytes)
		return errno = 0, fail("the sink counted a different number of bytes");
	report("sink", bytes, ms);
	return 0;
}

static int do_source(int fd)
{
	static uint8_t in[CHUNK];
	uint64_t got = 0;
	double t0 = now_ms();
	ssize_t r;

	while ((r = read(fd, in, sizeof(in))) > 0) {
		for (ssize_t i = 0; i < r; i++)
			if (in[i] != pattern[(got + (uint64_t)i) % CHUNK])
				return errno = 0, fail("source data differs from the pattern");
		got += (uint64_t)r;
	}
	if (r < 0)
		return fail("read");
	report("source", got, now_ms() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t bytes = 0;
	const char *verb = "CONNECT";
	bool sized;
	int fd, ret;

	for (uint32_t j = 0; j < CHUNK; j++)
		pattern[j] = (uint8_t)(j * 157 + (j >> 8));
	sized = argc > 1 && (!strcmp(argv[1], "echo") || !strcmp(argv[1], "sink"));
	if (argc < (sized ? 5 : 4)) {
		fprintf(stderr, "usage: hvsock echo|sink PATH PORT BYTES [VERB] | "
			"source|stop PATH PORT [VERB]\n");
		return 2;
	}
	if (sized)
		bytes = strtoull(argv[4], NULL, 0);
	if (argc > (sized ? 5 : 4))
		verb = argv[sized ? 5 : 4];
	fd = hv_connect(argv[2], (unsigned)strtoul(argv[3], NULL, 0), verb);
	if (fd < 0)
		return fail("connect");
	if (!strcmp(argv[1], "echo"))
		ret = do_echo(fd, bytes);
	else if (!strcmp(argv[1], "sink"))
		ret = do_sink(fd, bytes);
	else if (!strcmp(argv[1], "source"))
		ret = do_source(fd);
	else if (!strcmp(argv[1], "stop"))
		ret = (printf("hvsock: stop sent\n"), 0);
	else
		ret = (errno = 0, fail("unknown mode"));
	close(fd);
	return ret;
}
