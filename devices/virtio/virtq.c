// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <linux/virtio_ring.h>

#include "devices/virtio/virtq.h"
#include "vmm/memory.h"
#include "vmm/util.h"

/* Offsets inside the rings (virtio 1.x 2.7.6 / 2.7.8). */
#define AVAIL_FLAGS 0
#define AVAIL_IDX   2
#define AVAIL_RING  4
#define USED_FLAGS  0
#define USED_IDX    2
#define USED_RING   4

/* A descriptor as copied out of guest memory. */
struct desc_copy {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static const char *const error_names[VIRTQ_ERR__COUNT] = {
	[VIRTQ_ERR_NONE] = "no error",
	[VIRTQ_ERR_RING_ADDR] = "ring outside shared guest RAM",
	[VIRTQ_ERR_AVAIL_IDX] = "avail index jumped beyond the queue size",
	[VIRTQ_ERR_DESC_INDEX] = "descriptor index out of range",
	[VIRTQ_ERR_DESC_ADDR] = "buffer outside guest RAM",
	[VIRTQ_ERR_ZERO_LEN] = "zero-length buffer",
	[VIRTQ_ERR_CHAIN_LEN] = "descriptor chain loops or exceeds the queue size",
	[VIRTQ_ERR_CHAIN_BYTES] = "descriptor chain longer than 4 GiB",
	[VIRTQ_ERR_INDIRECT] = "invalid use of an indirect descriptor",
	[VIRTQ_ERR_INDIRECT_SIZE] = "bad indirect table size",
	[VIRTQ_ERR_WRITE_ORDER] = "device-readable buffer after a device-writable one",
	[VIRTQ_ERR_TOO_MANY_SEGS] = "more buffers than the device accepts",
	[VIRTQ_ERR_DESC_PRIVATE] = "buffer in private memory",
};

const char *virtq_error_name(enum virtq_error err)
{
	if ((unsigned)err >= VIRTQ_ERR__COUNT)
		return "unknown error";
	return error_names[err];
}

static inline uint16_t load16(const uint8_t *ring, uint64_t off)
{
	return __atomic_load_n((const uint16_t *)(ring + off), __ATOMIC_RELAXED);
}

static inline void store16(uint8_t *ring, uint64_t off, uint16_t v)
{
	__atomic_store_n((uint16_t *)(ring + off), v, __ATOMIC_RELAXED);
}

static inline void store32(uint8_t *ring, uint64_t off, uint32_t v)
{
	__atomic_store_n((uint32_t *)(ring + off), v, __ATOMIC_RELAXED);
}

/* Copies one descriptor; the compiler barrier keeps every later use on the copy. */
static inline void read_desc(const uint8_t *table, uint32_t i, struct desc_copy *d)
{
	struct vring_desc raw;

	memcpy(&raw, table + 16ULL * i, sizeof(raw));
	__asm__ __volatile__("" ::: "memory");
	d->addr = raw.addr;
	d->len = raw.len;
	d->flags = raw.flags;
	d->next = raw.next;
}

void virtq_init(struct virtq *vq, const struct guest_mem *mem, uint16_t size_max)
{
	memset(vq, 0, sizeof(*vq));
	vq->mem = mem;
	vq->size_max = size_max;
	virtq_reset(vq);
}

void virtq_reset(struct virtq *vq)
{
	vq->size = vq->size_max;
	vq->ready = false;
	vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
	vq->event_idx = vq->indirect = false;
	vq->desc = vq->avail = vq->used = NULL;
	vq->last_avail_idx = vq->shadow_avail_idx = vq->used_idx = 0;
	vq->signalled_used = 0;
	vq->signalled_used_valid = false;
}

int virtq_map(struct virtq *vq)
{
	uint16_t n = vq->size;

	if (n == 0 || n > vq->size_max || (n & (n - 1)))
		return -EINVAL;
	if (!IS_ALIGNED(vq->desc_gpa, 16) || !IS_ALIGNED(vq->avail_gpa, 2) ||
	    !IS_ALIGNED(vq->used_gpa, 4))
		return -EINVAL;
	vq->desc = guest_mem_dma(vq->mem, vq->desc_gpa, virtq_desc_bytes(n));
	vq->avail = guest_mem_dma(vq->mem, vq->avail_gpa, virtq_avail_bytes(n));
	vq->used = guest_mem_dma(vq->mem, vq->used_gpa, virtq_used_bytes(n));
	if (!vq->desc || !vq->avail || !vq->used) {
		vq->desc = vq->avail = vq->used = NULL;
		return -EFAULT;
	}
	return 0;
}

static int fail(struct virtq *vq, enum virtq_error err)
{
	vq->errors[err]++;
	return -(int)err;
}

/* guest_mem_dma() refused [gpa, gpa + len): RAM the guest kept private, or not RAM at all. */
static int fail_addr(struct virtq *vq, uint64_t gpa, uint32_t len)
{
	return fail(vq, guest_mem_is_ram(vq->mem, gpa, len) ? VIRTQ_ERR_DESC_PRIVATE
							   : VIRTQ_ERR_DESC_ADDR);
}

uint16_t virtq_pending(struct virtq *vq)
{
	uint16_t avail_idx, n;

	if (!vq->avail)
		return 0;
	avail_idx = __atomic_load_n((const uint16_t *)(vq->avail + AVAIL_IDX), __ATOMIC_ACQUIRE);
	n = (uint16_t)(avail_idx - vq->last_avail_idx);
	return n > vq->size ? 0 : n;
}

/* Refreshes the shadow avail idx when everything seen so far was popped; -AVAIL_IDX if bogus. */
static int fetch_avail_idx(struct virtq *vq)
{
	uint16_t idx;

	if (vq->shadow_avail_idx != vq->last_avail_idx)
		return 0;
	/* Acquire: ring entries and descriptors are read after the index that published them. */
	idx = __atomic_load_n((const uint16_t *)(vq->avail + AVAIL_IDX), __ATOMIC_ACQUIRE);
	if ((uint16_t)(idx - vq->last_avail_idx) > vq->size)
		return fail(vq, VIRTQ_ERR_AVAIL_IDX);
	vq->shadow_avail_idx = idx;
	return 0;
}

/* Walks the chain starting at head; fills c.  Bounded by the queue size in every case. */
static int walk_chain(struct virtq *vq, uint16_t head, struct virtq_chain *c)
{
	const uint8_t *table = vq->desc;
	uint32_t table_len = vq->size, i = head;
	uint64_t out_bytes = 0, in_bytes = 0;
	unsigned nr = 0, nr_out = 0, buffers = 0;
	bool in_indirect = false;
	struct desc_copy d;
	void *buf;

	for (;;) {
		if (i >= table_len)
			return fail(vq, VIRTQ_ERR_DESC_INDEX);
		read_desc(table, i, &d);

		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!vq->indirect || in_indirect || (d.flags & VRING_DESC_F_NEXT))
				return fail(vq, VIRTQ_ERR_INDIRECT);
			if (d.len == 0 || d.len % 16 || d.len / 16 > vq->size)
				return fail(vq, VIRTQ_ERR_INDIRECT_SIZE);
			table = guest_mem_dma(vq->mem, d.addr, d.len);
			if (!table)
				return fail_addr(vq, d.addr, d.len);
			table_len = d.len / 16;
			in_indirect = true;
			i = 0;
			continue;
		}

