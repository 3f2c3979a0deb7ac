// SPDX-License-Identifier: MIT
/*
 * The API's HTTP layer on libmicrohttpd.  cvmm owns the Unix socket and accepts connections itself
 * (so it can peek at SCM_RIGHTS descriptors before libmicrohttpd reads the bytes they came with),
 * then hands each connection to a libmicrohttpd daemon in external-epoll mode.  One epoll fd
 * gathers the listening socket, the daemon's epoll fd and every connection (watched one-shot for
 * the first byte of its next request), so the caller polls a single fd.
 *
 * A route table that takes descriptors (max_fds) has its connections relayed (vmm/api_relay.h):
 * libmicrohttpd serves one end of a socketpair and cvmm moves the bytes, reading the client with
 * recvmsg() so that each request's descriptors arrive with its bytes, on every request of a
 * keep-alive connection.  Other tables hand the client's socket to libmicrohttpd directly.
 *
 * Connection states and their deadlines (clock: CLOCK_MONOTONIC):
 *   NEW         accepted, nothing received yet (relayed: descriptors may come)  request timeout
 *   IDLE        between requests                                              idle timeout
 *   RECEIVING   bytes of a request arrived                                    request timeout
 *   PROCESSING  the request is complete: the handler runs, the answer goes    none
 *   DRAINING    relayed: libmicrohttpd closed, the last answer bytes go out   request timeout
 * A connection past its deadline is shut down; libmicrohttpd then sees the end and frees it.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vmm/api_http.h"
#include "vmm/api_relay.h"
#include "vmm/error.h"
#include "vmm/log.h"
#include "vmm/util.h"

#define NS_PER_S   1000000000ULL
#define TAG_LISTEN UINT64_MAX
#define TAG_MHD    (UINT64_MAX - 1)
#define TAG_NEAR   API_HTTP_MAX_CONNECTIONS /* + index: a relay's end of its socketpair */
#define ACCEPTS_PER_RUN  API_HTTP_MAX_CONNECTIONS
#define EVENTS_PER_RUN   64
#define ECHO_MAX   64 /* bytes of a client's method or path quoted back in an error */
#define EOF_RECHECK_NS 5000000ULL

enum conn_state {
	CONN_FREE,
	CONN_NEW,
	CONN_IDLE,
	CONN_RECEIVING,
	CONN_PROCESSING,
	CONN_DRAINING,
};

struct api_conn {
	enum conn_state state;
	int fd;               /* the client's socket */
	int mhd_fd;           /* what libmicrohttpd serves: fd, or the relay's far end */
	struct api_relay *relay; /* NULL: not relayed */
	uint32_t client_ev, near_ev; /* relayed: what epoll watches now */
	bool client_watched, near_watched;
	uint64_t deadline_ns; /* 0: none */
	bool in_mhd;          /* libmicrohttpd owns mhd_fd (and closes it) */
	int fds[API_HTTP_MAX_FDS];
	unsigned nr_fds;
};

struct api_server {
	const struct api_routes *routes;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd;
	int epfd;
	struct MHD_Daemon *mhd;
	struct api_conn conns[API_HTTP_MAX_CONNECTIONS];
	unsigned nr_conns;
	uint64_t request_ns, idle_ns; /* the deadlines */
	bool closed_in_run; /* libmicrohttpd closes the fds of ended connections on its next run */
};

/* A request being received: its body so far. */
struct req_ctx {
	struct api_conn *conn;
	char *body;
	size_t len;
	bool too_big;
	bool answered; /* refused before the body was read */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* A client's bytes quoted in a message: printable ASCII only, bounded. */
static void sanitize(char *out, size_t cap, const char *in)
{
	size_t i = 0;

	for (; in && in[i] && i + 1 < cap && i < ECHO_MAX; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f && in[i] != '"' ? in[i] : '?';
	out[i] = 0;
}

/* A direct connection: watched one-shot for the first byte of its next request. */
static void watch_conn(struct api_server *s, struct api_conn *c, int op)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT,
		.data.u64 = (uint64_t)(c - s->conns),
	};

	if (epoll_ctl(s->epfd, op, c->fd, &ev) < 0 && op == EPOLL_CTL_ADD)
		log_debug("api: cannot watch a connection: %s", strerror(errno));
}

