// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the vsock packet parser and the multiplexer's state machine.  The input
 * is a script of records, each [kind][arg][len lo][len hi][len bytes]; arg is a parameter of the
 * record, kept apart from its bytes:
 *   0  a packet from the guest: the bytes as they are, as a TX chain cut where arg says
 *   1  a well-formed packet from the guest (CIDs, type and length filled in): the bytes are
 *      [op][flags][ports][buf_alloc][fwd_cnt] and the payload; flags bits 0-2 are the header's,
 *      bits 3-7 how many more times the payload repeats (so one packet can fill the 256 KiB
 *      window or exceed it); ports below 128 pick a port pair cvmm used in a packet to the guest
 *      (a connection the guest heard of), others make a guest-chosen pair; fwd_cnt 0
 *      acknowledges everything received on the pair
 *   2  receive buffers: arg picks the size (below a header, a header alone, a header and a few
 *      bytes, 4 KiB or 64 KiB after a header) and where to cut it into iovecs; byte 0 how many
 *   3  a host client connects and writes the bytes (handshake line and data)
 *   4  the host end of connection arg writes the bytes
 *   5  the host end of connection arg reads up to (byte 0 + 1) * 512 bytes
 *   6  the host end of connection arg closes, or half-closes when byte 0 is odd
 *   7  readiness event byte 0 on the multiplexer's connection arg
 *   8  time passes: arg * 100 ms
 * Sockets get the smallest buffers the kernel allows, so guest data soon stops fitting and
 * waits in the connection's ring until the host reads.  Every packet cvmm emits is checked.
 * Guest-initiated connections succeed to even ports.  Everything runs in memory with
 * socketpairs; no VM, no event loop.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/virtio_vsock.h>

#include "vmm/log.h"
#include "vsock/mux.h"
#include "vsock/packet.h"

#define MAX_FDS   64
#define MAX_PAIRS 32
#define GUEST_CID 3

struct pair {
	uint32_t host_port, guest_port;
	uint32_t received; /* payload bytes the guest got on it */
};

struct fz {
	struct vsock_mux *mux;
	uint64_t now;
	int host_ends[MAX_FDS];   /* the test's ends of every socketpair */
	unsigned nr_host;
	int watched_fd[MAX_FDS];  /* the mux's ends it watches, with their connection */
	struct vsock_conn *watched[MAX_FDS];
	struct pair pairs[MAX_PAIRS];
	unsigned nr_pairs, next_pair;
};

static void small_buffers(int fd)
{
	int one = 1;

	/* The kernel rounds these up to its minimum (a few KiB). */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one));
}

