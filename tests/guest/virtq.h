/* SPDX-License-Identifier: MIT */
/*
 * Driver side of virtio 1.x devices over virtio-mmio: initialisation and feature negotiation, and
 * split virtqueues polled from ring 3 (used-buffer interrupts are suppressed: the avail flag, or
 * with EVENT_IDX a used_event the device never reaches).  Descriptors are handed out from a free
 * list; gvirtq_raw_desc() lets checks write deliberately malformed chains.
 */
#ifndef GUEST_VIRTQ_H
#define GUEST_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/guest/virtio_mmio.h"

#define VIRTQ_DESC_F_NEXT     1
#define VIRTQ_DESC_F_WRITE    2
#define VIRTQ_DESC_F_INDIRECT 4

#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY     1

#define VIRTIO_F_INDIRECT_DESC   28
#define VIRTIO_F_EVENT_IDX       29
#define VIRTIO_F_VERSION_1       32
#define VIRTIO_F_ACCESS_PLATFORM 33

#define VIRTIO_STATUS_ACK          1
#define VIRTIO_STATUS_DRIVER       2
#define VIRTIO_STATUS_DRIVER_OK    4
#define VIRTIO_STATUS_FEATURES_OK  8
#define VIRTIO_STATUS_NEEDS_RESET  0x40
#define VIRTIO_STATUS_FAILED       0x80

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

/* A buffer bounced through the shared pool (dma.h), per descriptor, kept in private memory. */
struct gvirtq_bounce {
	void *orig;     /* the driver's buffer; NULL: this descriptor is not bounced */
	void *slot;     /* its copy in the pool, which the descriptor points to */
	uint32_t len;
	bool write;     /* device-writable: copied back on completion */
};

struct gvirtq {
	struct virtio_mmio_dev *dev;
	unsigned index;
	uint16_t size;
	bool event_idx;
	struct vring_desc *desc;
	volatile uint16_t *avail;            /* flags, idx, ring[size], used_event */
	volatile uint16_t *used;             /* flags, idx, then the elements */
	volatile struct vring_used_elem *used_ring;
	uint16_t avail_idx;                  /* next avail index to publish */
	uint16_t last_used;
	uint16_t free_head;
	uint16_t num_free;
	uint16_t chain_len[1024];            /* descriptors per head, to free them */
	uint64_t kicks;
	struct gvirtq_bounce bounce[1024];   /* used while dma_bouncing() */
};

/* One buffer of a chain: device-readable (write = false) or device-writable. */
struct gbuf {
	void *addr;
	uint32_t len;
	bool write;
};

/*
 * Resets the device and negotiates: VERSION_1 is required and `want` are asked for; FEATURES_OK
 * must stick.  *got receives the negotiated set.  Returns NULL or why it failed.
 */
const char *gvirtio_negotiate(struct virtio_mmio_dev *dev, uint64_t want, uint64_t *got);
/* Sets up queue `index` with up to `size` entries (the device's maximum if smaller). */
const char *gvirtq_setup(struct gvirtq *q, struct virtio_mmio_dev *dev, unsigned index,
			 uint16_t size, bool event_idx);
void gvirtio_driver_ok(struct virtio_mmio_dev *dev);
/* A 32-bit read of the device's configuration space at off, consistent (ConfigGeneration). */
uint32_t gvirtio_config32(struct virtio_mmio_dev *dev, uint32_t off);
uint32_t gvirtio_status(struct virtio_mmio_dev *dev);
void gvirtio_reset(struct virtio_mmio_dev *dev);

/*
 * Queues a chain (readable buffers first); returns its head, or -1 when descriptors (or, while
 * bouncing, pool slots) run out.  While dma_bouncing(), buffers outside the shared pool are
 * copied into it here and device-writable ones copied back by gvirtq_get(): all of the used
 * length when the chain has one device-writable buffer, else each such buffer whole.
 */
int gvirtq_add(struct gvirtq *q, const struct gbuf *bufs, unsigned n);
/* Publishes what was added and notifies the device unless it asked not to be (EVENT_IDX). */
void gvirtq_kick(struct gvirtq *q);
#define GVIRTQ_BAD_ID (-3) /* the device used an id that is not an outstanding head */

/*
 * Takes one completed chain: its head (and bytes written in *len), -1 when none, GVIRTQ_BAD_ID
 * when the device returned something that was not in flight (the entry is consumed).
 */
int gvirtq_get(struct gvirtq *q, uint32_t *len);
/* Polls until a chain completes (or GVIRTQ_BAD_ID), NEEDS_RESET (-2) or spin_limit (-1). */
int gvirtq_wait(struct gvirtq *q, uint32_t *len);

/*
 * Malformed-chain checks: write descriptor i directly and publish head as one chain.  This
 * bypasses the free list (and may break it): set the queue up again before normal use.
 */
void gvirtq_raw_desc(struct gvirtq *q, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next);
void gvirtq_raw_publish(struct gvirtq *q, uint16_t head);

#endif
