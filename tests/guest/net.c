// SPDX-License-Identifier: MIT
/* The test guest's polling virtio-net driver (see net.h). */
#include "tests/guest/dma.h"
#include "tests/guest/guest.h"
#include "tests/guest/io.h"
#include "tests/guest/libc.h"
#include "tests/guest/net.h"

#define BIT64(n) (1ULL << (n))
#define RXQ 0
#define TXQ 1
#define MAX_BUFFERS_PER_FRAME 64

bool gnet_has(const struct gnet *n, unsigned feature)
{
	return n->features & BIT64(feature);
}

static uint8_t *rx_buf(struct gnet *n, int head)
{
	return n->rx_bufs + (uint64_t)head * GNET_RX_BUF;
}

/* Posts one receive buffer (the free list's next head names it); false when the ring is full. */
static bool post_rx(struct gnet *n)
{
	struct gbuf b = { rx_buf(n, n->rxq.free_head), GNET_RX_BUF, true };

	return n->rxq.num_free && gvirtq_add(&n->rxq, &b, 1) >= 0;
}

static void kick_rx(struct gnet *n)
{
	uint64_t before = n->rxq.kicks;

	gvirtq_kick(&n->rxq);
	n->rx_kicks += n->rxq.kicks - before;
}

const char *gnet_init(struct gnet *n, struct virtio_mmio_dev *dev, uint64_t want)
{
	const char *why;
	uint32_t w;

	n->dev = dev;
	n->rx_frames = n->rx_bytes = n->rx_bad = n->tx_frames = n->tx_kicks = n->rx_kicks = 0;
	why = gvirtio_negotiate(dev, want | BIT64(VIRTIO_NET_F_MRG_RXBUF), &n->features);
	if (why)
		return why;
	if (!gnet_has(n, VIRTIO_NET_F_MRG_RXBUF))
		return "device does not offer MRG_RXBUF";
	w = gvirtio_config32(n->dev, 0);
	memcpy(n->mac, &w, 4);
	w = gvirtio_config32(n->dev, 4);
	n->mac[4] = (uint8_t)w;
	n->mac[5] = (uint8_t)(w >> 8);
	n->status = gnet_has(n, VIRTIO_NET_F_STATUS) ? (uint16_t)(w >> 16) : VIRTIO_NET_S_LINK_UP;
	n->mtu = gnet_has(n, VIRTIO_NET_F_MTU) ? (uint16_t)(gvirtio_config32(n->dev, 8) >> 16) : 1500;
	if (!n->rx_bufs) {
		n->rx_bufs = dma_alloc((uint64_t)GNET_QSIZE * GNET_RX_BUF, 4096);
		n->tx_hdrs = dma_alloc(sizeof(*n->tx_hdrs) * GNET_QSIZE, 64);
		if (!n->rx_bufs || !n->tx_hdrs)
			return "out of DMA memory for buffers";
	}
	why = gvirtq_setup(&n->rxq, dev, RXQ, GNET_QSIZE, gnet_has(n, VIRTIO_F_EVENT_IDX));
	if (!why)
		why = gvirtq_setup(&n->txq, dev, TXQ, GNET_QSIZE, gnet_has(n, VIRTIO_F_EVENT_IDX));
	if (why)
		return why;
	gvirtio_driver_ok(dev);
	if (gvirtio_status(dev) & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED))
		return "device failed DRIVER_OK";
	while (post_rx(n))
		;
	kick_rx(n);
	return NULL;
}

int gnet_tx_add(struct gnet *n, const struct gnet_hdr *h, const void *frame, uint32_t len)
{
	uint16_t head = n->txq.free_head;
	struct gbuf b[2];

	if (n->txq.num_free < 2)
		return -1;
	n->tx_hdrs[head] = *h;
	b[0] = (struct gbuf){ &n->tx_hdrs[head], GNET_HDR, false };
	b[1] = (struct gbuf){ (void *)frame, len, false };
	return gvirtq_add(&n->txq, b, 2);
}

void gnet_tx_kick(struct gnet *n)
{
	uint64_t before = n->txq.kicks;

	gvirtq_kick(&n->txq);
	n->tx_kicks += n->txq.kicks - before;
}

unsigned gnet_tx_reap(struct gnet *n)
{
	unsigned done = 0;

	while (gvirtq_get(&n->txq, NULL) >= 0)
		done++;
	n->tx_frames += done;
	return done;
}

/* The next used receive buffer, waiting (bounded) for one that must come: -1 when none. */
static int next_rx(struct gnet *n, uint32_t *len, bool wait)
{
	uint64_t spins = 0;
	int head;

	while ((head = gvirtq_get(&n->rxq, len)) == -1 && wait && spins++ < spin_limit)
		cpu_relax();
	return head;
}

int gnet_rx(struct gnet *n, struct gnet_hdr *h, uint8_t *buf, uint32_t cap)
{
	uint32_t len, done = 0, nb;
	int head = next_rx(n, &len, false);
	bool bad = false;

	if (head == -1)
		return -1;
	if (head < 0 || len < GNET_HDR || len > GNET_RX_BUF) {
		bad = true;
		nb = 1;
	} else {
		memcpy(h, rx_buf(n, head), GNET_HDR);
		nb = h->num_buffers;
		bad = nb == 0 || nb > MAX_BUFFERS_PER_FRAME;
		if (bad)
			nb = 1;
	}
	for (uint32_t i = 0; i < nb; i++) {
		uint32_t skip = i ? 0 : GNET_HDR;

		if (i) {
			head = next_rx(n, &len, true);
			if (head < 0 || len > GNET_RX_BUF) {
				bad = true;
				break;
			}
		}
		if (!bad && buf && done < cap)
			memcpy(buf + done, rx_buf(n, head) + skip,
			       len - skip < cap - done ? len - skip : cap - done);
		done += len - skip;
		post_rx(n);
	}
	kick_rx(n);
	if (bad) {
		n->rx_bad++;
		return -2;
	}
	n->rx_frames++;
	n->rx_bytes += done;
	return (int)done;
}
