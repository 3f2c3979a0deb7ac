// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for virtio-net's transmit and receive chain handling: the whole device (MMIO
 * transport, event loop, SOCK_SEQPACKET socketpair as the backend, rate limiters on a fake clock)
 * driven by a script in which the guest writes arbitrary descriptors, avail entries and memory,
 * and the host sends arbitrary frames.  Built with the unit tests' virtio harness.
 *
 * Input: 4 bytes of set-up, then records [op][len lo][len hi][len bytes]:
 *   set-up  [0] features accepted (bit per offload, see FEATURE_BITS)  [1] log2 queue sizes,
 *           rx low nibble, tx high  [2] MTU = 68 + 60 * byte  [3] bit 0: rate limits on
 *   0  descriptor: queue, index, addr (le32, from BUF_GPA: buffers never overlap the rings, so
 *      the used ring stays checkable; up to 2 MiB past RAM), len (le24), flags, next
 *   1  avail entry: queue, head (le16), published at once
 *   2  guest memory: offset (le16, x 16), then the bytes
 *   3  kick a queue             4  the host sends the bytes as header + frame
 *   5  serve pending events     6  the host reads every frame the device wrote
 *   7  reset and bring up again, or (odd byte) set a bogus avail idx
 *   8  the fake clock moves (byte x 10 ms) and armed rate timers expire
 * Checked: every frame the device writes is well formed for the negotiated features, every used
 * element is plausible; and the sanitizers watch the rest.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "devices/net.h"
#include "devices/net_priv.h"
#include "tests/unit/virtio_harness.h"
#include "vmm/layout.h"
#include "vmm/log.h"

#define RAM       (1ULL << 20)
#define RING_GPA  0x0ULL     /* rx ring, tx ring 0x4000 after */
#define BUF_GPA   0x8000ULL
#define MS        1000000ULL
#define F(b)      (1ULL << (b))

static const unsigned feature_bits[8] = {
	VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_GUEST_TSO4,
	VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_F_CSUM, VIRTIO_NET_F_HOST_TSO4,
	VIRTIO_NET_F_HOST_UFO, VIRTIO_RING_F_EVENT_IDX,
};

struct fz {
	struct vh_vm v;
	struct net_dev *net;
	struct virtio_dev *vdev;
	struct vh_ring ring[2];
	uint16_t qsize[2];
	uint64_t features;
	unsigned mtu;
	int peer;
};

static struct fz z;
static bool vm_ready;

static void run_pending(void)
{
	for (int i = 0; i < 64 && ev_loop_run_once(&z.v.loop, 0) > 0; i++)
		;
}

static void bring_up(void)
{
	for (unsigned q = 0; q < 2; q++)
		vh_ring_init(&z.ring[q], &z.v.mem, z.qsize[q], RING_GPA + q * 0x4000);
	vh_driver_start(z.vdev, z.features, z.ring, 2);
	run_pending();
}

/* Used elements the device returned since the last look: ids in range, lengths plausible. */
static void check_used(void)
{
	uint32_t id, len;

	for (unsigned q = 0; q < 2; q++) {
		struct vh_ring *r = &z.ring[q];

		if ((uint16_t)(vh_used_idx(r) - r->last_used) > r->size)
			abort();
		while (vh_take_used(r, &id, &len)) {
			if (id >= r->size)
				abort();
			if (q == NET_TX_QUEUE ? len != 0 : len > NET_HDR_SIZE + NET_GSO_FRAME_MAX)
				abort();
		}
	}
}

/* What the device wrote to the backend passed the header rules it negotiated. */
static void drain_peer(void)
{
	static uint8_t frame[NET_GSO_FRAME_MAX + 64];
	struct virtio_net_hdr_v1 h;
	struct iovec iov[2] = { { &h, sizeof(h) }, { frame, sizeof(frame) } };
	enum net_tx_drop why;
	ssize_t n;

	while ((n = readv(z.peer, iov, 2)) > 0) {
		if (n < NET_HDR_SIZE + NET_ETH_HLEN || n > NET_HDR_SIZE + NET_GSO_FRAME_MAX)
			abort();
		if (h.num_buffers ||
		    !net_tx_header_ok(&h, (uint32_t)(n - NET_HDR_SIZE), z.vdev->features, z.mtu,
				      &why))
			abort();
	}
}

