/* SPDX-License-Identifier: MIT */
/*
 * A polling virtio-blk driver for the test guest (virtio 1.x over virtio-mmio, one request queue,
 * no interrupts).  Requests are three-descriptor chains: header, data, status byte.  Streams keep
 * a number of requests in flight, refill as they complete and notify once per batch.
 */
#ifndef GUEST_BLK_H
#define GUEST_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/guest/virtq.h"

#define VIRTIO_BLK_F_SIZE_MAX     1
#define VIRTIO_BLK_F_SEG_MAX      2
#define VIRTIO_BLK_F_RO           5
#define VIRTIO_BLK_F_BLK_SIZE     6
#define VIRTIO_BLK_F_FLUSH        9
#define VIRTIO_BLK_F_DISCARD      13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define VIRTIO_BLK_T_IN           0
#define VIRTIO_BLK_T_OUT          1
#define VIRTIO_BLK_T_FLUSH        4
#define VIRTIO_BLK_T_GET_ID       8
#define VIRTIO_BLK_T_DISCARD      11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_ID_BYTES 20
#define BLK_SECTOR 512U
#define GBLK_MAX_DEPTH 64

/* A discard / write-zeroes segment. */
struct gblk_dwz_seg {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

struct gblk {
	struct virtio_mmio_dev *dev;
	struct gvirtq q;
	uint64_t features;   /* negotiated */
	uint64_t capacity;   /* 512-byte sectors */
	uint32_t size_max;   /* largest data buffer per descriptor (0: no limit given) */
	uint64_t kicks;      /* notifications sent through gblk_kick(), over re-initialisations */
	/* Per descriptor head: the request header and status byte of the chain it starts. */
	struct gblk_hdr {
		uint32_t type;
		uint32_t reserved;
		uint64_t sector;
	} *hdrs;
	volatile uint8_t *status;
	uint8_t *pool;       /* stream buffers, grown on demand */
	uint64_t pool_bytes;
};

/*
 * Resets and initialises the device: negotiates VERSION_1, EVENT_IDX, INDIRECT_DESC and the
 * block features this driver knows (RO, SIZE_MAX, SEG_MAX, BLK_SIZE, FLUSH, DISCARD,
 * WRITE_ZEROES), reads the configuration, sets up queue 0 and sets DRIVER_OK.  Can be called
 * again on the same gblk (after NEEDS_RESET).  Returns NULL or why it failed.
 */
const char *gblk_init(struct gblk *b, struct virtio_mmio_dev *dev);
bool gblk_has(const struct gblk *b, unsigned feature);
/* A 32-bit configuration field, read consistently with ConfigGeneration. */
uint32_t gblk_config32(struct gblk *b, uint32_t off);

/*
 * Queues one request (not yet notified): data may be NULL with len 0; dev_writes says whether
 * the device writes the data (IN, GET_ID).  Returns the head, or -1 when the queue is full.
 */
int gblk_submit(struct gblk *b, uint32_t type, uint64_t sector, void *data, uint32_t len,
		bool dev_writes);
void gblk_kick(struct gblk *b);
/* A completed request: its head, with its status and used length; -1 when none; < -1: broken. */
int gblk_reap(struct gblk *b, uint8_t *status, uint32_t *used_len);
/*
 * One request, waited for: 0 with *status set, or a negative value with *why (timeout,
 * NEEDS_RESET, broken device).
 */
int gblk_do(struct gblk *b, uint32_t type, uint64_t sector, void *data, uint32_t len,
	    bool dev_writes, uint8_t *status, const char **why);
/*
 * After NEEDS_RESET (or to start clean): resets the device, initialises it again and reads
 * sector 0 into `sector` (BLK_SECTOR bytes). Returns NULL or why it failed.
 */
const char *gblk_recover(struct gblk *b, struct virtio_mmio_dev *dev, void *sector);

/*
 * A stream of equal-sized IN or OUT requests with `depth` in flight: prepare() picks request n's
 * sector and (for OUT) fills its buffer; complete() sees each finished request and returns false
 * to stop the stream.  Returns NULL or why the stream broke down.
 */
struct gblk_stream {
	uint32_t type;
	uint32_t io_bytes;
	unsigned depth;
	uint64_t count;
	void (*prepare)(void *ctx, uint64_t n, uint64_t *sector, void *buf);
	bool (*complete)(void *ctx, uint64_t n, uint64_t sector, void *buf, uint8_t status,
			 uint32_t used_len);
	void *ctx;
	uint64_t batches;    /* out: refill rounds (each ends with at most one notification) */
};
const char *gblk_stream_run(struct gblk *b, struct gblk_stream *s);

/* The deterministic test pattern: 8-byte little-endian word i of the region is mix(seed + i). */
uint64_t gblk_pattern_word(uint64_t seed, uint64_t word_index);
void gblk_pattern_fill(uint64_t seed, uint64_t byte_offset, void *buf, uint32_t len);
/* The first byte offset in buf that differs from the pattern, or -1. */
int64_t gblk_pattern_check(uint64_t seed, uint64_t byte_offset, const void *buf, uint32_t len);

/* The virtio-blk devices on the command line, in order (at most max). */
int gblk_find(struct virtio_mmio_dev *devs, int max, const char **why);

#endif
