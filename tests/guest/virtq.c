// SPDX-License-Identifier: MIT
#include "tests/guest/dma.h"
#include "tests/guest/guest.h"
#include "tests/guest/libc.h"
#include "tests/guest/virtq.h"

#define barrier() asm volatile("" ::: "memory")
/* x86 keeps stores ordered with stores and loads with loads; a compiler barrier suffices,
 * except store->load, which needs a full fence (EVENT_IDX checks after publishing). */
#define mb() asm volatile("mfence" ::: "memory")

#define RAW_CHAIN 0xffff /* chain_len of a head published by gvirtq_raw_publish() */

void gvirtio_reset(struct virtio_mmio_dev *dev)
{
	vmmio_write32(dev, VIRTIO_MMIO_STATUS, 0);
}

uint32_t gvirtio_status(struct virtio_mmio_dev *dev)
{
	return vmmio_read32(dev, VIRTIO_MMIO_STATUS);
}

static uint64_t read_features(struct virtio_mmio_dev *dev)
{
	uint64_t f;

	vmmio_write32(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	f = (uint64_t)vmmio_read32(dev, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	vmmio_write32(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	return f | vmmio_read32(dev, VIRTIO_MMIO_DEVICE_FEATURES);
}

const char *gvirtio_negotiate(struct virtio_mmio_dev *dev, uint64_t want, uint64_t *got)
{
	uint64_t offered, use;

	gvirtio_reset(dev);
	if (gvirtio_status(dev) != 0)
		return "status does not read 0 after reset";
	vmmio_write32(dev, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACK);
	vmmio_write32(dev, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
	offered = read_features(dev);
	if (!(offered & (1ULL << VIRTIO_F_VERSION_1)))
		return "device does not offer VIRTIO_F_VERSION_1";
	use = offered & (want | (1ULL << VIRTIO_F_VERSION_1));
	/* A confidential VM's devices insist on ACCESS_PLATFORM; the guest honours it. */
	use |= offered & (1ULL << VIRTIO_F_ACCESS_PLATFORM);
	vmmio_write32(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vmmio_write32(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)use);
	vmmio_write32(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vmmio_write32(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(use >> 32));
	vmmio_write32(dev, VIRTIO_MMIO_STATUS,
		      VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	if (!(gvirtio_status(dev) & VIRTIO_STATUS_FEATURES_OK))
		return "device refused FEATURES_OK";
	*got = use;
	return NULL;
}

void gvirtio_driver_ok(struct virtio_mmio_dev *dev)
{
	vmmio_write32(dev, VIRTIO_MMIO_STATUS, gvirtio_status(dev) | VIRTIO_STATUS_DRIVER_OK);
}

uint32_t gvirtio_config32(struct virtio_mmio_dev *dev, uint32_t off)
{
	uint32_t gen, v;

	do {
		gen = vmmio_read32(dev, VIRTIO_MMIO_CONFIG_GENERATION);
		v = vmmio_read32(dev, VIRTIO_MMIO_CONFIG + off);
	} while (gen != vmmio_read32(dev, VIRTIO_MMIO_CONFIG_GENERATION));
	return v;
}

static void write64(struct virtio_mmio_dev *dev, uint32_t lo_reg, uint64_t v)
{
	vmmio_write32(dev, lo_reg, (uint32_t)v);
	vmmio_write32(dev, lo_reg + 4, (uint32_t)(v >> 32));
}

/*
 * The driver polls: ask for no used-buffer interrupts.  Without EVENT_IDX that is the avail flag;
 * with it the flag is ignored and used_event is kept half the index space behind the used index,
 * where the device's old..new window of a decision (at most the queue size wide) never reaches.
 */
static void suppress_interrupts(struct gvirtq *q)
{
	q->avail[0] = VRING_AVAIL_F_NO_INTERRUPT;
	if (q->event_idx)
		q->avail[2 + q->size] = (uint16_t)(q->last_used - 0x8000);
}

const char *gvirtq_setup(struct gvirtq *q, struct virtio_mmio_dev *dev, unsigned index,
			 uint16_t size, bool event_idx)
{
	uint32_t max;
	size_t avail_bytes, used_bytes;

	memset(q, 0, sizeof(*q));
	vmmio_write32(dev, VIRTIO_MMIO_QUEUE_SEL, index);
	if (vmmio_read32(dev, VIRTIO_MMIO_QUEUE_READY))
		return "queue already live";
	max = vmmio_read32(dev, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (max == 0)
		return "queue does not exist";
	if (size > max)
		size = (uint16_t)max;
	if (size == 0 || size > 1024 || (size & (size - 1)))
		return "queue size not a power of two up to 1024";
	avail_bytes = 6 + 2 * (size_t)size;
	used_bytes = 6 + 8 * (size_t)size;
	q->desc = dma_alloc_coherent(16 * (size_t)size, 4096);
	q->avail = dma_alloc_coherent(avail_bytes, 4096);
	q->used = dma_alloc_coherent(used_bytes, 4096);
	if (!q->desc || !q->avail || !q->used)
		return "out of memory for the rings";
	q->used_ring = (volatile struct vring_used_elem *)(q->used + 2);
	q->dev = dev;
	q->index = index;
	q->size = size;
	q->event_idx = event_idx;
	for (uint16_t i = 0; i < size; i++)
		q->desc[i].next = (uint16_t)(i + 1);
	q->num_free = size;
	suppress_interrupts(q);
	vmmio_write32(dev, VIRTIO_MMIO_QUEUE_NUM, size);
	write64(dev, VIRTIO_MMIO_QUEUE_DESC_LOW, dma_addr(q->desc));
	write64(dev, VIRTIO_MMIO_QUEUE_DRIVER_LOW, dma_addr((const void *)q->avail));
	write64(dev, VIRTIO_MMIO_QUEUE_DEVICE_LOW, dma_addr((const void *)q->used));
	vmmio_write32(dev, VIRTIO_MMIO_QUEUE_READY, 1);
	if (vmmio_read32(dev, VIRTIO_MMIO_QUEUE_READY) != 1)
		return "device did not take QueueReady";
	return NULL;
}

static void unbounce(struct gvirtq_bounce *b, uint32_t copy_back)
{
	dma_bounce_unmap(b->slot, b->orig, b->len, b->write ? copy_back : 0);
	b->orig = NULL;
}

/* The address the device gets for buffer b of descriptor i: b itself, or a pool copy of it. */
static bool map_buf(struct gvirtq *q, uint16_t i, const struct gbuf *b, uint64_t *addr)
{
	void *slot;

	q->bounce[i] = (struct gvirtq_bounce){ .write = b->write };
	if (!dma_bouncing() || dma_in_pool(b->addr, b->len)) {
		*addr = dma_addr(b->addr);
		return true;
	}
	slot = dma_bounce_map(b->addr, b->len, !b->write);
	if (!slot)
		return false;
	q->bounce[i] = (struct gvirtq_bounce){ b->addr, slot, b->len, b->write };
	*addr = dma_addr(slot);
	return true;
}

int gvirtq_add(struct gvirtq *q, const struct gbuf *bufs, unsigned n)
{
	uint16_t head, i;
	uint64_t addr;

	if (n == 0 || n > q->num_free)
		return -1;
	head = q->free_head;
	i = head;
	for (unsigned k = 0; k < n; k++) {
		struct vring_desc *d = &q->desc[i];

		if (!map_buf(q, i, &bufs[k], &addr)) {
			/* Pool full: give back this chain's slots, nothing was published. */
			for (uint16_t j = head; j != i; j = q->desc[j].next)
				if (q->bounce[j].orig)
					unbounce(&q->bounce[j], 0);
			return -1;
		}
		d->addr = addr;
		d->len = bufs[k].len;
		d->flags = (uint16_t)((bufs[k].write ? VIRTQ_DESC_F_WRITE : 0) |
				      (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		i = d->next;
	}
	q->free_head = i;
	q->num_free = (uint16_t)(q->num_free - n);
	q->chain_len[head] = (uint16_t)n;
	q->avail[2 + (q->avail_idx % q->size)] = head;
	q->avail_idx++;
	return head;
}

void gvirtq_kick(struct gvirtq *q)
{
	uint16_t old = q->avail[1];
	uint16_t now = q->avail_idx;
	bool notify = true;

	barrier();
	q->avail[1] = now; /* publish */
	mb();
	if (q->event_idx) {
		/* avail_event lives right after the used ring. */
		uint16_t event = *(volatile uint16_t *)(q->used_ring + q->size);

		notify = (uint16_t)(now - event - 1) < (uint16_t)(now - old);
	} else {
		notify = !(q->used[0] & 1); /* VRING_USED_F_NO_NOTIFY */
	}
	if (notify) {
		vmmio_write32(q->dev, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
		q->kicks++;
	}
}

static void copy_back_chain(struct gvirtq *q, uint16_t head, uint16_t n, uint32_t used_len)
{
	unsigned writable = 0;
	uint16_t i = head;

	for (uint16_t k = 0; k < n; k++, i = q->desc[i % q->size].next)
		writable += q->bounce[i % q->size].write;
	i = head;
	for (uint16_t k = 0; k < n; k++, i = q->desc[i % q->size].next) {
		struct gvirtq_bounce *b = &q->bounce[i % q->size];

		if (b->orig)
			unbounce(b, writable == 1 && used_len < b->len ? used_len : b->len);
	}
}

int gvirtq_get(struct gvirtq *q, uint32_t *len)
{
	uint16_t idx = q->used[1];
	uint32_t id, used_len;
	uint16_t n, tail;

	barrier();
	if (idx == q->last_used)
		return -1;
	id = q->used_ring[q->last_used % q->size].id;
	used_len = q->used_ring[q->last_used % q->size].len;
	q->last_used++;
	if (q->event_idx)
		suppress_interrupts(q);
	/* An id that is no outstanding head: a broken device.  Nothing to free. */
	if (id >= q->size || q->chain_len[id] == 0)
		return GVIRTQ_BAD_ID;
	if (len)
		*len = used_len;
	if (q->chain_len[id] == RAW_CHAIN) {
		q->chain_len[id] = 0; /* its descriptors never came from the free list */
		return (int)id;
	}
	/* Return the chain to the free list, copying bounced device-writable buffers back. */
	n = q->chain_len[id];
	q->chain_len[id] = 0;
	if (dma_bouncing())
		copy_back_chain(q, (uint16_t)id, n, used_len);
	tail = (uint16_t)id;
	for (uint16_t k = 1; k < n; k++)
		tail = q->desc[tail].next;
	q->desc[tail].next = q->free_head;
	q->free_head = (uint16_t)id;
	q->num_free = (uint16_t)(q->num_free + n);
	return (int)id;
}

int gvirtq_wait(struct gvirtq *q, uint32_t *len)
{
	for (uint64_t spins = 0; spins < spin_limit; spins++) {
		int head = gvirtq_get(q, len);

		if (head != -1)
			return head;
		if ((spins & 0xffff) == 0xffff &&
		    (gvirtio_status(q->dev) & VIRTIO_STATUS_NEEDS_RESET))
			return -2;
		cpu_relax();
	}
	return -1;
}

void gvirtq_raw_desc(struct gvirtq *q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	q->desc[i % q->size] = (struct vring_desc){
		.addr = addr, .len = len, .flags = flags, .next = next,
	};
}

void gvirtq_raw_publish(struct gvirtq *q, uint16_t head)
{
	if (head < q->size)
		q->chain_len[head] = RAW_CHAIN;
	q->avail[2 + (q->avail_idx % q->size)] = head;
	q->avail_idx++;
	barrier();
	q->avail[1] = q->avail_idx;
	mb();
	vmmio_write32(q->dev, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
}