static void expire_timers(void)
{
	const int fds[] = { z.net->rx_timer_fd, z.net->tx_timer_fd };
	struct itimerspec now = { .it_value = { .tv_nsec = 1 } }, cur;

	for (unsigned i = 0; i < 2; i++) {
		struct pollfd p = { .fd = fds[i], .events = POLLIN };

		if (timerfd_gettime(fds[i], &cur) < 0 || (!cur.it_value.tv_sec &&
							   !cur.it_value.tv_nsec))
			continue;
		timerfd_settime(fds[i], 0, &now, NULL);
		poll(&p, 1, 100);
	}
	run_pending();
}

static uint32_t le(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static void op(unsigned kind, const uint8_t *p, size_t len)
{
	struct vh_ring *r = &z.ring[len ? p[0] & 1 : 0];

	switch (kind % 9) {
	case 0:
		if (len >= 11)
			vh_desc_write(&z.v.mem, r->desc, (uint16_t)(p[1] % r->size),
				      BUF_GPA + le(p + 2, 4) % (2 * RAM), le(p + 6, 3), p[9],
				      p[10]);
		break;
	case 1:
		if (len >= 3)
			vh_publish(r, (uint16_t)le(p + 1, 2));
		break;
	case 2:
		if (len >= 2) {
			uint64_t off = BUF_GPA + le(p, 2) * 16ULL;
			size_t n = len - 2;

			if (n && off + n <= RAM)
				memcpy(guest_mem_ptr(&z.v.mem, off, n), p + 2, n);
		}
		break;
	case 3:
		vh_kick(z.vdev, len ? p[0] & 1 : 0);
		run_pending();
		break;
	case 4:
		if (len >= NET_HDR_SIZE && send(z.peer, p, len, MSG_DONTWAIT) < 0) {
			/* the backend's queue is full: the host drops it, as a tap would */
		}
		run_pending();
		break;
	case 5:
		run_pending();
		break;
	case 6:
		drain_peer();
		run_pending();
		break;
	case 7:
		if (len >= 3 && (p[0] & 2))
			vh_set_avail_idx(r, (uint16_t)le(p + 1, 2));
		else
			bring_up();
		break;
	default:
		manual_clock_advance(&z.v.clock, (len ? p[0] : 1) * 10 * MS);
		expire_timers();
		break;
	}
	check_used();
}

static void open_device(const uint8_t *setup)
{
	struct net_config cfg;
	struct net_backend be = { .rx_offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
				  .tx_offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_UFO,
				  .ifname = "fuzz" };
	struct virtio_dev_params params;
	uint64_t offered;
	int sv[2];

	config_net_init(&cfg);
	z.mtu = cfg.mtu = 68 + 60U * setup[2];
	if (setup[3] & 1) {
		/* Long refill times: no timer expires on its own during one input. */
		cfg.rx_rate.bandwidth = (struct rl_bucket_config){ 4096, 1000, 1000000 };
		cfg.tx_rate.ops = (struct rl_bucket_config){ 4, 2, 1000000 };
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	z.peer = sv[1];
	be.fd = sv[0];
	if (net_dev_open_backend(&cfg, &be, &z.v.loop, &z.v.clock.clock, &z.net, NULL) < 0)
		abort();
	net_dev_params(z.net, &params);
	if (virtio_dev_create(&z.v.env, &params, LAYOUT_VIRTIO_MMIO_BASE, 16, &z.vdev) < 0)
		abort();
	offered = vh_device_features(z.vdev);
	z.features = offered & ~(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_GUEST_CSUM) |
				 F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6) |
				 F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_HOST_TSO4) |
				 F(VIRTIO_NET_F_HOST_UFO) | F(VIRTIO_RING_F_EVENT_IDX));
	for (unsigned b = 0; b < 8; b++)
		if (setup[0] & (1u << b))
			z.features |= F(feature_bits[b]) & offered;
	z.qsize[NET_RX_QUEUE] = (uint16_t)(1u << ((setup[1] & 15) % 9));
	z.qsize[NET_TX_QUEUE] = (uint16_t)(1u << ((setup[1] >> 4) % 9));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 4;

	if (!vm_ready) {
		log_threshold = LOG_ERROR;
		signal(SIGPIPE, SIG_IGN);
		if (vh_vm_init(&z.v, RAM, TEE_NONE) != 0)
			abort();
		vm_ready = true;
	}
	if (size < 4)
		return 0;
	memset(guest_mem_ptr(&z.v.mem, 0, RAM), 0, RAM);
	open_device(data);
	bring_up();
	while (off + 3 <= size) {
		size_t len = le(data + off + 1, 2);

		if (len > size - off - 3)
			len = size - off - 3;
		op(data[off], data + off + 3, len);
		off += 3 + len;
	}
	drain_peer();
	net_dev_destroy(z.net);
	close(z.peer);
	/* Nothing of this input may stay registered with the loop. */
	run_pending();
	return 0;
}
