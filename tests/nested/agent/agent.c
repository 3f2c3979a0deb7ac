// SPDX-License-Identifier: MIT
/*
 * Guest test agent of the nested harness, run by the L2 init.  Static, no dependencies beyond
 * libc.  One subcommand per kind of check, so scenarios can grow (block, vsock, network).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/nested/agent/agent.h"

bool agent_fake_root(void)
{
	const char *root = getenv("AGENT_ROOT");

	return root && *root;
}

void agent_path(char *buf, size_t cap, const char *fmt, ...)
{
	size_t len = 0;
	va_list ap;

	if (agent_fake_root())
		len = (size_t)snprintf(buf, cap, "%s", getenv("AGENT_ROOT"));
	if (len >= cap)
		len = cap - 1;
	va_start(ap, fmt);
	vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
}

ssize_t agent_read_file(const char *path, char *buf, size_t cap)
{
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (got + 1 < cap) {
		ssize_t n = read(fd, buf + got, cap - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			close(fd);
			return err;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	close(fd);
	return (ssize_t)got;
}

int agent_read_all(const char *path, uint8_t **data, size_t *len)
{
	size_t cap = 4096, got = 0;
	uint8_t *buf = malloc(cap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || !buf) {
		int err = fd < 0 ? -errno : -ENOMEM;

		free(buf);
		if (fd >= 0)
			close(fd);
		return err;
	}
	for (;;) {
		ssize_t n;

		if (got + 1 >= cap) {
			uint8_t *bigger = cap < (64u << 20) ? realloc(buf, cap * 2) : NULL;

			if (!bigger) {
				free(buf);
				close(fd);
				return -EFBIG;
			}
			buf = bigger;
			cap *= 2;
		}
		n = read(fd, buf + got, cap - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			free(buf);
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = 0;
	*data = buf;
	*len = got;
	return 0;
}

bool agent_param(const char *key, char *buf, size_t cap)
{
	char cmdline[4096], want[128], path[512];
	size_t wlen;
	char *tok, *save = NULL;

	agent_path(path, sizeof(path), "/proc/cmdline");
	if (agent_read_file(path, cmdline, sizeof(cmdline)) < 0)
		return false;
	snprintf(want, sizeof(want), "nested.%s=", key);
	wlen = strlen(want);
	for (tok = strtok_r(cmdline, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		if (strncmp(tok, want, wlen))
			continue;
		snprintf(buf, cap, "%s", tok + wlen);
		return true;
	}
	return false;
}

bool agent_param_u64(const char *key, uint64_t *out)
{
	char val[64], *end;

	if (!agent_param(key, val, sizeof(val)) || !val[0])
		return false;
	errno = 0;
	*out = strtoull(val, &end, 10);
	return !errno && !*end;
}

bool agent_check(const char *name, bool ok, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (ok)
		printf(AGENT_PREFIX "check %s=ok\n", name);
	else
		printf(AGENT_PREFIX "check %s=FAIL (%s)\n", name, why);
	return ok;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "check", cmd_check,
	  "report vCPUs, memory, ACPI tables and virtio devices; compare them with the "
	  "nested.* expectations on the kernel command line" },
	{ "blk-io", cmd_blk_io, "O_DIRECT pattern write, fsync, read back and compare on vda" },
	{ "blk-ro", cmd_blk_ro, "vda refuses writes and holds the host's pattern" },
	{ "blk-pattern", cmd_blk_pattern, "fill|check FILE SEED BYTES: the blk pattern in a file" },
	{ "blk-swap", cmd_blk_swap,
	  "wait until blk_dev grows to swap_bytes (the host swapped its file), check the pattern" },
	{ "blk-bench", cmd_blk_bench, "O_DIRECT sequential write and read throughput of vda" },
	{ "vsock-echo", cmd_vsock_echo, "echo host connections on AF_VSOCK port 1024" },
	{ "vsock-exec", cmd_vsock_exec,
	  "run the one command a host connection on AF_VSOCK port 1024 sends; output goes back" },
	{ "bounce-start", cmd_bounce_start,
	  "virtio devices negotiated ACCESS_PLATFORM, swiotlb present; start counting bounces" },
	{ "bounce-end", cmd_bounce_end, "every virtio device's DMA went through the swiotlb" },
	{ "net-io", cmd_net_io,
	  "virtio-net offloads, static address, ping, nc transfers both ways with checksums" },
};

static void usage(void)
{
	fprintf(stderr, "usage: agent COMMAND [ARGS]\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(stderr, "  %-12s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		usage();
		return 2;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "agent: unknown command '%s'\n", argv[1]);
	usage();
	return 2;
}
