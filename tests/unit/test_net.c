// SPDX-License-Identifier: MIT
/*
 * virtio-net end to end without a VM: the MMIO transport, split rings built by hand in fake guest
 * memory, the event loop, and a SOCK_SEQPACKET socketpair standing in for the tap (one message =
 * one frame behind its 12-byte header), rate limiters on a fake clock.  Covers features and
 * configuration, the offloads handed to the backend, transmit (framing, header rules per offload,
 * malformed chains, backend full, limiter), receive (mergeable buffers across chains, one chain
 * per frame, header rules per offload, MTU and room drops, backpressure with no busy loop, bad
 * receive buffers, limiter), reset, a backend that hangs up, and bounce-buffered (confidential)
 * memory; the device-table row, whose errors name the tap or fd.  The limiters run on the
 * harness's manual clock.  No assertion depends on time: "nothing happens" is checked as "no event is pending".
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/if_tun.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "devices/net.h"
#include "devices/net_priv.h"
#include "tests/unit/tap_env.h"
#include "tests/unit/virtio_harness.h"
#include "vmm/config.h"
#include "vmm/convert.h"
#include "vmm/device_env.h"
#include "vmm/error.h"
#include "vmm/layout.h"
#include "vmm/log.h"
#include "vmm/memory.h"
#include "vmm/rate_limit_spec.h"

#define RAM        (8ULL << 20)
#define RING_GPA   0x10000ULL  /* rx ring, tx ring 0x10000 after */
#define RING_END   0x40000ULL
#define RX_GPA     0x100000ULL /* receive buffers: 2 MiB */
#define RX_STRIDE  0x2000ULL
#define TX_GPA     0x400000ULL /* transmit frames: 3 MiB */
#define TX_STRIDE  0x11000ULL
#define TX_SLOTS   40
#define BUF_END    0x700000ULL
#define PRIV_GPA   0x780000ULL /* never shared in confidential mode */
#define MS         1000000ULL
#define F(b)       (1ULL << (b))
#define ALL_TUN    (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)
#define HDR        NET_HDR_SIZE

struct fx_opts {
	uint16_t qsize;
	unsigned mtu;
	unsigned rx_offloads, tx_offloads;
	enum tee_kind tee;
	const char *rx_rate, *tx_rate;
};

struct fx {
	struct fx_opts o;
	struct vh_vm v;
	struct converter conv;
	int peer;
	struct net_dev *net;
	struct virtio_dev *vdev;
	struct vh_ring ring[2];
	uint16_t rx_next, tx_next;
	unsigned tx_slot;
};

static unsigned offloads_set, offload_calls;

static int record_offloads(int fd, unsigned flags)
{
	offloads_set = flags;
	offload_calls++;
	return 0;
}

static void *gp(struct fx *f, uint64_t gpa, uint64_t len)
{
	return guest_mem_ptr(&f->v.mem, gpa, len);
}

static struct ev_loop *loop(struct fx *f)
{
	return &f->v.loop;
}

static uint64_t all_features(struct fx *f)
{
	return vh_device_features(f->vdev);
}

/* Everything but guest TSO: the device then wants room for MTU-sized frames only. */
static uint64_t no_guest_gso(struct fx *f)
{
	return all_features(f) & ~(F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6));
}

static void start_driver(struct fx *f, uint64_t features)
{
	for (unsigned i = 0; i < 2; i++)
		vh_ring_init(&f->ring[i], &f->v.mem, f->o.qsize, RING_GPA + i * 0x10000);
	f->rx_next = f->tx_next = 0;
	assert_true(vh_driver_start(f->vdev, features, f->ring, 2) & VIRTIO_CONFIG_S_DRIVER_OK);
}

static void share(struct fx *f, uint64_t gpa, uint64_t len)
{
	assert_int_equal(converter_convert(&f->conv, gpa, len, false), 0);
}

static int setup_with(void **state, const struct fx_opts *o)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct net_config cfg;
	struct net_backend be = { .set_offloads = record_offloads, .ifname = "testpair" };
	struct virtio_dev_params p;
	struct error e = ERROR_INIT;
	int sv[2];

	log_threshold = LOG_ERROR;
	assert_non_null(f);
	config_net_init(&cfg);
	if (o->mtu)
		cfg.mtu = o->mtu;
	f->o = *o;
	if (!f->o.qsize)
		f->o.qsize = 64;
	assert_int_equal(vh_vm_init(&f->v, RAM, o->tee), 0);
	if (o->tee == TEE_EMULATED) {
		assert_int_equal(guest_mem_enable_attrs(&f->v.mem, true), 0);
		assert_int_equal(converter_init(&f->conv, VH_VM_FD, &f->v.mem,
						CONVERT_EMULATED), 0);
		share(f, RING_GPA, RING_END - RING_GPA);
		share(f, RX_GPA, BUF_END - RX_GPA);
	}
	if (o->rx_rate)
		assert_int_equal(rate_limit_parse(o->rx_rate, &cfg.rx_rate, &e), 0);
	if (o->tx_rate)
		assert_int_equal(rate_limit_parse(o->tx_rate, &cfg.tx_rate, &e), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
			 0);
	f->peer = sv[1];
	be.fd = sv[0];
	be.rx_offloads = o->rx_offloads;
	be.tx_offloads = o->tx_offloads;
	offloads_set = ~0u;
	offload_calls = 0;
	assert_int_equal(net_dev_open_backend(&cfg, &be, loop(f), &f->v.clock.clock, &f->net, &e),
			 0);
	net_dev_params(f->net, &p);
	assert_int_equal(virtio_dev_create(&f->v.env, &p, LAYOUT_VIRTIO_MMIO_BASE, 16, &f->vdev),
			 0);
	assert_ptr_equal(f->net->vdev, f->vdev); /* dev_ref */
	/* The look after a wait with slack comes when a test makes it (expire_timer). */
	f->net->rx_slack_ns = 3600ULL * 1000000000ULL;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	net_dev_destroy(f->net);
	if (f->peer >= 0)
		close(f->peer);
	if (f->o.tee == TEE_EMULATED)
		converter_destroy(&f->conv);
	vh_vm_destroy(&f->v);
	free(f);
	return 0;
}

static int setup(void **state)
{
	struct fx_opts o = { .rx_offloads = ALL_TUN, .tx_offloads = ALL_TUN | TUN_F_UFO };

	return setup_with(state, &o);
}

static int setup_no_offloads(void **state)
{
	struct fx_opts o = { 0 };

	return setup_with(state, &o);
}

static int setup_partial_offloads(void **state)
{
	struct fx_opts o = { .rx_offloads = TUN_F_CSUM, .tx_offloads = TUN_F_CSUM | TUN_F_TSO6 };

	return setup_with(state, &o);
}

static int setup_small_ring(void **state)
{
	struct fx_opts o = { .qsize = 8, .rx_offloads = ALL_TUN, .tx_offloads = ALL_TUN };

	return setup_with(state, &o);
}

static int setup_jumbo(void **state)
{
	struct fx_opts o = { .mtu = 9000, .rx_offloads = ALL_TUN, .tx_offloads = ALL_TUN };

	return setup_with(state, &o);
}

static int setup_rx_rate(void **state)
{
	struct fx_opts o = { .rx_rate = "bw:1000:100" };

	return setup_with(state, &o);
}

static int setup_tx_rate(void **state)
{
	struct fx_opts o = { .tx_rate = "ops:2:1000" };

	return setup_with(state, &o);
}

static int setup_confidential(void **state)
{
	struct fx_opts o = { .tee = TEE_EMULATED, .rx_offloads = ALL_TUN,
			     .tx_offloads = ALL_TUN };

	return setup_with(state, &o);
}

/* Serves every event already pending (all sources are level-triggered). */
static void run_pending(struct fx *f)
{
	for (int i = 0; i < 1000 && ev_loop_run_once(loop(f), 0) > 0; i++)
		;
}

static void expire_timer(struct fx *f, int tfd);