/* Watches fd (level-triggered) for want, or not at all (!on), where it had *have, *watched. */
static void watch_fd(struct api_server *s, int fd, uint64_t tag, uint32_t *have, bool *watched,
		     uint32_t want, bool on)
{
	struct epoll_event ev = { .events = want, .data.u64 = tag };
	int op = !*watched ? EPOLL_CTL_ADD : !on ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;

	if (on == *watched && (!on || want == *have))
		return;
	if (!on && !*watched)
		return;
	if (epoll_ctl(s->epfd, op, fd, &ev) < 0)
		log_debug("api: cannot watch a relayed connection: %s", strerror(errno));
	*have = want;
	*watched = on;
}

/* A relayed connection: its two sockets watched for what the relay can move now. */
static void watch_relay(struct api_server *s, struct api_conn *c)
{
	uint64_t i = (uint64_t)(c - s->conns);

	watch_fd(s, api_relay_client_fd(c->relay), i, &c->client_ev, &c->client_watched,
		 api_relay_client_events(c->relay), api_relay_client_watched(c->relay));
	watch_fd(s, api_relay_near_fd(c->relay), TAG_NEAR + i, &c->near_ev, &c->near_watched,
		 api_relay_near_events(c->relay), api_relay_near_watched(c->relay));
}

static void close_passed_fds(struct api_conn *c)
{
	for (unsigned i = 0; i < c->nr_fds; i++)
		if (c->fds[i] >= 0)
			close(c->fds[i]);
	c->nr_fds = 0;
}

static void free_conn(struct api_server *s, struct api_conn *c)
{
	if (c->state == CONN_FREE)
		return;
	if (c->relay) {
		watch_fd(s, api_relay_client_fd(c->relay), 0, &c->client_ev, &c->client_watched, 0,
			 false);
		watch_fd(s, api_relay_near_fd(c->relay), 0, &c->near_ev, &c->near_watched, 0,
			 false);
		api_relay_close(c->relay); /* the far end is libmicrohttpd's */
		c->relay = NULL;
	} else {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		if (!c->in_mhd)
			close(c->fd);
	}
	close_passed_fds(c);
	c->state = CONN_FREE;
	c->fd = c->mhd_fd = -1;
	s->nr_conns--;
}

static void set_state(struct api_server *s, struct api_conn *c, enum conn_state st)
{
	c->state = st;
	switch (st) {
	case CONN_NEW:
	case CONN_RECEIVING:
	case CONN_DRAINING:
		c->deadline_ns = now_ns() + s->request_ns;
		break;
	case CONN_IDLE:
		c->deadline_ns = now_ns() + s->idle_ns;
		break;
	default:
		c->deadline_ns = 0;
		break;
	}
}

/* Gives mhd_fd to libmicrohttpd, which owns (and closes) it from here on. */
static void hand_to_mhd(struct api_server *s, struct api_conn *c)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	c->in_mhd = true;
	/* On failure libmicrohttpd closes the fd and reports no connection: drop ours. */
	if (MHD_add_connection(s->mhd, c->mhd_fd, (struct sockaddr *)&addr,
			       sizeof(sa_family_t)) != MHD_YES) {
		free_conn(s, c);
		return;
	}
	if (c->relay)
		watch_relay(s, c);
	else
		watch_conn(s, c, EPOLL_CTL_ADD);
}

static void accept_conns(struct api_server *s)
{
	for (unsigned n = 0; n < ACCEPTS_PER_RUN; n++) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct api_conn *c = NULL;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("api: accept failed: %s", strerror(errno));
			return;
		}
		for (unsigned i = 0; i < API_HTTP_MAX_CONNECTIONS && !c; i++)
			if (s->conns[i].state == CONN_FREE)
				c = &s->conns[i];
		if (!c) {
			/* The connection limit: closed at once. */
			close(fd);
			continue;
		}
		memset(c, 0, sizeof(*c));
		c->fd = c->mhd_fd = fd;
		if (s->routes->max_fds && api_relay_open(fd, &c->relay, &c->mhd_fd)) {
			log_warn("api: cannot relay a connection: %s", strerror(errno));
			close(fd);
			continue;
		}
		s->nr_conns++;
		set_state(s, c, c->relay ? CONN_NEW : CONN_IDLE);
		hand_to_mhd(s, c);
	}
}

