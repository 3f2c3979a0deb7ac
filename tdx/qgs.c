// SPDX-License-Identifier: MIT
/* The quote generation service client: address, framing, and requests on the event loop. */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "tdx/qgs.h"
#include "vmm/error.h"
#include "vmm/event_loop.h"
#include "vmm/log.h"
#include "vmm/util.h"

int qgs_addr_parse(const char *spec, struct qgs_addr *out, struct error *e)
{
	static const char usage[] = "expected unix:PATH or vsock:CID:PORT";
	uint64_t cid, port;

	memset(out, 0, sizeof(*out));
	if (!strncmp(spec, "unix:", 5)) {
		if (!spec[5] || strlen(spec + 5) >= sizeof(out->path))
			return error_set(e, ERROR_USAGE, EINVAL,
					 "--quote-service %s: the socket path must be 1 to %zu bytes",
					 spec, sizeof(out->path) - 1);
		out->family = QGS_UNIX;
		snprintf(out->path, sizeof(out->path), "%s", spec + 5);
		return 0;
	}
	if (!strncmp(spec, "vsock:", 6)) {
		char cid_s[24];
		const char *colon = strchr(spec + 6, ':');
		size_t n = colon ? (size_t)(colon - spec - 6) : 0;

		if (!colon || !n || n >= sizeof(cid_s))
			return error_set(e, ERROR_USAGE, EINVAL, "--quote-service %s: %s", spec, usage);
		memcpy(cid_s, spec + 6, n);
		cid_s[n] = 0;
		if (parse_u64(cid_s, &cid, false) || cid > UINT32_MAX ||
		    parse_u64(colon + 1, &port, false) || port > UINT32_MAX)
			return error_set(e, ERROR_USAGE, EINVAL,
					 "--quote-service %s: CID and PORT must be 32-bit numbers", spec);
		out->family = QGS_VSOCK;
		out->cid = (uint32_t)cid;
		out->port = (uint32_t)port;
		return 0;
	}
	return error_set(e, ERROR_USAGE, EINVAL, "--quote-service %s: %s", spec, usage);
}

/* QGS message fields are little endian; the frame length is big endian. */
static void put16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, sizeof(v));
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, sizeof(v));
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static uint32_t get_be32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

size_t qgs_request_size(size_t report_len)
{
	return QGS_FRAME_HDR_SIZE + QGS_REQ_FIXED_SIZE + report_len;
}

void qgs_encode_request(uint8_t *out, const uint8_t *report, uint32_t report_len)
{
	uint32_t size = QGS_REQ_FIXED_SIZE + report_len, frame = htobe32(size);
	uint8_t *m = out + QGS_FRAME_HDR_SIZE;

	memcpy(out, &frame, sizeof(frame));
	put16(m, QGS_MSG_MAJOR);
	put16(m + 2, QGS_MSG_MINOR);
	put32(m + 4, QGS_GET_QUOTE_REQ);
	put32(m + 8, size);
	put32(m + 12, 0);                /* error_code */
	put32(m + 16, report_len);       /* report_size */
	put32(m + 20, 0);                /* id_list_size */
	memcpy(m + QGS_REQ_FIXED_SIZE, report, report_len);
}

int qgs_decode_response(const uint8_t *msg, size_t len, const uint8_t **quote, size_t *quote_len,
			const char **why)
{
	uint32_t quote_size;

	*why = NULL;
	if (len < QGS_RESP_FIXED_SIZE)
		*why = "reply shorter than its header";
	else if (msg[0] != QGS_MSG_MAJOR || msg[1] != 0)
		*why = "reply of an unknown major version";
	else if (get32(msg + 4) != QGS_GET_QUOTE_RESP)
		*why = "reply is not a GET_QUOTE_RESP";
	else if (get32(msg + 8) != len)
		*why = "reply size field disagrees with its frame";
	else if (get32(msg + 12) != 0)
		*why = "the service reported an error";
	else if (get32(msg + 16) != 0)
		*why = "reply selects an attestation key id cvmm did not offer";
	if (*why)
		return -EPROTO;
	quote_size = get32(msg + 20);
	if (quote_size != len - QGS_RESP_FIXED_SIZE) {
		*why = "quote size disagrees with the reply size";
		return -EPROTO;
	}
	*quote = msg + QGS_RESP_FIXED_SIZE;
	*quote_len = quote_size;
	return 0;
}

/* ---- requests on the event loop ---- */

enum req_state {
	REQ_CONNECTING,
	REQ_SENDING,
	REQ_RECEIVING,
};

