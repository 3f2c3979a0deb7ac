// SPDX-License-Identifier: MIT
/*
 * netbench: virtio-net throughput phases for scripts/bench_net.py; runs only when named in
 * cvmmtest.only.  cvmmtest.netbench=PHASE[:COUNT],... with
 *
 *   tx-64:N       N frames of 64 bytes to the host, up to a ring's worth in flight
 *   tx-stream:N   N TCP-like 64 KiB writes: one IPv4 TCP segmentation-offload frame each
 *                 (65549 bytes; needs CSUM and HOST_TSO4)
 *   rx-64, rx-stream
 *                 frames the host queued on the tap (64 bytes; 65535 bytes, which needs an MTU
 *                 of 65521) are received until the host's end marker for this phase: after
 *                 `BENCH ready` the guest waits for a byte on COM1, which the host sends once
 *                 the tap's queue holds every frame, so the phase measures how fast the VMM
 *                 delivers, not how fast the host can send
 *
 * Benchmark frames carry NET_BENCH_ETHERTYPE; their byte 14 is 0 for data, 0xff for the end
 * marker, byte 15 the phase's index in the list (so a late marker of an earlier phase is not
 * taken for this one's).  Transmitted frames go to 02:00:00:00:00:02, an address nobody has, so
 * the host drops them as early as it can.  Each phase prints
 *
 *   BENCH ready <phase>    (receive phases: buffers posted, the host may fill the tap's queue)
 *   BENCH begin <phase>    (transmit: before the first frame; receive: at the first frame)
 *   BENCH end <phase>      (transmit: the last frame completed; receive: the end marker)
 *   BENCH result <phase> frames=N bytes=N notifications=N tsc=N
 *
 * bytes are Ethernet bytes (no virtio header); tsc the RDTSC ticks from the first to the last
 * frame; notifications the guest's QueueNotify writes (exits) during the phase.
 */
#include "tests/guest/cmdline.h"
#include "tests/guest/dma.h"
#include "tests/guest/guest.h"
#include "tests/guest/io.h"
#include "tests/guest/libc.h"
#include "tests/guest/net.h"
#include "tests/guest/net_check.h"
#include "tests/guest/printf.h"
#include "tests/guest/serial.h"

#define BIT64(n) (1ULL << (n))
#define SMALL_FRAME 64
#define STREAM_FRAME (14 + 65535)
#define TCP_MSS 1448
#define DEFAULT_PHASES "tx-64:100000,tx-stream:5000,rx-64,rx-stream"

static const uint8_t nobody[6] = { 0x02, 0, 0, 0, 0, 0x02 };

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A 64 KiB TCP segment of a stream 10.0.2.2:40000 -> 10.0.2.1:5001, checksum left to the host. */
static void build_stream_frame(uint8_t *f, const uint8_t mac[6])
{
	uint8_t *ip = f + 14, *tcp = ip + 20;

	net_frame_header(f, nobody, mac, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, 65535);
	ip[8] = 64;
	ip[9] = 6; /* TCP */
	memcpy(ip + 12, (const uint8_t[]){ 10, 0, 2, 2, 10, 0, 2, 1 }, 8);
	put16(tcp, 40000);
	put16(tcp + 2, 5001);
	tcp[12] = 5 << 4;
	tcp[13] = 0x18; /* PSH, ACK */
	put16(tcp + 14, 65535);
	for (uint32_t i = 54; i < STREAM_FRAME; i++)
		f[i] = (uint8_t)i;
}

struct bench_phase {
	char name[16];
	bool rx, stream;
	uint64_t count;
};

static bool parse_phase(const char *s, size_t len, struct bench_phase *ph)
{
	static const char *const names[] = { "tx-64", "tx-stream", "rx-64", "rx-stream" };
	size_t name_len = 0;

	while (name_len < len && s[name_len] != ':')
		name_len++;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (strlen(names[i]) != name_len || memcmp(s, names[i], name_len))
			continue;
		memcpy(ph->name, s, name_len);
		ph->name[name_len] = 0;
		ph->rx = i >= 2;
		ph->stream = i & 1;
		ph->count = 0;
		if (name_len < len &&
		    !parse_u64(s + name_len + 1, len - name_len - 1, &ph->count))
			return false;
		return ph->rx || ph->count;
	}
	return false;
}

static const char *run_tx(struct gnet *n, const struct bench_phase *ph, const uint8_t *frame)
{
	struct gnet_hdr h = { 0 };
	uint32_t len = ph->stream ? STREAM_FRAME : SMALL_FRAME;
	uint64_t queued = 0, done = n->tx_frames, want = n->tx_frames + ph->count, idle = 0;
	uint64_t kicks = n->tx_kicks, t0, t1;

	if (ph->stream) {
		if (!gnet_has(n, VIRTIO_NET_F_CSUM) || !gnet_has(n, VIRTIO_NET_F_HOST_TSO4))
			return "CSUM and HOST_TSO4 not offered";
		h = (struct gnet_hdr){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				       .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .hdr_len = 54,
				       .gso_size = TCP_MSS, .csum_start = 34, .csum_offset = 16 };
	}
	printf("BENCH begin %s\n", ph->name);
	t0 = rdtsc();
	while (n->tx_frames < want) {
		bool added = false;

		while (queued < ph->count && gnet_tx_add(n, &h, frame, len) >= 0) {
			queued++;
			added = true;
		}
		if (added)
			gnet_tx_kick(n);
		if (gnet_tx_reap(n)) {
			idle = 0;
		} else if (++idle > spin_limit) {
			return "transmit stalled";
		} else {
			cpu_relax();
		}
	}
	t1 = rdtsc();
	printf("BENCH end %s\n", ph->name);
	printf("BENCH result %s frames=%lu bytes=%lu notifications=%lu tsc=%lu\n", ph->name,
	       n->tx_frames - done, (n->tx_frames - done) * len, n->tx_kicks - kicks, t1 - t0);
	return NULL;
}

