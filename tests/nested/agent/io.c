// SPDX-License-Identifier: MIT
/*
 * Data-path subcommands of the guest agent (run from the L2 init through nested.run=):
 *   blk-io        O_DIRECT write of a 1 MiB pattern (seed nested.blk_seed, default the pid) to
 *                 nested.blk_dev (default /dev/vda) at 0, fsync, O_DIRECT read back, compare
 *   blk-ro        the disk is read-only: writes fail, and an O_DIRECT read of the first MiB
 *                 holds the pattern of nested.blk_seed (the host filled it)
 *   blk-pattern   fill|check FILE SEED BYTES: the same pattern in a file (run in L1: the host
 *                 side of the blk scenarios)
 *   vsock-echo    listen on AF_VSOCK port nested.vsock_port (default 1024), print
 *                 `L2: vsock: serving`, echo nested.vsock_conns (default 1) connections in turn,
 *                 each until the host closes it
 *   bounce-start  every virtio device negotiated VIRTIO_F_ACCESS_PLATFORM (bit 33 of its sysfs
 *                 `features`), the swiotlb exists (debugfs io_tlb_nslabs > 0), and the kernel's
 *                 swiotlb_bounced trace event is switched on
 *   bounce-end    the event off; every virtio device's parent (the virtio-mmio platform device,
 *                 the one the DMA API maps for) shows up in swiotlb_bounced events: its I/O
 *                 really went through bounce buffers
 * Each prints `L2: check NAME=ok|FAIL (why)` lines and exits 1 when a check failed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "tests/nested/agent/agent.h"

#define VIRTIO_DIR        "/sys/bus/virtio/devices"
#define SWIOTLB_DIR       "/sys/kernel/debug/swiotlb"
#define TRACE_DIR         "/sys/kernel/tracing"
#define BOUNCE_EVENT      TRACE_DIR "/events/swiotlb/swiotlb_bounced/enable"
#define ACCESS_PLATFORM   33
#define BLK_IO_BYTES      (1u << 20)
#define ECHO_WAIT_MS      120000

static int write_file(const char *fmt_path, const char *text)
{
	char path[512];
	int fd, ret = 0;

	agent_path(path, sizeof(path), "%s", fmt_path);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		ret = -EIO;
	close(fd);
	return ret;
}

static const char *id_name(unsigned long id)
{
	switch (id) {
	case 1:
		return "net";
	case 2:
		return "blk";
	case 19:
		return "vsock";
	default:
		return "other";
	}
}

int agent_virtio_devices(struct agent_vdev *devs, int cap)
{
	char dir[256], path[600], link[512], buf[32];
	struct dirent *e;
	int n = 0;
	DIR *d;

	agent_path(dir, sizeof(dir), VIRTIO_DIR);
	d = opendir(dir);
	if (!d)
		return -1;
	while ((e = readdir(d)) && n < cap) {
		struct agent_vdev *v = &devs[n];
		size_t nlen = strnlen(e->d_name, sizeof(v->name));
		ssize_t len;
		char *last, *prev;

		if (strncmp(e->d_name, "virtio", 6) || nlen >= sizeof(v->name))
			continue;
		memset(v, 0, sizeof(*v));
		memcpy(v->name, e->d_name, nlen);
		snprintf(path, sizeof(path), "%s/%s", dir, v->name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len > 0) {
			/* .../devices/platform/LNRO0005:00/virtio0: the component before the last. */
			link[len] = 0;
			last = strrchr(link, '/');
			if (last) {
				*last = 0;
				prev = strrchr(link, '/');
				prev = prev ? prev + 1 : link;
				if (strlen(prev) < sizeof(v->parent))
					strcpy(v->parent, prev);
			}
		}
		snprintf(path, sizeof(path), "%s/%s/device", dir, v->name);
		if (agent_read_file(path, buf, sizeof(buf)) > 0)
			v->id = strtoul(buf, NULL, 0);
		snprintf(path, sizeof(path), "%s/%s/features", dir, v->name);
		if (agent_read_file(path, v->features, sizeof(v->features)) < 0)
			v->features[0] = 0;
		n++;
	}
	closedir(d);
	return n;
}