/*
 * Nothing is pending: the device is not spinning on an fd it cannot serve.  A receive side that
 * waits with slack looks once more later (real time): that look is made now, and must leave
 * nothing armed behind it.
 */
static void assert_quiet(struct fx *f)
{
	struct itimerspec cur;

	run_pending(f);
	if (timerfd_gettime(f->net->rx_timer_fd, &cur) == 0 && !f->net->rx_paused &&
	    (cur.it_value.tv_sec || cur.it_value.tv_nsec))
		expire_timer(f, f->net->rx_timer_fd);
	assert_int_equal(ev_loop_run_once(loop(f), 0), 0);
	assert_int_equal(timerfd_gettime(f->net->rx_timer_fd, &cur), 0);
	assert_true(f->net->rx_paused || (!cur.it_value.tv_sec && !cur.it_value.tv_nsec));
}

static struct net_counters counters(struct fx *f)
{
	struct net_counters c;

	net_dev_counters(f->net, &c);
	return c;
}

static uint8_t pattern(unsigned frame, unsigned i)
{
	return (uint8_t)(frame * 31 + i * 7 + i / 251);
}

static void fill_frame(uint8_t *p, unsigned frame, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = pattern(frame, (unsigned)i);
}

static struct virtio_net_hdr_v1 plain_hdr(void)
{
	return (struct virtio_net_hdr_v1){ 0 };
}

static struct virtio_net_hdr_v1 csum_hdr(uint16_t start, uint16_t offset)
{
	return (struct virtio_net_hdr_v1){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					   .csum_start = start, .csum_offset = offset };
}

static struct virtio_net_hdr_v1 gso_hdr(uint8_t type, uint16_t gso_size)
{
	struct virtio_net_hdr_v1 h = csum_hdr(34, 16);

	h.gso_type = type;
	h.hdr_len = 54;
	h.gso_size = gso_size;
	return h;
}

static struct virtio_net_hdr_v1 with_flags(struct virtio_net_hdr_v1 h, uint8_t flags)
{
	h.flags = flags;
	return h;
}

static struct virtio_net_hdr_v1 with_hdr_len(struct virtio_net_hdr_v1 h, uint16_t hdr_len)
{
	h.hdr_len = hdr_len;
	return h;
}

/* ---- transmit side ---- */

/*
 * Puts header + frame in guest memory and publishes it as a chain: the header cut at hdr_cut
 * (0: one descriptor for the header), the frame in pieces of at most piece bytes (0: one).
 */
static void tx_publish(struct fx *f, const struct virtio_net_hdr_v1 *h, unsigned frame,
		       size_t len, unsigned hdr_cut, size_t piece)
{
	uint64_t gpa = TX_GPA + (uint64_t)(f->tx_slot++ % TX_SLOTS) * TX_STRIDE;
	struct vh_buf bufs[64];
	unsigned n = 0;
	size_t off = 0;

	memcpy(gp(f, gpa, HDR), h, HDR);
	fill_frame(gp(f, gpa + HDR, len ? len : 1), frame, len);
	if (hdr_cut) {
		bufs[n++] = (struct vh_buf){ gpa, hdr_cut, false };
		bufs[n++] = (struct vh_buf){ gpa + hdr_cut, HDR - hdr_cut, false };
	} else {
		bufs[n++] = (struct vh_buf){ gpa, HDR, false };
	}
	while (off < len) {
		size_t l = piece && len - off > piece ? piece : len - off;

		assert_true(n < 64);
		bufs[n++] = (struct vh_buf){ gpa + HDR + off, (uint32_t)l, false };
		off += l;
	}
	vh_publish(&f->ring[NET_TX_QUEUE], vh_chain(&f->ring[NET_TX_QUEUE], f->tx_next, bufs, n));
	f->tx_next = (uint16_t)((f->tx_next + n) % f->o.qsize);
}

static void tx_publish_bufs(struct fx *f, const struct vh_buf *bufs, unsigned n)
{
	vh_publish(&f->ring[NET_TX_QUEUE], vh_chain(&f->ring[NET_TX_QUEUE], f->tx_next, bufs, n));
	f->tx_next = (uint16_t)((f->tx_next + n) % f->o.qsize);
}

static void tx_kick(struct fx *f)
{
	vh_kick(f->vdev, NET_TX_QUEUE);
	run_pending(f);
}

/* The next frame on the peer, header and frame apart; -1 when there is none. */
static ssize_t peer_recv(struct fx *f, struct virtio_net_hdr_v1 *h, uint8_t *frame, size_t cap)
{
	struct iovec iov[2] = { { h, HDR }, { frame, cap } };
	ssize_t n = readv(f->peer, iov, 2);

	return n < 0 ? -1 : n - HDR;
}

static void assert_peer_frame(struct fx *f, unsigned frame, size_t len,
			      const struct virtio_net_hdr_v1 *want)
{
	static uint8_t buf[70000];
	struct virtio_net_hdr_v1 h;

	assert_int_equal(peer_recv(f, &h, buf, sizeof(buf)), len);
	assert_memory_equal(&h, want, HDR);
	for (size_t i = 0; i < len; i++)
		if (buf[i] != pattern(frame, (unsigned)i))
			fail_msg("frame %u byte %zu differs", frame, i);
}

static void assert_peer_empty(struct fx *f)
{
	struct virtio_net_hdr_v1 h;
	uint8_t b[16];

	assert_int_equal(peer_recv(f, &h, b, sizeof(b)), -1);
}

/* Every published transmit chain was returned with length 0. */
static void assert_tx_all_used(struct fx *f)
{
	uint32_t id, len;

	assert_int_equal(vh_used_idx(&f->ring[NET_TX_QUEUE]), f->ring[NET_TX_QUEUE].avail_idx);
	while (vh_take_used(&f->ring[NET_TX_QUEUE], &id, &len))
		assert_int_equal(len, 0);
}

/* ---- receive side ---- */

static void rx_publish(struct fx *f, uint64_t gpa, uint32_t len)
{
	struct vh_buf b = { gpa, len, true };
	uint16_t d = f->rx_next;

	memset(gp(f, gpa, len), 0xee, len);
	vh_publish(&f->ring[NET_RX_QUEUE], vh_chain(&f->ring[NET_RX_QUEUE], d, &b, 1));
	f->rx_next = (uint16_t)((d + 1) % f->o.qsize);
}

/* n one-descriptor receive buffers of len bytes, buffer i at RX_GPA + desc * RX_STRIDE. */
static void rx_post(struct fx *f, unsigned n, uint32_t len)
{
	assert_true(len <= RX_STRIDE);
	for (unsigned i = 0; i < n; i++)
		rx_publish(f, RX_GPA + f->rx_next * RX_STRIDE, len);
}

static void rx_kick(struct fx *f)
{
	vh_kick(f->vdev, NET_RX_QUEUE);
	run_pending(f);
}

static void peer_send(struct fx *f, const struct virtio_net_hdr_v1 *h, unsigned frame,
		      size_t len)
{
	static uint8_t buf[70000];
	struct iovec iov[2] = { { (void *)h, HDR }, { buf, len } };

	fill_frame(buf, frame, len);
	assert_int_equal(writev(f->peer, iov, 2), (ssize_t)(HDR + len));
}

struct rx_got {
	struct virtio_net_hdr_v1 hdr;
	unsigned nr;         /* used elements */
	uint32_t len[64];
	uint16_t id[64];
};

/*
 * Takes the used elements of the next frame (num_buffers of them) and checks the data: buffers
 * in order, every one but the last full.
 */
static void rx_take_frame(struct fx *f, struct rx_got *g, unsigned frame, size_t len)
{
	struct vh_ring *r = &f->ring[NET_RX_QUEUE];
	size_t done = 0;
	uint32_t id, l;
	unsigned want;

	memset(g, 0, sizeof(*g));
	assert_true(vh_take_used(r, &id, &l));
	memcpy(&g->hdr, gp(f, RX_GPA + id * RX_STRIDE, HDR), HDR);
	want = g->hdr.num_buffers;
	assert_true(want >= 1 && want <= 64);
	for (unsigned i = 0; i < want; i++) {
		const uint8_t *p;
		size_t skip = i ? 0 : HDR;

		if (i)
			assert_true(vh_take_used(r, &id, &l));
		g->id[i] = (uint16_t)id;
		g->len[i] = l;
		p = gp(f, RX_GPA + id * RX_STRIDE, l);
		for (size_t b = skip; b < l; b++, done++)
			if (p[b] != pattern(frame, (unsigned)done))
				fail_msg("frame %u byte %zu (buffer %u) differs", frame, done, i);
	}
	g->nr = want;
	assert_int_equal(done, len);
}

