// SPDX-License-Identifier: MIT
/*
 * The multiplexer: connection lifetime and the packets the guest sends (see mux.h).
 * Host sockets are served in mux_host.c, packets to the guest are built in mux_rx.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/virtio_vsock.h>

#include "vsock/mux_priv.h"

static bool guest_knows(const struct vsock_conn *c)
{
	return c->state != CONN_HANDSHAKE && !(c->pending & PEND_REQUEST);
}

void vsock_limits_default(struct vsock_limits *l)
{
	*l = (struct vsock_limits){
		.max_conns = VSOCK_MAX_CONNS,
		.max_handshakes = VSOCK_MAX_HANDSHAKES,
		.handshake_ms = VSOCK_HANDSHAKE_MS,
		.conn_buf = VSOCK_CONN_BUF,
		.buf_budget = VSOCK_BUF_BUDGET,
	};
}

void vsock_mux_set_limits(struct vsock_mux *m, const struct vsock_limits *l)
{
	m->limits = *l;
}

struct vsock_mux *vsock_mux_new(uint64_t guest_cid, const struct vsock_host_ops *ops,
				void *opaque)
{
	struct vsock_mux *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (vsock_table_init(&m->table, 64) < 0) {
		free(m);
		return NULL;
	}
	m->guest_cid = guest_cid;
	m->ops = ops;
	m->opaque = opaque;
	m->next_port = VSOCK_HOST_PORT_FIRST;
	vsock_limits_default(&m->limits);
	vlist_init(&m->all);
	vlist_init(&m->rxq);
	vlist_init(&m->timers);
	return m;
}

static void free_all(struct vsock_mux *m)
{
	while (!vlist_empty(&m->all))
		conn_free(conn_of(m->all.next, all));
	m->rst_head = m->rst_len = 0;
}

void vsock_mux_reset(struct vsock_mux *m)
{
	struct vsock_link *l, *next;

	for (l = m->all.next; l != &m->all; l = next) {
		next = l->next;
		if (guest_knows(conn_of(l, all)))
			conn_free(conn_of(l, all));
	}
	m->rst_head = m->rst_len = 0;
}

void vsock_mux_free(struct vsock_mux *m)
{
	if (!m)
		return;
	free_all(m);
	vsock_table_destroy(&m->table);
	free(m);
}

unsigned vsock_mux_nr_conns(const struct vsock_mux *m)
{
	return m->nr_conns;
}

void *vsock_conn_owner(const struct vsock_conn *c)
{
	return c->mux->opaque;
}

void vsock_mux_counters(const struct vsock_mux *m, struct vsock_mux_counters *out)
{
	*out = m->counters;
}

struct vsock_conn *conn_new(struct vsock_mux *m, int fd, enum conn_state state)
{
	struct vsock_conn *c = calloc(1, sizeof(*c));

	if (!c) {
		close(fd);
		return NULL;
	}
	c->mux = m;
	c->fd = fd;
	c->state = state;
	c->writable = true;
	vlist_init(&c->all);
	vlist_init(&c->rxq);
	vlist_init(&c->timer);
	vsock_ring_init(&c->ring, m->limits.conn_buf);
	if (m->ops->watch(m->opaque, fd, c) < 0) {
		close(fd);
		free(c);
		return NULL;
	}
	vlist_add_tail(&m->all, &c->all);
	m->nr_conns++;
	if (state == CONN_HANDSHAKE)
		m->nr_handshakes++;
	return c;
}

bool conn_reserve_buf(struct vsock_conn *c)
{
	struct vsock_mux *m = c->mux;

	if (c->buf_reserved)
		return true;
	if (m->buf_reserved + m->limits.conn_buf > m->limits.buf_budget) {
		m->counters.refused_memory++;
		return false;
	}
	m->buf_reserved += m->limits.conn_buf;
	c->buf_reserved = true;
	return true;
}

void conn_free(struct vsock_conn *c)
{
	struct vsock_mux *m = c->mux;

	if (c->fd >= 0) {
		m->ops->unwatch(m->opaque, c->fd);
		close(c->fd);
	}
	if (c->in_table)
		vsock_table_remove(&m->table, &c->node);
	vlist_del(&c->all);
	vlist_del(&c->rxq);
	vlist_del(&c->timer);
	vsock_ring_free(&c->ring);
	if (c->buf_reserved)
		m->buf_reserved -= m->limits.conn_buf;
	if (c->state == CONN_HANDSHAKE)
		m->nr_handshakes--;
	m->nr_conns--;
	m->counters.closed++;
	free(c);
}

void conn_abort(struct vsock_conn *c)
{
	/* The guest has not heard of a connection still in handshake or with its REQUEST unsent. */
	if (guest_knows(c))
		mux_queue_rst(c->mux, c->node.local_port, c->node.peer_port);
	conn_free(c);
}

