// SPDX-License-Identifier: MIT
/* virtio-net header rules per negotiated offload, both directions (virtio 1.2, 5.1.6). */
#include <endian.h>

#include "devices/net_priv.h"

#define HAS(features, bit) (((features) >> (bit)) & 1)

static const char *const tx_drop_names[NET_TX_DROP__COUNT] = {
	[NET_TX_DROP_SHORT_CHAIN] = "short_chain",
	[NET_TX_DROP_BAD_CHAIN] = "bad_chain",
	[NET_TX_DROP_BAD_HEADER] = "bad_header",
	[NET_TX_DROP_RUNT] = "runt",
	[NET_TX_DROP_OVER_MTU] = "over_mtu",
	[NET_TX_DROP_TOO_BIG] = "too_big",
	[NET_TX_DROP_BACKEND] = "backend",
};

static const char *const rx_drop_names[NET_RX_DROP__COUNT] = {
	[NET_RX_DROP_NO_ROOM] = "no_room",
	[NET_RX_DROP_OVER_MTU] = "over_mtu",
	[NET_RX_DROP_BAD_OFFLOAD] = "bad_offload",
	[NET_RX_DROP_RUNT] = "runt",
};

const char *net_tx_drop_name(enum net_tx_drop reason)
{
	return (unsigned)reason < NET_TX_DROP__COUNT ? tx_drop_names[reason] : "unknown";
}

const char *net_rx_drop_name(enum net_rx_drop reason)
{
	return (unsigned)reason < NET_RX_DROP__COUNT ? rx_drop_names[reason] : "unknown";
}

/* The feature bit that lets a GSO type through, host (tx) or guest (rx) side; -1: none. */
static int gso_feature(uint8_t gso_type, bool host)
{
	switch (gso_type) {
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return host ? VIRTIO_NET_F_HOST_TSO4 : VIRTIO_NET_F_GUEST_TSO4;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return host ? VIRTIO_NET_F_HOST_TSO6 : VIRTIO_NET_F_GUEST_TSO6;
	case VIRTIO_NET_HDR_GSO_UDP:
		return host ? VIRTIO_NET_F_HOST_UFO : VIRTIO_NET_F_GUEST_UFO;
	default:
		return -1;
	}
}

static bool gso_allowed(uint8_t gso_type, uint64_t features, bool host)
{
	unsigned ecn = host ? VIRTIO_NET_F_HOST_ECN : VIRTIO_NET_F_GUEST_ECN;
	int bit = gso_feature(gso_type & ~VIRTIO_NET_HDR_GSO_ECN, host);

	if (bit < 0 || !HAS(features, bit))
		return false;
	return !(gso_type & VIRTIO_NET_HDR_GSO_ECN) || HAS(features, ecn);
}

bool net_tx_header_ok(const struct virtio_net_hdr_v1 *h, uint32_t frame_len, uint64_t features,
		      unsigned mtu, enum net_tx_drop *why)
{
	uint32_t csum_end = (uint32_t)le16toh(h->csum_start) + le16toh(h->csum_offset) + 2;

	*why = NET_TX_DROP_BAD_HEADER;
	if (frame_len < NET_ETH_HLEN) {
		*why = NET_TX_DROP_RUNT;
		return false;
	}
	if (h->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return false;
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!HAS(features, VIRTIO_NET_F_CSUM) || csum_end > frame_len)
			return false;
	}
	if (h->gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		if (frame_len > mtu + NET_ETH_OVERHEAD) {
			*why = NET_TX_DROP_OVER_MTU;
			return false;
		}
		return true;
	}
	/* A GSO frame needs the offload, a partial checksum, a segment size and sane lengths. */
	if (!gso_allowed(h->gso_type, features, true) ||
	    !(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || !le16toh(h->gso_size) ||
	    le16toh(h->hdr_len) > frame_len)
		return false;
	if (frame_len > NET_GSO_FRAME_MAX) {
		*why = NET_TX_DROP_TOO_BIG;
		return false;
	}
	return true;
}

bool net_rx_header_fixup(struct virtio_net_hdr_v1 *h, uint32_t frame_len, uint64_t features,
			 unsigned mtu, enum net_rx_drop *why)
{
	*why = NET_RX_DROP_BAD_OFFLOAD;
	if (frame_len < NET_ETH_HLEN) {
		*why = NET_RX_DROP_RUNT;
		return false;
	}
	if (!HAS(features, VIRTIO_NET_F_GUEST_CSUM)) {
		/* The driver takes fully checksummed frames and flags of 0 only. */
		if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			return false;
		h->flags = 0;
	} else if (h->flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID)) {
		return false;
	}
	if (h->gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		if (frame_len > mtu + NET_ETH_OVERHEAD) {
			*why = NET_RX_DROP_OVER_MTU;
			return false;
		}
		return true;
	}
	if (!gso_allowed(h->gso_type, features, false) ||
	    !(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return false;
	if (frame_len > NET_GSO_FRAME_MAX) {
		*why = NET_RX_DROP_NO_ROOM;
		return false;
	}
	return true;
}
