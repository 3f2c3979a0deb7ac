/* SPDX-License-Identifier: MIT */
/*
 * A polling virtio-net driver for the test guest (virtio 1.x over virtio-mmio, one receive and
 * one transmit queue, no interrupts, no control queue).  Receive: mergeable buffers of one
 * descriptor each, all posted; a frame is read out of num_buffers of them and the buffers go
 * back.  Transmit: two-descriptor chains, the 12-byte header (a slot per descriptor head) and the
 * caller's frame, which must stay put until the chain completes.
 */
#ifndef GUEST_NET_H
#define GUEST_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/guest/virtq.h"

#define VIRTIO_NET_F_CSUM       0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MTU        3
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_HOST_TSO4  11
#define VIRTIO_NET_F_MRG_RXBUF  15
#define VIRTIO_NET_F_STATUS     16

#define VIRTIO_NET_S_LINK_UP        1
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_GSO_NONE     0
#define VIRTIO_NET_HDR_GSO_TCPV4    1

#define GNET_HDR      12
#define GNET_QSIZE    256
#define GNET_RX_BUF   4096 /* bytes per receive buffer (header included in the first) */

struct gnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
} __attribute__((packed));

struct gnet {
	struct virtio_mmio_dev *dev;
	uint64_t features;
	struct gvirtq rxq, txq;
	uint8_t mac[6];
	uint16_t mtu;            /* the device's, when it offers VIRTIO_NET_F_MTU; else 1500 */
	uint16_t status;         /* VIRTIO_NET_S_*, when it offers VIRTIO_NET_F_STATUS */
	uint8_t *rx_bufs;        /* GNET_QSIZE buffers of GNET_RX_BUF, by descriptor head */
	struct gnet_hdr *tx_hdrs; /* by descriptor head */
	uint64_t rx_frames, rx_bytes, rx_bad;
	uint64_t tx_frames;
	uint64_t tx_kicks, rx_kicks; /* QueueNotify writes (exits) */
};

/*
 * Resets dev and brings it up asking for want (MRG_RXBUF is required; VERSION_1 and, when
 * offered, ACCESS_PLATFORM are always taken), queues set up, every receive buffer posted.
 * NULL, or why it failed.
 */
const char *gnet_init(struct gnet *n, struct virtio_mmio_dev *dev, uint64_t want);
bool gnet_has(const struct gnet *n, unsigned feature);

/* Queues frame (len bytes) behind header h; -1 when the ring is full.  Not published yet. */
int gnet_tx_add(struct gnet *n, const struct gnet_hdr *h, const void *frame, uint32_t len);
/* Publishes the queued frames (one notification at most). */
void gnet_tx_kick(struct gnet *n);
/* Completed transmit chains taken back (non-blocking). */
unsigned gnet_tx_reap(struct gnet *n);

/*
 * Takes the next received frame, if any: its header in *h and up to cap bytes of it copied to
 * buf (buf may be NULL); its buffers go back to the device (published at once).  Returns the
 * frame's length (without the header), -1 when nothing arrived, -2 for a malformed one (counted
 * in rx_bad).
 */
int gnet_rx(struct gnet *n, struct gnet_hdr *h, uint8_t *buf, uint32_t cap);

#endif
