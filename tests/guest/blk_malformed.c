// SPDX-License-Identifier: MIT
/*
 * blk-malformed: deliberately broken descriptor chains.  After each the device must report
 * DEVICE_NEEDS_RESET (status bit 0x40); the guest then resets and re-initialises it, and a normal
 * request must work again.  Written for cvmm's documented behaviour (docs/virtio.md); other VMMs
 * may complete such a chain or stop the device, which this check reports as a failure.
 */
#include "tests/guest/blk.h"
#include "tests/guest/blk_check.h"
#include "tests/guest/dma.h"
#include "tests/guest/guest.h"
#include "tests/guest/libc.h"
#include "tests/guest/printf.h"

#define F_NEXT  VIRTQ_DESC_F_NEXT
#define F_WRITE VIRTQ_DESC_F_WRITE
#define OUTSIDE_RAM (1ULL << 40) /* far above any RAM these guests get */
#define STATUS_POLL_PAUSES 1000

struct bad_chain {
	const char *name;
	bool (*build)(struct gblk *b, uint8_t *data); /* false: not applicable */
};

static uint64_t hdr_addr(struct gblk *b, uint32_t type)
{
	b->hdrs[0] = (struct gblk_hdr){ .type = type };
	return dma_addr(&b->hdrs[0]);
}

static uint64_t status_addr(struct gblk *b)
{
	return dma_addr((const void *)&b->status[0]);
}

static bool build_outside_ram(struct gblk *b, uint8_t *data)
{
	(void)data;
	gvirtq_raw_desc(&b->q, 0, hdr_addr(b, VIRTIO_BLK_T_IN), 16, F_NEXT, 1);
	gvirtq_raw_desc(&b->q, 1, OUTSIDE_RAM, BLK_SECTOR, F_WRITE | F_NEXT, 2);
	gvirtq_raw_desc(&b->q, 2, status_addr(b), 1, F_WRITE, 0);
	return true;
}

static bool build_loop(struct gblk *b, uint8_t *data)
{
	gvirtq_raw_desc(&b->q, 0, hdr_addr(b, VIRTIO_BLK_T_OUT), 16, F_NEXT, 1);
	gvirtq_raw_desc(&b->q, 1, dma_addr(data), BLK_SECTOR, F_NEXT, 0);
	return true;
}

static bool build_zero_len(struct gblk *b, uint8_t *data)
{
	gvirtq_raw_desc(&b->q, 0, hdr_addr(b, VIRTIO_BLK_T_IN), 16, F_NEXT, 1);
	gvirtq_raw_desc(&b->q, 1, dma_addr(data), 0, F_WRITE | F_NEXT, 2);
	gvirtq_raw_desc(&b->q, 2, status_addr(b), 1, F_WRITE, 0);
	return true;
}

/* Every descriptor of the table in one chain, and the last one back to the first. */
static bool build_too_long(struct gblk *b, uint8_t *data)
{
	uint16_t n = b->q.size;

	gvirtq_raw_desc(&b->q, 0, hdr_addr(b, VIRTIO_BLK_T_OUT), 16, F_NEXT, 1);
	for (uint16_t i = 1; i < n; i++)
		gvirtq_raw_desc(&b->q, i, dma_addr(data), BLK_SECTOR, F_NEXT,
				(uint16_t)((i + 1) % n));
	return true;
}

/* An indirect table with one entry more than the queue size, otherwise a valid IN request. */
static bool build_indirect_too_long(struct gblk *b, uint8_t *data)
{
	uint32_t n = (uint32_t)b->q.size + 1;
	struct vring_desc *t;

	if (!gblk_has(b, VIRTIO_F_INDIRECT_DESC))
		return false;
	t = dma_alloc(16ULL * n, 16);
	if (!t)
		return false;
	t[0] = (struct vring_desc){ hdr_addr(b, VIRTIO_BLK_T_IN), 16, F_NEXT, 1 };
	for (uint32_t i = 1; i < n - 1; i++)
		t[i] = (struct vring_desc){ dma_addr(data), BLK_SECTOR, F_WRITE | F_NEXT,
					    (uint16_t)(i + 1) };
	t[n - 1] = (struct vring_desc){ status_addr(b), 1, F_WRITE, 0 };
	gvirtq_raw_desc(&b->q, 0, dma_addr(t), 16 * n, VIRTQ_DESC_F_INDIRECT, 0);
	return true;
}

