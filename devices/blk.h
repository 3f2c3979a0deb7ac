/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk: one request queue served from the event loop, data moved between the backing file
 * and guest buffers with no intermediate copy, by one of two engines:
 *   sync   preadv2 / pwritev2 / fdatasync on the loop thread;
 *   uring  io_uring, one submission per queue notification, completions through an eventfd.
 * See docs/virtio.md for the request rules and the durability contract.
 */
#ifndef CVMM_BLK_H
#define CVMM_BLK_H

#include <stdint.h>

#include "devices/rate_limiter.h"
#include "vmm/config.h"

struct clock;
struct device_kind;
struct error;
struct ev_loop;
struct virtio_dev;
struct virtio_dev_params;
struct blk_dev;

#define BLK_QUEUE_SIZE   256
#define BLK_SEG_MAX      (BLK_QUEUE_SIZE - 2)
#define BLK_SIZE_MAX     (1U << 20)
#define BLK_MAX_DWZ_SEGS 32          /* discard / write-zeroes segments per request */
#define BLK_MAX_DWZ_SECTORS (1U << 22)
#define BLK_ID_BYTES     20

/* The device table's row: one device per --drive, in command-line order (the first is vda). */
extern const struct device_kind virtio_blk_device;

struct blk_counters {
	uint64_t reads, writes, flushes, discards, write_zeroes, get_ids, unsupported;
	uint64_t bytes_read, bytes_written;
	uint64_t ioerr;       /* requests completed with VIRTIO_BLK_S_IOERR */
	uint64_t bad_request; /* short header, missing status byte, misaligned or out of range */
	uint64_t updates, update_fails; /* backing file swaps (blk_dev_swap_backend) */
	uint64_t memory_lost; /* in flight while the guest made its memory private: no status */
	struct rate_limiter_counters throttled; /* requests held back by rate= */
};

#define BLK_SWAP_TIMEOUT_MS 5000

/* The parts, for tests and other transports. */
/*
 * Opens cfg->path (an input error naming it when unusable) and prepares the engine; clock drives
 * the rate limiter of cfg->rate (NULL: CLOCK_MONOTONIC; it must outlive the device).
 */
int blk_dev_open(const struct drive_config *cfg, struct ev_loop *loop, const struct clock *clock,
		 struct blk_dev **out, struct error *e);
/* Transport parameters (device id, features, queue, config size, ops; opaque = blk); the
 * transport created from them becomes the device's own (dev_ref). */
void blk_dev_params(struct blk_dev *blk, struct virtio_dev_params *p);
/* Device callbacks: drain in-flight I/O and fdatasync; then free everything (vdev too). */
void blk_dev_stop(void *blk);
void blk_dev_destroy(void *blk);
void blk_dev_counters(struct blk_dev *blk, struct blk_counters *out);
uint64_t blk_dev_capacity(const struct blk_dev *blk); /* in 512-byte sectors */
/*
 * Replaces the backing file with path (any thread but the loop's; the device must be running):
 * the new file is opened and checked here, the swap runs on loop's thread after the requests in
 * flight completed on the old file, which is then flushed and closed; the guest gets a
 * configuration-change interrupt.  An input error for an unusable file, a host error when the
 * loop did not take it.
 */
int blk_dev_swap_backend(struct blk_dev *blk, const char *path, struct ev_loop *loop,
			 struct error *e);

#endif