/* A relayed connection's socket is ready: move what can move. */
static void relay_ready(struct api_server *s, struct api_conn *c, uint32_t client_events)
{
	unsigned got = api_relay_pump(c->relay, client_events, c->fds, &c->nr_fds,
				      MIN(s->routes->max_fds, API_HTTP_MAX_FDS));

	/* The first byte of a request starts its clock. */
	if ((got & API_RELAY_CLIENT_BYTES) && (c->state == CONN_NEW || c->state == CONN_IDLE))
		set_state(s, c, CONN_RECEIVING);
	if ((got & API_RELAY_DONE) && !c->in_mhd) {
		free_conn(s, c);
		return;
	}
	watch_relay(s, c);
}

/* The first byte of a request arrived on an idle direct connection: its clock starts. */
static void conn_event(struct api_server *s, uint64_t tag, uint32_t events)
{
	struct api_conn *c;

	if (tag >= TAG_NEAR + API_HTTP_MAX_CONNECTIONS)
		return;
	c = &s->conns[tag % API_HTTP_MAX_CONNECTIONS];
	if (c->state == CONN_FREE)
		return;
	if (c->relay)
		relay_ready(s, c, tag < TAG_NEAR ? events : 0);
	else if (c->state == CONN_IDLE)
		set_state(s, c, CONN_RECEIVING);
}

static void expire(struct api_server *s)
{
	uint64_t now = now_ns();

	for (unsigned i = 0; i < API_HTTP_MAX_CONNECTIONS; i++) {
		struct api_conn *c = &s->conns[i];

		if (c->state == CONN_FREE || !c->deadline_ns || c->deadline_ns > now)
			continue;
		c->deadline_ns = 0;
		if (!c->in_mhd) {
			free_conn(s, c);
		} else if (c->relay) {
			/* libmicrohttpd reads the end of the stream and frees the connection. */
			api_relay_abort(c->relay);
			relay_ready(s, c, 0);
		} else {
			shutdown(c->fd, SHUT_RDWR);
		}
	}
}

static void handle_events(struct api_server *s, bool accept_new)
{
	struct epoll_event evs[EVENTS_PER_RUN];
	int n = epoll_wait(s->epfd, evs, EVENTS_PER_RUN, 0);

	for (int i = 0; i < n; i++) {
		uint64_t tag = evs[i].data.u64;

		if (tag == TAG_LISTEN) {
			if (accept_new)
				accept_conns(s);
		} else if (tag != TAG_MHD) {
			conn_event(s, tag, evs[i].events);
		}
	}
}

/* Relayed clients' ends of stream that waited for the daemon to read what came before. */
static bool pass_eofs(struct api_server *s)
{
	bool waiting = false;

	for (unsigned i = 0; i < API_HTTP_MAX_CONNECTIONS; i++) {
		struct api_conn *c = &s->conns[i];

		if (c->state == CONN_FREE || !c->relay || !api_relay_eof_pending(c->relay))
			continue;
		relay_ready(s, c, 0);
		waiting |= c->state != CONN_FREE && c->relay && api_relay_eof_pending(c->relay);
	}
	return waiting;
}

void api_server_run(struct api_server *s)
{
	s->closed_in_run = false;
	/* Connection events before the daemon runs: it may read the bytes that woke us. */
	handle_events(s, true);
	MHD_run(s->mhd);
	/* And after: relayed answers the daemon just wrote go to their clients now. */
	if (s->routes->max_fds) {
		handle_events(s, false);
		pass_eofs(s);
	}
	expire(s);
}

bool api_server_busy(const struct api_server *s)
{
	for (unsigned i = 0; i < API_HTTP_MAX_CONNECTIONS; i++) {
		const struct api_conn *c = &s->conns[i];

		if (c->state == CONN_PROCESSING || c->state == CONN_DRAINING ||
		    (c->state != CONN_FREE && c->relay && api_relay_pending(c->relay)))
			return true;
	}
	return false;
}

