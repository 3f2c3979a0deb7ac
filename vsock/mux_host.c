// SPDX-License-Identifier: MIT
/*
 * The host side of the multiplexer: the "CONNECT <port>\n" handshake of host-initiated
 * connections, socket readiness, writing buffered guest data out, and deadlines.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vsock/mux_priv.h"

/*
 * "CONNECT <port>" without its newline: the word in any case (the Rust Kata shim sends
 * "connect"), one or more blanks, a decimal port below VMADDR_PORT_ANY, optional trailing
 * blanks and a CR.
 */
static bool parse_connect_line(const char *s, size_t len, uint32_t *port)
{
	uint64_t v = 0;
	size_t i = 7, digits = 0;

	if (len && s[len - 1] == '\r')
		len--;
	if (len < 9 || strncasecmp(s, "connect", 7) || (s[i] != ' ' && s[i] != '\t'))
		return false;
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	while (i < len && isdigit((unsigned char)s[i]) && digits < 11) {
		v = v * 10 + (uint64_t)(s[i++] - '0');
		digits++;
	}
	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (!digits || i != len || v >= VSOCK_PORT_ANY)
		return false;
	*port = (uint32_t)v;
	return true;
}

void vsock_mux_host_accept(struct vsock_mux *m, int fd)
{
	struct vsock_conn *c;

	/* Host clients that never send their line may not crowd out those that do, nor the guest. */
	if (m->nr_conns >= m->limits.max_conns || m->nr_handshakes >= m->limits.max_handshakes) {
		if (m->nr_conns >= m->limits.max_conns)
			m->counters.refused_conns++;
		else
			m->counters.refused_handshakes++;
		m->counters.handshake_rejected++;
		close(fd);
		return;
	}
	c = conn_new(m, fd, CONN_HANDSHAKE);
	if (!c) {
		m->counters.handshake_rejected++;
		return;
	}
	/* Registration reports data that is already there, so no read is needed here. */
	conn_set_deadline(c, m->limits.handshake_ms);
}

static uint32_t alloc_local_port(struct vsock_mux *m, uint32_t peer_port)
{
	/* At most limits.max_conns ports are taken, so this ends within that many steps. */
	for (;;) {
		uint32_t p = m->next_port++;

		if (m->next_port == VSOCK_PORT_ANY)
			m->next_port = VSOCK_HOST_PORT_FIRST;
		if (!vsock_table_find(&m->table, p, peer_port))
			return p;
	}
}

static void handshake_reject(struct vsock_conn *c)
{
	c->mux->counters.handshake_rejected++;
	conn_free(c);
}

static void conn_handshake(struct vsock_conn *c, uint32_t events)
{
	struct vsock_mux *m = c->mux;
	char buf[VSOCK_LINE_MAX];
	uint32_t port;
	ssize_t r;
	char *nl;
	size_t len;

	/* Peek, so bytes the client sent right after its line stay in the socket for the guest. */
	do
		r = recv(c->fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno == EAGAIN) {
		if (events & (EPOLLHUP | EPOLLERR))
			handshake_reject(c);
		return;
	}
	if (r <= 0) {
		handshake_reject(c);
		return;
	}
	nl = memchr(buf, '\n', (size_t)r);
	if (!nl) {
		/* No line yet: wait, unless it cannot come any more. */
		if (r == (ssize_t)sizeof(buf) || (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
			handshake_reject(c);
		return;
	}
	len = (size_t)(nl - buf) + 1;
	if (!parse_connect_line(buf, len - 1, &port) ||
	    recv(c->fd, buf, len, MSG_DONTWAIT) != (ssize_t)len || !conn_reserve_buf(c)) {
		handshake_reject(c);
		return;
	}
	c->node.peer_port = port;
	c->node.local_port = alloc_local_port(m, port);
	vsock_table_insert(&m->table, &c->node);
	c->in_table = true;
	c->state = CONN_CONNECTING;
	m->nr_handshakes--;
	c->pending |= PEND_REQUEST;
	c->readable = true; /* whatever followed the line */
	m->counters.host_connects++;
	conn_set_deadline(c, VSOCK_CONNECT_TIMEOUT_MS);
	conn_update_rx(c);
}

bool conn_established(struct vsock_conn *c)
{
	char line[24];
	int len = snprintf(line, sizeof(line), "OK %u\n", c->node.local_port);
	ssize_t w;

	c->state = CONN_ESTABLISHED;
	c->mux->counters.established++;
	conn_set_deadline(c, 0);
	/* A fresh socket's buffer always takes these few bytes; if not, the client is gone. */
	w = send(c->fd, line, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w != len) {
		conn_abort(c);
		return false;
	}
	return true;
}

void conn_credit_check(struct vsock_conn *c)
{
	if (c->state == CONN_ESTABLISHED &&
	    c->fwd_cnt - c->last_fwd_sent >= c->mux->limits.conn_buf / 4)
		c->pending |= PEND_CREDIT_UPDATE;
}

bool conn_flush(struct vsock_conn *c)
{
	struct vsock_mux *m = c->mux;
	ssize_t w;

	while (c->ring.len && c->writable) {
		w = vsock_ring_flush(&c->ring, c->fd);
		if (w == -EAGAIN) {
			c->writable = false;
			break;
		}
		if (w < 0) {
			conn_abort(c);
			return false;
		}
		c->fwd_cnt += (uint32_t)w;
		m->counters.bytes_to_host += (uint64_t)w;
	}
	conn_credit_check(c);
	if (c->ring.len)
		return true;
	if (c->state == CONN_CLOSING) {
		/* Everything the guest sent is out: the close is complete. */
		conn_abort(c);
		return false;
	}
	if ((c->peer_shut & VSOCK_SHUT_SEND) && !c->wr_shut) {
		shutdown(c->fd, SHUT_WR);
		c->wr_shut = true;
	}
	return true;
}

void vsock_mux_sock_event(struct vsock_mux *m, struct vsock_conn *c, uint32_t events)
{
	if (c->state == CONN_HANDSHAKE) {
		conn_handshake(c, events);
		return;
	}
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->readable = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
		c->writable = true;
		if (!conn_flush(c))
			return;
	}
	conn_update_rx(c);
}

bool vsock_mux_has_deadlines(const struct vsock_mux *m)
{
	return !vlist_empty(&m->timers);
}

void vsock_mux_tick(struct vsock_mux *m)
{
	uint64_t now = m->ops->now_ms(m->opaque);
	struct vsock_link *l, *next;

	for (l = m->timers.next; l != &m->timers; l = next) {
		struct vsock_conn *c = conn_of(l, timer);

		next = l->next;
		if (c->deadline > now)
			continue;
		m->counters.timeouts++;
		if (c->state == CONN_HANDSHAKE)
			handshake_reject(c);
		else
			conn_abort(c);
	}
}