struct qgs_req {
	struct qgs_client *client;
	struct qgs_req *next;
	enum req_state state;
	int sock, timer;
	uint8_t *out; /* the framed request */
	size_t out_len, out_done;
	uint8_t frame[QGS_FRAME_HDR_SIZE];
	size_t frame_done;
	uint8_t *in; /* the reply message, once its length is known */
	size_t in_len, in_done;
	size_t max_quote;
	qgs_done_fn done;
	void *ctx;
};

struct qgs_client {
	struct ev_loop *loop;
	struct qgs_addr addr;
	unsigned timeout_ms;
	int wake_fd;
	pthread_mutex_t lock;
	struct qgs_req *queued; /* submitted, not started (lock) */
	unsigned inflight;      /* queued and open (lock) */
	struct qgs_req *open;   /* started (loop thread only) */
	bool warned;
};

static void req_free(struct qgs_req *r)
{
	free(r->out);
	free(r->in);
	free(r);
}

static void unlink_open(struct qgs_client *c, struct qgs_req *r)
{
	for (struct qgs_req **pp = &c->open; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			return;
		}
	}
}

/* Ends a request: its fds go, its owner hears the outcome, the slot is free again. */
static void finish(struct qgs_req *r, enum qgs_status status, const char *why,
		   const uint8_t *quote, size_t quote_len)
{
	struct qgs_client *c = r->client;

	if (r->sock >= 0) {
		ev_loop_del(c->loop, r->sock);
		close(r->sock);
	}
	if (r->timer >= 0)
		ev_timer_del(c->loop, r->timer);
	unlink_open(c, r);
	if (status != QGS_OK && why) {
		if (!c->warned)
			log_warn("quote service: %s (later failures are logged at debug level)", why);
		else
			log_debug("quote service: %s", why);
		c->warned = true;
	}
	r->done(r->ctx, status, quote, quote_len);
	req_free(r);
	pthread_mutex_lock(&c->lock);
	c->inflight--;
	pthread_mutex_unlock(&c->lock);
}

static void on_timeout(void *opaque, int fd, uint32_t events)
{
	finish(opaque, QGS_FAILED, "no reply in time", NULL, 0);
}

static void complete_reply(struct qgs_req *r)
{
	const uint8_t *quote;
	size_t quote_len;
	const char *why;

	if (qgs_decode_response(r->in, r->in_len, &quote, &quote_len, &why))
		finish(r, QGS_FAILED, why, NULL, 0);
	else
		finish(r, QGS_OK, NULL, quote, quote_len);
}

/* One read per readiness event: the frame length first, then at most that many bytes. */
static void receive(struct qgs_req *r)
{
	ssize_t n;

	if (r->frame_done < QGS_FRAME_HDR_SIZE) {
		n = recv(r->sock, r->frame + r->frame_done, QGS_FRAME_HDR_SIZE - r->frame_done, 0);
		if (n > 0 && (r->frame_done += (size_t)n) == QGS_FRAME_HDR_SIZE) {
			r->in_len = get_be32(r->frame);
			if (r->in_len < QGS_RESP_FIXED_SIZE ||
			    r->in_len - QGS_RESP_FIXED_SIZE > r->max_quote) {
				finish(r, QGS_FAILED, "reply does not fit the guest's buffer", NULL, 0);
				return;
			}
			r->in = malloc(r->in_len);
			if (!r->in)
				finish(r, QGS_FAILED, "out of memory", NULL, 0);
		}
	} else {
		n = recv(r->sock, r->in + r->in_done, r->in_len - r->in_done, 0);
		if (n > 0 && (r->in_done += (size_t)n) == r->in_len)
			complete_reply(r);
	}
	if (n == 0)
		finish(r, QGS_FAILED, "the service closed the connection before its reply ended",
		       NULL, 0);
	else if (n < 0 && errno != EAGAIN && errno != EINTR)
		finish(r, QGS_UNAVAILABLE, "receiving from the service failed", NULL, 0);
}

static void on_socket(void *opaque, int fd, uint32_t events)
{
	struct qgs_req *r = opaque;
	int err = 0;
	socklen_t len = sizeof(err);
	ssize_t n;

	switch (r->state) {
	case REQ_CONNECTING:
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
			finish(r, QGS_UNAVAILABLE, "cannot connect to the service", NULL, 0);
			return;
		}
		r->state = REQ_SENDING;
		/* fall through */
	case REQ_SENDING:
		n = send(fd, r->out + r->out_done, r->out_len - r->out_done, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			finish(r, QGS_UNAVAILABLE, "sending to the service failed", NULL, 0);
			return;
		}
		if (n > 0 && (r->out_done += (size_t)n) == r->out_len) {
			r->state = REQ_RECEIVING;
			ev_loop_mod(r->client->loop, fd, EPOLLIN);
		}
		return;
	case REQ_RECEIVING:
		receive(r);
		return;
	}
}

