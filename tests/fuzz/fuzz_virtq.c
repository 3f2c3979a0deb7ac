// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the split-virtqueue parser: the input is the guest's memory (rings,
 * descriptor tables, indirect tables) plus the queue's negotiated shape; every chain that pops
 * must consist of buffers entirely inside guest RAM (and, for a confidential guest, entirely in
 * pages it shared), its total below 4 GiB, and nothing may crash or hang.
 *
 * Guest RAM is laid out as cvmm lays it out: 3 GiB below the MMIO hole and 64 KiB above 4 GiB,
 * so descriptors can point below, into or past the hole, into high RAM, and at buffers of
 * gigabytes.  The input fills a 64 KiB window at the bottom of each region; the rings sit in
 * either window.  Input layout:
 *   0      queue size: 1 << (byte % 9)
 *   1      bit 0 EVENT_IDX, bit 1 INDIRECT, bit 2 confidential guest, bit 3 rings in high RAM
 *   2-3    the starting ring index (to reach the 16-bit wrap)
 *   4-5    confidential: the low window's 16 pages, one bit each, 1 = shared
 *   6-7    the same for the high window
 *   8-11   confidential: one more shared range in low RAM, from this page number ...
 *   12-13  ... this many times 16 pages long (up to the whole region)
 *   14-    the low window's bytes, then (second half) the high window's
 * Only pages inside the windows are ever touched, so the 3 GiB cost no memory.  A confidential
 * guest's memory has the attribute map but no separate device mapping: every returned buffer is
 * checked against the map instead (changing page protections per input would cost more than
 * the rest of the run).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/virtq.h"
#include "vmm/layout.h"
#include "vmm/memory.h"

#define LOW_SIZE  LAYOUT_MMIO_HOLE_START
#define RAM       (LOW_SIZE + WIN)
#define WIN       (64 * 1024ULL)
#define LOW_WIN   0ULL
#define HIGH_WIN  LAYOUT_HIGH_RAM_START
#define PAGE      4096ULL
#define HDR       14
#define IOV_CAP   64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct guest_mem plain, conf;

static void setup(void)
{
	if (guest_mem_create(&plain, RAM) || plain.nr_regions != 2 ||
	    guest_mem_create(&conf, RAM) || guest_mem_enable_attrs(&conf, false))
		abort();
}

static void share(struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	if (mem_attr_set(gm->attrs, gpa, len, true))
		abort();
}

/* The window's pages whose bit is set, a run of them at a time. */
static void share_pages(struct guest_mem *gm, uint64_t win, uint16_t bits)
{
	for (unsigned p = 0; p < 16;) {
		unsigned end = p;

		while (end < 16 && (bits & (1u << end)))
			end++;
		if (end > p)
			share(gm, win + p * PAGE, (end - p) * PAGE);
		p = end + 1;
	}
}

/* Every page private, then what the header shares. */
static void set_sharing(struct guest_mem *gm, const uint8_t *h)
{
	uint16_t low = (uint16_t)(h[4] | h[5] << 8), high = (uint16_t)(h[6] | h[7] << 8);
	uint64_t first = (uint64_t)(h[8] | h[9] << 8 | h[10] << 16 | (uint32_t)h[11] << 24);
	uint64_t pages = (uint64_t)(h[12] | h[13] << 8) * 16;

	for (unsigned i = 0; i < gm->nr_regions; i++) {
		const struct guest_mem_region *r = &gm->regions[i];

		if (mem_attr_set(gm->attrs, r->gpa, r->size, false))
			abort();
	}
	share_pages(gm, LOW_WIN, low);
	share_pages(gm, HIGH_WIN, high);
	first %= LOW_SIZE / PAGE;
	if (pages > LOW_SIZE / PAGE - first)
		pages = LOW_SIZE / PAGE - first;
	if (pages)
		share(gm, first * PAGE, pages * PAGE);
}

