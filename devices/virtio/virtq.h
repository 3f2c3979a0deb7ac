/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueues (virtio 1.x, section 2.7), device side.
 *
 * The rings live in guest memory, which is hostile: every index and descriptor is read once into
 * cvmm's memory and validated there, every buffer is resolved through guest_mem_dma(), and any
 * structural violation makes virtq_pop() fail with one of enum virtq_error.  A popped chain is a
 * list of iovecs pointing straight into guest memory: device-readable ones first, then
 * device-writable ones.
 *
 * A virtq is not thread-safe; the transport serialises all access under the device lock.
 */
#ifndef CVMM_VIRTQ_H
#define CVMM_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct guest_mem;

#define VIRTQ_MAX_SIZE 32768 /* split rings: power of two, at most 2^15 */

/* Classes of malformed input; virtq_pop() returns their negation. */
enum virtq_error {
	VIRTQ_ERR_NONE = 0,
	VIRTQ_ERR_RING_ADDR,       /* a ring is not (or no longer) inside shared guest RAM */
	VIRTQ_ERR_AVAIL_IDX,       /* avail idx moved by more than the queue size */
	VIRTQ_ERR_DESC_INDEX,      /* head or next index beyond the descriptor table */
	VIRTQ_ERR_DESC_ADDR,       /* buffer not entirely in guest RAM (addr + len overflow too) */
	VIRTQ_ERR_ZERO_LEN,        /* zero-length buffer */
	VIRTQ_ERR_CHAIN_LEN,       /* more buffers than the queue size: loop or over-long chain */
	VIRTQ_ERR_CHAIN_BYTES,     /* chain longer than 2^32 - 1 bytes */
	VIRTQ_ERR_INDIRECT,        /* INDIRECT not negotiated, nested, or combined with NEXT */
	VIRTQ_ERR_INDIRECT_SIZE,   /* indirect table empty, not a multiple of 16, or too long */
	VIRTQ_ERR_WRITE_ORDER,     /* device-readable buffer after a device-writable one */
	VIRTQ_ERR_TOO_MANY_SEGS,   /* more buffers than the device's iovec array holds */
	VIRTQ_ERR_DESC_PRIVATE,    /* buffer or indirect table in RAM the guest did not share */
	VIRTQ_ERR__COUNT,
};

const char *virtq_error_name(enum virtq_error err);

/* One popped descriptor chain. */
struct virtq_chain {
	uint16_t head;       /* the id to hand back in virtq_push() */
	uint16_t nr_out;     /* device-readable iovecs: iov[0 .. nr_out) */
	uint16_t nr_in;      /* device-writable iovecs: iov[nr_out .. nr_out + nr_in) */
	uint32_t out_bytes;
	uint32_t in_bytes;
	struct iovec *iov;   /* caller's storage */
	unsigned iov_cap;    /* its capacity */
};

struct virtq {
	/* Driver-programmed layout (the transport writes these while the queue is not ready). */
	uint16_t size;
	uint16_t size_max;
	bool ready;
	uint64_t desc_gpa;
	uint64_t avail_gpa;
	uint64_t used_gpa;

	/* Negotiated ring features. */
	bool event_idx;
	bool indirect;

	const struct guest_mem *mem;

	/* Host views of the rings, resolved by virtq_map(). */
	uint8_t *desc;
	uint8_t *avail;
	uint8_t *used;

	uint16_t last_avail_idx;   /* next avail entry to pop */
	uint16_t shadow_avail_idx; /* last avail idx read from the guest */
	uint16_t used_idx;         /* next used entry to fill (cvmm's copy) */
	uint16_t signalled_used;   /* used idx at the last interrupt decision */
	bool signalled_used_valid;

	/* Statistics, kept across resets. */
	uint64_t popped;
	uint64_t pushed;
	uint64_t errors[VIRTQ_ERR__COUNT];
};

/* Initialises a queue as after reset; size_max is what QueueNumMax reports. */
void virtq_init(struct virtq *vq, const struct guest_mem *mem, uint16_t size_max);
/* Back to the reset state (not ready, no addresses); statistics are kept. */
void virtq_reset(struct virtq *vq);

/*
 * Validates size and ring addresses (power-of-two size <= size_max, alignment, every ring inside
 * RAM) and resolves the host views.  Called when the driver sets QueueReady and again before each
 * processing pass, so memory that stopped being shared is noticed.  Returns 0 or -EINVAL / -EFAULT.
 */
int virtq_map(struct virtq *vq);

/*
 * Pops the next available chain into c (c->iov and c->iov_cap set by the caller).
 * Returns 1 when a chain was popped, 0 when the ring is empty, -enum virtq_error when the ring or
 * the chain is malformed (the error is counted in vq->errors; the queue must not be used further).
 */
int virtq_pop(struct virtq *vq, struct virtq_chain *c);

/*
 * Gives back the chain popped last, untouched: the next virtq_pop() reads (and checks) it again.
 * For devices that pop a buffer before knowing they have anything to put in it.
 */
void virtq_unpop(struct virtq *vq);

/* Returns a chain to the driver: len bytes were written into its device-writable buffers. */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t len);

/* Number of chains the driver made available that were not popped yet (0 when the idx is bad). */
uint16_t virtq_pending(struct virtq *vq);

/*
 * Device-side notification suppression: disable while draining the ring; enable re-arms
 * (VRING_USED_F_NO_NOTIFY cleared or avail_event = last_avail_idx) and returns true when the
 * driver added buffers in the meantime, in which case the caller drains again.
 */
void virtq_disable_notify(struct virtq *vq);
bool virtq_enable_notify(struct virtq *vq);
/*
 * The same for a device that needs count (>= 1) more entries before it can go on: with
 * EVENT_IDX the driver is asked to notify only once it has published that many (avail_event =
 * last_avail_idx + count - 1), so it does not exit for each of them.  True when count entries
 * are available already.  Without EVENT_IDX, virtq_enable_notify().
 */
bool virtq_enable_notify_after(struct virtq *vq, uint16_t count);

/*
 * Whether the driver wants a used-buffer notification for what was pushed since the last call
 * (VRING_AVAIL_F_NO_INTERRUPT, or used_event with VIRTIO_RING_F_EVENT_IDX).
 */
bool virtq_should_notify(struct virtq *vq);

/* vring_need_event(): has the used index crossed event_idx when moving from old to new? */
static inline bool virtq_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old_idx);
}

/* Ring sizes in bytes for a queue of n entries (including used_event / avail_event). */
static inline uint64_t virtq_desc_bytes(uint32_t n)
{
	return 16ULL * n;
}

static inline uint64_t virtq_avail_bytes(uint32_t n)
{
	return 6ULL + 2ULL * n;
}

static inline uint64_t virtq_used_bytes(uint32_t n)
{
	return 6ULL + 8ULL * n;
}

#endif
