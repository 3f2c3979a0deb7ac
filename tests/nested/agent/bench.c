// SPDX-License-Identifier: MIT
/*
 * blk-bench: sequential O_DIRECT throughput of the guest's disk, for benchmarks that compare
 * VMMs or modes (plain vs bounce-buffered) with a real Linux guest.  Writes, then reads
 * nested.blk_mib MiB (default 64) of nested.blk_dev (default /dev/vda) in 64 KiB requests,
 * several in flight (nested.blk_depth threads, default 8), and prints
 *   L2: blk-bench begin write | end write bytes=N ms=T MBps=R | begin read | end read ...
 * so the host can time cvmm's own CPU between the marks.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/nested/agent/agent.h"

#define BENCH_BLOCK (64u * 1024)
#define BENCH_MAX_DEPTH 32

struct bench_worker {
	int fd;
	bool write;
	uint64_t first, step, count; /* blocks first, first + step, ... (count of them) */
	int err;
};

static void *worker(void *arg)
{
	struct bench_worker *w = arg;
	void *buf = NULL;

	if (posix_memalign(&buf, 4096, BENCH_BLOCK)) {
		w->err = ENOMEM;
		return NULL;
	}
	memset(buf, 0x5a, BENCH_BLOCK);
	for (uint64_t i = 0; i < w->count && !w->err; i++) {
		off_t off = (off_t)((w->first + i * w->step) * BENCH_BLOCK);
		ssize_t n = w->write ? pwrite(w->fd, buf, BENCH_BLOCK, off)
				     : pread(w->fd, buf, BENCH_BLOCK, off);

		if (n != BENCH_BLOCK)
			w->err = n < 0 ? errno : EIO;
	}
	free(buf);
	return NULL;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int run_phase(int fd, bool write, uint64_t blocks, unsigned depth)
{
	struct bench_worker w[BENCH_MAX_DEPTH];
	pthread_t t[BENCH_MAX_DEPTH];
	const char *name = write ? "write" : "read";
	double t0, ms;
	int err = 0;

	printf(AGENT_PREFIX "blk-bench begin %s\n", name);
	t0 = now_ms();
	bool started[BENCH_MAX_DEPTH] = { false };

	for (unsigned i = 0; i < depth; i++) {
		w[i] = (struct bench_worker){ .fd = fd, .write = write, .first = i, .step = depth,
					      .count = blocks / depth + (i < blocks % depth) };
		started[i] = !pthread_create(&t[i], NULL, worker, &w[i]);
		if (!started[i])
			w[i].err = EAGAIN;
	}
	for (unsigned i = 0; i < depth; i++) {
		if (started[i])
			pthread_join(t[i], NULL);
		if (w[i].err)
			err = w[i].err;
	}
	if (write && !err && fdatasync(fd))
		err = errno;
	ms = now_ms() - t0;
	if (err) {
		printf(AGENT_PREFIX "blk-bench end %s failed: %s\n", name, strerror(err));
		return 1;
	}
	printf(AGENT_PREFIX "blk-bench end %s bytes=%llu ms=%.1f MBps=%.1f\n", name,
	       (unsigned long long)(blocks * BENCH_BLOCK), ms,
	       (double)(blocks * BENCH_BLOCK) / 1e3 / (ms > 0 ? ms : 1));
	return 0;
}

int cmd_blk_bench(int argc, char **argv)
{
	char dev[64] = "/dev/vda";
	uint64_t mib = 64, depth = 8;
	int fd, ret;

	(void)argc;
	(void)argv;
	agent_param("blk_dev", dev, sizeof(dev));
	agent_param_u64("blk_mib", &mib);
	agent_param_u64("blk_depth", &depth);
	if (depth < 1 || depth > BENCH_MAX_DEPTH || mib < 1 || mib > (1u << 20)) {
		printf(AGENT_PREFIX "blk-bench bad parameters\n");
		return 1;
	}
	fd = open(dev, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		printf(AGENT_PREFIX "blk-bench cannot open %s: %s\n", dev, strerror(errno));
		return 1;
	}
	ret = run_phase(fd, true, mib * 16, (unsigned)depth);
	if (!ret)
		ret = run_phase(fd, false, mib * 16, (unsigned)depth);
	close(fd);
	return ret;
}