int cmd_bounce_start(int argc, char **argv)
{
	struct agent_vdev devs[16];
	char path[512], buf[64];
	int n = agent_virtio_devices(devs, 16), without = 0;
	unsigned long nslabs = 0;
	bool ok = true;

	(void)argc;
	(void)argv;
	if (!agent_fake_root()) {
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
		mount("tracefs", TRACE_DIR, "tracefs", 0, NULL);
	}
	for (int i = 0; i < n; i++) {
		bool has = strlen(devs[i].features) > ACCESS_PLATFORM &&
			   devs[i].features[ACCESS_PLATFORM] == '1';

		printf(AGENT_PREFIX "%s %s access_platform=%d parent=%s\n", devs[i].name,
		       id_name(devs[i].id), has, devs[i].parent);
		without += !has;
	}
	ok &= agent_check("access_platform", n > 0 && without == 0,
			  "%d of %d virtio devices without VIRTIO_F_ACCESS_PLATFORM", without, n);

	agent_path(path, sizeof(path), SWIOTLB_DIR "/io_tlb_nslabs");
	if (agent_read_file(path, buf, sizeof(buf)) > 0)
		nslabs = strtoul(buf, NULL, 10);
	agent_path(path, sizeof(path), SWIOTLB_DIR "/io_tlb_used");
	if (agent_read_file(path, buf, sizeof(buf)) > 0)
		printf(AGENT_PREFIX "swiotlb nslabs=%lu used=%lu\n", nslabs, strtoul(buf, NULL, 10));
	ok &= agent_check("swiotlb", nslabs > 0, "no swiotlb (swiotlb=force missing?)");

	/* Writing the trace file empties the buffer; then count from here on. */
	ok &= agent_check("bounce_trace",
			  write_file(TRACE_DIR "/trace", "") == 0 && write_file(BOUNCE_EVENT, "1") == 0,
			  "cannot enable the swiotlb_bounced trace event");
	return ok ? 0 : 1;
}

/* Occurrences of "dev_name: NAME " in the trace text. */
static unsigned long count_events(const char *trace, const char *dev)
{
	char needle[96];
	unsigned long n = 0;
	const char *p = trace;

	snprintf(needle, sizeof(needle), "dev_name: %s ", dev);
	while ((p = strstr(p, needle))) {
		n++;
		p += strlen(needle);
	}
	return n;
}

int cmd_bounce_end(int argc, char **argv)
{
	struct agent_vdev devs[16];
	char path[512], check[48];
	uint8_t *trace = NULL;
	size_t len;
	int n = agent_virtio_devices(devs, 16);
	bool ok = true;

	(void)argc;
	(void)argv;
	write_file(BOUNCE_EVENT, "0");
	agent_path(path, sizeof(path), TRACE_DIR "/trace");
	if (agent_read_all(path, &trace, &len) < 0)
		return agent_check("bounce_trace", false, "cannot read %s", path) ? 0 : 1;
	for (int i = 0; i < n; i++) {
		unsigned long k = devs[i].parent[0] ? count_events((char *)trace, devs[i].parent) : 0;

		printf(AGENT_PREFIX "%s %s bounced=%lu\n", devs[i].name, id_name(devs[i].id), k);
		snprintf(check, sizeof(check), "bounced_%s_%s", id_name(devs[i].id), devs[i].name);
		ok &= agent_check(check, k > 0, "no swiotlb_bounced event for %s (%s)",
				  devs[i].parent[0] ? devs[i].parent : "unknown parent", devs[i].name);
	}
	ok &= agent_check("bounce_devices", n > 0, "no virtio devices");
	free(trace);
	return ok ? 0 : 1;
}

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Little-endian 64-bit word i of the pattern of `seed` is mix(i + seed). */
static void fill_pattern(uint64_t *w, size_t words, uint64_t first_word, uint64_t seed)
{
	for (size_t i = 0; i < words; i++)
		w[i] = mix(first_word + i + seed);
}

int cmd_blk_io(int argc, char **argv)
{
	char dev[64] = "/dev/vda";
	uint64_t *w = NULL, *r = NULL;
	uint64_t seed = (uint64_t)getpid();
	const char *why = NULL;
	int fd;

	(void)argc;
	(void)argv;
	agent_param("blk_dev", dev, sizeof(dev));
	agent_param_u64("blk_seed", &seed);
	if (posix_memalign((void **)&w, 4096, BLK_IO_BYTES) ||
	    posix_memalign((void **)&r, 4096, BLK_IO_BYTES))
		return agent_check("blk_io", false, "out of memory") ? 0 : 1;
	fill_pattern(w, BLK_IO_BYTES / 8, 0, seed);
	memset(r, 0, BLK_IO_BYTES);
	fd = open(dev, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0)
		why = "open";
	else if (pwrite(fd, w, BLK_IO_BYTES, 0) != BLK_IO_BYTES)
		why = "O_DIRECT write";
	else if (fsync(fd))
		why = "fsync";
	else if (pread(fd, r, BLK_IO_BYTES, 0) != BLK_IO_BYTES)
		why = "O_DIRECT read";
	else if (memcmp(w, r, BLK_IO_BYTES))
		why = "data read back differs";
	if (fd >= 0)
		close(fd);
	free(w);
	free(r);
	return agent_check("blk_io", !why, "%s %s: %s", dev, why ? why : "",
			   errno ? strerror(errno) : "") ? 0 : 1;
}