/*
 * Makes an armed timer (rate limit, receive look) expire now, or finds it expired already (it
 * was armed for real time), and serves it.
 */
static void expire_timer(struct fx *f, int tfd)
{
	struct itimerspec its = { .it_value = { .tv_nsec = 1 } }, cur;
	struct pollfd p = { .fd = tfd, .events = POLLIN };

	assert_int_equal(timerfd_gettime(tfd, &cur), 0);
	if (cur.it_value.tv_sec || cur.it_value.tv_nsec)
		assert_int_equal(timerfd_settime(tfd, 0, &its, NULL), 0);
	/* It was armed: it expires now, or it did before and waits to be served. */
	assert_int_equal(poll(&p, 1, 5000), 1);
	run_pending(f);
}

/* ---- tests ---- */

static void test_features_and_config(void **state)
{
	struct fx *f = *state;
	uint64_t df = all_features(f);
	static const unsigned want[] = {
		VIRTIO_NET_F_MAC, VIRTIO_NET_F_MTU, VIRTIO_NET_F_STATUS, VIRTIO_NET_F_MRG_RXBUF,
		VIRTIO_NET_F_CSUM, VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_HOST_TSO4,
		VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_HOST_UFO, VIRTIO_NET_F_GUEST_TSO4,
		VIRTIO_NET_F_GUEST_TSO6, VIRTIO_F_VERSION_1, VIRTIO_RING_F_EVENT_IDX,
	};
	uint8_t cfg[12], mac[6];

	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!(df & F(want[i])))
			fail_msg("feature %u not offered", want[i]);
	assert_false(df & F(VIRTIO_NET_F_GUEST_UFO));
	assert_false(df & F(VIRTIO_NET_F_CTRL_VQ));
	assert_false(df & F(VIRTIO_NET_F_MQ));
	assert_false(df & F(VIRTIO_F_ACCESS_PLATFORM));
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_DEVICE_ID), 1);
	for (unsigned off = 0; off < sizeof(cfg); off += 2)
		virtio_mmio_access(f->vdev, VIRTIO_MMIO_CONFIG + off, cfg + off, 2, false);
	net_dev_mac(f->net, mac);
	assert_memory_equal(cfg, mac, 6);
	assert_int_equal(mac[0] & 3, 2); /* generated: unicast, locally administered */
	assert_int_equal(cfg[6] | cfg[7] << 8, VIRTIO_NET_S_LINK_UP);
	assert_int_equal(cfg[8] | cfg[9] << 8, 1);
	assert_int_equal(cfg[10] | cfg[11] << 8, 1500);
	/* Past the end of what the device has: refused and counted. */
	virtio_mmio_access(f->vdev, VIRTIO_MMIO_CONFIG + 12, cfg, 4, false);
	assert_int_equal(f->vdev->counters.bad_register_access, 1);
}

static void test_features_without_offloads(void **state)
{
	struct fx *f = *state;
	uint64_t df = all_features(f);
	uint64_t dev = df & 0xffffffULL;

	assert_int_equal(dev, F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_MTU) | F(VIRTIO_NET_F_STATUS) |
				      F(VIRTIO_NET_F_MRG_RXBUF));
	start_driver(f, df);
	assert_int_equal(offloads_set, 0);
}

/* Each side offers what its backend direction takes, and segmentation only with checksums. */
static void test_features_partial_offloads(void **state)
{
	struct fx *f = *state;
	uint64_t dev = all_features(f) & 0xffffffULL;

	assert_int_equal(dev, F(VIRTIO_NET_F_MAC) | F(VIRTIO_NET_F_MTU) | F(VIRTIO_NET_F_STATUS) |
				      F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_NET_F_CSUM) |
				      F(VIRTIO_NET_F_HOST_TSO6) | F(VIRTIO_NET_F_GUEST_CSUM));
	start_driver(f, all_features(f));
	assert_int_equal(offloads_set, TUN_F_CSUM);
}

