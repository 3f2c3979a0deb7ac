// SPDX-License-Identifier: MIT
/*
 * In-process micro-benchmarks of the virtio data path, printed as tables (never pass/fail):
 *  - virtq_pop() + virtq_push() per chain, for virtio-blk shaped chains (header, data, status),
 *    direct and indirect, one interrupt decision per batch of 256;
 *  - whole virtio-blk requests (4 KiB reads of a page-cached file, 64 per notification) through
 *    the transport, sync engine against uring engine, wall time per request.
 *
 *   make && gcc -O2 -std=gnu11 -D_GNU_SOURCE -I. tests/bench/bench_virtio.c \
 *       tests/unit/virtio_harness.c tests/unit/kvm_recorder.c build/libcvmm.a \
 *       $(pkg-config --libs liburing jansson libcrypto) -lpthread -o build/bench_virtio
 *   build/bench_virtio
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_blk.h>

#include "devices/blk.h"
#include "devices/virtio/virtq.h"
#include "tests/unit/virtio_harness.h"
#include "vmm/memory.h"

#define QSIZE  256
#define ROUNDS 20000

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double run(struct guest_mem *mem, bool indirect, bool event_idx)
{
	struct vh_ring ring;
	struct virtq vq;
	struct iovec iov[QSIZE];
	struct virtq_chain c = { .iov = iov, .iov_cap = QSIZE };
	const struct vh_buf bufs[] = { { 0x100000, 16, false }, { 0x200000, 4096, true },
				       { 0x300000, 1, true } };
	double t0, total = 0;
	uint32_t id, len;

	vh_ring_init(&ring, mem, QSIZE, 0x10000);
	virtq_init(&vq, mem, QSIZE);
	vq.desc_gpa = ring.desc;
	vq.avail_gpa = ring.avail;
	vq.used_gpa = ring.used;
	vq.indirect = indirect;
	vq.event_idx = event_idx;
	virtq_map(&vq);
	for (unsigned i = 0; i < QSIZE; i++) {
		if (indirect)
			vh_indirect(&ring, (uint16_t)i, 0x400000 + 64ULL * i, bufs, 3);
		else
			vh_chain(&ring, (uint16_t)(3 * i % QSIZE), bufs, 3);
	}
	for (unsigned r = 0; r < ROUNDS; r++) {
		for (unsigned i = 0; i < QSIZE; i++)
			vh_publish(&ring, indirect ? (uint16_t)i : (uint16_t)(3 * i % QSIZE));
		t0 = now_ns();
		virtq_disable_notify(&vq);
		while (virtq_pop(&vq, &c) > 0)
			virtq_push(&vq, c.head, c.in_bytes);
		virtq_enable_notify(&vq);
		virtq_should_notify(&vq);
		total += now_ns() - t0;
		while (vh_take_used(&ring, &id, &len))
			;
	}
	return total / ((double)ROUNDS * QSIZE);
}

struct blk_bench {
	struct vh_vm v;
	struct vh_ring ring;
};

static bool all_used(void *arg)
{
	struct blk_bench *b = arg;

	return vh_used_idx(&b->ring) == b->ring.avail_idx;
}

static double run_blk(const char *path, enum blk_engine engine)
{
	enum { BATCH = 64, BATCHES = 2000 };
	struct drive_config cfg = { .path = path, .engine = engine };
	struct virtio_dev_params p;
	struct virtio_dev *vdev;
	struct blk_dev *blk;
	struct blk_bench b;
	double t0, total;

	if (vh_vm_init(&b.v, 16 << 20, TEE_NONE) || blk_dev_open(&cfg, &b.v.loop, &b.v.clock.clock, &blk, NULL))
		exit(1);
	blk_dev_params(blk, &p);
	if (virtio_dev_create(&b.v.env, &p, 0xd0000000, 16, &vdev))
		exit(1);
	vh_ring_init(&b.ring, &b.v.mem, 256, 0x10000);
	vh_driver_start(vdev, vh_device_features(vdev), &b.ring, 1);
	for (unsigned i = 0; i < BATCH; i++) {
		struct virtio_blk_outhdr h = { .type = VIRTIO_BLK_T_IN, .sector = 8 * i };
		const struct vh_buf bufs[] = { { 0x100000 + 16 * i, 16, false },
					       { 0x200000 + 4096ULL * i, 4096, true },
					       { 0x180000 + i, 1, true } };

		memcpy(guest_mem_ptr(&b.v.mem, 0x100000 + 16 * i, 16), &h, 16);
		vh_chain(&b.ring, (uint16_t)(3 * i), bufs, 3);
	}
	t0 = now_ns();
	for (unsigned r = 0; r < BATCHES; r++) {
		uint32_t id, len;

		for (unsigned i = 0; i < BATCH; i++)
			vh_publish(&b.ring, (uint16_t)(3 * i));
		vh_kick(vdev, 0);
		vh_run_until(&b.v, all_used, &b);
		while (vh_take_used(&b.ring, &id, &len))
			;
	}
	total = now_ns() - t0;
	blk_dev_destroy(blk);
	vh_vm_destroy(&b.v);
	return total / (BATCH * BATCHES);
}

int main(void)
{
	char path[] = "/tmp/cvmm-bench-XXXXXX";
	struct guest_mem mem;
	int fd;

	if (guest_mem_create(&mem, 8 << 20))
		return 1;
	printf("%-28s %10s\n", "chain (hdr+4K data+status)", "ns/chain");
	printf("%-28s %10.1f\n", "direct", run(&mem, false, false));
	printf("%-28s %10.1f\n", "direct, EVENT_IDX", run(&mem, false, true));
	printf("%-28s %10.1f\n", "indirect, EVENT_IDX", run(&mem, true, true));
	guest_mem_destroy(&mem);

	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, 1 << 20))
		return 1;
	close(fd);
	printf("\n%-28s %10s\n", "virtio-blk 4K read, 64/kick", "ns/req");
	printf("%-28s %10.0f\n", "sync engine", run_blk(path, BLK_ENGINE_SYNC));
	printf("%-28s %10.0f\n", "uring engine", run_blk(path, BLK_ENGINE_URING));
	unlink(path);
	return 0;
}
