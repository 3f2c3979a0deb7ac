/* SPDX-License-Identifier: MIT */
/*
 * The vsock connection multiplexer: the protocol core of virtio-vsock with Firecracker's
 * "hybrid vsock" host side (host sockets are Unix stream sockets, not AF_VSOCK).
 *
 * It knows nothing about virtqueues, the event loop or threads.  It talks to two narrow sides:
 *  - the guest side: the device hands it each packet the guest sent (vsock_mux_guest_tx) and
 *    asks it to fill each receive buffer the guest posted (vsock_mux_guest_rx);
 *  - the host side: struct vsock_host_ops (connect to a host listener, watch an fd, the clock),
 *    plus the calls the owner makes when something happens there (a client accepted on the
 *    listener, an fd became ready, time passed).
 * Every host fd it owns is non-blocking and watched edge-triggered for both directions, so a
 * stalled peer only ever stops its own connection.  Buffering is bounded per connection by the
 * credit cvmm advertises (VSOCK_CONN_BUF); nothing else is queued.
 *
 * Not thread-safe: the owner serialises every call (cvmm: the device lock, loop thread).
 */
#ifndef CVMM_VSOCK_MUX_H
#define CVMM_VSOCK_MUX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vsock/packet.h"

#define VSOCK_CONN_BUF        (256 * 1024) /* buf_alloc advertised per connection */
#define VSOCK_MAX_CONNS       1024         /* connections, handshakes included */
#define VSOCK_CONNECT_TIMEOUT_MS  5000     /* CONNECT line, and the guest's RESPONSE */
#define VSOCK_CLOSE_TIMEOUT_MS    5000     /* flushing to the host after the guest closed */
#define VSOCK_LINE_MAX        64           /* "CONNECT <port>\n", newline included */
#define VSOCK_HOST_PORT_FIRST (1U << 30)   /* host-side ports for host-initiated connections */
#define VSOCK_RST_QUEUE       (2 * VSOCK_MAX_CONNS)

struct vsock_mux;
struct vsock_conn;

struct vsock_host_ops {
	/*
	 * The guest connects to host port `port`: return a connected non-blocking stream socket
	 * (cvmm: the Unix listener at PATH_port), or -errno.
	 */
	int (*connect)(void *opaque, uint32_t port);
	/* Watch fd for EPOLLIN | EPOLLOUT | EPOLLRDHUP, edge-triggered; events go to
	 * vsock_mux_sock_event(mux, conn, events).  0 or -errno. */
	int (*watch)(void *opaque, int fd, struct vsock_conn *conn);
	/* Stop watching fd (called before the mux closes it). */
	void (*unwatch)(void *opaque, int fd);
	/* A monotonic clock in milliseconds. */
	uint64_t (*now_ms)(void *opaque);
};

struct vsock_mux_counters {
	uint64_t host_connects;      /* valid CONNECT lines */
	uint64_t guest_connects;     /* guest REQUESTs relayed to a host listener */
	uint64_t established;
	uint64_t closed;             /* connections ended (any way) */
	uint64_t handshake_rejected; /* bad / oversize line, EOF, or too many connections */
	uint64_t connect_refused;    /* guest REQUEST with no listener at PATH_port */
	uint64_t timeouts;
	uint64_t credit_violations;  /* guest sent beyond the credit cvmm gave */
	uint64_t protocol_errors;    /* valid packet in the wrong state */
	uint64_t rst_to_guest;
	uint64_t rst_from_guest;
	uint64_t rst_dropped;        /* RST replies dropped: the reply queue was full */
	uint64_t bad_packets[VSOCK_PKT__COUNT];
	uint64_t pkts_from_guest, pkts_to_guest;
	uint64_t bytes_to_host, bytes_to_guest;
};

struct vsock_mux *vsock_mux_new(uint64_t guest_cid, const struct vsock_host_ops *ops,
				void *opaque);
/* Closes every connection and frees the mux. */
void vsock_mux_free(struct vsock_mux *m);
/*
 * Device or transport reset: ends every connection the guest knows of (host sockets closed,
 * nothing sent to the guest).  Host clients still in their handshake, or whose REQUEST has not
 * reached the guest yet, carry on: the reset guest will see their REQUEST.
 */
void vsock_mux_reset(struct vsock_mux *m);

/* Host side. */
/* A client accepted on the listener (non-blocking fd, owned by the mux from now on). */
void vsock_mux_host_accept(struct vsock_mux *m, int fd);
void vsock_mux_sock_event(struct vsock_mux *m, struct vsock_conn *c, uint32_t events);
/* Expires handshakes, unanswered REQUESTs and stuck closes whose deadline passed. */
void vsock_mux_tick(struct vsock_mux *m);
/* Whether any connection has a deadline (the owner then calls vsock_mux_tick periodically). */
bool vsock_mux_has_deadlines(const struct vsock_mux *m);

/* Guest side. */
/* One packet from the guest: the device-readable buffers of a TX chain. */
void vsock_mux_guest_tx(struct vsock_mux *m, const struct iovec *iov, unsigned n);
/* Whether some connection may have a packet for the guest. */
bool vsock_mux_rx_pending(const struct vsock_mux *m);
/*
 * Writes the next packet for the guest into the device-writable buffers iov[0..n) (at least
 * VSOCK_HDR_SIZE bytes); returns its length, or 0 when there is nothing to send after all or
 * nothing that fits (a header-only buffer carries control packets, never data; the data keeps
 * waiting and vsock_mux_rx_pending() stays true).  Each waiting connection is looked at once.
 */
size_t vsock_mux_guest_rx(struct vsock_mux *m, const struct iovec *iov, unsigned n);

unsigned vsock_mux_nr_conns(const struct vsock_mux *m);
/* The opaque given to vsock_mux_new(), for fd event handlers that only have the connection. */
void *vsock_conn_owner(const struct vsock_conn *c);
void vsock_mux_counters(const struct vsock_mux *m, struct vsock_mux_counters *out);

#endif