int api_server_timeout_ms(struct api_server *s)
{
	MHD_UNSIGNED_LONG_LONG mhd_ms;
	uint64_t now = now_ns(), next = 0;
	int64_t ms = -1;

	if (s->closed_in_run)
		return 0;
	for (unsigned i = 0; i < API_HTTP_MAX_CONNECTIONS; i++) {
		const struct api_conn *c = &s->conns[i];

		if (c->state != CONN_FREE && c->deadline_ns && (!next || c->deadline_ns < next))
			next = c->deadline_ns;
		/* An end of stream waits for the daemon to read: look again shortly. */
		if (c->state != CONN_FREE && c->relay && api_relay_eof_pending(c->relay))
			next = MIN(next ? next : UINT64_MAX, now + EOF_RECHECK_NS);
	}
	if (next)
		ms = next <= now ? 0 : (int64_t)((next - now + 999999) / 1000000);
	if (MHD_get_timeout(s->mhd, &mhd_ms) == MHD_YES && (ms < 0 || (int64_t)mhd_ms < ms))
		ms = mhd_ms > INT32_MAX ? INT32_MAX : (int64_t)mhd_ms;
	return (int)ms;
}

int api_server_fd(const struct api_server *s)
{
	return s->epfd;
}

void api_server_set_timeouts(struct api_server *s, unsigned request_ms, unsigned idle_ms)
{
	s->request_ns = (uint64_t)request_ms * 1000000;
	s->idle_ns = (uint64_t)idle_ms * 1000000;
}

unsigned api_server_connections(const struct api_server *s)
{
	return s->nr_conns;
}

static struct api_conn *conn_of(struct MHD_Connection *mc)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct api_server *s = cls;
	const union MHD_ConnectionInfo *ci;
	struct api_conn *c;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
		for (unsigned i = 0; ci && i < API_HTTP_MAX_CONNECTIONS; i++)
			if (s->conns[i].state != CONN_FREE && s->conns[i].mhd_fd == ci->connect_fd)
				*socket_context = &s->conns[i];
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		c = *socket_context;
		*socket_context = NULL;
		s->closed_in_run = true;
		if (!c || c->state == CONN_FREE)
			return;
		if (!c->relay) {
			free_conn(s, c); /* libmicrohttpd closes the socket */
			return;
		}
		/* Its last answer may still be on its way to the client. */
		c->in_mhd = false;
		set_state(s, c, CONN_DRAINING);
		relay_ready(s, c, 0);
	}
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
			 enum MHD_RequestTerminationCode code)
{
	struct api_server *s = cls;
	struct req_ctx *r = *con_cls;
	struct api_conn *c = conn_of(mc);

	if (r) {
		free(r->body);
		free(r);
		*con_cls = NULL;
	}
	if (c && c->state != CONN_FREE && c->state != CONN_DRAINING) {
		close_passed_fds(c);
		set_state(s, c, CONN_IDLE);
		if (!c->relay)
			watch_conn(s, c, EPOLL_CTL_MOD);
	}
}