int cmd_blk_ro(int argc, char **argv)
{
	char dev[64] = "/dev/vda";
	uint64_t *w = NULL, *r = NULL;
	uint64_t seed = 0;
	const char *why = NULL;
	int fd;

	(void)argc;
	(void)argv;
	agent_param("blk_dev", dev, sizeof(dev));
	if (!agent_param_u64("blk_seed", &seed))
		return agent_check("blk_ro", false, "no nested.blk_seed") ? 0 : 1;
	if (posix_memalign((void **)&w, 4096, BLK_IO_BYTES) ||
	    posix_memalign((void **)&r, 4096, BLK_IO_BYTES))
		return agent_check("blk_ro", false, "out of memory") ? 0 : 1;
	fill_pattern(w, BLK_IO_BYTES / 8, 0, seed);
	memset(r, 0, BLK_IO_BYTES);
	/* A read-only disk refuses to open for writing, or at the latest fails the write. */
	fd = open(dev, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = pwrite(fd, r, 4096, 0);
		int synced = n >= 0 ? fsync(fd) : -1;

		close(fd);
		if (n >= 0 && synced == 0)
			why = "a write to the read-only disk succeeded";
	}
	errno = 0;
	fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (why) {
		/* already failed */
	} else if (fd < 0) {
		why = "open for reading";
	} else if (pread(fd, r, BLK_IO_BYTES, 0) != BLK_IO_BYTES) {
		why = "O_DIRECT read";
	} else if (memcmp(w, r, BLK_IO_BYTES)) {
		why = "the disk does not hold the host's pattern";
	}
	if (fd >= 0)
		close(fd);
	free(w);
	free(r);
	return agent_check("blk_ro", !why, "%s: %s", dev, why ? why : "") ? 0 : 1;
}

/*
 * A drive whose backing file the host swaps while the guest runs (the API's PATCH /drives): wait
 * until the disk nested.blk_dev (default /dev/vdb) has grown to nested.swap_bytes (the host's
 * configuration-change interrupt and new capacity), then read it with O_DIRECT and find the
 * pattern of nested.blk_seed in it.
 */
int cmd_blk_swap(int argc, char **argv)
{
	char dev[64] = "/dev/vdb", path[128], text[64];
	uint64_t seed = 0, bytes = BLK_IO_BYTES, sectors = 0, waited_ms = 0;
	uint64_t *w = NULL, *r = NULL;
	const char *why = NULL;
	int fd = -1;

	(void)argc;
	(void)argv;
	agent_param("blk_dev", dev, sizeof(dev));
	agent_param_u64("swap_bytes", &bytes);
	if (!agent_param_u64("blk_seed", &seed) || !bytes || bytes % 4096 || bytes > (64u << 20))
		return agent_check("blk_swap", false, "no nested.blk_seed, or a bad swap_bytes") ? 0
											      : 1;
	agent_path(path, sizeof(path), "/sys/block/%s/size", strrchr(dev, '/') + 1);
	printf(AGENT_PREFIX "blk_swap: waiting for %s to hold %llu bytes\n", dev,
	       (unsigned long long)bytes);
	while (waited_ms < ECHO_WAIT_MS) {
		if (agent_read_file(path, text, sizeof(text)) > 0)
			sectors = strtoull(text, NULL, 10);
		if (sectors * 512 >= bytes)
			break;
		usleep(50 * 1000);
		waited_ms += 50;
	}
	printf(AGENT_PREFIX "blk_swap: %s has %llu sectors after %llu ms\n", dev,
	       (unsigned long long)sectors, (unsigned long long)waited_ms);
	if (sectors * 512 < bytes)
		why = "the disk never grew";
	else if (posix_memalign((void **)&w, 4096, bytes) || posix_memalign((void **)&r, 4096, bytes))
		why = "out of memory";
	else if ((fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC)) < 0)
		why = "open";
	else if (pread(fd, r, bytes, 0) != (ssize_t)bytes)
		why = "O_DIRECT read";
	if (!why) {
		fill_pattern(w, bytes / 8, 0, seed);
		if (memcmp(w, r, bytes))
			why = "the disk does not hold the host's new file";
	}
	if (fd >= 0)
		close(fd);
	free(w);
	free(r);
	return agent_check("blk_swap", !why, "%s: %s", dev, why ? why : "") ? 0 : 1;
}

