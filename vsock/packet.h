/* SPDX-License-Identifier: MIT */
/*
 * virtio-vsock packets (virtio v1.2, 5.10.6): the 44-byte little-endian header, decoded into
 * host-order fields, and the checks every packet from the guest goes through.  The header is
 * always copied out of guest memory before any field is looked at.
 */
#ifndef CVMM_VSOCK_PACKET_H
#define CVMM_VSOCK_PACKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define VSOCK_HDR_SIZE   44
#define VSOCK_HOST_CID   2
#define VSOCK_PORT_ANY   0xffffffffU
/* Largest payload cvmm puts in one packet to the guest (Linux's VIRTIO_VSOCK_MAX_PKT_BUF_SIZE). */
#define VSOCK_MAX_PAYLOAD (64 * 1024)

struct vsock_hdr {
	uint64_t src_cid;
	uint64_t dst_cid;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t len;
	uint16_t type;
	uint16_t op;
	uint32_t flags;
	uint32_t buf_alloc;
	uint32_t fwd_cnt;
};

/*
 * What is wrong with a packet from the guest.  The first group is dropped silently (there is no
 * sensible address to answer); the second is answered with RST (and kills the connection the
 * packet names, if any).
 */
enum vsock_pkt_error {
	VSOCK_PKT_OK = 0,
	VSOCK_PKT_SHORT,      /* drop: fewer than 44 device-readable bytes */
	VSOCK_PKT_BAD_CID,    /* drop: src_cid is not the guest's or dst_cid is not the host's */
	VSOCK_PKT_BAD_PORT,   /* drop: a port is VMADDR_PORT_ANY */
	VSOCK_PKT_BAD_TYPE,   /* RST: type other than STREAM */
	VSOCK_PKT_BAD_OP,     /* RST: op outside REQUEST..CREDIT_REQUEST */
	VSOCK_PKT_BAD_LEN,    /* RST: len beyond the buffer, or a payload on a control op */
	VSOCK_PKT_BAD_FLAGS,  /* RST: flag bits the op does not define */
	VSOCK_PKT__COUNT,
};

const char *vsock_pkt_error_name(enum vsock_pkt_error err);

/* True for the errors answered with RST. */
static inline int vsock_pkt_error_resets(enum vsock_pkt_error err)
{
	return err >= VSOCK_PKT_BAD_TYPE;
}

void vsock_hdr_decode(const uint8_t raw[VSOCK_HDR_SIZE], struct vsock_hdr *h);
void vsock_hdr_encode(const struct vsock_hdr *h, uint8_t raw[VSOCK_HDR_SIZE]);

/*
 * Copies the header out of the device-readable buffers iov[0..n), decodes it into *h and checks
 * it against the guest's CID and the payload bytes that follow it in those buffers.  *h is
 * filled as far as it could be read (zeroed when short).
 */
enum vsock_pkt_error vsock_pkt_parse(const struct iovec *iov, unsigned n, uint64_t guest_cid,
				     struct vsock_hdr *h);

#endif