/* Waits (about a minute at most) for the host's byte on COM1; a port read now and then only. */
static bool wait_for_go(void)
{
	uint8_t c;

	for (uint64_t spins = 0; spins < 16 * spin_limit; spins++) {
		if (!(spins & 0xfff) && serial_read(&c))
			return true;
		cpu_relax();
	}
	return false;
}

/* The host's end marker of phase index. */
static bool is_marker(const uint8_t *f, int len, unsigned index)
{
	return len >= 16 && f[12] == (NET_BENCH_ETHERTYPE >> 8) &&
	       f[13] == (NET_BENCH_ETHERTYPE & 0xff) && f[14] == 0xff && f[15] == index;
}

/* Data of phase index. */
static bool is_data(const uint8_t *f, int len, unsigned index)
{
	return len >= 16 && f[12] == (NET_BENCH_ETHERTYPE >> 8) &&
	       f[13] == (NET_BENCH_ETHERTYPE & 0xff) && f[14] == 0 && f[15] == index;
}

static const char *run_rx(struct gnet *n, const struct bench_phase *ph, unsigned index)
{
	uint64_t frames = 0, bytes = 0, idle = 0, t0 = 0, t_last = 0;
	uint64_t kicks = n->rx_kicks, other = 0;
	struct gnet_hdr h;
	uint8_t head[16];

	printf("BENCH ready %s\n", ph->name);
	if (!wait_for_go())
		return "the host never said go";
	for (;;) {
		int len = gnet_rx(n, &h, head, sizeof(head));

		if (len == -1) {
			/* The host sends for seconds; a minute of nothing means it never will. */
			if (++idle > 16 * spin_limit)
				return "no end marker";
			cpu_relax();
			continue;
		}
		idle = 0;
		if (len == -2)
			return "malformed receive";
		if (is_marker(head, len, index))
			break;
		if (!is_data(head, len, index)) {
			other++;
			continue;
		}
		t_last = rdtsc();
		if (!frames++) {
			t0 = t_last;
			printf("BENCH begin %s\n", ph->name);
		}
		bytes += (uint64_t)len;
	}
	if (!frames)
		printf("BENCH begin %s\n", ph->name);
	printf("BENCH end %s\n", ph->name);
	printf("BENCH result %s frames=%lu bytes=%lu notifications=%lu tsc=%lu other=%lu\n",
	       ph->name, frames, bytes, n->rx_kicks - kicks, t_last - t0, other);
	return frames ? NULL : "no frame arrived";
}

bool check_netbench(struct check_result *res)
{
	const uint64_t want = BIT64(VIRTIO_F_EVENT_IDX) | BIT64(VIRTIO_NET_F_MAC) |
			      BIT64(VIRTIO_NET_F_CSUM) | BIT64(VIRTIO_NET_F_HOST_TSO4) |
			      BIT64(VIRTIO_NET_F_GUEST_CSUM) | BIT64(VIRTIO_NET_F_GUEST_TSO4);
	static struct gnet n;
	struct virtio_mmio_dev *dev = net_find_device();
	const char *list = DEFAULT_PHASES, *why, *item;
	size_t len = sizeof(DEFAULT_PHASES) - 1, pos = 0, item_len;
	uint8_t *small, *stream;
	unsigned phases = 0;

	if (!dev) {
		result_add(res, "no virtio-net device");
		return false;
	}
	why = gnet_init(&n, dev, want);
	small = dma_alloc(SMALL_FRAME, 64);
	stream = dma_alloc(STREAM_FRAME, 4096);
	if (!why && (!small || !stream))
		why = "out of memory";
	if (why) {
		result_add(res, "init: %s", why);
		return false;
	}
	net_frame_header(small, nobody, n.mac, NET_BENCH_ETHERTYPE);
	build_stream_frame(stream, n.mac);
	result_add(res, "features 0x%lx", n.features);
	cmdline_get(boot.cmdline, "cvmmtest.netbench", &list, &len);
	while (!why && list_next(list, len, &pos, &item, &item_len)) {
		struct bench_phase ph;

		if (!parse_phase(item, item_len, &ph)) {
			result_add(res, "bad phase \"%.*s\"", (int)item_len, item);
			return false;
		}
		why = ph.rx ? run_rx(&n, &ph, phases) : run_tx(&n, &ph, ph.stream ? stream : small);
		if (why)
			result_add(res, "%s: %s", ph.name, why);
		phases++;
	}
	gvirtio_reset(dev);
	result_add(res, "%u phases", phases);
	dma_print_bounce_stats("netbench");
	return !why;
}