/* TUNSETOFFLOAD follows what the driver accepted, and goes back to none on reset. */
static void test_offloads_follow_guest(void **state)
{
	struct fx *f = *state;
	uint64_t base = F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_MRG_RXBUF);

	start_driver(f, base | F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4));
	assert_int_equal(offloads_set, TUN_F_CSUM | TUN_F_TSO4);
	vh_wr(f->vdev, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(offloads_set, 0);
	start_driver(f, all_features(f));
	assert_int_equal(offloads_set, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
	/* TSO without GUEST_CSUM is meaningless: nothing is turned on. */
	start_driver(f, base | F(VIRTIO_NET_F_GUEST_TSO6));
	assert_int_equal(offloads_set, 0);
	start_driver(f, base);
	assert_int_equal(offloads_set, 0);
}

static void test_tx_frames(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = plain_hdr();
	struct net_counters c;

	start_driver(f, all_features(f));
	tx_publish(f, &h, 1, 60, 0, 0);
	tx_publish(f, &h, 2, 1514, 5, 100);  /* header in two pieces, frame in 16 */
	tx_publish(f, &h, 3, 1518, 0, 1000);
	tx_kick(f);
	assert_peer_frame(f, 1, 60, &h);
	assert_peer_frame(f, 2, 1514, &h);
	assert_peer_frame(f, 3, 1518, &h);
	assert_peer_empty(f);
	assert_tx_all_used(f);
	c = counters(f);
	assert_int_equal(c.tx_frames, 3);
	assert_int_equal(c.tx_bytes, 60 + 1514 + 1518);
	assert_true(vh_irqs(f->vdev) >= 1);
}

/* The header goes out as checked: a stale num_buffers from the driver is not passed on. */
static void test_tx_header_is_the_checked_copy(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = plain_hdr(), want = plain_hdr();

	start_driver(f, all_features(f));
	h.num_buffers = 0x4242;
	tx_publish(f, &h, 7, 100, 0, 0);
	tx_kick(f);
	assert_peer_frame(f, 7, 100, &want);
}

struct tx_case {
	const char *what;
	struct virtio_net_hdr_v1 h;
	size_t len;
	uint64_t drop_features; /* taken out of the negotiated set */
	int drop;               /* enum net_tx_drop, or -1: sent */
};

static void run_tx_cases(struct fx *f, const struct tx_case *cases, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const struct tx_case *t = &cases[i];
		struct net_counters before, after;

		start_driver(f, all_features(f) & ~t->drop_features);
		before = counters(f);
		tx_publish(f, &t->h, i, t->len, 0, 0);
		tx_kick(f);
		after = counters(f);
		assert_tx_all_used(f);
		if (t->drop < 0) {
			struct virtio_net_hdr_v1 want = t->h;

			want.num_buffers = 0;
			if (after.tx_frames != before.tx_frames + 1)
				fail_msg("%s: not sent", t->what);
			assert_peer_frame(f, i, t->len, &want);
		} else {
			if (after.tx_dropped[t->drop] != before.tx_dropped[t->drop] + 1)
				fail_msg("%s: not dropped as %s", t->what,
					 net_tx_drop_name((enum net_tx_drop)t->drop));
			assert_int_equal(after.tx_frames, before.tx_frames);
			assert_peer_empty(f);
		}
		/* Never a ring error: the device stays live. */
		assert_false(vh_rd(f->vdev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	}
}

static void test_tx_header_per_offload(void **state)
{
	struct fx *f = *state;
	const uint64_t no_csum = F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_HOST_TSO4) |
				 F(VIRTIO_NET_F_HOST_TSO6) | F(VIRTIO_NET_F_HOST_UFO);
	const struct tx_case cases[] = {
		{ "plain", plain_hdr(), 1514, 0, -1 },
		{ "partial checksum", csum_hdr(34, 16), 1514, 0, -1 },
		{ "partial checksum, CSUM not negotiated", csum_hdr(34, 16), 1514, no_csum,
		  NET_TX_DROP_BAD_HEADER },
		{ "checksum beyond the frame", csum_hdr(40, 10), 51, 0, NET_TX_DROP_BAD_HEADER },
		{ "checksum ends at the frame end", csum_hdr(40, 10), 52, 0, -1 },
		{ "unknown flag", with_flags(plain_hdr(), VIRTIO_NET_HDR_F_DATA_VALID), 100, 0,
		  NET_TX_DROP_BAD_HEADER },
		{ "TSO4", gso_hdr(VIRTIO_NET_HDR_GSO_TCPV4, 1448), 30000, 0, -1 },
		{ "TSO4 not negotiated", gso_hdr(VIRTIO_NET_HDR_GSO_TCPV4, 1448), 30000,
		  F(VIRTIO_NET_F_HOST_TSO4), NET_TX_DROP_BAD_HEADER },
		{ "TSO6", gso_hdr(VIRTIO_NET_HDR_GSO_TCPV6, 1428), 65000, 0, -1 },
		{ "TSO6 not negotiated", gso_hdr(VIRTIO_NET_HDR_GSO_TCPV6, 1428), 4000,
		  F(VIRTIO_NET_F_HOST_TSO6), NET_TX_DROP_BAD_HEADER },
		{ "UFO", gso_hdr(VIRTIO_NET_HDR_GSO_UDP, 1472), 9000, 0, -1 },
		{ "UFO not negotiated", gso_hdr(VIRTIO_NET_HDR_GSO_UDP, 1472), 9000,
		  F(VIRTIO_NET_F_HOST_UFO), NET_TX_DROP_BAD_HEADER },
		{ "ECN without HOST_ECN",
		  gso_hdr(VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, 1448), 9000, 0,
		  NET_TX_DROP_BAD_HEADER },
		{ "GSO without partial checksum",
		  with_flags(gso_hdr(VIRTIO_NET_HDR_GSO_TCPV4, 1448), 0), 9000, 0,
		  NET_TX_DROP_BAD_HEADER },
		{ "GSO with segment size 0", gso_hdr(VIRTIO_NET_HDR_GSO_TCPV4, 0), 9000, 0,
		  NET_TX_DROP_BAD_HEADER },
		{ "GSO header longer than the frame",
		  with_hdr_len(gso_hdr(VIRTIO_NET_HDR_GSO_TCPV4, 100), 201), 200, 0,
		  NET_TX_DROP_BAD_HEADER },
		{ "unknown GSO type", gso_hdr(2, 1448), 9000, 0, NET_TX_DROP_BAD_HEADER },
		{ "GSO frame over 64 KiB", gso_hdr(VIRTIO_NET_HDR_GSO_TCPV4, 1448),
		  NET_GSO_FRAME_MAX + 1, 0, NET_TX_DROP_TOO_BIG },
		{ "GSO frame at the limit", gso_hdr(VIRTIO_NET_HDR_GSO_TCPV4, 1448),
		  NET_GSO_FRAME_MAX, 0, -1 },
		{ "plain frame over the MTU", plain_hdr(), 1519, 0, NET_TX_DROP_OVER_MTU },
		{ "runt", plain_hdr(), 13, 0, NET_TX_DROP_RUNT },
		{ "header only", plain_hdr(), 0, 0, NET_TX_DROP_RUNT },
	};

	run_tx_cases(f, cases, sizeof(cases) / sizeof(cases[0]));
}

/* Malformed transmit chains are returned and counted; the device keeps going. */
static void test_tx_malformed_chains(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = plain_hdr();
	uint64_t gpa = TX_GPA;
	const struct vh_buf short_chain[] = { { gpa, 8, false } };
	const struct vh_buf writable[] = { { gpa, HDR, false }, { gpa + HDR, 60, false },
					   { gpa + 0x1000, 100, true } };
	const struct vh_buf huge[] = { { gpa, HDR, false }, { gpa + HDR, 0x200000, false } };
	struct net_counters c;

	start_driver(f, all_features(f));
	memcpy(gp(f, gpa, HDR), &h, HDR);
	tx_publish_bufs(f, short_chain, 1);
	tx_publish_bufs(f, writable, 3);
	tx_publish_bufs(f, huge, 2);
	f->tx_slot = 1;
	tx_publish(f, &h, 9, 60, 0, 0);
	tx_kick(f);
	c = counters(f);
	assert_int_equal(c.tx_dropped[NET_TX_DROP_SHORT_CHAIN], 1);
	assert_int_equal(c.tx_dropped[NET_TX_DROP_BAD_CHAIN], 1);
	assert_int_equal(c.tx_dropped[NET_TX_DROP_OVER_MTU], 1);
	assert_int_equal(c.tx_frames, 1);
	assert_peer_frame(f, 9, 60, &h);
	assert_peer_empty(f);
	assert_tx_all_used(f);
	assert_false(vh_rd(f->vdev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/*
 * A zero-length descriptor is a ring-level error in the virtio core (docs/virtio.md): the device
 * goes to NEEDS_RESET without touching the backend, and works again after a reset.
 */
static void test_zero_length_descriptor_needs_reset(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = plain_hdr();
	const struct vh_buf zero[] = { { TX_GPA, HDR, false }, { TX_GPA + HDR, 0, false } };

	start_driver(f, all_features(f));
	tx_publish_bufs(f, zero, 2);
	tx_kick(f);
	assert_true(vh_rd(f->vdev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_peer_empty(f);
	start_driver(f, all_features(f));
	tx_publish(f, &h, 4, 60, 0, 0);
	tx_kick(f);
	assert_peer_frame(f, 4, 60, &h);
}

/* The backend full: the chain stays the driver's until EPOLLOUT, nothing is lost or dropped. */
static void test_tx_backend_full(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = plain_hdr();
	struct net_counters c;
	unsigned sent = 0, got = 0;
	int sndbuf = 8192;

	/* A small send buffer on the device's end: the peer not reading fills it quickly. */
	assert_int_equal(setsockopt(f->net->be.fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
				    sizeof(sndbuf)), 0);
	start_driver(f, all_features(f));
	for (unsigned i = 0; i < 30; i++) /* 60 of the 64 descriptors */
		tx_publish(f, &h, i, 1000, 0, 0);
	tx_kick(f);
	c = counters(f);
	sent = (unsigned)c.tx_frames;
	assert_true(sent > 0 && sent < 30); /* the send buffer holds only a few */
	assert_int_equal(c.tx_backend_full, 1);
	assert_int_equal(vh_used_idx(&f->ring[NET_TX_QUEUE]), sent);
	assert_true(f->net->tx_blocked);
	assert_quiet(f); /* waiting for EPOLLOUT, not spinning */
	/* The peer reads: the rest follows, in order. */
	while (got < 30) {
		assert_peer_frame(f, got, 1000, &h);
		got++;
		run_pending(f);
	}
	c = counters(f);
	assert_int_equal(c.tx_frames, 30);
	for (unsigned i = 0; i < NET_TX_DROP__COUNT; i++)
		assert_int_equal(c.tx_dropped[i], 0);
	assert_tx_all_used(f);
}

/* The guest sends and sends while it never posts a receive buffer: transmit is unaffected. */
static void test_tx_flood_without_rx_buffers(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = plain_hdr(), got_hdr;
	uint8_t buf[256];
	unsigned got = 0;

	start_driver(f, all_features(f));
	peer_send(f, &h, 0, 60); /* a frame for the guest that has nowhere to go */
	for (unsigned round = 0; round < 20; round++) {
		for (unsigned i = 0; i < 16; i++)
			tx_publish(f, &h, round * 16 + i, 200, 0, 0);
		tx_kick(f);
		while (peer_recv(f, &got_hdr, buf, sizeof(buf)) == 200) {
			got++;
			run_pending(f);
		}
	}
	assert_int_equal(got, 320);
	assert_int_equal(counters(f).tx_frames, 320);
	assert_int_equal(counters(f).rx_frames, 0);
	assert_tx_all_used(f);
	assert_false(vh_rd(f->vdev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_quiet(f);
}

static void test_rx_mergeable(void **state)
{
	struct fx *f = *state;
	uint64_t feats = no_guest_gso(f);
	struct virtio_net_hdr_v1 h = plain_hdr();
	struct rx_got g;
	struct net_counters c;

	start_driver(f, feats);
	rx_post(f, 8, 1024);
	rx_kick(f);
	peer_send(f, &h, 1, 1514);
	peer_send(f, &h, 2, 60);
	peer_send(f, &h, 3, 1000); /* 1012 bytes with the header: one buffer */
	peer_send(f, &h, 4, 1013); /* 1025: two */
	run_pending(f);
	rx_take_frame(f, &g, 1, 1514);
	assert_int_equal(g.nr, 2);
	assert_int_equal(g.len[0], 1024);
	assert_int_equal(g.len[1], HDR + 1514 - 1024);
	assert_int_equal(g.id[0], 0);
	assert_int_equal(g.id[1], 1);
	assert_int_equal(g.hdr.flags, 0);
	assert_int_equal(g.hdr.gso_type, 0);
	rx_take_frame(f, &g, 2, 60);
	assert_int_equal(g.nr, 1);
	assert_int_equal(g.len[0], HDR + 60);
	rx_take_frame(f, &g, 3, 1000);
	assert_int_equal(g.nr, 1);
	assert_int_equal(g.len[0], 1012);
	rx_take_frame(f, &g, 4, 1013);
	assert_int_equal(g.nr, 2);
	assert_int_equal(g.len[1], 1);
	c = counters(f);
	assert_int_equal(c.rx_frames, 4);
	assert_int_equal(c.rx_bytes, 1514 + 60 + 1000 + 1013);
	/* Buffers popped but not needed went back: the last two are still the driver's. */
	assert_int_equal(vh_used_idx(&f->ring[NET_RX_QUEUE]), 6);
	peer_send(f, &h, 5, 100);
	run_pending(f);
	rx_take_frame(f, &g, 5, 100);
	assert_int_equal(g.id[0], 6);
	assert_true(vh_irqs(f->vdev) >= 1);
}

/* A 64 KiB TSO frame across many small buffers; with guest GSO the device waits for room. */
static void test_rx_mergeable_gso(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = gso_hdr(VIRTIO_NET_HDR_GSO_TCPV4, 1448), want;
	struct rx_got g;

	start_driver(f, all_features(f));
	rx_post(f, 40, 2048); /* 80 KiB */
	rx_kick(f);
	peer_send(f, &h, 1, 30000);
	peer_send(f, &h, 2, NET_GSO_FRAME_MAX);
	run_pending(f);
	rx_take_frame(f, &g, 1, 30000);
	assert_int_equal(g.nr, (30000 + HDR + 2047) / 2048);
	want = h;
	want.num_buffers = (uint16_t)g.nr;
	assert_memory_equal(&g.hdr, &want, HDR);
	/* 25 buffers left (50 KiB): not enough for the largest frame, so nothing is read. */
	assert_int_equal(counters(f).rx_frames, 1);
	assert_int_equal(counters(f).rx_waits, 1);
	assert_false(f->net->rx_reading);
	assert_quiet(f);
	rx_post(f, 10, 2048);
	rx_kick(f);
	rx_take_frame(f, &g, 2, NET_GSO_FRAME_MAX);
	assert_int_equal(g.nr, 33);
	assert_int_equal(counters(f).rx_frames, 2);
}

/* Without MRG_RXBUF: one chain per frame; a frame larger than the chain is dropped, not cut. */
static void test_rx_one_chain_per_frame(void **state)
{
	struct fx *f = *state;
	uint64_t feats = all_features(f) & ~F(VIRTIO_NET_F_MRG_RXBUF);
	struct virtio_net_hdr_v1 h = plain_hdr();
	struct rx_got g;
	uint32_t id, len;

	start_driver(f, feats);
	rx_post(f, 1, 1000);
	rx_post(f, 1, 2048);
	rx_kick(f);
	peer_send(f, &h, 1, 1514); /* does not fit the first chain */
	peer_send(f, &h, 2, 900);
	peer_send(f, &h, 3, 1514);
	run_pending(f);
	assert_int_equal(counters(f).rx_dropped[NET_RX_DROP_NO_ROOM], 1);
	rx_take_frame(f, &g, 2, 900); /* into the chain the dropped frame could not use */
	assert_int_equal(g.id[0], 0);
	assert_int_equal(g.hdr.num_buffers, 1);
	rx_take_frame(f, &g, 3, 1514);
	assert_int_equal(g.id[0], 1);
	assert_int_equal(g.len[0], HDR + 1514);
	assert_false(vh_take_used(&f->ring[NET_RX_QUEUE], &id, &len));
	/* The dropped frame's bytes never reached the guest as a frame. */
	assert_int_equal(counters(f).rx_frames, 2);
}

/*
 * Backpressure: no receive buffers, so the device stops reading the backend (no busy loop, the
 * frames wait there, nothing is counted as delivered or dropped) and resumes on the RX kick.
 */
static void test_rx_backpressure(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = plain_hdr();
	struct net_counters c;
	struct rx_got g;

	start_driver(f, no_guest_gso(f));
	for (unsigned i = 0; i < 3; i++)
		peer_send(f, &h, i, 500 + i);
	run_pending(f);
	assert_false(f->net->rx_reading);
	c = counters(f);
	assert_int_equal(c.rx_frames, 0);
	assert_int_equal(c.rx_waits, 1);
	for (unsigned i = 0; i < NET_RX_DROP__COUNT; i++)
		assert_int_equal(c.rx_dropped[i], 0);
	/* The driver is asked to notify after a quarter ring (16 buffers) of slack... */
	assert_int_equal(vh_avail_event(&f->ring[NET_RX_QUEUE]), 16);
	/* ... and the device looks once more a little later: still nothing, so from now on it asks
	 * for the next buffer, and nothing is armed (no polling while the driver posts nothing). */
	expire_timer(f, f->net->rx_timer_fd);
	assert_int_equal(vh_avail_event(&f->ring[NET_RX_QUEUE]), 0);
	assert_false(f->net->rx_reading);
	assert_int_equal(counters(f).rx_waits, 2);
	assert_quiet(f);
	/* Buffers published without a kick are not noticed (the device is asleep)... */
	rx_post(f, 4, 2048);
	assert_quiet(f);
	assert_int_equal(vh_used_idx(&f->ring[NET_RX_QUEUE]), 0);
	/* ... the kick wakes it, and the frames arrive in order. */
	rx_kick(f);
	for (unsigned i = 0; i < 3; i++)
		rx_take_frame(f, &g, i, 500 + i);
	assert_int_equal(counters(f).rx_frames, 3);
	assert_true(f->net->rx_reading);
}

/* Mergeable without enough room for one frame: wait, then continue when more arrive. */
static void test_rx_waits_for_enough_room(void **state)
{
	struct fx *f = *state;
	uint64_t feats = no_guest_gso(f);
	struct virtio_net_hdr_v1 h = plain_hdr();
	struct rx_got g;

	start_driver(f, feats);
	rx_post(f, 1, 1024); /* less than 12 + 1518 */
	rx_kick(f);
	peer_send(f, &h, 1, 1514);
	run_pending(f);
	assert_int_equal(vh_used_idx(&f->ring[NET_RX_QUEUE]), 0);
	assert_false(f->net->rx_reading);
	assert_quiet(f);
	rx_post(f, 1, 1024);
	rx_kick(f);
	rx_take_frame(f, &g, 1, 1514);
	assert_int_equal(g.nr, 2);
}

/*
 * Waiting for room with EVENT_IDX: the driver is asked to notify once it has posted as many
 * buffers as the room still missing needs (at their size) plus a quarter ring of slack, never
 * more than the ring can take; if it posts enough but fewer, the device's one look later finds
 * them.
 */
static void test_rx_asks_for_enough_buffers(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = plain_hdr();
	struct rx_got g;

	start_driver(f, all_features(f)); /* guest TSO: room for 12 + 65553 bytes wanted */
	rx_post(f, 4, 4096);
	rx_kick(f);
	peer_send(f, &h, 1, 1514);
	run_pending(f);
	assert_false(f->net->rx_reading);
	/* 16384 bytes at hand, 49181 missing: 13 more buffers of 4096, plus 16: entry 32. */
	assert_int_equal(vh_avail_event(&f->ring[NET_RX_QUEUE]), 32);
	rx_post(f, 13, 4096);
	assert_int_equal(vh_used_idx(&f->ring[NET_RX_QUEUE]), 0);
	expire_timer(f, f->net->rx_timer_fd);
	rx_take_frame(f, &g, 1, 1514);
	assert_int_equal(counters(f).rx_frames, 1);
	/* One 64-byte buffer out of a ring of 64: 1024 more would be needed, 63 can come. */
	start_driver(f, all_features(f));
	rx_post(f, 1, 64);
	rx_kick(f);
	peer_send(f, &h, 2, 100);
	run_pending(f);
	assert_int_equal(vh_avail_event(&f->ring[NET_RX_QUEUE]), 1 + 63 - 1);
}

/* Every buffer the ring can hold is out and still too small: the frame is dropped as NO_ROOM. */
static void test_rx_frame_larger_than_the_ring(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = plain_hdr();
	struct rx_got g;

	start_driver(f, no_guest_gso(f));
	rx_post(f, 8, 128); /* the whole ring of 8: 1 KiB */
	rx_kick(f);
	peer_send(f, &h, 1, 1514);
	peer_send(f, &h, 2, 300);
	run_pending(f);
	assert_int_equal(counters(f).rx_dropped[NET_RX_DROP_NO_ROOM], 1);
	rx_take_frame(f, &g, 2, 300);
	assert_int_equal(g.nr, 3);
	/* Five buffers left, and the driver can add more: wait for it. */
	assert_false(f->net->rx_reading);
	assert_int_equal(counters(f).rx_waits, 1);
}

struct rx_case {
	const char *what;
	struct virtio_net_hdr_v1 h;
	size_t len;
	uint64_t drop_features;
	int drop;                  /* enum net_rx_drop, or -1: delivered */
	uint8_t flags_seen;        /* the flags the driver gets */
};

static void test_rx_header_per_offload(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 valid = { .flags = VIRTIO_NET_HDR_F_DATA_VALID };
	struct virtio_net_hdr_v1 partial = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					     .csum_start = 34, .csum_offset = 16 };
	struct virtio_net_hdr_v1 rsc = { .flags = VIRTIO_NET_HDR_F_RSC_INFO };
	uint64_t no_csum = F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_GUEST_TSO4) |
			   F(VIRTIO_NET_F_GUEST_TSO6);
	struct rx_case cases[] = {
		{ "data valid", valid, 1514, 0, -1, VIRTIO_NET_HDR_F_DATA_VALID },
		{ "data valid, GUEST_CSUM off: flags cleared", valid, 1514, no_csum, -1, 0 },
		{ "partial checksum", partial, 1514, 0, -1, VIRTIO_NET_HDR_F_NEEDS_CSUM },
		{ "partial checksum, GUEST_CSUM off", partial, 1514, no_csum,
		  NET_RX_DROP_BAD_OFFLOAD, 0 },
		{ "RSC info", rsc, 1514, 0, NET_RX_DROP_BAD_OFFLOAD, 0 },
		{ "TSO4", gso_hdr(VIRTIO_NET_HDR_GSO_TCPV4, 1448), 20000, 0, -1,
		  VIRTIO_NET_HDR_F_NEEDS_CSUM },
		{ "TSO4, GUEST_TSO4 off", gso_hdr(VIRTIO_NET_HDR_GSO_TCPV4, 1448), 20000,
		  F(VIRTIO_NET_F_GUEST_TSO4), NET_RX_DROP_BAD_OFFLOAD, 0 },
		{ "TSO6", gso_hdr(VIRTIO_NET_HDR_GSO_TCPV6, 1428), 20000, 0, -1,
		  VIRTIO_NET_HDR_F_NEEDS_CSUM },
		{ "TSO6, GUEST_TSO6 off", gso_hdr(VIRTIO_NET_HDR_GSO_TCPV6, 1428), 20000,
		  F(VIRTIO_NET_F_GUEST_TSO6), NET_RX_DROP_BAD_OFFLOAD, 0 },
		{ "UFO (never offered)", gso_hdr(VIRTIO_NET_HDR_GSO_UDP, 1472), 9000, 0,
		  NET_RX_DROP_BAD_OFFLOAD, 0 },
		{ "TSO4 with ECN (never offered)",
		  gso_hdr(VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, 1448), 9000, 0,
		  NET_RX_DROP_BAD_OFFLOAD, 0 },
		{ "plain frame over the MTU", plain_hdr(), 1519, 0, NET_RX_DROP_OVER_MTU, 0 },
		{ "plain frame at the MTU", plain_hdr(), 1518, 0, -1, 0 },
		{ "runt", plain_hdr(), 13, 0, NET_RX_DROP_RUNT, 0 },
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rx_case *t = &cases[i];
		struct net_counters before, after;
		struct rx_got g;

		start_driver(f, all_features(f) & ~t->drop_features);
		rx_post(f, 20, 4096); /* room for the largest frame: 12 + 65553 bytes */
		rx_kick(f);
		before = counters(f);
		peer_send(f, &t->h, i, t->len);
		run_pending(f);
		after = counters(f);
		if (t->drop < 0) {
			if (after.rx_frames != before.rx_frames + 1)
				fail_msg("%s: not delivered", t->what);
			rx_take_frame(f, &g, i, t->len);
			assert_int_equal(g.hdr.flags, t->flags_seen);
			assert_int_equal(g.hdr.gso_type, t->h.gso_type);
			assert_int_equal(g.hdr.gso_size, t->h.gso_size);
		} else {
			if (after.rx_dropped[t->drop] != before.rx_dropped[t->drop] + 1)
				fail_msg("%s: not dropped as %s", t->what,
					 net_rx_drop_name((enum net_rx_drop)t->drop));
			assert_int_equal(vh_used_idx(&f->ring[NET_RX_QUEUE]), 0);
		}
	}
}

/* Jumbo frames: MTU 9000 passes 9018-byte frames, mergeable or not. */
static void test_rx_tx_jumbo(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = plain_hdr();
	uint8_t cfg[2];
	struct rx_got g;

	virtio_mmio_access(f->vdev, VIRTIO_MMIO_CONFIG + 10, cfg, 2, false);
	assert_int_equal(cfg[0] | cfg[1] << 8, 9000);
	start_driver(f, no_guest_gso(f));
	rx_post(f, 8, 4096);
	rx_kick(f);
	peer_send(f, &h, 1, 9018);
	peer_send(f, &h, 2, 9019);
	peer_send(f, &h, 3, 60);
	run_pending(f);
	rx_take_frame(f, &g, 1, 9018);
	assert_int_equal(g.nr, 3);
	rx_take_frame(f, &g, 3, 60);
	assert_int_equal(counters(f).rx_dropped[NET_RX_DROP_OVER_MTU], 1);
	tx_publish(f, &h, 4, 9018, 0, 0);
	tx_publish(f, &h, 5, 9019, 0, 0);
	tx_kick(f);
	assert_peer_frame(f, 4, 9018, &h);
	assert_peer_empty(f);
	assert_int_equal(counters(f).tx_dropped[NET_TX_DROP_OVER_MTU], 1);
}

/* Receive chains the device cannot use go back with length 0 and are counted. */
static void test_rx_bad_buffers(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = plain_hdr();
	struct vh_ring *r = &f->ring[NET_RX_QUEUE];
	const struct vh_buf readonly = { RX_GPA, 2048, false };
	const struct vh_buf mixed[] = { { RX_GPA + RX_STRIDE, 64, false },
					{ RX_GPA + RX_STRIDE + 64, 2048, true } };
	const struct vh_buf tiny = { RX_GPA + 3 * RX_STRIDE, 11, true };
	struct net_counters c;
	uint32_t id, len;
	struct rx_got g;

	start_driver(f, no_guest_gso(f));
	memset(gp(f, RX_GPA, 2048), 0x11, 2048);
	vh_publish(r, vh_chain(r, 0, &readonly, 1));
	vh_publish(r, vh_chain(r, 1, mixed, 2));
	f->rx_next = 3;
	vh_publish(r, vh_chain(r, 3, &tiny, 1));
	f->rx_next = 4;
	rx_post(f, 1, 1024);  /* good, but stashed before the next bad one */
	vh_publish(r, vh_chain(r, 5, &tiny, 1));
	f->rx_next = 6;
	rx_post(f, 2, 2048);
	rx_kick(f);
	peer_send(f, &h, 1, 1514);
	run_pending(f);
	c = counters(f);
	assert_int_equal(c.rx_bad_buffers, 4);
	assert_int_equal(c.rx_buffers_returned, 1);
	for (unsigned i = 0; i < 5; i++) {
		static const uint16_t ids[] = { 0, 1, 3, 4, 5 };

		assert_true(vh_take_used(r, &id, &len));
		assert_int_equal(id, ids[i]);
		assert_int_equal(len, 0);
	}
	/* The device wrote nothing into the read-only buffer. */
	for (unsigned i = 0; i < 2048; i++)
		assert_int_equal(*(uint8_t *)gp(f, RX_GPA + i, 1), 0x11);
	rx_take_frame(f, &g, 1, 1514);
	assert_int_equal(g.nr, 1);
	assert_int_equal(g.id[0], 6);
	assert_false(vh_rd(f->vdev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* 1000 bytes per 100 ms on receive: the third 600-byte frame waits for the refill. */
static void test_rx_rate_limit(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = plain_hdr();
	struct net_counters c;
	struct itimerspec its;
	struct rx_got g;

	start_driver(f, all_features(f));
	rx_post(f, 8, 2048);
	rx_kick(f);
	for (unsigned i = 0; i < 3; i++)
		peer_send(f, &h, i, 600);
	run_pending(f);
	c = counters(f);
	assert_int_equal(c.rx_frames, 2); /* 600, then 600 on the 400 left: 200 owed */
	assert_int_equal(c.rx_throttled.bandwidth_throttled, 1);
	assert_true(f->net->rx_paused);
	assert_false(f->net->rx_reading);
	assert_int_equal(timerfd_gettime(f->net->rx_timer_fd, &its), 0);
	assert_true(its.it_value.tv_sec == 0 && its.it_value.tv_nsec > 0 &&
		    its.it_value.tv_nsec <= 20100000);
	/* The timer firing before the refill changes nothing (the clock has not moved). */
	expire_timer(f, f->net->rx_timer_fd);
	assert_int_equal(counters(f).rx_frames, 2);
	assert_true(f->net->rx_paused);
	manual_clock_advance(&f->v.clock, 20100000);
	expire_timer(f, f->net->rx_timer_fd);
	assert_int_equal(counters(f).rx_frames, 3);
	for (unsigned i = 0; i < 3; i++)
		rx_take_frame(f, &g, i, 600);
}

/* Two frames per second on transmit: the third chain stays in the ring until the refill. */
static void test_tx_rate_limit(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = plain_hdr();
	struct net_counters c;

	start_driver(f, all_features(f));
	for (unsigned i = 0; i < 3; i++)
		tx_publish(f, &h, i, 100, 0, 0);
	tx_kick(f);
	c = counters(f);
	assert_int_equal(c.tx_frames, 2);
	assert_int_equal(c.tx_throttled.ops_throttled, 1);
	assert_int_equal(vh_used_idx(&f->ring[NET_TX_QUEUE]), 2);
	assert_true(f->net->tx_throttled);
	/* A kick while throttled changes nothing. */
	tx_kick(f);
	assert_int_equal(counters(f).tx_frames, 2);
	/* A reset does not refill the buckets. */
	vh_wr(f->vdev, VIRTIO_MMIO_STATUS, 0);
	start_driver(f, all_features(f));
	for (unsigned i = 10; i < 13; i++)
		tx_publish(f, &h, i, 100, 0, 0);
	tx_kick(f);
	assert_int_equal(counters(f).tx_frames, 2);
	/* Half a second: one operation back, one frame goes. */
	manual_clock_advance(&f->v.clock, 500 * MS);
	expire_timer(f, f->net->tx_timer_fd);
	assert_int_equal(counters(f).tx_frames, 3);
	assert_int_equal(vh_used_idx(&f->ring[NET_TX_QUEUE]), 1);
	assert_peer_frame(f, 0, 100, &h);
	assert_peer_frame(f, 1, 100, &h);
	assert_peer_frame(f, 10, 100, &h);
	assert_peer_empty(f);
}

/* A reset forgets everything of the guest's; the device comes back with a new bring-up. */
static void test_reset_and_recover(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = plain_hdr();
	struct rx_got g;

	start_driver(f, all_features(f));
	peer_send(f, &h, 1, 100);
	run_pending(f);
	assert_false(f->net->rx_reading);
	vh_wr(f->vdev, VIRTIO_MMIO_STATUS, 0);
	assert_quiet(f);
	start_driver(f, all_features(f));
	rx_post(f, 40, 2048);
	rx_kick(f);
	rx_take_frame(f, &g, 1, 100);
	tx_publish(f, &h, 2, 60, 0, 0);
	tx_kick(f);
	assert_peer_frame(f, 2, 60, &h);
}

/* The backend hangs up: the device stops watching it (no busy loop) and drops what is sent. */
static void test_backend_hangup(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = plain_hdr();

	start_driver(f, all_features(f));
	rx_post(f, 8, 2048);
	rx_kick(f);
	close(f->peer);
	f->peer = -1;
	run_pending(f);
	assert_false(f->net->backend_watched);
	assert_quiet(f);
	tx_publish(f, &h, 1, 60, 0, 0);
	tx_kick(f);
	assert_int_equal(counters(f).tx_dropped[NET_TX_DROP_BACKEND], 1);
	assert_tx_all_used(f);
	assert_quiet(f);
}

/* Confidential memory: ACCESS_PLATFORM offered, shared buffers work, a private one is refused. */
static void test_confidential(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = plain_hdr();
	struct vh_ring *r = &f->ring[NET_RX_QUEUE];
	const struct vh_buf priv = { PRIV_GPA, 4096, true };
	uint64_t df = no_guest_gso(f);
	struct rx_got g;

	assert_true(df & F(VIRTIO_F_ACCESS_PLATFORM));
	start_driver(f, df);
	rx_post(f, 4, 2048);
	rx_kick(f);
	peer_send(f, &h, 1, 1514);
	run_pending(f);
	rx_take_frame(f, &g, 1, 1514);
	tx_publish(f, &h, 2, 1514, 0, 0);
	tx_kick(f);
	assert_peer_frame(f, 2, 1514, &h);
	/* A receive buffer in private memory: the ring is failed, nothing is read or written. */
	memset(guest_mem_ptr(&f->v.mem, PRIV_GPA, 4096), 0x33, 4096);
	start_driver(f, df);
	vh_publish(r, vh_chain(r, 0, &priv, 1));
	rx_kick(f);
	peer_send(f, &h, 3, 100);
	run_pending(f);
	assert_true(vh_rd(f->vdev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(*(uint8_t *)guest_mem_ptr(&f->v.mem, PRIV_GPA, 1), 0x33);
	assert_int_equal(counters(f).rx_frames, 1);
	start_driver(f, df);
	rx_post(f, 4, 2048);
	rx_kick(f);
	rx_take_frame(f, &g, 3, 100);
}

/* The device-table row: a backend that is not a tap is refused with an error naming it. */
static void test_table_row_errors(void **state)
{
	struct vm_config cfg;
	struct net_config n;
	struct vh_vm v;
	struct virtio_dev_params p;
	struct error e = ERROR_INIT;
	void *model = NULL;
	int pipefd[2];

	log_threshold = LOG_ERROR;
	assert_int_equal(pipe(pipefd), 0);
	assert_int_equal(vh_vm_init(&v, RAM, TEE_NONE), 0);
	config_init(&cfg);
	config_net_init(&n);
	n.fd = pipefd[0];
	assert_int_equal(config_add_net(&cfg, &n, NULL), 0);
	assert_int_equal(virtio_net_device.count(&cfg), 1);
	assert_int_equal(virtio_net_device.open_virtio(&v.dev_env, &cfg, 0, &model, &p, &e),
			 -EINVAL);
	assert_null(model);
	assert_int_equal(e.cls, ERROR_INPUT);
	if (!strstr(e.msg, "--net: fd ") || !strstr(e.msg, "is not a tap queue"))
		fail_msg("%s", e.msg);
	/* The caller's fd is untouched: still open, still blocking. */
	assert_false(fcntl(pipefd[0], F_GETFL) & O_NONBLOCK);
	close(pipefd[0]);
	close(pipefd[1]);
	config_free(&cfg);
	vh_vm_destroy(&v);
}

/* ---- a real tap, in a private network namespace ---- */

#define TAP_NAME      "cvmmnet0"
#define TEST_ETHERTYPE 0x88b5 /* IEEE local experimental */

static char tap_skip_reason[160];

static int setup_real_tap(void **state)
{
	struct fx *f;
	struct net_config cfg;
	struct virtio_dev_params p;
	struct error e = ERROR_INIT;

	log_threshold = LOG_ERROR;
	*state = NULL;
	if (!tap_env_enter(tap_skip_reason, sizeof(tap_skip_reason)))
		return 0;
	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->o.qsize = 64;
	f->o.mtu = 9000;
	assert_int_equal(vh_vm_init(&f->v, RAM, TEE_NONE), 0);
	config_net_init(&cfg);
	cfg.tap = TAP_NAME;
	cfg.mtu = 9000;
	cfg.id = "real";
	if (net_dev_open(&cfg, loop(f), &f->v.clock.clock, &f->net, &e))
		fail_msg("%s", e.msg);
	net_dev_params(f->net, &p);
	assert_int_equal(virtio_dev_create(&f->v.env, &p, LAYOUT_VIRTIO_MMIO_BASE, 16, &f->vdev),
			 0);
	assert_int_equal(tap_env_if_up(TAP_NAME, 9000), 0);
	f->peer = tap_env_packet_socket(TAP_NAME, TEST_ETHERTYPE);
	assert_true(f->peer >= 0);
	*state = f;
	return 0;
}

static int teardown_real_tap(void **state)
{
	return *state ? teardown(state) : 0;
}

/* Frame n of len bytes: broadcast, from a local address, the test ethertype, then pattern. */
static void make_eth_frame(uint8_t *p, unsigned n, size_t len)
{
	static const uint8_t head[14] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0,
					  0, 0, 0, 1, TEST_ETHERTYPE >> 8, TEST_ETHERTYPE & 0xff };

	fill_frame(p, n, len);
	memcpy(p, head, sizeof(head));
}

/* Frames of 60, 1514 and 9014 bytes (MTU 9000) both ways through a real tap, intact. */
static void test_real_tap(void **state)
{
	static const size_t sizes[] = { 60, 1514, 9014 };
	static uint8_t want[9100], got[9100];
	struct fx *f = *state;
	struct vh_ring *rx;
	uint64_t df;

	if (!f) {
		print_message("skipped: %s\n", tap_skip_reason);
		skip();
	}
	rx = &f->ring[NET_RX_QUEUE];
	df = all_features(f);
	/* The tap's offloads reach the driver. */
	assert_true(df & F(VIRTIO_NET_F_GUEST_CSUM));
	assert_true(df & F(VIRTIO_NET_F_GUEST_TSO4));
	assert_true(df & F(VIRTIO_NET_F_HOST_TSO4));
	start_driver(f, df);
	rx_post(f, 40, 4096);
	rx_kick(f);
	for (unsigned i = 0; i < 3; i++) {
		uint16_t used = vh_used_idx(rx);
		struct virtio_net_hdr_v1 h = plain_hdr(), rx_hdr;
		uint32_t id, len;
		size_t done = 0;
		ssize_t n = -1;

		/* Host to guest: sent on the interface, read from the tap into guest buffers. */
		make_eth_frame(want, i, sizes[i]);
		assert_int_equal(send(f->peer, want, sizes[i], 0), (ssize_t)sizes[i]);
		assert_true(vh_run_until_used(&f->v, rx, used));
		assert_true(vh_take_used(rx, &id, &len));
		memcpy(&rx_hdr, gp(f, RX_GPA + id * RX_STRIDE, HDR), HDR);
		for (unsigned b = 0; b < rx_hdr.num_buffers; b++) {
			size_t skip = b ? 0 : HDR;

			if (b)
				assert_true(vh_take_used(rx, &id, &len));
			memcpy(got + done, gp(f, RX_GPA + id * RX_STRIDE + skip, len - skip),
			       len - skip);
			done += len - skip;
		}
		assert_int_equal(done, sizes[i]);
		assert_memory_equal(got, want, sizes[i]);

		/* Guest to host: written to the tap, received on the interface. */
		tx_publish(f, &h, 100 + i, sizes[i], 0, 0);
		make_eth_frame(want, 100 + i, sizes[i]);
		memcpy(gp(f, TX_GPA + (uint64_t)((f->tx_slot - 1) % TX_SLOTS) * TX_STRIDE + HDR,
			  sizes[i]), want, sizes[i]);
		tx_kick(f);
		for (int tries = 0; tries < 1000 && n < 0; tries++) {
			struct pollfd pfd = { .fd = f->peer, .events = POLLIN };

			poll(&pfd, 1, 10);
			n = recv(f->peer, got, sizeof(got), 0);
		}
		assert_int_equal(n, (ssize_t)sizes[i]);
		assert_memory_equal(got, want, sizes[i]);
	}
	assert_int_equal(counters(f).rx_frames, 3);
	assert_int_equal(counters(f).tx_frames, 3);
}

#define T(fn, s) cmocka_unit_test_setup_teardown(fn, s, teardown)

int main(void)
{
	/* As cvmm does: a backend that hung up fails writes with EPIPE, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		T(test_features_and_config, setup),
		T(test_features_without_offloads, setup_no_offloads),
		T(test_features_partial_offloads, setup_partial_offloads),
		T(test_offloads_follow_guest, setup),
		T(test_tx_frames, setup),
		T(test_tx_header_is_the_checked_copy, setup),
		T(test_tx_header_per_offload, setup),
		T(test_tx_malformed_chains, setup),
		T(test_zero_length_descriptor_needs_reset, setup),
		T(test_tx_backend_full, setup),
		T(test_tx_flood_without_rx_buffers, setup),
		T(test_rx_mergeable, setup),
		T(test_rx_mergeable_gso, setup),
		T(test_rx_one_chain_per_frame, setup),
		T(test_rx_backpressure, setup),
		T(test_rx_waits_for_enough_room, setup),
		T(test_rx_asks_for_enough_buffers, setup),
		T(test_rx_frame_larger_than_the_ring, setup_small_ring),
		T(test_rx_header_per_offload, setup),
		T(test_rx_tx_jumbo, setup_jumbo),
		T(test_rx_bad_buffers, setup),
		T(test_rx_rate_limit, setup_rx_rate),
		T(test_tx_rate_limit, setup_tx_rate),
		T(test_reset_and_recover, setup),
		T(test_backend_hangup, setup),
		T(test_confidential, setup_confidential),
		cmocka_unit_test(test_table_row_errors),
		cmocka_unit_test_setup_teardown(test_real_tap, setup_real_tap, teardown_real_tap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
