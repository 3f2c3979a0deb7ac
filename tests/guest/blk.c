// SPDX-License-Identifier: MIT
/* The test guest's polling virtio-blk driver (see blk.h). */
#include "tests/guest/blk.h"
#include "tests/guest/dma.h"
#include "tests/guest/guest.h"
#include "tests/guest/libc.h"

#define BIT64(n) (1ULL << (n))
#define BLK_QUEUE_WANT 256

static const uint64_t wanted_features =
	BIT64(VIRTIO_F_EVENT_IDX) | BIT64(VIRTIO_F_INDIRECT_DESC) | BIT64(VIRTIO_BLK_F_RO) |
	BIT64(VIRTIO_BLK_F_SIZE_MAX) | BIT64(VIRTIO_BLK_F_SEG_MAX) | BIT64(VIRTIO_BLK_F_BLK_SIZE) |
	BIT64(VIRTIO_BLK_F_FLUSH) | BIT64(VIRTIO_BLK_F_DISCARD) | BIT64(VIRTIO_BLK_F_WRITE_ZEROES);

bool gblk_has(const struct gblk *b, unsigned feature)
{
	return b->features & BIT64(feature);
}

uint32_t gblk_config32(struct gblk *b, uint32_t off)
{
	return gvirtio_config32(b->dev, off);
}

const char *gblk_init(struct gblk *b, struct virtio_mmio_dev *dev)
{
	const char *why;
	uint32_t gen, lo, hi;

	b->dev = dev;
	why = gvirtio_negotiate(dev, wanted_features, &b->features);
	if (why)
		return why;
	do {
		gen = vmmio_read32(dev, VIRTIO_MMIO_CONFIG_GENERATION);
		lo = vmmio_read32(dev, VIRTIO_MMIO_CONFIG + 0);
		hi = vmmio_read32(dev, VIRTIO_MMIO_CONFIG + 4);
	} while (gen != vmmio_read32(dev, VIRTIO_MMIO_CONFIG_GENERATION));
	b->capacity = (uint64_t)hi << 32 | lo;
	b->size_max = gblk_has(b, VIRTIO_BLK_F_SIZE_MAX) ? gblk_config32(b, 8) : 0;
	if (!b->hdrs) {
		b->hdrs = dma_alloc(sizeof(*b->hdrs) * 1024, 4096);
		b->status = dma_alloc(1024, 64);
		if (!b->hdrs || !b->status)
			return "out of DMA memory for request headers";
	}
	why = gvirtq_setup(&b->q, dev, 0, BLK_QUEUE_WANT, gblk_has(b, VIRTIO_F_EVENT_IDX));
	if (why)
		return why;
	gvirtio_driver_ok(dev);
	if (gvirtio_status(dev) & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED))
		return "device failed DRIVER_OK";
	return NULL;
}

int gblk_submit(struct gblk *b, uint32_t type, uint64_t sector, void *data, uint32_t len,
		bool dev_writes)
{
	struct gbuf bufs[3];
	unsigned n = 0;
	uint16_t head = b->q.free_head;
	int r;

	/* Headers and status bytes are indexed by the head the free list will hand out. */
	if (b->q.num_free < (data && len ? 3 : 2))
		return -1;
	b->hdrs[head] = (struct gblk_hdr){ .type = type, .sector = sector };
	b->status[head] = 0xff;
	bufs[n++] = (struct gbuf){ &b->hdrs[head], sizeof(b->hdrs[head]), false };
	if (data && len)
		bufs[n++] = (struct gbuf){ data, len, dev_writes };
	bufs[n++] = (struct gbuf){ (void *)(uintptr_t)&b->status[head], 1, true };
	r = gvirtq_add(&b->q, bufs, n);
	return r;
}

void gblk_kick(struct gblk *b)
{
	uint64_t before = b->q.kicks;

	gvirtq_kick(&b->q);
	b->kicks += b->q.kicks - before;
}

int gblk_reap(struct gblk *b, uint8_t *status, uint32_t *used_len)
{
	int head = gvirtq_get(&b->q, used_len);

	if (head >= 0 && status)
		*status = b->status[head];
	return head;
}

int gblk_do(struct gblk *b, uint32_t type, uint64_t sector, void *data, uint32_t len,
	    bool dev_writes, uint8_t *status, const char **why)
{
	uint32_t used;
	int head, got;

	head = gblk_submit(b, type, sector, data, len, dev_writes);
	if (head < 0) {
		*why = "queue full";
		return -1;
	}
	gblk_kick(b);
	got = gvirtq_wait(&b->q, &used);
	if (got == -2) {
		*why = "device reported NEEDS_RESET";
		return -1;
	}
	if (got == -1) {
		*why = "request timed out";
		return -1;
	}
	if (got != head) {
		*why = "device completed a request that was not in flight";
		return -1;
	}
	*status = b->status[head];
	return 0;
}

