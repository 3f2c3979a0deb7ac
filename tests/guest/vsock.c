// SPDX-License-Identifier: MIT
/*
 * vsock: a polling virtio-vsock driver (stream sockets, credit flow control both ways) and the
 * services host tests talk to through cvmm's hybrid Unix socket:
 *   echo    every byte received is sent back; the host's half-close ends it after the echo
 *   sink    bytes are counted (and CRC-32'd with vsock_sink_crc=1); at the host's half-close the
 *           guest answers with 12 bytes, le64 count + le32 CRC, and closes
 *   source  vsock_source_bytes of the pattern block (below) are sent, then the guest closes
 *   stop    a connection here ends serving
 * and a client that connects out to the host (CID 2).  Everything runs from ring 3 by polling;
 * the only exits are queue notifications, which EVENT_IDX keeps to one per batch.
 *
 * The pattern: byte i of a stream is pattern_block[i % 65536], pattern_block[j] =
 * (j * 157 + (j >> 8)) & 0xff.
 */
#include "tests/guest/cmdline.h"
#include "tests/guest/dma.h"
#include "tests/guest/guest.h"
#include "tests/guest/libc.h"
#include "tests/guest/printf.h"
#include "tests/guest/virtq.h"

#define HDR 44
#define HOST_CID 2
#define QSIZE 256
#define RXQ 0
#define TXQ 1
#define EVQ 2
#define MAX_CONNS 256
#define MAX_PAYLOAD 65536
#define ECHO_BUF (128 * 1024)
#define SINK_CREDIT (4U << 20)
#define PATTERN_LEN 65536
#define CLIENT_PORT_BASE 49152

enum { OP_REQUEST = 1, OP_RESPONSE, OP_RST, OP_SHUTDOWN, OP_RW, OP_CREDIT_UPDATE,
       OP_CREDIT_REQUEST };
enum { SHUT_RCV = 1, SHUT_SEND = 2, SHUT_BOTH = 3 };
enum mode { M_ECHO, M_SINK, M_SOURCE, M_STOP, M_CLIENT };
enum state { S_CONNECTING, S_OPEN, S_CLOSING };

struct hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} __attribute__((packed));

struct conn {
	bool used;
	uint16_t gen;
	enum mode mode;
	enum state state;
	uint32_t port, peer_port;     /* guest side, host side */
	/* what the host lets us send */
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	/* what we let the host send */
	uint32_t buf_alloc, rx_cnt, fwd_cnt, last_fwd_sent;
	uint8_t *buf;                 /* echo data; client: bytes echoed back are compared */
	uint32_t in, out, done;       /* echo: received, queued to send, send completed */
	uint64_t left;                /* source / client: bytes still to send */
	uint64_t sent, got;           /* client: bytes sent, bytes echoed back */
	uint32_t crc;
	bool peer_shut_send, shut_sent, want_response, want_credit, report_sent;
	bool bad;                     /* client: echoed data differed */
};

struct tx_meta {
	int16_t conn;
	uint16_t gen;
	uint32_t bytes; /* echo bytes released when the chain completes */
};

static struct vs {
	struct virtio_mmio_dev dev;
	struct gvirtq rxq, txq, evq;
	uint64_t cid;
	uint8_t *hdrs;                /* a header slot per tx descriptor head */
	uint8_t *rx_bufs[QSIZE];      /* by descriptor head */
	uint32_t rx_stride, rx_payload;
	uint8_t *ev_bufs;
	struct tx_meta meta[QSIZE];
	struct conn conns[MAX_CONNS];
	uint8_t *echo_mem[MAX_CONNS]; /* allocated once per slot (nothing is ever freed) */
	struct { uint32_t port, peer; } rst[64];
	unsigned nr_rst;
	bool rx_added, tx_added;
	uint32_t echo_port, sink_port, source_port, stop_port;
	uint64_t source_bytes;
	bool sink_crc;
	bool stop;
	uint64_t served, echoed, sunk, sourced, errors, events;
	uint64_t resets;              /* client connections reset */
	uint64_t server_resets;       /* served connections reset (the host may just close) */
	int rr;                       /* where the next round starts serving */
	const char *fail;
} vs;

