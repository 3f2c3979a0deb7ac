/* SPDX-License-Identifier: MIT */
/*
 * The management API's HTTP layer: HTTP/1.1 on a Unix socket that cvmm creates (mode 0600), served
 * by libmicrohttpd from the caller's poll loop, with a route table per API dialect (Firecracker's
 * today; a second table, e.g. Cloud Hypervisor's, plugs in the same way).
 *
 * Every client is hostile.  What a client can cost is bounded:
 *   - bodies: at most API_HTTP_BODY_MAX bytes (a Content-Length above API_HTTP_DISCARD_MAX is
 *     refused before the body is read, one in between after it was read and dropped); headers:
 *     libmicrohttpd's per-connection memory limit;
 *   - time: a request must arrive in full within API_HTTP_REQUEST_TIMEOUT_S of its first byte (one
 *     byte per second does not keep it alive), an idle connection is closed after
 *     API_HTTP_IDLE_TIMEOUT_S;
 *   - connections: at most API_HTTP_MAX_CONNECTIONS at once, more are closed on accept;
 *   - descriptors passed with SCM_RIGHTS: only when the route table asks for them, at most max_fds
 *     per request (the rest are closed); such a table's connections are relayed through cvmm
 *     (vmm/api_relay.h: a bounded buffer each way), so that every request of a keep-alive
 *     connection gets the descriptors sent with its bytes.  Descriptors a handler does not keep
 *     are closed when its answer has gone.
 * A request the layer cannot accept is answered 400 in the table's error dialect, or its connection
 * is closed.  Handlers run on the caller's thread, one at a time.
 */
#ifndef CVMM_API_HTTP_H
#define CVMM_API_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct error;

#define API_HTTP_BODY_MAX          (64 * 1024)
#define API_HTTP_DISCARD_MAX       (4 * API_HTTP_BODY_MAX) /* read and dropped before the 400 */
#define API_HTTP_MAX_CONNECTIONS   32
#define API_HTTP_REQUEST_TIMEOUT_S 10
#define API_HTTP_IDLE_TIMEOUT_S    120
#define API_HTTP_MAX_FDS           16
#define API_HTTP_MEMORY_LIMIT      (32 * 1024) /* libmicrohttpd's buffer per connection */

struct api_request {
	const char *method; /* "GET", "PUT", "PATCH", ... */
	const char *path;   /* without the query string */
	const char *param;  /* the last path segment of a route ending in "/{}", else NULL */
	const char *body;   /* NUL-terminated ("" without a body) */
	size_t body_len;
	/*
	 * Passed with the request's bytes (SCM_RIGHTS; with pipelined requests, with the bytes of
	 * the next request answered); a handler keeping one sets it to -1.
	 */
	int *fds;
	unsigned nr_fds;
};

struct api_response {
	int status;  /* 200, 204, 400, 500 ... */
	char *body;  /* malloc'd, or NULL for none */
	const char *content_type; /* of the body; NULL: application/json */
};

typedef void (*api_handler_fn)(void *ctx, const struct api_request *req,
			       struct api_response *resp);

struct api_route {
	const char *method;
	const char *path; /* exact ("/machine-config"), or "/drives/{}": one non-empty segment */
	api_handler_fn handler;
};

/* One API dialect. */
struct api_routes {
	const struct api_route *routes;
	size_t nr;
	void *ctx; /* handed to every handler */
	/* The body of an error answer in this dialect (malloc'd; NULL: none), and its type. */
	char *(*error_body)(const char *message);
	const char *error_content_type; /* NULL: application/json */
	/* Called with the answer of every request, after the handler (counters); may be NULL. */
	void (*answered)(void *ctx, const struct api_request *req, int status);
	unsigned max_fds; /* descriptors accepted per connection with SCM_RIGHTS; 0: none */
};

struct api_server;

/*
 * Creates the socket at path (mode 0600; a stale socket left there is replaced, anything else is
 * refused) and the server.  routes must outlive it.
 */
int api_server_open(const char *path, const struct api_routes *routes, struct api_server **out,
		    struct error *e);
/* Everything the server waits on, as one fd for poll(): readable when api_server_run has work. */
int api_server_fd(const struct api_server *s);
/* How long the caller may sleep before calling api_server_run (ms; -1: until the fd is ready). */
int api_server_timeout_ms(struct api_server *s);
/* Accepts, reads, answers, enforces the deadlines: bounded work, never blocks. */
void api_server_run(struct api_server *s);
/* Closes every connection and the socket, removes the path. */
void api_server_close(struct api_server *s);

/* Shorter deadlines than API_HTTP_REQUEST_TIMEOUT_S / API_HTTP_IDLE_TIMEOUT_S (tests). */
void api_server_set_timeouts(struct api_server *s, unsigned request_ms, unsigned idle_ms);

/*
 * An answer is on its way: a request is being answered, or answer bytes have not reached their
 * client yet.  A process about to exit after an answer runs the server until this is false.
 */
bool api_server_busy(const struct api_server *s);

/* Open connections (for tests and metrics). */
unsigned api_server_connections(const struct api_server *s);

/* Finds the route for method and path; *param gets the {} segment (copied into buf). */
const struct api_route *api_route_find(const struct api_routes *routes, const char *method,
				       const char *path, char *buf, size_t buf_len,
				       bool *path_known);

#endif
