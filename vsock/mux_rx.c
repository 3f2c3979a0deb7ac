// SPDX-License-Identifier: MIT
/*
 * Packets from the multiplexer to the guest.  Connections with something to say wait in a FIFO
 * (m->rxq) and get one guest buffer per turn, so a busy connection cannot starve the others.
 * RSTs for connections already gone come first.  Socket data is read straight into the guest's
 * buffer, never more than the guest's credit allows.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/virtio_vsock.h>

#include "devices/virtio/iov.h"
#include "vsock/mux_priv.h"

uint32_t conn_peer_credit(const struct vsock_conn *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

/* Host data may flow to the guest now. */
static bool wants_data(const struct vsock_conn *c)
{
	return c->state == CONN_ESTABLISHED && c->readable && !c->host_eof &&
	       !(c->peer_shut & VSOCK_SHUT_RCV);
}

void conn_update_rx(struct vsock_conn *c)
{
	bool want = c->pending != 0;

	if (wants_data(c)) {
		if (conn_peer_credit(c))
			want = true;
		else if (!c->credit_requested) {
			/* Stalled on the guest's credit: ask once until it changes. */
			c->pending |= PEND_CREDIT_REQUEST;
			c->credit_requested = true;
			want = true;
		}
	}
	if (want && !vlist_linked(&c->rxq))
		vlist_add_tail(&c->mux->rxq, &c->rxq);
}

bool vsock_mux_rx_pending(const struct vsock_mux *m)
{
	return m->rst_len || !vlist_empty(&m->rxq);
}

static void base_hdr(const struct vsock_mux *m, struct vsock_hdr *h, uint32_t local_port,
		     uint32_t peer_port)
{
	*h = (struct vsock_hdr){
		.src_cid = VSOCK_HOST_CID,
		.dst_cid = m->guest_cid,
		.src_port = local_port,
		.dst_port = peer_port,
		.type = VIRTIO_VSOCK_TYPE_STREAM,
		.buf_alloc = VSOCK_CONN_BUF,
	};
}

static size_t emit(struct vsock_mux *m, const struct vsock_hdr *h, const struct iovec *iov,
		   unsigned n)
{
	uint8_t raw[VSOCK_HDR_SIZE];

	vsock_hdr_encode(h, raw);
	iov_from_buf(iov, n, 0, raw, sizeof(raw));
	m->counters.pkts_to_guest++;
	if (h->op == VIRTIO_VSOCK_OP_RST)
		m->counters.rst_to_guest++;
	return VSOCK_HDR_SIZE + h->len;
}

/* Reads socket data into the guest buffer after the header; 0 when none was read. */
static uint32_t read_data(struct vsock_conn *c, const struct iovec *iov, unsigned n, size_t room,
			  bool *gone)
{
	struct iovec part[64];
	size_t want = MIN(MIN(room, (size_t)VSOCK_MAX_PAYLOAD), (size_t)conn_peer_credit(c));
	size_t got;
	unsigned k;
	ssize_t r;

	if (!want)
		return 0;
	k = iov_slice(iov, n, VSOCK_HDR_SIZE, want, part, 64, &got);
	do
		r = recvmsg(c->fd, &(struct msghdr){ .msg_iov = part, .msg_iovlen = k },
			    MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r > 0)
		return (uint32_t)r;
	c->readable = false;
	if (r == 0) {
		/* The host will send no more: tell the guest after the data it already has. */
		c->host_eof = true;
		c->pending |= PEND_SHUTDOWN;
		c->shutdown_flags |= VIRTIO_VSOCK_SHUTDOWN_SEND;
	} else if (errno != EAGAIN) {
		conn_abort(c);
		*gone = true;
	}
	return 0;
}

/* One packet of connection c into the buffer, or 0. */
static size_t conn_fill(struct vsock_conn *c, const struct iovec *iov, unsigned n, size_t room,
			bool *gone)
{
	struct vsock_mux *m = c->mux;
	struct vsock_hdr h;
	uint32_t len;

	base_hdr(m, &h, c->node.local_port, c->node.peer_port);
	if (c->pending & PEND_REQUEST) {
		c->pending &= ~PEND_REQUEST;
		h.op = VIRTIO_VSOCK_OP_REQUEST;
	} else if (c->pending & PEND_RESPONSE) {
		c->pending &= ~PEND_RESPONSE;
		h.op = VIRTIO_VSOCK_OP_RESPONSE;
	} else if (wants_data(c) && (len = read_data(c, iov, n, room - VSOCK_HDR_SIZE, gone))) {
		h.op = VIRTIO_VSOCK_OP_RW;
		h.len = len;
		c->tx_cnt += len;
		m->counters.bytes_to_guest += len;
	} else if (*gone) {
		return 0;
	} else if (c->pending & PEND_SHUTDOWN) {
		c->pending &= ~PEND_SHUTDOWN;
		h.op = VIRTIO_VSOCK_OP_SHUTDOWN;
		h.flags = c->shutdown_flags;
	} else if (c->pending & PEND_CREDIT_UPDATE) {
		h.op = VIRTIO_VSOCK_OP_CREDIT_UPDATE;
	} else if (c->pending & PEND_CREDIT_REQUEST) {
		c->pending &= ~PEND_CREDIT_REQUEST;
		h.op = VIRTIO_VSOCK_OP_CREDIT_REQUEST;
	} else {
		return 0;
	}
	/* Every packet carries cvmm's credit, so a separate update is no longer owed. */
	h.fwd_cnt = c->fwd_cnt;
	c->last_fwd_sent = c->fwd_cnt;
	c->pending &= ~PEND_CREDIT_UPDATE;
	return emit(m, &h, iov, n);
}

/*
 * Each connection queued when the call starts is looked at once at most: one that has nothing
 * fitting this buffer (only data, and the buffer holds a header alone) goes back to the tail and
 * waits for the next buffer.  So the work per buffer is bounded by the queue, whatever the guest
 * posts.
 */
size_t vsock_mux_guest_rx(struct vsock_mux *m, const struct iovec *iov, unsigned n)
{
	struct vsock_link *last;
	size_t room = 0, len;

	for (unsigned i = 0; i < n; i++)
		room += iov[i].iov_len;
	if (room < VSOCK_HDR_SIZE)
		return 0;
	last = m->rxq.prev;
	for (;;) {
		struct vsock_conn *c;
		bool gone = false, final;

		if (m->rst_len) {
			struct vsock_rst r = m->rst[m->rst_head];
			struct vsock_hdr h;

			m->rst_head = (m->rst_head + 1) % VSOCK_RST_QUEUE;
			m->rst_len--;
			base_hdr(m, &h, r.local_port, r.peer_port);
			h.op = VIRTIO_VSOCK_OP_RST;
			return emit(m, &h, iov, n);
		}
		if (vlist_empty(&m->rxq))
			return 0;
		c = conn_of(m->rxq.next, rxq);
		final = &c->rxq == last;
		vlist_del(&c->rxq);
		len = conn_fill(c, iov, n, room, &gone);
		if (!gone)
			conn_update_rx(c);
		if (len)
			return len;
		if (final)
			return 0;
	}
}
