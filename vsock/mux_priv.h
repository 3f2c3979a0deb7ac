/* SPDX-License-Identifier: MIT */
/* The multiplexer's insides, shared by mux.c (guest packets), mux_host.c and mux_rx.c. */
#ifndef CVMM_VSOCK_MUX_PRIV_H
#define CVMM_VSOCK_MUX_PRIV_H

#include "vmm/util.h"
#include "vsock/conn_table.h"
#include "vsock/list.h"
#include "vsock/mux.h"
#include "vsock/ring.h"

enum conn_state {
	CONN_HANDSHAKE,   /* host client accepted, reading its "CONNECT <port>\n" */
	CONN_CONNECTING,  /* host-initiated: REQUEST queued or sent, waiting for RESPONSE */
	CONN_ESTABLISHED,
	CONN_CLOSING,     /* the guest shut both directions: flush to the host, then RST */
};

/* Control packets a connection owes the guest. */
#define PEND_REQUEST        (1U << 0)
#define PEND_RESPONSE       (1U << 1)
#define PEND_SHUTDOWN       (1U << 2)
#define PEND_CREDIT_UPDATE  (1U << 3)
#define PEND_CREDIT_REQUEST (1U << 4)

#define VSOCK_SHUT_RCV  1U /* VIRTIO_VSOCK_SHUTDOWN_RCV */
#define VSOCK_SHUT_SEND 2U /* VIRTIO_VSOCK_SHUTDOWN_SEND */
#define VSOCK_SHUT_BOTH 3U

struct vsock_conn {
	struct vsock_mux *mux;
	struct vsock_hnode node;   /* key: (local_port, peer_port); in the table unless HANDSHAKE */
	struct vsock_link all;     /* every connection */
	struct vsock_link rxq;     /* waiting for a guest receive buffer */
	struct vsock_link timer;   /* has a deadline */
	bool in_table;
	int fd;
	enum conn_state state;
	bool readable;             /* the socket may have data (edge seen, no EAGAIN since) */
	bool writable;             /* the socket may take data */
	bool host_eof;             /* the host stopped sending; SHUTDOWN(SEND) owed or sent */
	bool wr_shut;              /* shutdown(SHUT_WR) done */
	bool credit_requested;     /* CREDIT_REQUEST sent and the guest's credit unchanged since */
	bool buf_reserved;         /* holds limits.conn_buf of the buffer budget */
	uint8_t peer_shut;         /* VSOCK_SHUT_* the guest announced */
	uint32_t pending;          /* PEND_* */
	uint32_t shutdown_flags;   /* for PEND_SHUTDOWN */
	uint64_t deadline;         /* ms; 0 = none */

	/* guest -> host: cvmm's receive side, credit cvmm gives */
	uint32_t rx_cnt;           /* payload bytes received from the guest */
	uint32_t fwd_cnt;          /* ... of which written to the socket */
	uint32_t last_fwd_sent;    /* fwd_cnt as last told to the guest */
	struct vsock_ring ring;    /* rx_cnt - fwd_cnt bytes */

	/* host -> guest: credit the guest gives */
	uint32_t tx_cnt;           /* payload bytes sent to the guest */
	uint32_t peer_buf_alloc;
	uint32_t peer_fwd_cnt;
};

struct vsock_rst {
	uint32_t local_port;
	uint32_t peer_port;
};

struct vsock_mux {
	uint64_t guest_cid;
	const struct vsock_host_ops *ops;
	void *opaque;
	struct vsock_conn_table table;
	struct vsock_link all;
	struct vsock_link rxq;
	struct vsock_link timers;
	unsigned nr_conns;
	unsigned nr_handshakes;    /* connections in CONN_HANDSHAKE */
	uint64_t buf_reserved;     /* bytes of limits.buf_budget reserved */
	struct vsock_limits limits;
	uint32_t next_port;
	struct vsock_rst rst[VSOCK_RST_QUEUE]; /* RSTs owed for connections already gone */
	unsigned rst_head, rst_len;
	struct vsock_mux_counters counters;
};

#define conn_of(link, member) container_of(link, struct vsock_conn, member)

/* A connection around fd (owned from now on, closed on failure), watched; NULL on failure. */
struct vsock_conn *conn_new(struct vsock_mux *m, int fd, enum conn_state state);
/* Unwatches and closes the socket, unlinks and frees; nothing is sent to the guest. */
void conn_free(struct vsock_conn *c);
/* Reserves the connection's buffer from the budget; false (counted) when it is spent. */
bool conn_reserve_buf(struct vsock_conn *c);
/* Ends the connection with an RST to the guest when the guest knows of it. */
void conn_abort(struct vsock_conn *c);
void conn_set_deadline(struct vsock_conn *c, uint64_t timeout_ms); /* 0 clears */
/* Queues the connection for a guest buffer when it has something to send. */
void conn_update_rx(struct vsock_conn *c);
/* Writes buffered guest data to the socket; false when the connection ended. */
bool conn_flush(struct vsock_conn *c);
/* Owes the guest a CREDIT_UPDATE when enough was forwarded since it last heard. */
void conn_credit_check(struct vsock_conn *c);
/* Bytes the guest can still take on this connection. */
uint32_t conn_peer_credit(const struct vsock_conn *c);
/* Host-initiated: the guest's RESPONSE arrived; false when the connection ended. */
bool conn_established(struct vsock_conn *c);
void mux_queue_rst(struct vsock_mux *m, uint32_t local_port, uint32_t peer_port);

/* Bytes [skip, skip + len) of in[0..n) as up to cap iovecs in out; *got = bytes covered. */
unsigned iov_slice(const struct iovec *in, unsigned n, size_t skip, size_t len,
		   struct iovec *out, unsigned cap, size_t *got);

#endif