static enum MHD_Result send_answer(struct MHD_Connection *mc, struct api_response *resp)
{
	size_t len = resp->body ? strlen(resp->body) : 0;
	struct MHD_Response *r = MHD_create_response_from_buffer(len, resp->body,
								 MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r) {
		free(resp->body);
		return MHD_NO;
	}
	resp->body = NULL;
	if (len)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
					resp->content_type ? resp->content_type : "application/json");
	ret = MHD_queue_response(mc, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result answer_error(struct api_server *s, struct MHD_Connection *mc,
				    const struct api_request *req, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum MHD_Result answer_error(struct api_server *s, struct MHD_Connection *mc,
				    const struct api_request *req, const char *fmt, ...)
{
	struct api_response resp = { .status = 400 };
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (s->routes->error_body)
		resp.body = s->routes->error_body(msg);
	resp.content_type = s->routes->error_content_type;
	if (s->routes->answered)
		s->routes->answered(s->routes->ctx, req, resp.status);
	return send_answer(mc, &resp);
}

static bool segment_ok(const char *seg)
{
	return *seg && !strchr(seg, '/');
}

const struct api_route *api_route_find(const struct api_routes *routes, const char *method,
				       const char *path, char *buf, size_t buf_len,
				       bool *path_known)
{
	*path_known = false;
	if (buf_len)
		buf[0] = 0;
	for (size_t i = 0; i < routes->nr; i++) {
		const struct api_route *r = &routes->routes[i];
		const char *brace = strstr(r->path, "{}");
		bool match;

		if (brace) {
			size_t plen = (size_t)(brace - r->path);

			match = !strncmp(path, r->path, plen) && segment_ok(path + plen) &&
				strlen(path + plen) < buf_len;
			if (match && !strcmp(r->method, method)) {
				snprintf(buf, buf_len, "%s", path + plen);
				*path_known = true;
				return r;
			}
		} else {
			match = !strcmp(path, r->path);
			if (match && !strcmp(r->method, method)) {
				*path_known = true;
				return r;
			}
		}
		*path_known |= match;
	}
	return NULL;
}

static enum MHD_Result dispatch(struct api_server *s, struct MHD_Connection *mc,
				struct req_ctx *r, const char *method, const char *url)
{
	struct api_response resp = { .status = 500 };
	struct api_request req = {
		.method = method,
		.path = url,
		.body = r->body ? r->body : "",
		.body_len = r->len,
	};
	char param[256], m[ECHO_MAX + 1], p[ECHO_MAX + 1];
	const struct api_route *route;
	bool known;

	sanitize(m, sizeof(m), method);
	sanitize(p, sizeof(p), url);
	if (r->too_big)
		return answer_error(s, mc, &req, "the request body is larger than the %d bytes allowed",
				    API_HTTP_BODY_MAX);
	if (strlen(req.body) != r->len)
		return answer_error(s, mc, &req, "the request body contains a NUL byte");
	route = api_route_find(s->routes, method, url, param, sizeof(param), &known);
	if (!route && known)
		return answer_error(s, mc, &req, "Invalid request method %s for %s", m, p);
	if (!route)
		return answer_error(s, mc, &req, "Invalid request method and/or path: %s %s", m, p);
	if (strchr(route->path, '{'))
		req.param = param;
	if (r->conn) {
		req.fds = r->conn->fds;
		req.nr_fds = r->conn->nr_fds;
	}
	route->handler(s->routes->ctx, &req, &resp);
	if (resp.status >= 400 && !resp.body && s->routes->error_body) {
		resp.body = s->routes->error_body("request failed");
		resp.content_type = s->routes->error_content_type;
	}
	if (s->routes->answered)
		s->routes->answered(s->routes->ctx, &req, resp.status);
	return send_answer(mc, &resp);
}

/* Counts the headers that frame the body: a second Content-Length, or both kinds, is refused. */
static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	unsigned *n = cls;

	if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) ||
	    !strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING))
		(*n)++;
	return MHD_YES;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *mc, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	struct api_server *s = cls;
	struct req_ctx *r = *con_cls;
	const char *cl;

	if (!r) {
		unsigned framing = 0;
		uint64_t len;

		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		*con_cls = r;
		r->conn = conn_of(mc);
		if (r->conn && r->conn->state != CONN_RECEIVING)
			set_state(s, r->conn, CONN_RECEIVING);
		cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		MHD_get_connection_values(mc, MHD_HEADER_KIND, count_framing, &framing);
		if (framing > 1) {
			struct api_request req = { .method = method, .path = url, .body = "" };

			r->answered = true;
			return answer_error(s, mc, &req, "the body's length is given more than once");
		}
		/*
		 * A body a little over the cap is read and dropped, so that the client is sending no
		 * more when the 400 comes (a close with unread bytes can lose the answer); a larger
		 * one is refused before a byte of it is read, and the connection closes after.
		 */
		if (cl && !parse_u64(cl, &len, false) && len > API_HTTP_BODY_MAX &&
		    len <= API_HTTP_DISCARD_MAX) {
			r->too_big = true;
		} else if (cl && (parse_u64(cl, &len, false) || len > API_HTTP_BODY_MAX)) {
			struct api_request req = { .method = method, .path = url, .body = "" };

			r->answered = true;
			return answer_error(s, mc, &req,
					    "the request body is larger than the %d bytes allowed",
					    API_HTTP_BODY_MAX);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		*upload_data_size = 0;
		if (r->answered || r->too_big)
			return MHD_YES;
		if (r->len + n > API_HTTP_BODY_MAX) {
			r->too_big = true;
			free(r->body);
			r->body = NULL;
			r->len = 0;
			return MHD_YES;
		}
		char *grown = realloc(r->body, r->len + n + 1);

		if (!grown)
			return MHD_NO;
		memcpy(grown + r->len, upload_data, n);
		r->len += n;
		grown[r->len] = 0;
		r->body = grown;
		return MHD_YES;
	}
	if (r->answered)
		return MHD_YES;
	if (r->conn)
		set_state(s, r->conn, CONN_PROCESSING);
	return dispatch(s, mc, r, method, url);
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[256];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = 0;
	log_debug("api: libmicrohttpd: %s", line);
}