static bool in_window(const struct guest_mem *gm, const uint8_t *p, size_t len)
{
	for (unsigned i = 0; i < gm->nr_regions; i++) {
		const uint8_t *w = gm->regions[i].dev_hva;

		if (p >= w && p + len <= w + WIN)
			return true;
	}
	return false;
}

static void check_chain(const struct guest_mem *gm, const struct virtq_chain *c)
{
	uint64_t total = 0;

	if (c->nr_out + c->nr_in > IOV_CAP || c->nr_out + c->nr_in == 0)
		abort();
	for (unsigned i = 0; i < c->nr_out + c->nr_in; i++) {
		const uint8_t *p = c->iov[i].iov_base;
		size_t len = c->iov[i].iov_len;
		bool inside = false;

		for (unsigned k = 0; k < gm->nr_regions && !inside; k++) {
			const struct guest_mem_region *r = &gm->regions[k];
			uint64_t off = (uint64_t)(p - r->dev_hva);

			if (p < r->dev_hva || len > r->size || off > r->size - len)
				continue;
			inside = true;
			if (gm->attrs && !mem_attr_is_shared(gm->attrs, r->gpa + off, len))
				abort();
		}
		if (!len || !inside || !guest_mem_dma_still_shared(gm, p, len))
			abort();
		/* Touch both ends where memory is cheap, so a sanitizer sees any bad pointer. */
		if (in_window(gm, p, len)) {
			__atomic_load_n(p, __ATOMIC_RELAXED);
			__atomic_load_n(p + len - 1, __ATOMIC_RELAXED);
		}
		total += len;
	}
	if (total > UINT32_MAX || total != (uint64_t)c->out_bytes + c->in_bytes)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iovec iov[IOV_CAP];
	struct virtq_chain c = { .iov = iov, .iov_cap = IOV_CAP };
	struct guest_mem *gm;
	struct virtq vq;
	uint64_t base;
	uint16_t qsize;
	size_t half;
	int r;

	if (!plain.nr_regions)
		setup();
	if (size < HDR)
		return 0;

	gm = data[1] & 4 ? &conf : &plain;
	qsize = (uint16_t)(1u << (data[0] % 9)); /* 1 .. 256: fits before the used ring */
	base = data[1] & 8 ? HIGH_WIN : LOW_WIN;
	virtq_init(&vq, gm, 256);
	vq.size = qsize;
	vq.event_idx = data[1] & 1;
	vq.indirect = data[1] & 2;
	vq.desc_gpa = base;
	vq.avail_gpa = base + 16ULL * qsize;
	vq.used_gpa = base + WIN - PAGE;
	vq.last_avail_idx = vq.shadow_avail_idx = vq.used_idx = (uint16_t)(data[2] << 8 | data[3]);
	if (gm->attrs)
		set_sharing(gm, data);

	/* The rest is guest memory: half for each window. */
	data += HDR;
	size -= HDR;
	half = (size + 1) / 2;
	memset(gm->regions[0].hva, 0, WIN);
	memset(gm->regions[1].hva, 0, WIN);
	memcpy(gm->regions[0].hva, data, half < WIN ? half : WIN);
	memcpy(gm->regions[1].hva, data + half, size - half < WIN ? size - half : WIN);

	if (virtq_map(&vq) != 0) {
		/* Only a confidential guest's rings can be refused: they were left private. */
		if (!gm->attrs || virtq_pop(&vq, &c) != -VIRTQ_ERR_RING_ADDR)
			abort();
		return 0;
	}
	vq.ready = true;

	virtq_disable_notify(&vq);
	for (unsigned n = 0; n <= qsize; n++) {
		r = virtq_pop(&vq, &c);
		if (r <= 0)
			break;
		check_chain(gm, &c);
		virtq_push(&vq, c.head, c.in_bytes);
	}
	virtq_enable_notify(&vq);
	virtq_should_notify(&vq);
	return 0;
}