int cmd_blk_pattern(int argc, char **argv)
{
	static uint64_t want[8192], got[8192];
	uint64_t seed, bytes, done = 0;
	bool fill;
	int fd;

	if (argc != 5 || (strcmp(argv[1], "fill") && strcmp(argv[1], "check"))) {
		fprintf(stderr, "usage: agent blk-pattern fill|check FILE SEED BYTES\n");
		return 2;
	}
	fill = !strcmp(argv[1], "fill");
	seed = strtoull(argv[3], NULL, 0);
	bytes = strtoull(argv[4], NULL, 0);
	if (bytes % 8) {
		fprintf(stderr, "blk-pattern: BYTES must be a multiple of 8\n");
		return 2;
	}
	fd = open(argv[2], fill ? O_WRONLY | O_CLOEXEC : O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("blk-pattern: FAIL %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	while (done < bytes) {
		size_t n = bytes - done < sizeof(want) ? (size_t)(bytes - done) : sizeof(want);

		fill_pattern(want, n / 8, done / 8, seed);
		if (fill ? pwrite(fd, want, n, (off_t)done) != (ssize_t)n
			 : pread(fd, got, n, (off_t)done) != (ssize_t)n) {
			printf("blk-pattern: FAIL %s: short %s at %llu\n", argv[2],
			       fill ? "write" : "read", (unsigned long long)done);
			close(fd);
			return 1;
		}
		if (!fill && memcmp(want, got, n)) {
			printf("blk-pattern: FAIL %s differs from the pattern of seed %llu in "
			       "[%llu, +%zu)\n", argv[2], (unsigned long long)seed,
			       (unsigned long long)done, n);
			close(fd);
			return 1;
		}
		done += n;
	}
	if (fill && fsync(fd)) {
		printf("blk-pattern: FAIL fsync %s: %s\n", argv[2], strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	printf("blk-pattern: %s %llu bytes, seed %llu\n", fill ? "filled" : "verified",
	       (unsigned long long)bytes, (unsigned long long)seed);
	return 0;
}

static bool wait_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) > 0;
}

int cmd_vsock_echo(int argc, char **argv)
{
	uint64_t port = 1024, echoed = 0, conns = 1, served = 0;
	struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY };
	static char buf[65536];
	const char *why = NULL;
	int s, c = -1;

	(void)argc;
	(void)argv;
	agent_param_u64("vsock_port", &port);
	agent_param_u64("vsock_conns", &conns);
	a.svm_port = (unsigned int)port;
	s = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1))
		why = "cannot listen";
	if (!why)
		printf(AGENT_PREFIX "vsock: serving on port %lu\n", (unsigned long)port);
next_conn:
	if (!why && served < conns) {
		if (!wait_readable(s, ECHO_WAIT_MS) || (c = accept(s, NULL, NULL)) < 0)
			why = "no connection from the host";
		else
			served++;
	}
	while (!why && c >= 0) {
		ssize_t n = wait_readable(c, ECHO_WAIT_MS) ? read(c, buf, sizeof(buf)) : -1;

		if (n == 0)
			break;
		if (n < 0) {
			why = "read";
			break;
		}
		for (ssize_t done = 0; done < n;) {
			ssize_t m = write(c, buf + done, (size_t)(n - done));

			if (m <= 0) {
				why = "write";
				break;
			}
			done += m;
		}
		echoed += (uint64_t)n;
	}
	if (c >= 0) {
		close(c);
		c = -1;
		if (!why && served < conns)
			goto next_conn;
	}
	if (s >= 0)
		close(s);
	printf(AGENT_PREFIX "vsock_echoed=%llu connections=%llu\n", (unsigned long long)echoed,
	       (unsigned long long)served);
	return agent_check("vsock_echo", !why && echoed > 0, "port %lu: %s", (unsigned long)port,
			   why ? why : "nothing echoed") ? 0 : 1;
}
