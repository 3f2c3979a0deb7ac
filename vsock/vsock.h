/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock (virtio v1.2, 5.10) with the hybrid Unix-socket host side of Firecracker and
 * Cloud Hypervisor: host clients connect to PATH and say "CONNECT <port>\n"; guest connections
 * to CID 2 port P go to the listener at PATH_P.  See docs/vsock.md.
 *
 * This file is the device adapter: it moves packets between the virtqueues (rx 0, tx 1,
 * event 2) and the multiplexer (vsock/mux.h), owns the listener, and runs everything on the
 * event loop under the device lock.
 */
#ifndef CVMM_VSOCK_H
#define CVMM_VSOCK_H

#include <stdint.h>

#include "vmm/config.h"
#include "vsock/mux.h"

struct device_kind;
struct ev_loop;
struct virtio_dev;
struct virtio_dev_params;
struct vsock_dev;

#define VSOCK_QUEUE_SIZE 256
#define VSOCK_RX_QUEUE    0
#define VSOCK_TX_QUEUE    1
#define VSOCK_EVENT_QUEUE 2
#define VSOCK_TICK_MS     100 /* deadline resolution while connections have one */

/* The device table's row: one device when the config has a vsock. */
extern const struct device_kind virtio_vsock_device;

struct vsock_dev_counters {
	struct vsock_mux_counters mux;
	uint64_t accepted;          /* clients accepted on the listener */
	uint64_t rx_buffers_small;  /* receive buffers too small for what waited, returned empty */
	uint64_t transport_resets;  /* TRANSPORT_RESET events delivered */
	uint64_t driver_resets;     /* device resets by the driver (connections dropped) */
	uint64_t accept_paused;     /* listener paused: out of fds or memory */
};

/* The parts, for tests and benchmarks. */
/* Listens on cfg->uds_path and builds the multiplexer; -errno (nothing logged). */
int vsock_dev_open(const struct vsock_config *cfg, struct ev_loop *loop, struct vsock_dev **out);
void vsock_dev_params(struct vsock_dev *d, struct virtio_dev_params *p);
/* Device callbacks: stop accepting clients; then free everything (vdev too, if attached). */
void vsock_dev_stop(void *d);
void vsock_dev_destroy(void *d);
/*
 * cvmm-side transport reset (e.g. after restoring a snapshot): every connection the guest knows
 * of is dropped (see vsock_mux_reset) and
 * the driver receives VIRTIO_VSOCK_EVENT_TRANSPORT_RESET on the event queue (at once if it
 * posted a buffer, else as soon as it posts one).  Loop thread.
 */
void vsock_dev_reset_transport(struct vsock_dev *d);
void vsock_dev_counters(struct vsock_dev *d, struct vsock_dev_counters *out);
unsigned vsock_dev_nr_conns(struct vsock_dev *d);

#endif
