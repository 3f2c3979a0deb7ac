// SPDX-License-Identifier: MIT
/*
 * net: raw Ethernet frames out through virtio-net and back (the host echoes them on the tap,
 * tests/integration/net_guest.sh); runs only when named in cvmmtest.only.
 *
 *   cvmmtest.net_echo=60,1514,9000   frame sizes (14-byte header included), in this order
 *   cvmmtest.net_mtu=N               the device must offer VIRTIO_NET_F_MTU with this MTU
 *   cvmmtest.net_dev=N               the N-th virtio-net device of the command line (default 0)
 *
 * Each frame goes to the broadcast address from the device's MAC with the IEEE local
 * experimental ethertype 0x88b5, then a 16-bit sequence number and a pattern; the check waits
 * for the same bytes to come back, skipping other traffic (counted), and fails on a frame of
 * ours that differs, a malformed receive, or a timeout.  MAC, link status and MTU must be
 * offered.
 */
#include "tests/guest/cmdline.h"
#include "tests/guest/dma.h"
#include "tests/guest/guest.h"
#include "tests/guest/io.h"
#include "tests/guest/libc.h"
#include "tests/guest/net.h"
#include "tests/guest/net_check.h"
#include "tests/guest/printf.h"

#define BIT64(n) (1ULL << (n))
#define MAX_FRAME (65535 + 14)
#define DEFAULT_SIZES "60,1514"

struct virtio_mmio_dev *net_find_device(void)
{
	static struct virtio_mmio_dev devs[VIRTIO_MMIO_MAX];
	uint64_t want = 0;
	char err[80];
	int nr = virtio_mmio_discover(boot.cmdline, devs, VIRTIO_MMIO_MAX, err, sizeof(err));

	cmdline_get_u64(boot.cmdline, "cvmmtest.net_dev", &want);
	for (int i = 0; i < nr; i++) {
		if (!virtio_mmio_probe(&devs[i]) || devs[i].device_id != VIRTIO_ID_NET)
			continue;
		if (want-- == 0)
			return &devs[i];
	}
	return NULL;
}

void net_frame_header(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
}

static uint8_t pattern(uint32_t i, uint32_t size, uint16_t seq)
{
	return (uint8_t)(i * 7 + size + seq + (i >> 8));
}

/* Frame seq of size bytes: broadcast, from mac, NET_TEST_ETHERTYPE, seq, pattern. */
static void build(uint8_t *f, uint32_t size, uint16_t seq, const uint8_t mac[6])
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	net_frame_header(f, bcast, mac, NET_TEST_ETHERTYPE);
	f[14] = (uint8_t)(seq >> 8);
	f[15] = (uint8_t)seq;
	for (uint32_t i = 16; i < size; i++)
		f[i] = pattern(i, size, seq);
}

/* Sends one frame and waits for its transmit chain to complete. */
static const char *send_one(struct gnet *n, const uint8_t *f, uint32_t size)
{
	struct gnet_hdr h = { .gso_type = VIRTIO_NET_HDR_GSO_NONE };
	uint32_t len;
	int r;

	if (gnet_tx_add(n, &h, f, size) < 0)
		return "transmit ring full";
	gnet_tx_kick(n);
	r = gvirtq_wait(&n->txq, &len);
	if (r == -2)
		return "device reported NEEDS_RESET";
	if (r < 0)
		return "transmit did not complete";
	n->tx_frames++;
	return NULL;
}

/* Waits for our frame seq to come back; other frames are counted and skipped. */
static const char *await_echo(struct gnet *n, const uint8_t *want, uint32_t size, uint16_t seq,
			      uint8_t *got, uint64_t *other)
{
	struct gnet_hdr h;

	for (uint64_t spins = 0; spins < spin_limit; spins++) {
		int len = gnet_rx(n, &h, got, MAX_FRAME);

		if (len == -1) {
			cpu_relax();
			continue;
		}
		if (len == -2)
			return "malformed receive (used length or num_buffers)";
		if (len < 16 || got[12] != (NET_TEST_ETHERTYPE >> 8) ||
		    got[13] != (NET_TEST_ETHERTYPE & 0xff) || (got[14] << 8 | got[15]) != seq) {
			(*other)++;
			continue;
		}
		if ((uint32_t)len != size || memcmp(got, want, size))
			return "the echoed frame differs";
		return NULL;
	}
	return "no echo (timed out)";
}

bool check_net(struct check_result *res)
{
	const uint64_t want = BIT64(VIRTIO_F_EVENT_IDX) | BIT64(VIRTIO_NET_F_MAC) |
			      BIT64(VIRTIO_NET_F_MTU) | BIT64(VIRTIO_NET_F_STATUS);
	static struct gnet n;
	struct virtio_mmio_dev *dev = net_find_device();
	const char *sizes = DEFAULT_SIZES, *why = NULL, *item;
	size_t sizes_len = sizeof(DEFAULT_SIZES) - 1, pos = 0, item_len;
	uint64_t mtu, other = 0;
	uint8_t *frame, *got;
	uint16_t seq = 0;

	if (!dev) {
		result_add(res, "no virtio-net device");
		return false;
	}
	why = gnet_init(&n, dev, want);
	if (why) {
		result_add(res, "%s", why);
		return false;
	}
	result_add(res, "mac %02x:%02x:%02x:%02x:%02x:%02x, mtu %u", n.mac[0], n.mac[1], n.mac[2],
		   n.mac[3], n.mac[4], n.mac[5], n.mtu);
	if (!gnet_has(&n, VIRTIO_NET_F_MAC) || !gnet_has(&n, VIRTIO_NET_F_STATUS) ||
	    !gnet_has(&n, VIRTIO_NET_F_MTU))
		why = "MAC, STATUS or MTU not offered";
	else if (!(n.status & VIRTIO_NET_S_LINK_UP))
		why = "link is down";
	else if (cmdline_get_u64(boot.cmdline, "cvmmtest.net_mtu", &mtu) && mtu != n.mtu)
		why = "wrong MTU";
	frame = dma_alloc(MAX_FRAME, 64);
	got = dma_alloc(MAX_FRAME, 64);
	if (!why && (!frame || !got))
		why = "out of memory";
	cmdline_get(boot.cmdline, "cvmmtest.net_echo", &sizes, &sizes_len);
	result_add(res, "echoed");
	for (; !why && list_next(sizes, sizes_len, &pos, &item, &item_len); seq++) {
		uint64_t size;

		if (!parse_u64(item, item_len, &size) || size < 16 || size > MAX_FRAME) {
			why = "bad cvmmtest.net_echo";
			break;
		}
		build(frame, (uint32_t)size, seq, n.mac);
		why = send_one(&n, frame, (uint32_t)size);
		if (!why)
			why = await_echo(&n, frame, (uint32_t)size, seq, got, &other);
		if (!why)
			result_cat(res, " %u", (unsigned)size);
		else
			result_add(res, "frame of %u bytes", (unsigned)size);
	}
	if (why)
		result_add(res, "%s", why);
	result_add(res, "%lu other frames", (unsigned long)other);
	dma_print_bounce_stats("net");
	gvirtio_reset(dev);
	return !why;
}