void conn_set_deadline(struct vsock_conn *c, uint64_t timeout_ms)
{
	vlist_del(&c->timer);
	c->deadline = 0;
	if (!timeout_ms)
		return;
	c->deadline = c->mux->ops->now_ms(c->mux->opaque) + timeout_ms;
	vlist_add_tail(&c->mux->timers, &c->timer);
}

void mux_queue_rst(struct vsock_mux *m, uint32_t local_port, uint32_t peer_port)
{
	if (m->rst_len == VSOCK_RST_QUEUE) {
		m->counters.rst_dropped++;
		return;
	}
	m->rst[(m->rst_head + m->rst_len) % VSOCK_RST_QUEUE] = (struct vsock_rst){
		.local_port = local_port,
		.peer_port = peer_port,
	};
	m->rst_len++;
}

unsigned iov_slice(const struct iovec *in, unsigned n, size_t skip, size_t len,
		   struct iovec *out, unsigned cap, size_t *got)
{
	unsigned k = 0;
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len && k < cap; i++) {
		size_t l = in[i].iov_len, c;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		c = MIN(l - skip, len - done);
		out[k++] = (struct iovec){ (uint8_t *)in[i].iov_base + skip, c };
		done += c;
		skip = 0;
	}
	*got = done;
	return k;
}

static struct vsock_conn *lookup(struct vsock_mux *m, uint32_t local_port, uint32_t peer_port)
{
	struct vsock_hnode *n = vsock_table_find(&m->table, local_port, peer_port);

	return n ? container_of(n, struct vsock_conn, node) : NULL;
}

static void protocol_error(struct vsock_conn *c)
{
	c->mux->counters.protocol_errors++;
	conn_abort(c);
}

/* Whether the guest may connect to this host port (a sandbox policy may list them). */
static bool port_allowed(const struct vsock_mux *m, uint32_t port)
{
	if (!m->limits.guest_ports)
		return true;
	for (unsigned i = 0; i < m->limits.nr_guest_ports; i++)
		if (m->limits.guest_ports[i] == port)
			return true;
	return false;
}

/* Guest-initiated: relay to the host listener for dst_port. */
static void guest_request(struct vsock_mux *m, const struct vsock_hdr *h)
{
	struct vsock_conn *c;
	int fd;

	if (m->nr_conns >= m->limits.max_conns || !port_allowed(m, h->dst_port) ||
	    m->buf_reserved + m->limits.conn_buf > m->limits.buf_budget) {
		if (m->nr_conns >= m->limits.max_conns)
			m->counters.refused_conns++;
		else if (!port_allowed(m, h->dst_port))
			m->counters.refused_port++;
		else
			m->counters.refused_memory++;
		m->counters.connect_refused++;
		mux_queue_rst(m, h->dst_port, h->src_port);
		return;
	}
	fd = m->ops->connect(m->opaque, h->dst_port);
	if (fd < 0) {
		m->counters.connect_refused++;
		mux_queue_rst(m, h->dst_port, h->src_port);
		return;
	}
	c = conn_new(m, fd, CONN_ESTABLISHED);
	if (!c) {
		m->counters.connect_refused++;
		mux_queue_rst(m, h->dst_port, h->src_port);
		return;
	}
	conn_reserve_buf(c); /* room was checked above */
	c->node.local_port = h->dst_port;
	c->node.peer_port = h->src_port;
	vsock_table_insert(&m->table, &c->node);
	c->in_table = true;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	c->pending |= PEND_RESPONSE;
	m->counters.guest_connects++;
	m->counters.established++;
	conn_update_rx(c);
}

/* RW payload: straight to the socket when nothing is queued before it, the rest buffered. */
static bool guest_data(struct vsock_conn *c, const struct iovec *iov, unsigned n, uint32_t len)
{
	struct vsock_mux *m = c->mux;
	struct iovec part[64];
	size_t done = 0, got;
	unsigned k;
	ssize_t w;

	/* The guest only knows the fwd_cnt cvmm last sent; within that it fits the buffer. */
	if ((uint64_t)(c->rx_cnt - c->last_fwd_sent) + len > m->limits.conn_buf) {
		m->counters.credit_violations++;
		conn_abort(c);
		return false;
	}
	c->rx_cnt += len;
	if (!len)
		return true;
	if (!c->ring.len && c->writable) {
		k = iov_slice(iov, n, VSOCK_HDR_SIZE, len, part, 64, &got);
		do
			w = sendmsg(c->fd, &(struct msghdr){ .msg_iov = part, .msg_iovlen = k },
				    MSG_NOSIGNAL | MSG_DONTWAIT);
		while (w < 0 && errno == EINTR);
		if (w < 0 && errno != EAGAIN) {
			/* The host end is gone (EPIPE, ECONNRESET): nobody will read the rest. */
			conn_abort(c);
			return false;
		}
		if (w < 0)
			c->writable = false;
		else
			done = (size_t)w;
		if (done < got)
			c->writable = false;
	}
	if (done < len && vsock_ring_put_iov(&c->ring, iov, n, VSOCK_HDR_SIZE + done, len - done)) {
		conn_abort(c);
		return false;
	}
	c->fwd_cnt += (uint32_t)done;
	m->counters.bytes_to_host += done;
	/* Buffered behind a socket that can still take more (a payload in many pieces). */
	if (c->ring.len && c->writable)
		return conn_flush(c);
	conn_credit_check(c);
	return true;
}

