/* SPDX-License-Identifier: MIT */
/*
 * Client of the TDX quote generation service (QGS: Intel DCAP's qgsd, or anything speaking its
 * socket protocol) for the GetQuote TDVMCALL.  The guest hands cvmm a TD report; cvmm wraps it in
 * a QGS GET_QUOTE_REQ, sends it to the service over a Unix or vsock stream socket, and gives the
 * guest the quote from the GET_QUOTE_RESP.
 *
 * Wire format (all integers of the QGS message little endian, the frame length big endian):
 *   frame     u32 BE length of the message that follows
 *   header    u16 major_version 1, u16 minor_version 1, u32 type, u32 size (whole message, header
 *             included), u32 error_code (responses only)
 *   request   header (type GET_QUOTE_REQ 0), u32 report_size, u32 id_list_size 0, the report
 *   response  header (type GET_QUOTE_RESP 1), u32 selected_id_size 0, u32 quote_size, the quote
 *
 * Requests run on the VM's event loop: connect, send and receive never block a thread, every
 * request has a deadline, and a reply is never read past what the guest's buffer can take.
 */
#ifndef CVMM_TDX_QGS_H
#define CVMM_TDX_QGS_H

#include <stddef.h>
#include <stdint.h>

struct error;
struct ev_loop;

#define QGS_FRAME_HDR_SIZE  4
#define QGS_MSG_HDR_SIZE    16
#define QGS_REQ_FIXED_SIZE  (QGS_MSG_HDR_SIZE + 8)
#define QGS_RESP_FIXED_SIZE (QGS_MSG_HDR_SIZE + 8)
#define QGS_MSG_MAJOR       1
#define QGS_MSG_MINOR       1
#define QGS_GET_QUOTE_REQ   0
#define QGS_GET_QUOTE_RESP  1

#define QGS_MAX_INFLIGHT     16    /* more requests at once are answered RETRY */
#define QGS_DEFAULT_TIMEOUT_MS 30000
#define QGS_PATH_MAX         108

enum qgs_family {
	QGS_UNIX,
	QGS_VSOCK,
};

struct qgs_addr {
	enum qgs_family family;
	char path[QGS_PATH_MAX]; /* QGS_UNIX */
	uint32_t cid, port;      /* QGS_VSOCK */
};

/* "unix:PATH" or "vsock:CID:PORT"; one usage line in e otherwise. */
int qgs_addr_parse(const char *spec, struct qgs_addr *out, struct error *e);

/* The framed request for a report of report_len bytes: its size, and the bytes. */
size_t qgs_request_size(size_t report_len);
void qgs_encode_request(uint8_t *out, const uint8_t *report, uint32_t report_len);

/*
 * Checks a whole response message (what follows the frame length): header version and type,
 * size equal to len, error code 0, no selected id, quote_size equal to what is left.  On success
 * *quote points into msg.  -EPROTO with a static reason in *why otherwise.
 */
int qgs_decode_response(const uint8_t *msg, size_t len, const uint8_t **quote, size_t *quote_len,
			const char **why);

/* Outcome of a request, as given to its completion. */
enum qgs_status {
	QGS_OK,
	QGS_UNAVAILABLE, /* cannot connect, or the service went away before answering */
	QGS_FAILED,      /* malformed or failed reply, reply too large, timeout */
	QGS_CANCELLED,   /* the client was destroyed first */
};

/* Called on the loop thread (or in qgs_client_destroy); quote is valid during the call only. */
typedef void (*qgs_done_fn)(void *ctx, enum qgs_status status, const uint8_t *quote,
			    size_t quote_len);

struct qgs_client;

/*
 * A client for the service at addr, serving its requests on loop (which must not run yet: the
 * client registers its wake-up fd).  timeout_ms bounds each request, connect to last byte.
 */
int qgs_client_create(struct qgs_client **out, struct ev_loop *loop, const struct qgs_addr *addr,
		      unsigned timeout_ms);

/*
 * Any thread.  Queues a request for this report (copied); a reply whose quote is larger than
 * max_quote bytes fails.  done(ctx, ...) runs later on the loop thread.  -EBUSY when
 * QGS_MAX_INFLIGHT requests are queued or running, -ENOMEM.
 */
int qgs_client_submit(struct qgs_client *c, const uint8_t *report, size_t report_len,
		      size_t max_quote, qgs_done_fn done, void *ctx);

/* With the loop no longer running: every request still open completes as QGS_CANCELLED. */
void qgs_client_destroy(struct qgs_client *c);

#endif