static uint8_t pattern_block[PATTERN_LEN];

static void copy(void *dst, const void *src, size_t n)
{
	asm volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
}

static bool opt(const char *key, uint64_t *v)
{
	return cmdline_get_u64(boot.cmdline, key, v);
}

static uint32_t credit(const struct conn *c)
{
	uint32_t in_flight = c->tx_cnt - c->peer_fwd_cnt;

	return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

/* Queues one packet (header plus up to two data pieces); false when descriptors ran out. */
static bool tx(struct conn *c, int ci, uint32_t port, uint32_t peer, uint16_t op, uint32_t flags,
	       const void *d1, uint32_t l1, const void *d2, uint32_t l2, uint32_t echo_bytes)
{
	struct gbuf b[3];
	unsigned n = 1;
	uint16_t head = vs.txq.free_head;
	struct hdr *h;

	if (vs.txq.num_free < 3)
		return false;
	h = (struct hdr *)(vs.hdrs + (size_t)head * 64);
	memset(h, 0, sizeof(*h));
	h->src_cid = vs.cid;
	h->dst_cid = HOST_CID;
	h->src_port = port;
	h->dst_port = peer;
	h->len = l1 + l2;
	h->type = 1;
	h->op = op;
	h->flags = flags;
	if (c) {
		h->buf_alloc = c->buf_alloc;
		h->fwd_cnt = c->fwd_cnt;
		c->last_fwd_sent = c->fwd_cnt;
		c->want_credit = false;
		c->tx_cnt += l1 + l2;
	}
	b[0] = (struct gbuf){ h, HDR, false };
	if (l1)
		b[n++] = (struct gbuf){ (void *)d1, l1, false };
	if (l2)
		b[n++] = (struct gbuf){ (void *)d2, l2, false };
	if (gvirtq_add(&vs.txq, b, n) != head)
		return false;
	vs.meta[head] = (struct tx_meta){ (int16_t)ci, c ? c->gen : 0, echo_bytes };
	vs.tx_added = true;
	return true;
}

static bool tx_ctl(struct conn *c, uint16_t op, uint32_t flags)
{
	return tx(c, (int)(c - vs.conns), c->port, c->peer_port, op, flags, 0, 0, 0, 0, 0);
}

static void queue_rst(uint32_t port, uint32_t peer)
{
	if (vs.nr_rst < ARRAY_SIZE(vs.rst))
		vs.rst[vs.nr_rst++] = (typeof(vs.rst[0])){ port, peer };
}

static struct conn *find(uint32_t port, uint32_t peer)
{
	for (int i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &vs.conns[i];

		if (c->used && c->port == port && c->peer_port == peer)
			return c;
	}
	return NULL;
}

static struct conn *new_conn(enum mode m, uint32_t port, uint32_t peer)
{
	for (int i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &vs.conns[i];
		uint16_t gen = (uint16_t)(c->gen + 1);

		if (c->used)
			continue;
		if ((m == M_ECHO || m == M_CLIENT) && !vs.echo_mem[i]) {
			vs.echo_mem[i] = dma_alloc(ECHO_BUF, 64);
			if (!vs.echo_mem[i])
				return NULL;
		}
		memset(c, 0, sizeof(*c));
		c->used = true;
		c->gen = gen;
		c->mode = m;
		c->port = port;
		c->peer_port = peer;
		c->buf = vs.echo_mem[i];
		c->buf_alloc = m == M_ECHO || m == M_CLIENT ? ECHO_BUF : SINK_CREDIT;
		return c;
	}
	return NULL;
}

static void end_conn(struct conn *c)
{
	c->used = false;
}

static void on_request(const struct hdr *h)
{
	enum mode m;
	struct conn *c;

	if (h->dst_port == vs.echo_port)
		m = M_ECHO;
	else if (h->dst_port == vs.sink_port)
		m = M_SINK;
	else if (h->dst_port == vs.source_port)
		m = M_SOURCE;
	else if (h->dst_port == vs.stop_port)
		m = M_STOP;
	else {
		queue_rst(h->dst_port, h->src_port);
		return;
	}
	if (find(h->dst_port, h->src_port) || !(c = new_conn(m, h->dst_port, h->src_port))) {
		queue_rst(h->dst_port, h->src_port);
		return;
	}
	c->state = S_OPEN;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	c->want_response = true;
	c->left = m == M_SOURCE ? vs.source_bytes : 0;
	vs.served++;
	if (m == M_STOP)
		vs.stop = true;
}

static void on_data(struct conn *c, const uint8_t *p, uint32_t len)
{
	c->rx_cnt += len;
	switch (c->mode) {
	case M_ECHO:
		if (c->in - c->done + len > ECHO_BUF) {
			vs.errors++; /* the host ignored our credit */
			vs.fail = "host sent beyond the guest's credit";
			return;
		}
		for (uint32_t done = 0; done < len;) {
			uint32_t at = c->in % ECHO_BUF;
			uint32_t l = len - done < ECHO_BUF - at ? len - done : ECHO_BUF - at;

			copy(c->buf + at, p + done, l);
			done += l;
			c->in += l;
		}
		vs.echoed += len;
		break;
	case M_CLIENT:
		for (uint32_t i = 0; i < len; i++)
			if (p[i] != pattern_block[(c->got + i) % PATTERN_LEN])
				c->bad = true;
		c->got += len;
		c->fwd_cnt += len;
		break;
	default: /* sink and the rest: consumed at once */
		if (vs.sink_crc)
			c->crc = crc32(c->crc, p, len);
		vs.sunk += len;
		c->fwd_cnt += len;
		break;
	}
}

static void on_packet(const uint8_t *buf, uint32_t used_len)
{
	struct hdr h;
	struct conn *c;

	if (used_len < HDR) {
		vs.errors++;
		return;
	}
	memcpy(&h, buf, HDR);
	if (h.len > used_len - HDR || h.dst_cid != vs.cid || h.src_cid != HOST_CID || h.type != 1) {
		vs.errors++;
		vs.fail = "malformed packet from the device";
		return;
	}
	c = find(h.dst_port, h.src_port);
	if (h.op == OP_REQUEST) {
		if (c)
			vs.errors++;
		else
			on_request(&h);
		return;
	}
	if (!c) {
		if (h.op != OP_RST)
			queue_rst(h.dst_port, h.src_port);
		return;
	}
	c->peer_buf_alloc = h.buf_alloc;
	c->peer_fwd_cnt = h.fwd_cnt;
	switch (h.op) {
	case OP_RST:
		if (c->state != S_CLOSING) {
			if (c->mode == M_CLIENT)
				vs.resets++;
			else
				vs.server_resets++;
		}
		end_conn(c);
		return;
	case OP_RESPONSE:
		if (c->state == S_CONNECTING)
			c->state = S_OPEN;
		break;
	case OP_SHUTDOWN:
		if (h.flags & SHUT_SEND)
			c->peer_shut_send = true;
		break;
	case OP_RW:
		on_data(c, buf + HDR, h.len);
		break;
	case OP_CREDIT_REQUEST:
		c->want_credit = true;
		break;
	default:
		break;
	}
}

static void poll_rx(void)
{
	uint32_t len;
	int head;

	while ((head = gvirtq_get(&vs.rxq, &len)) >= 0) {
		uint8_t *b;

		if (head >= QSIZE || !(b = vs.rx_bufs[head])) {
			vs.fail = "device returned an unknown receive buffer";
			return;
		}
		vs.rx_bufs[head] = 0;
		on_packet(b, len);
		head = gvirtq_add(&vs.rxq, &(struct gbuf){ b, vs.rx_stride, true }, 1);
		if (head >= 0)
			vs.rx_bufs[head] = b;
		vs.rx_added = true;
	}
}

static void poll_tx(void)
{
	int head;

	while ((head = gvirtq_get(&vs.txq, 0)) >= 0) {
		struct tx_meta m;
		struct conn *c;

		if (head >= QSIZE) {
			vs.fail = "device returned an unknown transmit chain";
			return;
		}
		m = vs.meta[head];
		if (m.conn < 0 || !m.bytes)
			continue;
		c = &vs.conns[m.conn];
		if (c->used && c->gen == m.gen) {
			c->done += m.bytes;
			c->fwd_cnt = c->done;
		}
	}
}

static void poll_events(void)
{
	uint32_t len;
	int head;

	while ((head = gvirtq_get(&vs.evq, &len)) >= 0) {
		uint8_t *b = vs.ev_bufs + (size_t)(head % 8) * 8;

		if (len == 4 && *(uint32_t *)b == 0) {
			/* TRANSPORT_RESET: every connection is gone. */
			vs.events++;
			for (int i = 0; i < MAX_CONNS; i++)
				vs.conns[i].used = false;
		}
		gvirtq_add(&vs.evq, &(struct gbuf){ b, 8, true }, 1);
		gvirtq_kick(&vs.evq);
	}
}

/* Sends what connection c owes; returns false when the tx queue is full. */
static bool serve_conn(struct conn *c)
{
	int ci = (int)(c - vs.conns);

	if (c->want_response) {
		if (!tx_ctl(c, OP_RESPONSE, 0))
			return false;
		c->want_response = false;
	}
	if (c->state != S_OPEN)
		return true;
	if (c->mode == M_ECHO) {
		while (c->out != c->in && credit(c)) {
			uint32_t at = c->out % ECHO_BUF, l = c->in - c->out;

			if (l > ECHO_BUF - at)
				l = ECHO_BUF - at;
			if (l > MAX_PAYLOAD)
				l = MAX_PAYLOAD;
			if (l > credit(c))
				l = credit(c);
			if (!tx(c, ci, c->port, c->peer_port, OP_RW, 0, c->buf + at, l, 0, 0, l))
				return false;
			c->out += l;
		}
	} else if (c->mode == M_SOURCE || c->mode == M_CLIENT) {
		while (c->left && credit(c)) {
			uint64_t off = c->sent % PATTERN_LEN;
			uint32_t l = (uint32_t)(PATTERN_LEN - off);

			if (l > c->left)
				l = (uint32_t)c->left;
			if (l > credit(c))
				l = credit(c);
			if (!tx(c, ci, c->port, c->peer_port, OP_RW, 0, pattern_block + off, l,
				0, 0, 0))
				return false;
			c->left -= l;
			c->sent += l;
			vs.sourced += l;
		}
	}
	if (c->want_credit || c->fwd_cnt - c->last_fwd_sent >= c->buf_alloc / 4) {
		if (!tx_ctl(c, OP_CREDIT_UPDATE, 0))
			return false;
	}
	/* Closing: everything owed was sent (and, for echo, taken by the device). */
	if (c->mode == M_SINK && c->peer_shut_send && !c->report_sent) {
		uint8_t *r = c->buf ? c->buf : vs.hdrs + (size_t)QSIZE * 64 + (size_t)ci * 16;

		*(uint64_t *)r = c->rx_cnt;
		*(uint32_t *)(r + 8) = c->crc;
		if (credit(c) < 12 || !tx(c, ci, c->port, c->peer_port, OP_RW, 0, r, 12, 0, 0, 0))
			return false;
		c->report_sent = true;
	}
	if (!c->shut_sent &&
	    ((c->mode == M_ECHO && c->peer_shut_send && c->done == c->in) ||
	     (c->mode == M_SINK && c->report_sent) ||
	     (c->mode == M_SOURCE && !c->left) ||
	     (c->mode == M_STOP && c->peer_shut_send) ||
	     (c->mode == M_CLIENT && !c->left && c->got >= c->sent))) {
		if (!tx_ctl(c, OP_SHUTDOWN, SHUT_BOTH))
			return false;
		c->shut_sent = true;
		c->state = S_CLOSING;
	}
	return true;
}

/* One round of the polling loop; returns the number of live connections. */
static int poll_once(void)
{
	int live = 0;

	vs.rx_added = vs.tx_added = false;
	poll_tx();
	poll_rx();
	poll_events();
	/* Polling: ask for no used-buffer interrupts (used_event far ahead of what is used). */
	vs.rxq.avail[2 + vs.rxq.size] = (uint16_t)(vs.rxq.last_used + 0x7fff);
	vs.txq.avail[2 + vs.txq.size] = (uint16_t)(vs.txq.last_used + 0x7fff);
	while (vs.nr_rst) {
		vs.nr_rst--;
		if (!tx(0, -1, vs.rst[vs.nr_rst].port, vs.rst[vs.nr_rst].peer, OP_RST, 0, 0, 0, 0,
			0, 0)) {
			vs.nr_rst++;
			break;
		}
	}
	/* Start where the last round stopped, so a full queue does not starve anyone. */
	for (int k = 0, full = 0; k < MAX_CONNS; k++) {
		int i = (vs.rr + k) % MAX_CONNS;

		if (!vs.conns[i].used)
			continue;
		live++;
		if (!full && !serve_conn(&vs.conns[i])) {
			full = 1;
			vs.rr = i;
		}
	}
	if (vs.rx_added)
		gvirtq_kick(&vs.rxq);
	if (vs.tx_added)
		gvirtq_kick(&vs.txq);
	return live;
}

static const char *vsock_init(struct check_result *res)
{
	static struct virtio_mmio_dev devs[VIRTIO_MMIO_MAX];
	char err[120];
	uint64_t got, v;
	const char *why;
	int n;

	n = virtio_mmio_discover(boot.cmdline, devs, VIRTIO_MMIO_MAX, err, sizeof(err));
	for (int i = 0; i < n; i++)
		if (virtio_mmio_probe(&devs[i]) && devs[i].device_id == VIRTIO_ID_VSOCK)
			vs.dev = devs[i];
	if (!vs.dev.base)
		return "no virtio-vsock device";
	why = gvirtio_negotiate(&vs.dev, 1ULL << VIRTIO_F_EVENT_IDX, &got);
	if (why)
		return why;
	vs.cid = vmmio_read32(&vs.dev, VIRTIO_MMIO_CONFIG) |
		 (uint64_t)vmmio_read32(&vs.dev, VIRTIO_MMIO_CONFIG + 4) << 32;
	why = gvirtq_setup(&vs.rxq, &vs.dev, RXQ, QSIZE, got & (1ULL << VIRTIO_F_EVENT_IDX));
	if (!why)
		why = gvirtq_setup(&vs.txq, &vs.dev, TXQ, QSIZE,
				   got & (1ULL << VIRTIO_F_EVENT_IDX));
	if (!why)
		why = gvirtq_setup(&vs.evq, &vs.dev, EVQ, 8, got & (1ULL << VIRTIO_F_EVENT_IDX));
	if (why)
		return why;
	vs.rx_payload = opt("cvmmtest.vsock_rx_buf", &v) && v >= 64 && v <= 65536 ? (uint32_t)v
										   : 65536;
	vs.rx_stride = ((HDR + vs.rx_payload) + 63) & ~63U;
	n = opt("cvmmtest.vsock_rx_bufs", &v) && v && v <= QSIZE ? (int)v : 64;
	vs.hdrs = dma_alloc((size_t)QSIZE * 64 + (size_t)MAX_CONNS * 16, 64);
	vs.ev_bufs = dma_alloc(64, 64);
	if (!vs.hdrs || !vs.ev_bufs)
		return "out of memory";
	gvirtio_driver_ok(&vs.dev);
	for (int i = 0; i < n; i++) {
		uint8_t *b = dma_alloc(vs.rx_stride, 64);
		int head;

		if (!b)
			return "out of memory for receive buffers";
		head = gvirtq_add(&vs.rxq, &(struct gbuf){ b, vs.rx_stride, true }, 1);
		vs.rx_bufs[head] = b;
	}
	gvirtq_kick(&vs.rxq);
	for (int i = 0; i < 8; i++)
		gvirtq_add(&vs.evq, &(struct gbuf){ vs.ev_bufs + i * 8, 8, true }, 1);
	gvirtq_kick(&vs.evq);
	result_add(res, "cid %lu", vs.cid);
	if (opt("cvmmtest.vsock_cid", &v) && v != vs.cid)
		return "guest_cid differs from cvmmtest.vsock_cid";
	return NULL;
}

/* Connects out to the host's port and has bytes echoed back; NULL or why it failed. */
static const char *run_client(struct check_result *res, uint32_t port, uint64_t bytes,
			      bool expect_refused)
{
	static uint32_t next_port = CLIENT_PORT_BASE;
	uint64_t resets = vs.resets;
	struct conn *c = new_conn(M_CLIENT, next_port++, port);
	uint64_t idle = 0, last = 0;
	uint16_t gen;

	if (!c)
		return "no connection slot";
	gen = c->gen;
	c->state = S_CONNECTING;
	c->left = bytes;
	if (!tx_ctl(c, OP_REQUEST, 0))
		return "transmit queue full";
	gvirtq_kick(&vs.txq);
	while (c->used && c->gen == gen && idle < spin_limit) {
		uint64_t now;

		poll_once();
		if (vs.fail)
			return vs.fail;
		now = c->sent + c->got + vs.resets;
		idle = now != last ? 0 : idle + 1;
		last = now;
		cpu_relax();
	}
	if (c->used && c->gen == gen)
		return expect_refused ? "no RST from the host" : "client timed out";
	if (expect_refused) {
		if (vs.resets == resets || c->state != S_CONNECTING)
			return "connection was not refused";
		vs.resets = resets; /* expected */
		result_add(res, "port %u refused", port);
		return NULL;
	}
	if (c->state != S_CLOSING || c->bad || c->got != bytes)
		return c->bad ? "echoed data differs" : "client connection reset";
	result_add(res, "client %lu bytes via port %u", bytes, port);
	return NULL;
}

static const char *serve(struct check_result *res)
{
	uint64_t idle = 0, limit = spin_limit * 8, v;
	uint64_t last = 0;

	printf("  vsock: serving\n"); /* hosts wait for this line before connecting */
	while (idle < limit) {
		int live = poll_once();
		uint64_t now = vs.served + vs.echoed + vs.sunk + vs.sourced;

		if (vs.fail)
			return vs.fail;
		if (vs.stop && live == 0)
			break;
		idle = now != last ? 0 : idle + 1;
		last = now;
		cpu_relax();
	}
	if (!vs.stop)
		return "not stopped (idle too long)";
	result_add(res, "served %lu, echoed %lu, sunk %lu, sourced %lu, reset %lu", vs.served - 1,
		   vs.echoed, vs.sunk, vs.sourced, vs.server_resets);
	if (opt("cvmmtest.vsock_expect_served", &v) && v != vs.served - 1)
		return "unexpected number of connections served";
	return NULL;
}

bool check_vsock(struct check_result *res)
{
	const char *why;
	uint64_t v, bytes;

	for (uint32_t j = 0; j < PATTERN_LEN; j++)
		pattern_block[j] = (uint8_t)(j * 157 + (j >> 8));
	vs.echo_port = vs.sink_port = vs.source_port = vs.stop_port = 0xffffffff;
	if (opt("cvmmtest.vsock_echo_port", &v))
		vs.echo_port = (uint32_t)v;
	if (opt("cvmmtest.vsock_sink_port", &v))
		vs.sink_port = (uint32_t)v;
	if (opt("cvmmtest.vsock_source_port", &v))
		vs.source_port = (uint32_t)v;
	if (opt("cvmmtest.vsock_stop_port", &v))
		vs.stop_port = (uint32_t)v;
	vs.source_bytes = opt("cvmmtest.vsock_source_bytes", &v) ? v : 1 << 20;
	vs.sink_crc = opt("cvmmtest.vsock_sink_crc", &v) && v;

	why = vsock_init(res);
	if (!why && opt("cvmmtest.vsock_refused_port", &v))
		why = run_client(res, (uint32_t)v, 0, true);
	if (!why && opt("cvmmtest.vsock_connect_port", &v)) {
		bytes = 1 << 20;
		opt("cvmmtest.vsock_connect_bytes", &bytes);
		why = run_client(res, (uint32_t)v, bytes, false);
	}
	if (!why && vs.stop_port != 0xffffffff)
		why = serve(res);
	if (!why && vs.errors)
		why = "protocol errors";
	if (!why && vs.resets) {
		result_add(res, "%lu connections reset", vs.resets);
		why = "unexpected resets";
	}
	if (why)
		result_add(res, "%s", why);
	return !why;
}