static bool build_write_before_read(struct gblk *b, uint8_t *data)
{
	gvirtq_raw_desc(&b->q, 0, dma_addr(data), BLK_SECTOR, F_WRITE | F_NEXT, 1);
	gvirtq_raw_desc(&b->q, 1, hdr_addr(b, VIRTIO_BLK_T_IN), 16, F_NEXT, 2);
	gvirtq_raw_desc(&b->q, 2, status_addr(b), 1, F_WRITE, 0);
	return true;
}

static bool build_next_out_of_range(struct gblk *b, uint8_t *data)
{
	(void)data;
	gvirtq_raw_desc(&b->q, 0, hdr_addr(b, VIRTIO_BLK_T_IN), 16, F_NEXT,
			(uint16_t)(b->q.size + 5));
	return true;
}

static const struct bad_chain bad_chains[] = {
	{ "outside-ram", build_outside_ram },
	{ "loop", build_loop },
	{ "zero-length", build_zero_len },
	{ "longer-than-queue", build_too_long },
	{ "indirect-longer-than-queue", build_indirect_too_long },
	{ "write-before-read", build_write_before_read },
	{ "next-out-of-range", build_next_out_of_range },
};

/* Waits for NEEDS_RESET; NULL when it came, else what happened instead. */
static const char *await_needs_reset(struct gblk *b, char *why, size_t why_len)
{
	uint64_t polls = spin_limit / STATUS_POLL_PAUSES + 1;
	uint32_t status, used;

	for (uint64_t i = 0; i < polls; i++) {
		status = gvirtio_status(b->dev);
		if (status & VIRTIO_STATUS_NEEDS_RESET)
			return NULL;
		if (gvirtq_get(&b->q, &used) != -1) {
			snprintf(why, why_len, "completed (status byte %u, used length %u) "
				 "instead of NEEDS_RESET", b->status[0], used);
			return why;
		}
		for (int k = 0; k < STATUS_POLL_PAUSES; k++)
			cpu_relax();
	}
	snprintf(why, why_len, "no NEEDS_RESET (device status 0x%x)", gvirtio_status(b->dev));
	return why;
}

bool check_blk_malformed(struct check_result *res)
{
	static struct virtio_mmio_dev dev;
	static struct gblk b;
	static char buf[120];
	unsigned done = 0, skipped = 0, failed = 0;
	uint8_t *data;
	const char *why;

	if (!blk_pick_device(&dev, res))
		return false;
	data = dma_alloc(BLK_SECTOR, 4096);
	if (!data) {
		result_add(res, "out of DMA memory");
		return false;
	}
	why = gblk_init(&b, &dev);
	if (why) {
		result_add(res, "init: %s", why);
		return false;
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_chains); i++) {
		const struct bad_chain *c = &bad_chains[i];
		const char *after;

		if (!c->build(&b, data)) {
			printf("  blk-malformed %s: not applicable\n", c->name);
			skipped++;
			continue;
		}
		gvirtq_raw_publish(&b.q, 0);
		why = await_needs_reset(&b, buf, sizeof(buf));
		/* Recover either way, so the remaining cases still run. */
		after = gblk_recover(&b, &dev, data);
		printf("  blk-malformed %s: %s; after reset: %s\n", c->name,
		       why ? why : "NEEDS_RESET", after ? after : "works");
		if (why || after) {
			if (!failed++)
				result_add(res, "failed:");
			result_cat(res, " %s", c->name);
			if (after)
				break; /* the device is unusable now */
			continue;
		}
		done++;
	}
	if (failed) {
		gvirtio_reset(&dev);
		return false;
	}
	gvirtio_reset(&dev);
	result_add(res, "%u malformed chains each led to NEEDS_RESET and a working reset", done);
	if (skipped)
		result_add(res, "%u not applicable", skipped);
	return true;
}