const char *gblk_recover(struct gblk *b, struct virtio_mmio_dev *dev, void *sector)
{
	const char *why;
	uint8_t st;

	gvirtio_reset(dev);
	why = gblk_init(b, dev);
	if (why)
		return why;
	if (gblk_do(b, VIRTIO_BLK_T_IN, 0, sector, BLK_SECTOR, true, &st, &why) < 0)
		return why;
	return st == VIRTIO_BLK_S_OK ? NULL : "a read after the reset failed";
}

/* Stream buffers: one per slot, grown (never shrunk) from DMA memory. */
static uint8_t *stream_pool(struct gblk *b, uint64_t bytes)
{
	if (bytes > b->pool_bytes) {
		b->pool = dma_alloc(bytes, 4096);
		b->pool_bytes = b->pool ? bytes : 0;
	}
	return b->pool;
}

const char *gblk_stream_run(struct gblk *b, struct gblk_stream *s)
{
	static uint64_t slot_n[GBLK_MAX_DEPTH], slot_sector[GBLK_MAX_DEPTH];
	static uint16_t free_slots[GBLK_MAX_DEPTH];
	static uint16_t head_slot[1024];
	uint64_t issued = 0, done = 0;
	unsigned nfree, depth = s->depth;
	uint8_t *pool;

	if (depth == 0 || depth > GBLK_MAX_DEPTH || depth * 3 > b->q.size)
		return "stream depth out of range";
	if (b->size_max && s->io_bytes > b->size_max)
		return "request larger than the device's size_max";
	pool = stream_pool(b, (uint64_t)depth * s->io_bytes);
	if (!pool)
		return "out of DMA memory for stream buffers";
	for (nfree = 0; nfree < depth; nfree++)
		free_slots[nfree] = (uint16_t)(depth - 1 - nfree);
	s->batches = 0;
	while (done < s->count) {
		bool added = false;
		uint64_t spins = 0;
		uint32_t used;
		int head;

		while (issued < s->count && nfree) {
			unsigned slot = free_slots[--nfree];
			uint8_t *buf = pool + (uint64_t)slot * s->io_bytes;

			s->prepare(s->ctx, issued, &slot_sector[slot], buf);
			head = gblk_submit(b, s->type, slot_sector[slot], buf, s->io_bytes,
					   s->type == VIRTIO_BLK_T_IN);
			if (head < 0)
				return "queue full with slots free";
			head_slot[head] = (uint16_t)slot;
			slot_n[slot] = issued++;
			added = true;
		}
		if (added) {
			gblk_kick(b);
			s->batches++;
		}
		/* Wait for at least one completion, then take every one that is there. */
		while ((head = gvirtq_get(&b->q, &used)) == -1) {
			if (++spins >= spin_limit)
				return "requests timed out";
			if ((spins & 0xfffff) == 0 &&
			    (gvirtio_status(b->dev) & VIRTIO_STATUS_NEEDS_RESET))
				return "device reported NEEDS_RESET";
			cpu_relax();
		}
		do {
			unsigned slot;

			if (head < 0)
				return "device completed a request that was not in flight";
			slot = head_slot[head];
			done++;
			if (!s->complete(s->ctx, slot_n[slot], slot_sector[slot],
					 pool + (uint64_t)slot * s->io_bytes, b->status[head], used))
				return NULL;
			free_slots[nfree++] = (uint16_t)slot;
		} while ((head = gvirtq_get(&b->q, &used)) != -1);
	}
	return NULL;
}

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t gblk_pattern_word(uint64_t seed, uint64_t word_index)
{
	return mix64(seed + word_index);
}

void gblk_pattern_fill(uint64_t seed, uint64_t byte_offset, void *buf, uint32_t len)
{
	uint64_t *w = buf, first = byte_offset / 8;

	for (uint32_t i = 0; i < len / 8; i++)
		w[i] = gblk_pattern_word(seed, first + i);
}

int64_t gblk_pattern_check(uint64_t seed, uint64_t byte_offset, const void *buf, uint32_t len)
{
	const uint64_t *w = buf;
	uint64_t first = byte_offset / 8;

	for (uint32_t i = 0; i < len / 8; i++) {
		uint64_t want = gblk_pattern_word(seed, first + i);

		if (w[i] != want) {
			const uint8_t *a = (const uint8_t *)&w[i], *e = (const uint8_t *)&want;
			uint32_t k = 0;

			while (k < 7 && a[k] == e[k])
				k++;
			return (int64_t)(i * 8 + k);
		}
	}
	return -1;
}

int gblk_find(struct virtio_mmio_dev *devs, int max, const char **why)
{
	static struct virtio_mmio_dev all[VIRTIO_MMIO_MAX];
	static char err[120];
	int n, found = 0;

	n = virtio_mmio_discover(boot.cmdline, all, VIRTIO_MMIO_MAX, err, sizeof(err));
	if (n < 0) {
		*why = err;
		return -1;
	}
	for (int i = 0; i < n && found < max; i++)
		if (virtio_mmio_probe(&all[i]) && all[i].device_id == VIRTIO_ID_BLOCK)
			devs[found++] = all[i];
	return found;
}
