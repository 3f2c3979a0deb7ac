// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the split-virtqueue parser: the input is the guest's memory (rings,
 * descriptor tables, indirect tables) plus the queue's negotiated shape; every chain that pops
 * must consist of buffers entirely inside guest RAM, and nothing may crash or hang.
 *
 * Manual build and run (from the repository root):
 *   clang -g -O1 -std=gnu11 -D_GNU_SOURCE -I. -fsanitize=fuzzer,address,undefined \
 *       tests/fuzz/fuzz_virtq.c devices/virtio/virtq.c vmm/memory.c -o build/fuzz_virtq
 *   mkdir -p build/fuzz_virtq.corpus && build/fuzz_virtq -max_total_time=60 build/fuzz_virtq.corpus
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/virtq.h"
#include "vmm/memory.h"

#define RAM       (64 * 1024)
#define RING_GPA  0x0      /* desc table, then avail ring at +16n, used ring in the last page */
#define USED_GPA  (RAM - 4096)
#define IOV_CAP   64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct guest_mem mem;

static void check_inside_ram(const struct iovec *iov, unsigned n)
{
	const uint8_t *base = mem.regions[0].dev_hva;

	for (unsigned i = 0; i < n; i++) {
		const uint8_t *p = iov[i].iov_base;

		if (iov[i].iov_len == 0 || p < base || p + iov[i].iov_len > base + RAM)
			abort();
		/* Touch both ends, so a sanitizer sees any bad pointer. */
		__atomic_load_n(p, __ATOMIC_RELAXED);
		__atomic_load_n(p + iov[i].iov_len - 1, __ATOMIC_RELAXED);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iovec iov[IOV_CAP];
	struct virtq_chain c = { .iov = iov, .iov_cap = IOV_CAP };
	struct virtq vq;
	uint16_t qsize;
	int r;

	if (!mem.nr_regions && guest_mem_create(&mem, RAM) != 0)
		abort();
	if (size < 4)
		return 0;

	/* Header: queue size, ring features, a starting index (to reach the 16-bit wrap). */
	qsize = (uint16_t)(1u << (data[0] % 9)); /* 1 .. 256: fits before USED_GPA */
	virtq_init(&vq, &mem, 256);
	vq.size = qsize;
	vq.event_idx = data[1] & 1;
	vq.indirect = data[1] & 2;
	vq.desc_gpa = RING_GPA;
	vq.avail_gpa = RING_GPA + 16ULL * qsize;
	vq.used_gpa = USED_GPA;
	vq.last_avail_idx = vq.shadow_avail_idx = vq.used_idx = (uint16_t)(data[2] << 8 | data[3]);
	data += 4;
	size -= 4;

	/* The rest is guest memory. */
	memset(mem.regions[0].hva, 0, RAM);
	memcpy(mem.regions[0].hva, data, size < RAM ? size : RAM);
	if (virtq_map(&vq) != 0)
		abort();
	vq.ready = true;

	virtq_disable_notify(&vq);
	for (unsigned n = 0; n <= qsize; n++) {
		r = virtq_pop(&vq, &c);
		if (r <= 0)
			break;
		if (c.nr_out + c.nr_in > IOV_CAP || c.nr_out + c.nr_in == 0)
			abort();
		check_inside_ram(iov, c.nr_out + c.nr_in);
		virtq_push(&vq, c.head, c.in_bytes);
	}
	virtq_enable_notify(&vq);
	virtq_should_notify(&vq);
	return 0;
}
