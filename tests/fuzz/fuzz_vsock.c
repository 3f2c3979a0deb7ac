// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the vsock packet parser and the multiplexer's state machine.  The input
 * is a script of records, each [kind][len lo][len hi][len bytes]:
 *   0  a packet from the guest: the bytes as a TX chain, cut into iovecs where byte 0 says
 *   1  a receive buffer of (byte 0 * 4 + 1) bytes offered to the mux; the packet is re-parsed
 *   2  a host client connects and writes the bytes (handshake line and data)
 *   3  the host end of connection (byte 0) writes the rest of the bytes
 *   4  the host end of connection (byte 0) closes (or half-closes when byte 1 is odd)
 *   5  readiness event (byte 1) on connection (byte 0); 6  time passes (byte 0 * 100 ms)
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

#include "vmm/log.h"
#include "vsock/mux.h"
#include "vsock/packet.h"

#define MAX_FDS 64

struct fz {
	struct vsock_mux *mux;
	uint64_t now;
	int host_ends[MAX_FDS];   /* the test's ends of every socketpair */
	unsigned nr_host;
	int watched_fd[MAX_FDS];  /* the mux's ends it watches, with their connection */
	struct vsock_conn *watched[MAX_FDS];
};

static int fz_pair(struct fz *z)
{
	int sv[2];

	if (z->nr_host == MAX_FDS ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return -EMFILE;
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

static void guest_packet(struct fz *z, const uint8_t *p, size_t len)
{
	struct iovec iov[3];
	unsigned n = 0;
	size_t cut = len ? p[0] % (len + 1) : 0;
	struct vsock_hdr h;

	/* The parser on its own, then the whole mux. */
	iov[n++] = (struct iovec){ (void *)p, cut };
	if (len > cut)
		iov[n++] = (struct iovec){ (void *)(p + cut), len - cut };
	vsock_pkt_parse(iov, n, 3, &h);
	vsock_mux_guest_tx(z->mux, iov, n);
}

static void rx_buffer(struct fz *z, const uint8_t *p, size_t len)
{
	size_t size = (len ? p[0] : 16) * 4 + 1;
	uint8_t *buf = malloc(size);
	struct iovec iov[2] = { { buf, size / 2 }, { buf + size / 2, size - size / 2 } };
	size_t got = vsock_mux_guest_rx(z->mux, iov, 2);
	struct vsock_hdr h;

	if (got) {
		/* What cvmm emits must itself be a well-formed packet from CID 2. */
		vsock_hdr_decode(buf, &h);
		if (got < VSOCK_HDR_SIZE || got > size || h.len != got - VSOCK_HDR_SIZE ||
		    h.src_cid != VSOCK_HOST_CID || h.dst_cid != 3)
			abort();
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z = { .now = 1 };
	size_t off = 0;

	log_threshold = LOG_ERROR;
	z.mux = vsock_mux_new(3, &fz_ops, &z);
	if (!z.mux)
		return 0;
	while (off + 3 <= size) {
		unsigned kind = data[off];
		size_t len = data[off + 1] | (size_t)data[off + 2] << 8;
		const uint8_t *p = data + off + 3;
		int fd;

		if (len > size - off - 3)
			len = size - off - 3;
		off += 3 + len;
		switch (kind % 7) {
		case 0:
			guest_packet(&z, p, len);
			break;
		case 1:
			rx_buffer(&z, p, len);
			break;
		case 2:
			fd = fz_pair(&z);
			if (fd < 0)
				break;
			if (len && send(z.host_ends[z.nr_host - 1], p, len, MSG_NOSIGNAL) < 0)
				break;
			vsock_mux_host_accept(z.mux, fd);
			break;
		case 3:
			if (len && z.nr_host && z.host_ends[p[0] % z.nr_host] >= 0 &&
			    send(z.host_ends[p[0] % z.nr_host], p + 1, len - 1, MSG_NOSIGNAL) < 0)
				break;
			break;
		case 4:
			if (len && z.nr_host && z.host_ends[p[0] % z.nr_host] >= 0) {
				int *e = &z.host_ends[p[0] % z.nr_host];

				if (len > 1 && (p[1] & 1)) {
					shutdown(*e, SHUT_WR);
				} else {
					close(*e);
					*e = -1;
				}
			}
			break;
		case 5:
			if (len >= 2 && z.watched[p[0] % MAX_FDS]) {
				static const uint32_t evs[] = {
					EPOLLIN, EPOLLOUT, EPOLLIN | EPOLLOUT,
					EPOLLRDHUP | EPOLLIN, EPOLLHUP, EPOLLERR,
				};

				vsock_mux_sock_event(z.mux, z.watched[p[0] % MAX_FDS],
						     evs[p[1] % 6]);
			}
			break;
		default:
			z.now += (len ? p[0] : 1) * 100ULL;
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
