// SPDX-License-Identifier: MIT
/* virtio-vsock header encoding and the checks of packets from the guest. */
#include <endian.h>
#include <string.h>
#include <linux/virtio_vsock.h>

#include "devices/virtio/iov.h"
#include "vsock/packet.h"

static const char *const error_names[VSOCK_PKT__COUNT] = {
	[VSOCK_PKT_OK] = "ok",
	[VSOCK_PKT_SHORT] = "short header",
	[VSOCK_PKT_BAD_CID] = "wrong CID",
	[VSOCK_PKT_BAD_PORT] = "port VMADDR_PORT_ANY",
	[VSOCK_PKT_BAD_TYPE] = "unsupported socket type",
	[VSOCK_PKT_BAD_OP] = "unknown op",
	[VSOCK_PKT_BAD_LEN] = "bad length",
	[VSOCK_PKT_BAD_FLAGS] = "unknown flags",
};

const char *vsock_pkt_error_name(enum vsock_pkt_error err)
{
	return (unsigned)err < VSOCK_PKT__COUNT ? error_names[err] : "?";
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint16_t get_le16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return le16toh(v);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put_le16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, 2);
}

_Static_assert(sizeof(struct virtio_vsock_hdr) == VSOCK_HDR_SIZE, "virtio_vsock_hdr is 44 bytes");

#define OFF(f) offsetof(struct virtio_vsock_hdr, f)

void vsock_hdr_decode(const uint8_t raw[VSOCK_HDR_SIZE], struct vsock_hdr *h)
{
	h->src_cid = get_le64(raw + OFF(src_cid));
	h->dst_cid = get_le64(raw + OFF(dst_cid));
	h->src_port = get_le32(raw + OFF(src_port));
	h->dst_port = get_le32(raw + OFF(dst_port));
	h->len = get_le32(raw + OFF(len));
	h->type = get_le16(raw + OFF(type));
	h->op = get_le16(raw + OFF(op));
	h->flags = get_le32(raw + OFF(flags));
	h->buf_alloc = get_le32(raw + OFF(buf_alloc));
	h->fwd_cnt = get_le32(raw + OFF(fwd_cnt));
}

void vsock_hdr_encode(const struct vsock_hdr *h, uint8_t raw[VSOCK_HDR_SIZE])
{
	put_le64(raw + OFF(src_cid), h->src_cid);
	put_le64(raw + OFF(dst_cid), h->dst_cid);
	put_le32(raw + OFF(src_port), h->src_port);
	put_le32(raw + OFF(dst_port), h->dst_port);
	put_le32(raw + OFF(len), h->len);
	put_le16(raw + OFF(type), h->type);
	put_le16(raw + OFF(op), h->op);
	put_le32(raw + OFF(flags), h->flags);
	put_le32(raw + OFF(buf_alloc), h->buf_alloc);
	put_le32(raw + OFF(fwd_cnt), h->fwd_cnt);
}

static uint32_t allowed_flags(uint16_t op)
{
	/* STREAM only: EOM / EOR belong to SEQPACKET, which is not offered. */
	if (op == VIRTIO_VSOCK_OP_SHUTDOWN)
		return VIRTIO_VSOCK_SHUTDOWN_RCV | VIRTIO_VSOCK_SHUTDOWN_SEND;
	return 0;
}

enum vsock_pkt_error vsock_pkt_parse(const struct iovec *iov, unsigned n, uint64_t guest_cid,
				     struct vsock_hdr *h)
{
	uint8_t raw[VSOCK_HDR_SIZE];
	size_t total = 0;

	memset(h, 0, sizeof(*h));
	for (unsigned i = 0; i < n; i++)
		total += iov[i].iov_len;
	if (total < VSOCK_HDR_SIZE || iov_to_buf(iov, n, 0, raw, sizeof(raw)) != sizeof(raw))
		return VSOCK_PKT_SHORT;
	vsock_hdr_decode(raw, h);

	if (h->src_cid != guest_cid || h->dst_cid != VSOCK_HOST_CID)
		return VSOCK_PKT_BAD_CID;
	if (h->src_port == VSOCK_PORT_ANY || h->dst_port == VSOCK_PORT_ANY)
		return VSOCK_PKT_BAD_PORT;
	if (h->type != VIRTIO_VSOCK_TYPE_STREAM)
		return VSOCK_PKT_BAD_TYPE;
	if (h->op < VIRTIO_VSOCK_OP_REQUEST || h->op > VIRTIO_VSOCK_OP_CREDIT_REQUEST)
		return VSOCK_PKT_BAD_OP;
	if (h->len > total - VSOCK_HDR_SIZE || (h->op != VIRTIO_VSOCK_OP_RW && h->len != 0))
		return VSOCK_PKT_BAD_LEN;
	if (h->flags & ~allowed_flags(h->op))
		return VSOCK_PKT_BAD_FLAGS;
	return VSOCK_PKT_OK;
}
