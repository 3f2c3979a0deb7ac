/* SPDX-License-Identifier: MIT */
/*
 * virtio-net (virtio 1.x, one receive and one transmit queue) over a TAP backend, served from the
 * event loop.  Frames move between the tap and the guest's buffers with no intermediate copy:
 * TX writes each chain with one writev (the 12-byte header from a checked copy), RX reads each
 * frame with one readv straight into the guest's (mergeable) receive buffers.  Per-direction rate
 * limiting with token buckets.  See docs/net.md for the rules (features, backpressure, drops,
 * rate-limit syntax, counters).
 */
#ifndef CVMM_NET_H
#define CVMM_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>

#include "devices/rate_limiter.h"
#include "vmm/config.h"

struct clock;
struct device_kind;
struct error;
struct ev_loop;
struct virtio_dev;
struct virtio_dev_params;
struct net_dev;

#define NET_QUEUE_SIZE   256
#define NET_HDR_SIZE     12               /* struct virtio_net_hdr_v1 */
#define NET_ETH_HLEN     14
#define NET_ETH_OVERHEAD 18               /* Ethernet header and one VLAN tag */
#define NET_GSO_FRAME_MAX (65535 + NET_ETH_OVERHEAD) /* a 64 KiB IP packet in one frame */

/* The device table's row: one device per --net, in command-line order, after the drives. */
extern const struct device_kind virtio_net_device;

/*
 * The other end of the device: a non-blocking fd on which every read and write is one frame
 * behind a NET_HDR_SIZE header (a tap queue; tests use a SOCK_SEQPACKET socketpair).
 */
struct net_backend {
	int fd;                   /* owned by the device once net_dev_open_backend() succeeds */
	unsigned rx_offloads;     /* TUN_F_* the backend may deliver, if the guest accepts them */
	unsigned tx_offloads;     /* TUN_F_* the backend accepts in frames written to it */
	int (*set_offloads)(int fd, unsigned tun_flags); /* TUNSETOFFLOAD; NULL: nothing to set */
	char ifname[IFNAMSIZ];    /* for messages */
};

/* Drop reasons, guest to host (tx) and host to guest (rx). */
enum net_tx_drop {
	NET_TX_DROP_SHORT_CHAIN,  /* fewer bytes than the 12-byte header */
	NET_TX_DROP_BAD_CHAIN,    /* device-writable buffers in a transmit chain */
	NET_TX_DROP_BAD_HEADER,   /* flags / GSO type not negotiated or inconsistent */
	NET_TX_DROP_RUNT,         /* shorter than an Ethernet header */
	NET_TX_DROP_OVER_MTU,     /* non-GSO frame longer than MTU + 18 */
	NET_TX_DROP_TOO_BIG,      /* GSO frame longer than NET_GSO_FRAME_MAX */
	NET_TX_DROP_BACKEND,      /* the backend refused the write */
	NET_TX_DROP__COUNT,
};

enum net_rx_drop {
	NET_RX_DROP_NO_ROOM,      /* larger than the receive buffers the driver can offer */
	NET_RX_DROP_OVER_MTU,     /* non-GSO frame longer than MTU + 18 */
	NET_RX_DROP_BAD_OFFLOAD,  /* the backend sent an offload the driver did not accept */
	NET_RX_DROP_RUNT,         /* shorter than header + Ethernet header */
	NET_RX_DROP__COUNT,
};

const char *net_tx_drop_name(enum net_tx_drop reason);
const char *net_rx_drop_name(enum net_rx_drop reason);

struct net_counters {
	uint64_t rx_frames, rx_bytes;     /* delivered to the guest (Ethernet bytes, no header) */
	uint64_t tx_frames, tx_bytes;     /* written to the backend */
	uint64_t rx_dropped[NET_RX_DROP__COUNT];
	uint64_t tx_dropped[NET_TX_DROP__COUNT];
	uint64_t rx_bad_buffers;          /* receive chains returned unused: read-only, < header */
	uint64_t rx_buffers_returned;     /* good receive chains returned unused along with them */
	uint64_t rx_waits;                /* times reading stopped for want of receive buffers */
	uint64_t rx_backend_errors;       /* read errors (reading stops until the next RX kick) */
	uint64_t tx_backend_full;         /* writes that found the backend full (EAGAIN) */
	struct rate_limiter_counters rx_throttled, tx_throttled;
};

/*
 * Opens the backend of cfg (the tap by name, or a duplicate of fd=N: the caller's fd is never
 * closed or kept), probes its offloads and prepares the device; clock drives the rate limiters
 * (NULL: CLOCK_MONOTONIC; it must outlive the device).  0, or -errno with the error in e.
 */
int net_dev_open(const struct net_config *cfg, struct ev_loop *loop, const struct clock *clock,
		 struct net_dev **out, struct error *e);
/* The same over a given backend (tests, other backends).  Takes be->fd on success only. */
int net_dev_open_backend(const struct net_config *cfg, const struct net_backend *be,
			 struct ev_loop *loop, const struct clock *clock, struct net_dev **out,
			 struct error *e);
/* Transport parameters (device id, features, queues, config size, ops; opaque = net); the
 * transport created from them becomes the device's own (dev_ref). */
void net_dev_params(struct net_dev *net, struct virtio_dev_params *p);
/* Device-table callbacks: stop reading and writing the backend; then free everything (vdev too). */
void net_dev_stop(void *net);
void net_dev_destroy(void *net);
void net_dev_counters(struct net_dev *net, struct net_counters *out);
const char *net_dev_name(const struct net_dev *net);
void net_dev_mac(const struct net_dev *net, uint8_t mac[6]);

#endif