static int fz_pair(struct fz *z)
{
	int sv[2];

	if (z->nr_host == MAX_FDS ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return -EMFILE;
	small_buffers(sv[0]);
	small_buffers(sv[1]);
	z->host_ends[z->nr_host++] = sv[0];
	return sv[1];
}

static int fz_connect(void *opaque, uint32_t port)
{
	return port % 2 ? -ECONNREFUSED : fz_pair(opaque);
}

static int fz_watch(void *opaque, int fd, struct vsock_conn *c)
{
	struct fz *z = opaque;

	for (int i = 0; i < MAX_FDS; i++) {
		if (!z->watched[i]) {
			z->watched[i] = c;
			z->watched_fd[i] = fd;
			return 0;
		}
	}
	return -ENOSPC;
}

static void fz_unwatch(void *opaque, int fd)
{
	struct fz *z = opaque;

	for (int i = 0; i < MAX_FDS; i++)
		if (z->watched[i] && z->watched_fd[i] == fd)
			z->watched[i] = NULL;
}

static uint64_t fz_now(void *opaque)
{
	return ((struct fz *)opaque)->now;
}

static const struct vsock_host_ops fz_ops = {
	.connect = fz_connect,
	.watch = fz_watch,
	.unwatch = fz_unwatch,
	.now_ms = fz_now,
};

/* Cuts buf[0..len) into up to three iovecs at points taken from sel. */
static unsigned cut(uint8_t *buf, size_t len, unsigned sel, struct iovec iov[3])
{
	size_t a = len ? (sel & 0x0f) * len / 16 : 0;
	size_t b = a + (len - a) * ((sel >> 4) & 0x0f) / 16;
	unsigned n = 0;

	if (a)
		iov[n++] = (struct iovec){ buf, a };
	if (b > a)
		iov[n++] = (struct iovec){ buf + a, b - a };
	if (len > b || !n)
		iov[n++] = (struct iovec){ buf + b, len - b };
	return n;
}

static void guest_tx(struct fz *z, uint8_t *pkt, size_t len, unsigned sel)
{
	struct iovec iov[3];
	unsigned n = cut(pkt, len, sel, iov);
	struct vsock_hdr h;

	/* The parser on its own, then the whole mux. */
	vsock_pkt_parse(iov, n, GUEST_CID, &h);
	vsock_mux_guest_tx(z->mux, iov, n);
}

static struct pair *find_pair(struct fz *z, uint32_t host_port, uint32_t guest_port)
{
	for (unsigned i = 0; i < z->nr_pairs; i++)
		if (z->pairs[i].host_port == host_port && z->pairs[i].guest_port == guest_port)
			return &z->pairs[i];
	return NULL;
}

static void well_formed_packet(struct fz *z, const uint8_t *p, size_t len, unsigned sel)
{
	uint8_t f[5] = { 0 };
	uint8_t *pkt;
	struct vsock_hdr h;
	struct pair *pr = NULL;
	size_t chunk, payload;

	memcpy(f, p, len < sizeof(f) ? len : sizeof(f));
	chunk = len > sizeof(f) ? len - sizeof(f) : 0;
	payload = chunk * (1 + (f[1] >> 3));
	h = (struct vsock_hdr){
		.src_cid = GUEST_CID,
		.dst_cid = VSOCK_HOST_CID,
		.type = VIRTIO_VSOCK_TYPE_STREAM,
		.op = f[0] % 8,
		.flags = f[1] % 8,
		.len = (uint32_t)payload,
		.buf_alloc = f[3] == 0xff ? UINT32_MAX : 1u << (f[3] % 19),
	};
	if (f[2] < 0x80 && z->nr_pairs) {
		pr = &z->pairs[f[2] % z->nr_pairs];
		h.src_port = pr->guest_port;
		h.dst_port = pr->host_port;
	} else {
		h.src_port = 1000 + (f[2] & 0x0f);
		h.dst_port = (f[2] >> 4) & 0x07;
		pr = find_pair(z, h.dst_port, h.src_port);
	}
	if (pr)
		h.fwd_cnt = pr->received - (f[4] ? f[4] * 64u : 0);
	pkt = malloc(VSOCK_HDR_SIZE + payload);
	if (!pkt)
		return;
	vsock_hdr_encode(&h, pkt);
	for (size_t off = 0; off < payload; off += chunk)
		memcpy(pkt + VSOCK_HDR_SIZE + off, p + sizeof(f), chunk);
	guest_tx(z, pkt, VSOCK_HDR_SIZE + payload, sel);
	free(pkt);
}

/* Remembers the ports of a packet cvmm sent: the guest can talk back on them. */
static void learn(struct fz *z, const struct vsock_hdr *h)
{
	struct pair *pr = find_pair(z, h->src_port, h->dst_port);

	if (!pr) {
		pr = &z->pairs[z->next_pair];
		z->next_pair = (z->next_pair + 1) % MAX_PAIRS;
		if (z->nr_pairs < MAX_PAIRS)
			z->nr_pairs++;
		*pr = (struct pair){ .host_port = h->src_port, .guest_port = h->dst_port };
	}
	pr->received += h->len;
}

static void rx_buffer(struct fz *z, size_t size, unsigned sel)
{
	uint8_t *buf = malloc(size);
	struct iovec iov[3];
	unsigned n;
	size_t got;
	struct vsock_hdr h;

	if (!buf)
		return;
	n = cut(buf, size, sel, iov);
	got = vsock_mux_guest_rx(z->mux, iov, n);
	if (got) {
		/* What cvmm emits must itself be a well-formed packet from CID 2. */
		vsock_hdr_decode(buf, &h);
		if (got < VSOCK_HDR_SIZE || got > size || h.len != got - VSOCK_HDR_SIZE ||
		    h.src_cid != VSOCK_HOST_CID || h.dst_cid != GUEST_CID ||
		    h.type != VIRTIO_VSOCK_TYPE_STREAM || h.op < VIRTIO_VSOCK_OP_REQUEST ||
		    h.op > VIRTIO_VSOCK_OP_CREDIT_REQUEST ||
		    (h.op == VIRTIO_VSOCK_OP_RW) != (h.len != 0))
			abort();
		learn(z, &h);
	}
	free(buf);
}

static void rx_buffers(struct fz *z, const uint8_t *p, size_t len, unsigned arg)
{
	unsigned count = (len ? p[0] % 8 : 0) + 1;
	size_t size;

	switch (arg % 5) {
	case 0:
		size = 1 + (arg >> 3) % (VSOCK_HDR_SIZE - 1);
		break;
	case 1:
		size = VSOCK_HDR_SIZE;
		break;
	case 2:
		size = VSOCK_HDR_SIZE + 1 + (arg >> 3);
		break;
	case 3:
		size = VSOCK_HDR_SIZE + 4096;
		break;
	default:
		size = VSOCK_HDR_SIZE + 65536;
		break;
	}
	for (unsigned i = 0; i < count; i++)
		rx_buffer(z, size, (len > 1 ? p[1] : 0) + i * 0x35);
}

static int host_end(struct fz *z, unsigned arg)
{
	return z->nr_host ? z->host_ends[arg % z->nr_host] : -1;
}

static void host_read(struct fz *z, unsigned arg, size_t max)
{
	static uint8_t sink[128 * 512];
	int fd = host_end(z, arg);

	if (fd >= 0 && recv(fd, sink, max, MSG_DONTWAIT) < 0) {
		/* nothing to read: fine */
	}
}

static void host_close(struct fz *z, unsigned arg, bool half)
{
	int *e;

	if (!z->nr_host || z->host_ends[arg % z->nr_host] < 0)
		return;
	e = &z->host_ends[arg % z->nr_host];
	if (half) {
		shutdown(*e, SHUT_WR);
	} else {
		close(*e);
		*e = -1;
	}
}

static void sock_event(struct fz *z, unsigned arg, unsigned which)
{
	static const uint32_t evs[] = {
		EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLOUT, EPOLLRDHUP | EPOLLIN, EPOLLHUP, EPOLLERR,
	};

	if (z->watched[arg % MAX_FDS])
		vsock_mux_sock_event(z->mux, z->watched[arg % MAX_FDS], evs[which % 6]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z = { .now = 1 };
	size_t off = 0;

	log_threshold = LOG_ERROR;
	z.mux = vsock_mux_new(GUEST_CID, &fz_ops, &z);
	if (!z.mux)
		return 0;
	while (off + 4 <= size) {
		unsigned kind = data[off], arg = data[off + 1];
		size_t len = data[off + 2] | (size_t)data[off + 3] << 8;
		const uint8_t *p = data + off + 4;
		uint8_t *copy;
		int fd;

		if (len > size - off - 4)
			len = size - off - 4;
		off += 4 + len;
		switch (kind % 9) {
		case 0:
			copy = malloc(len ? len : 1);
			if (!copy)
				break;
			memcpy(copy, p, len);
			guest_tx(&z, copy, len, arg);
			free(copy);
			break;
		case 1:
			well_formed_packet(&z, p, len, arg);
			break;
		case 2:
			rx_buffers(&z, p, len, arg);
			break;
		case 3:
			fd = fz_pair(&z);
			if (fd < 0)
				break;
			if (len && send(z.host_ends[z.nr_host - 1], p, len, MSG_NOSIGNAL) < 0) {
				/* the buffer is full: the client sent what fit */
			}
			vsock_mux_host_accept(z.mux, fd);
			break;
		case 4:
			fd = host_end(&z, arg);
			if (fd >= 0 && len && send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
				/* full or closed: the host's problem */
			}
			break;
		case 5:
			host_read(&z, arg, ((len ? p[0] : 0) % 128 + 1) * 512);
			break;
		case 6:
			host_close(&z, arg, len && (p[0] & 1));
			break;
		case 7:
			sock_event(&z, arg, len ? p[0] : 0);
			break;
		default:
			z.now += arg * 100ULL;
			vsock_mux_tick(z.mux);
			break;
		}
	}
	vsock_mux_free(z.mux);
	for (unsigned i = 0; i < z.nr_host; i++)
		if (z.host_ends[i] >= 0)
			close(z.host_ends[i]);
	return 0;
}