static int open_socket(const struct qgs_addr *a, int *sock)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	struct sockaddr_vm vm = { .svm_family = AF_VSOCK };
	const struct sockaddr *sa;
	socklen_t sa_len;
	int fd;

	if (a->family == QGS_UNIX) {
		snprintf(un.sun_path, sizeof(un.sun_path), "%s", a->path);
		sa = (const struct sockaddr *)&un;
		sa_len = sizeof(un);
	} else {
		vm.svm_cid = a->cid;
		vm.svm_port = a->port;
		sa = (const struct sockaddr *)&vm;
		sa_len = sizeof(vm);
	}
	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	*sock = fd;
	if (connect(fd, sa, sa_len) < 0 && errno != EINPROGRESS)
		return -errno;
	return 0;
}

static void start(struct qgs_client *c, struct qgs_req *r)
{
	r->next = c->open;
	c->open = r;
	r->timer = ev_timer_add(c->loop, c->timeout_ms, 0, on_timeout, r);
	if (r->timer < 0) {
		finish(r, QGS_FAILED, "cannot arm the request's timer", NULL, 0);
		return;
	}
	if (open_socket(&c->addr, &r->sock)) {
		finish(r, QGS_UNAVAILABLE, "cannot connect to the service", NULL, 0);
		return;
	}
	/* A connect in progress and one already done both continue when writable. */
	if (ev_loop_add(c->loop, r->sock, EPOLLOUT, on_socket, r)) {
		close(r->sock);
		r->sock = -1;
		finish(r, QGS_FAILED, "cannot watch the connection", NULL, 0);
	}
}

static void on_wake(void *opaque, int fd, uint32_t events)
{
	struct qgs_client *c = opaque;
	struct qgs_req *list, *next;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_debug("quote service: wake-up read failed: %s", strerror(errno));
	pthread_mutex_lock(&c->lock);
	list = c->queued;
	c->queued = NULL;
	pthread_mutex_unlock(&c->lock);
	for (; list; list = next) {
		next = list->next;
		start(c, list);
	}
}

int qgs_client_create(struct qgs_client **out, struct ev_loop *loop, const struct qgs_addr *addr,
		      unsigned timeout_ms)
{
	struct qgs_client *c = calloc(1, sizeof(*c));
	int ret;

	if (!c)
		return -ENOMEM;
	c->loop = loop;
	c->addr = *addr;
	c->timeout_ms = timeout_ms;
	c->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->wake_fd < 0) {
		ret = -errno;
		free(c);
		return ret;
	}
	ret = ev_loop_add(loop, c->wake_fd, EPOLLIN, on_wake, c);
	if (ret) {
		close(c->wake_fd);
		free(c);
		return ret;
	}
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return 0;
}

int qgs_client_submit(struct qgs_client *c, const uint8_t *report, size_t report_len,
		      size_t max_quote, qgs_done_fn done, void *ctx)
{
	struct qgs_req *r;
	uint64_t one = 1;

	if (report_len > UINT32_MAX - QGS_REQ_FIXED_SIZE)
		return -E2BIG;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	*r = (struct qgs_req){ .client = c, .sock = -1, .timer = -1, .max_quote = max_quote,
			       .done = done, .ctx = ctx };
	r->out_len = qgs_request_size(report_len);
	r->out = malloc(r->out_len);
	if (!r->out) {
		free(r);
		return -ENOMEM;
	}
	qgs_encode_request(r->out, report, (uint32_t)report_len);
	pthread_mutex_lock(&c->lock);
	if (c->inflight >= QGS_MAX_INFLIGHT) {
		pthread_mutex_unlock(&c->lock);
		req_free(r);
		return -EBUSY;
	}
	c->inflight++;
	r->next = c->queued;
	c->queued = r;
	pthread_mutex_unlock(&c->lock);
	if (write(c->wake_fd, &one, sizeof(one)) < 0)
		log_debug("quote service: wake-up write failed: %s", strerror(errno));
	return 0;
}

void qgs_client_destroy(struct qgs_client *c)
{
	if (!c)
		return;
	while (c->open)
		finish(c->open, QGS_CANCELLED, NULL, NULL, 0);
	while (c->queued) {
		struct qgs_req *r = c->queued;

		c->queued = r->next;
		r->done(r->ctx, QGS_CANCELLED, NULL, 0);
		req_free(r);
	}
	ev_loop_del(c->loop, c->wake_fd);
	close(c->wake_fd);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