		/* Every buffer counts: a loop in either table ends here within size + 1 steps. */
		if (++buffers > vq->size)
			return fail(vq, VIRTQ_ERR_CHAIN_LEN);
		if (d.len == 0)
			return fail(vq, VIRTQ_ERR_ZERO_LEN);
		buf = guest_mem_dma(vq->mem, d.addr, d.len);
		if (!buf)
			return fail_addr(vq, d.addr, d.len);
		if (d.flags & VRING_DESC_F_WRITE) {
			in_bytes += d.len;
		} else {
			if (nr != nr_out)
				return fail(vq, VIRTQ_ERR_WRITE_ORDER);
			out_bytes += d.len;
			nr_out++;
		}
		if (out_bytes + in_bytes > UINT32_MAX)
			return fail(vq, VIRTQ_ERR_CHAIN_BYTES);
		if (nr >= c->iov_cap)
			return fail(vq, VIRTQ_ERR_TOO_MANY_SEGS);
		c->iov[nr].iov_base = buf;
		c->iov[nr].iov_len = d.len;
		nr++;

		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		i = d.next;
	}
	c->head = head;
	c->nr_out = (uint16_t)nr_out;
	c->nr_in = (uint16_t)(nr - nr_out);
	c->out_bytes = (uint32_t)out_bytes;
	c->in_bytes = (uint32_t)in_bytes;
	return 1;
}