static bool guest_shutdown(struct vsock_conn *c, uint32_t flags)
{
	uint8_t fresh = (uint8_t)(flags & ~c->peer_shut);

	c->peer_shut |= (uint8_t)flags;
	/* The guest takes no more data: the host's writes now fail instead of piling up (not
	 * worth a system call when the socket is about to be closed anyway). */
	if ((fresh & VSOCK_SHUT_RCV) && (c->peer_shut != VSOCK_SHUT_BOTH || c->ring.len))
		shutdown(c->fd, SHUT_RD);
	if (c->peer_shut == VSOCK_SHUT_BOTH) {
		c->state = CONN_CLOSING;
		c->pending &= ~(PEND_CREDIT_UPDATE | PEND_CREDIT_REQUEST | PEND_SHUTDOWN);
		conn_set_deadline(c, VSOCK_CLOSE_TIMEOUT_MS);
	}
	/* Shuts the socket's write side (or finishes the close) once the buffer is out. */
	return conn_flush(c);
}

static void guest_packet(struct vsock_mux *m, struct vsock_conn *c, const struct vsock_hdr *h,
			 const struct iovec *iov, unsigned n)
{
	if (h->op == VIRTIO_VSOCK_OP_RST) {
		m->counters.rst_from_guest++;
		conn_free(c);
		return;
	}
	if (c->state == CONN_CONNECTING && h->op != VIRTIO_VSOCK_OP_RESPONSE) {
		protocol_error(c);
		return;
	}
	if (h->fwd_cnt != c->peer_fwd_cnt || h->buf_alloc != c->peer_buf_alloc)
		c->credit_requested = false;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;

	switch (h->op) {
	case VIRTIO_VSOCK_OP_RESPONSE:
		if (c->state != CONN_CONNECTING || (c->pending & PEND_REQUEST)) {
			protocol_error(c);
			return;
		}
		if (!conn_established(c))
			return;
		break;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		if (!guest_shutdown(c, h->flags))
			return;
		break;
	case VIRTIO_VSOCK_OP_RW:
		if (c->state != CONN_ESTABLISHED || (c->peer_shut & VSOCK_SHUT_SEND)) {
			protocol_error(c);
			return;
		}
		if (!guest_data(c, iov, n, h->len))
			return;
		break;
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		if (c->state == CONN_ESTABLISHED)
			c->pending |= PEND_CREDIT_UPDATE;
		break;
	default: /* CREDIT_UPDATE: the credit fields were all it carried */
		break;
	}
	conn_update_rx(c);
}

void vsock_mux_guest_tx(struct vsock_mux *m, const struct iovec *iov, unsigned n)
{
	struct vsock_conn *c;
	struct vsock_hdr h;
	enum vsock_pkt_error err;

	m->counters.pkts_from_guest++;
	err = vsock_pkt_parse(iov, n, m->guest_cid, &h);
	if (err != VSOCK_PKT_OK) {
		m->counters.bad_packets[err]++;
		if (!vsock_pkt_error_resets(err))
			return;
		c = lookup(m, h.dst_port, h.src_port);
		if (c)
			protocol_error(c);
		else if (h.op != VIRTIO_VSOCK_OP_RST)
			mux_queue_rst(m, h.dst_port, h.src_port);
		return;
	}
	c = lookup(m, h.dst_port, h.src_port);
	if (h.op == VIRTIO_VSOCK_OP_REQUEST) {
		if (c)
			protocol_error(c); /* a second REQUEST for a live connection */
		else
			guest_request(m, &h);
		return;
	}
	if (!c) {
		/* Nothing to talk to: answer everything but an RST with an RST. */
		if (h.op != VIRTIO_VSOCK_OP_RST)
			mux_queue_rst(m, h.dst_port, h.src_port);
		return;
	}
	guest_packet(m, c, &h, iov, n);
}
