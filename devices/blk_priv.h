/* SPDX-License-Identifier: MIT */
/* virtio-blk internals shared by the device model, the backend and the two engines. */
#ifndef CVMM_BLK_PRIV_H
#define CVMM_BLK_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_blk.h>

#include "devices/blk.h"
#include "devices/rate_limiter.h"
#include "devices/virtio/virtio.h"
#include "vmm/event_loop.h"
#include "vmm/log_ratelimit.h"

struct blk_req {
	struct blk_req *next_free;
	uint16_t head;
	uint32_t type;
	uint64_t offset;        /* byte offset of IN / OUT */
	uint8_t *status;        /* the status byte in guest memory */
	struct iovec *data;     /* data buffers: a slice of iov */
	unsigned nr_data;
	uint64_t data_len;
	uint32_t ok_used_len;   /* used length on success (device-written bytes + status) */
	struct iovec iov[];     /* the popped chain, BLK_QUEUE_SIZE entries */
};

#define BLK_POLL_BACKOFF_MAX 1024

struct blk_dev;
struct device_env;
struct error;

struct blk_io_engine {
	const char *name;
	int (*init)(struct blk_dev *blk, struct ev_loop *loop);
	/* Starts an IN, OUT or FLUSH; completion comes through blk_req_done(). */
	void (*submit)(struct blk_dev *blk, struct blk_req *req);
	/* End of a queue pass: hands everything prepared to the kernel. */
	void (*flush_batch)(struct blk_dev *blk);
	/* Completes what has finished, without waiting (lock held); how many.  Optional. */
	unsigned (*reap)(struct blk_dev *blk);
	/* Waits for every request in flight; completes them to the guest, or drops them. */
	void (*drain)(struct blk_dev *blk, bool complete);
	void (*fini)(struct blk_dev *blk);
};

extern const struct blk_io_engine blk_engine_sync;
extern const struct blk_io_engine blk_engine_uring;

struct blk_dev {
	char name[32];
	char id[BLK_ID_BYTES];
	char *path;
	int fd;
	bool read_only;
	bool is_blockdev;
	uint64_t size;          /* bytes, multiple of 512 */
	struct virtio_blk_config config;

	const struct blk_io_engine *engine;
	void *engine_state;
	struct virtio_dev *vdev;

	/* Negotiated behaviour, fixed at DRIVER_OK. */
	bool writethrough;      /* FLUSH not negotiated: every write is durable at completion */

	/* Busy polling of the queue after requests (poller.window_ns = 0: off). */
	struct ev_loop *loop;
	struct ev_poller poller;
	uint64_t poll_hits;     /* passes the current window found */
	unsigned poll_backoff;  /* passes to skip after the next fruitless window */
	unsigned poll_skip;     /* passes left that do not poll */

	/* Request slots: at most BLK_QUEUE_SIZE requests in flight. */
	uint8_t *pool;
	unsigned pool_carved;   /* slots taken from the pool so far; the rest never touched */
	struct blk_req *free_reqs;
	unsigned in_flight;
	bool stalled;           /* ran out of slots; a completion resumes the queue */

	/* --drive rate=: a held request's chain waits in the ring until rate_timer_fd fires. */
	struct rate_limiter limit;
	int rate_timer_fd;      /* -1 without a limit */
	bool throttled;

	struct blk_counters counters;

	/* When the backend fails (devices/blk_errors.c). */
	const struct device_env *env; /* the data-loss report; NULL: a device alone (tests) */
	const struct clock *clock;    /* for the error log's rate limit */
	int flush_error;        /* errno of the first failed flush: every later FLUSH fails too */
	bool data_lost;         /* a write or flush failed: reported to the VM once */
	struct log_ratelimit err_log;
};

/* Backend I/O on blk->fd, shared by both engines. */
int blk_backend_open(struct blk_dev *blk, const char *path, bool read_only, struct error *e);
/* Reads or writes all of iov at off (advancing iov in place on short transfers). */
int blk_backend_rw(struct blk_dev *blk, struct iovec *iov, unsigned n, uint64_t off, bool write);
int blk_backend_flush(struct blk_dev *blk);
int blk_backend_discard(struct blk_dev *blk, uint64_t off, uint64_t len);
int blk_backend_write_zeroes(struct blk_dev *blk, uint64_t off, uint64_t len, bool unmap);

/*
 * Before completions are pushed from outside a queue pass: re-resolves the queue's rings, live
 * device or not (a ring gone private fails the device and leaves the queue unmapped, so
 * nothing is pushed).  Lock held.
 */
void blk_remap_queue(struct blk_dev *blk);
/*
 * Whether the guest memory of a request kept across passes (status byte, data buffers) is still
 * shared; false when the guest made some of it private meanwhile (lock held).
 */
bool blk_req_memory_ok(struct blk_dev *blk, const struct blk_req *req);
/*
 * Completes req with a VIRTIO_BLK_S_* status: status byte, used ring, slot back (lock held).
 * The caller signals the interrupt once per batch with virtio_dev_signal_used().  A request
 * whose memory the guest made private while it was in flight is completed with used length 0
 * and no status (nothing is written into private memory), counted, and fails the device.
 */
void blk_req_done(struct blk_dev *blk, struct blk_req *req, uint8_t status);
/*
 * Completes an IN / OUT / FLUSH / DISCARD / WRITE_ZEROES with the backend's result err (0 or
 * -errno): a failure is counted, logged (rate limited) and, for anything that writes, reported as
 * possible data loss; a FLUSH after a failed one fails too (the kernel reports a writeback error
 * once, so the first answer is the one that counts).  Lock held.
 */
void blk_req_finish(struct blk_dev *blk, struct blk_req *req, int err);
/* The same accounting for a backend operation outside a request (the final flush). */
int blk_io_result(struct blk_dev *blk, uint32_t type, uint64_t offset, uint64_t len, int err);
/* Frees the slot of a request whose completion is dropped (device reset). */
void blk_req_drop(struct blk_dev *blk, struct blk_req *req);
/* Pops and starts requests until the queue is empty (lock held, device live). */
void blk_process_queue(struct blk_dev *blk);
struct virtq *blk_vq(struct blk_dev *blk);

#endif