int virtq_pop(struct virtq *vq, struct virtq_chain *c)
{
	uint16_t head;
	int r;

	if (!vq->avail)
		return fail(vq, VIRTQ_ERR_RING_ADDR);
	r = fetch_avail_idx(vq);
	if (r < 0)
		return r;
	if (vq->shadow_avail_idx == vq->last_avail_idx)
		return 0;
	head = load16(vq->avail, AVAIL_RING + 2ULL * (vq->last_avail_idx & (vq->size - 1)));
	r = walk_chain(vq, head, c);
	if (r < 0)
		return r;
	vq->last_avail_idx++;
	vq->popped++;
	return 1;
}

void virtq_unpop(struct virtq *vq)
{
	vq->last_avail_idx--;
	vq->popped--;
	/* The next pop reads the avail idx again, so its jump is checked from here. */
	vq->shadow_avail_idx = vq->last_avail_idx;
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	uint64_t elem = USED_RING + 8ULL * (vq->used_idx & (vq->size - 1));

	store32(vq->used, elem, head);
	store32(vq->used, elem + 4, len);
	vq->used_idx++;
	vq->pushed++;
	/* Release: the element is visible before the index that publishes it. */
	__atomic_store_n((uint16_t *)(vq->used + USED_IDX), vq->used_idx, __ATOMIC_RELEASE);
}

void virtq_disable_notify(struct virtq *vq)
{
	if (!vq->event_idx)
		store16(vq->used, USED_FLAGS, VRING_USED_F_NO_NOTIFY);
}

bool virtq_enable_notify_after(struct virtq *vq, uint16_t count)
{
	uint16_t idx;

	if (!count || !vq->event_idx)
		count = 1;
	if (vq->event_idx)
		store16(vq->used, USED_RING + 8ULL * vq->size,
			(uint16_t)(vq->last_avail_idx + count - 1));
	else
		store16(vq->used, USED_FLAGS, 0);
	/* Our store must be visible before we look for buffers added meanwhile (pairs with the
	 * driver's barrier between publishing avail idx and reading our flag / avail_event). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	idx = __atomic_load_n((const uint16_t *)(vq->avail + AVAIL_IDX), __ATOMIC_ACQUIRE);
	return (uint16_t)(idx - vq->last_avail_idx) >= count;
}

bool virtq_enable_notify(struct virtq *vq)
{
	return virtq_enable_notify_after(vq, 1);
}

bool virtq_should_notify(struct virtq *vq)
{
	uint16_t old = vq->signalled_used, new_idx = vq->used_idx, event;
	bool valid = vq->signalled_used_valid;

	if (old == new_idx)
		return false; /* nothing used since the last decision */
	vq->signalled_used = new_idx;
	vq->signalled_used_valid = true;
	/* The used idx store must be visible before we read the driver's suppression state. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(load16(vq->avail, AVAIL_FLAGS) & VRING_AVAIL_F_NO_INTERRUPT);
	if (!valid)
		return true;
	event = load16(vq->avail, AVAIL_RING + 2ULL * vq->size);
	return virtq_need_event(event, new_idx, old);
}
