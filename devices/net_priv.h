/* SPDX-License-Identifier: MIT */
/* virtio-net internals shared by the device model, the two data paths and the tests. */
#ifndef CVMM_NET_PRIV_H
#define CVMM_NET_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_net.h>

#include "devices/net.h"
#include "devices/virtio/virtio.h"

#define NET_RX_QUEUE   0
#define NET_TX_QUEUE   1
#define NET_RX_IOV_MAX 1023 /* receive iovecs per readv; one more for the overflow probe */
#define NET_RX_PROBE   64   /* bytes of the probe that catches frames larger than the buffers */
#define NET_RX_BUDGET  64   /* frames per receive pass before other fds get their turn */
#define NET_TX_BUDGET  256  /* chains per transmit pass, likewise */
#define NET_RX_RETRY_MS 100 /* reading pauses this long after a backend error */
#define NET_RX_SLACK_DIV 4  /* a starved receive side asks for a quarter ring more ... */
#define NET_RX_SLACK_US 200 /* ... and looks again this long after, if fewer came */

/* A popped receive chain not used yet. */
struct net_rx_slot {
	uint16_t head;
	uint16_t nr_iov;
	uint32_t len;       /* its device-writable bytes */
};

/*
 * Receive chains popped during one pass: a contiguous run of the most recent pops, so whatever
 * is left at the end of the pass goes back with virtq_unpop().  Their iovecs are contiguous too,
 * so one readv spans every slot (mergeable buffers) and the probe that follows them.
 */
struct net_rx_stash {
	struct net_rx_slot slots[NET_QUEUE_SIZE];
	unsigned first, end;          /* slots in use: [first, end) */
	unsigned iov_first, iov_end;  /* their iovecs */
	uint64_t bytes;               /* their total capacity */
	struct iovec iov[NET_RX_IOV_MAX + 1];
};

struct net_dev {
	char name[48];
	struct net_backend be;
	struct ev_loop *loop;
	struct virtio_dev *vdev;
	struct virtio_net_config config;
	unsigned mtu;

	/* Fixed at DRIVER_OK from the negotiated features. */
	bool mrg_rxbuf;
	uint32_t rx_need;        /* mergeable: receive bytes wanted at hand before reading */

	/* Loop-thread state. */
	bool backend_watched;    /* the backend fd is registered with the loop */
	uint32_t backend_events; /* ... for these events */
	bool rx_reading;         /* want EPOLLIN */
	bool rx_paused;          /* rx_timer_fd is armed: rate limit, or retry after an error */
	bool rx_slack_used;      /* the last wait asked for slack; no frame delivered since */
	uint64_t rx_slack_ns;    /* when the look after a wait with slack comes (NET_RX_SLACK_US) */
	bool tx_throttled;       /* tx_timer_fd is armed */
	bool tx_blocked;         /* the backend was full: EPOLLOUT resumes transmission */
	bool tx_wake_pending;    /* wake_fd was written to continue a long transmit pass */
	bool warned_backend;
	int rx_timer_fd, tx_timer_fd, wake_fd;

	struct rate_limiter rx_limit, tx_limit;
	struct net_rx_stash rx;
	struct iovec tx_iov[NET_QUEUE_SIZE + 1]; /* [0]: the header copy, then the chain */
	uint8_t rx_probe[NET_RX_PROBE];
	struct net_counters counters;
};

static inline struct virtq *net_vq(struct net_dev *net, unsigned qi)
{
	return &net->vdev->queues[qi].vq;
}

/* Receive pass: reads frames while the guest has buffers and the limiter budget (lock held). */
void net_rx_process(struct net_dev *net);
/* Transmit pass (lock held). */
void net_tx_process(struct net_dev *net);
/* Registers the backend fd for what the state asks (EPOLLIN while reading, EPOLLOUT while full). */
void net_update_backend_events(struct net_dev *net);
/* Arms a rate-limit timer for wait_ns. */
void net_arm_timer(struct net_dev *net, int tfd, uint64_t wait_ns);

/*
 * Header rules (pure, for the data paths and the fuzzer).  The transmit check takes a copy of the
 * driver's header; the receive check takes a copy of what the backend wrote and clears what the
 * driver did not negotiate (DATA_VALID without GUEST_CSUM), or refuses the frame.  frame_len
 * excludes the header.  false: drop for *why.
 */
bool net_tx_header_ok(const struct virtio_net_hdr_v1 *h, uint32_t frame_len, uint64_t features,
		      unsigned mtu, enum net_tx_drop *why);
bool net_rx_header_fixup(struct virtio_net_hdr_v1 *h, uint32_t frame_len, uint64_t features,
			 unsigned mtu, enum net_rx_drop *why);

#endif