/* The listening socket at path, mode 0600 before anyone can connect. */
static int open_socket(struct api_server *s, const char *path, struct error *e)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return error_set(e, ERROR_USAGE, ENAMETOOLONG,
				 "--api-sock %s: longer than a Unix socket path may be (%zu bytes)",
				 path, sizeof(addr.sun_path) - 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return error_set(e, ERROR_INPUT, EEXIST,
					 "--api-sock %s: exists and is not a socket (cvmm will not "
					 "replace it)", path);
		unlink(path);
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error_set(e, ERROR_HOST, errno, "api socket: %s", strerror(errno));
	/* The socket file takes the socket's mode at bind: no window with looser permissions. */
	if (fchmod(fd, 0600) < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    chmod(path, 0600) < 0 || listen(fd, API_HTTP_MAX_CONNECTIONS) < 0) {
		int err = errno;

		close(fd);
		return error_set(e, err == EACCES || err == ENOENT ? ERROR_INPUT : ERROR_HOST, err,
				 "--api-sock %s: %s", path, strerror(err));
	}
	s->listen_fd = fd;
	snprintf(s->path, sizeof(s->path), "%s", path);
	return 0;
}

int api_server_open(const char *path, const struct api_routes *routes, struct api_server **out,
		    struct error *e)
{
	struct api_server *s = calloc(1, sizeof(*s));
	struct epoll_event ev = { .events = EPOLLIN };
	const union MHD_DaemonInfo *di;
	int ret;

	*out = NULL;
	if (!s)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	s->routes = routes;
	s->listen_fd = s->epfd = -1;
	s->request_ns = API_HTTP_REQUEST_TIMEOUT_S * NS_PER_S;
	s->idle_ns = API_HTTP_IDLE_TIMEOUT_S * NS_PER_S;
	for (unsigned i = 0; i < API_HTTP_MAX_CONNECTIONS; i++)
		s->conns[i].fd = -1;
	ret = open_socket(s, path, e);
	if (ret)
		goto fail;
	s->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG, 0,
				  NULL, NULL, on_access, s,
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)API_HTTP_MAX_CONNECTIONS,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_HTTP_IDLE_TIMEOUT_S,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)API_HTTP_MEMORY_LIMIT,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				  MHD_OPTION_STRICT_FOR_CLIENT, 1,
				  MHD_OPTION_END);
	di = s->mhd ? MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!di || s->epfd < 0) {
		ret = error_set(e, ERROR_HOST, errno ? errno : ENOMEM,
				"cannot start the API's HTTP server");
		goto fail;
	}
	ev.data.u64 = TAG_LISTEN;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->listen_fd, &ev) < 0) {
		ret = error_set(e, ERROR_HOST, errno, "api: epoll: %s", strerror(errno));
		goto fail;
	}
	ev.data.u64 = TAG_MHD;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, di->epoll_fd, &ev) < 0) {
		ret = error_set(e, ERROR_HOST, errno, "api: epoll: %s", strerror(errno));
		goto fail;
	}
	*out = s;
	return 0;
fail:
	api_server_close(s);
	return ret;
}

void api_server_close(struct api_server *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < API_HTTP_MAX_CONNECTIONS; i++)
		if (s->conns[i].state != CONN_FREE && !s->conns[i].in_mhd)
			free_conn(s, &s->conns[i]);
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(s->path);
	}
	if (s->epfd >= 0)
		close(s->epfd);
	free(s);
}
