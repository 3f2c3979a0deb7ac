/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng (virtio 1.2, 5.4): one request queue whose device-writable buffers the device fills
 * from the host's getrandom().  At most RNG_CHAIN_BYTES per buffer chain (a shorter answer is
 * allowed), served on the event loop.  No rate limiting yet (Firecracker's entropy rate_limiter is
 * refused by the API until the limiter shared with virtio-net exists).
 */
#ifndef CVMM_RNG_H
#define CVMM_RNG_H

#include <stdint.h>

struct device_kind;
struct rng_dev;
struct virtio_dev_params;

#define RNG_QUEUE_SIZE  64
#define RNG_CHAIN_BYTES (64 * 1024)

/* The device table's row: one device when the config asks for it (--rng, PUT /entropy). */
extern const struct device_kind virtio_rng_device;

struct rng_counters {
	uint64_t requests, bytes, bad_requests;
};

/* The parts, for tests. */
struct rng_dev *rng_dev_new(void);
void rng_dev_params(struct rng_dev *rng, struct virtio_dev_params *p);
void rng_dev_destroy(void *rng);
void rng_dev_counters(struct rng_dev *rng, struct rng_counters *out);

#endif
