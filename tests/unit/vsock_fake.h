/* SPDX-License-Identifier: MIT */
/*
 * Test support for the vsock multiplexer without a VM: a fake guest (packets built and parsed in
 * plain memory, as a driver's queues would carry them), fake host listeners (socketpairs) and a
 * fake clock.  Socket readiness comes from a real event loop, as in cvmm.
 */
#ifndef CVMM_TEST_VSOCK_FAKE_H
#define CVMM_TEST_VSOCK_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/event_loop.h"
#include "vsock/mux.h"

#define VF_GUEST_CID 3
#define VF_MAX_LISTEN 8
#define VF_MAX_PEERS  4096

struct vf {
	struct ev_loop loop;
	struct vsock_mux *mux;
	uint64_t now;
	uint32_t listen_ports[VF_MAX_LISTEN]; /* guest-initiated connections succeed to these */
	unsigned nr_listen;
	int peers[VF_MAX_PEERS];               /* host ends of guest-initiated connections */
	unsigned nr_peers;
	size_t rx_buf_size;                    /* guest receive buffer size (header included) */
	int sndbuf;                            /* > 0: SO_SNDBUF of the mux's end of new clients */
};

int vf_init(struct vf *f);
void vf_destroy(struct vf *f);
/* Serves every ready socket event (a few rounds, no waiting). */
void vf_pump(struct vf *f);
/* A host client accepted by the mux; returns the client's (non-blocking) end. */
int vf_client(struct vf *f);
/* The last host end handed out for a guest-initiated connection (-1 if none). */
int vf_last_peer(struct vf *f);

/* One packet from the guest, header fields as given, src/dst CIDs right unless overridden. */
struct vf_pkt {
	uint64_t src_cid, dst_cid; /* 0: guest CID / host CID */
	uint32_t src_port, dst_port;
	uint16_t type;             /* 0: STREAM */
	uint16_t op;
	uint32_t flags;
	uint32_t buf_alloc, fwd_cnt;
	int64_t len;               /* -1: the payload's length */
	const void *payload;
	size_t payload_len;
	unsigned split;            /* >0: cut the buffer into iovecs of this many bytes */
};
void vf_send(struct vf *f, const struct vf_pkt *p);
/* The next packet for the guest (payload copied to buf, up to cap); false when none. */
bool vf_recv(struct vf *f, struct vsock_hdr *h, void *buf, size_t cap);

/* Reads exactly len bytes from a non-blocking fd, pumping the mux meanwhile; false on EOF. */
bool vf_read_exact(struct vf *f, int fd, void *buf, size_t len);
/* true when fd reached EOF (or was reset) within a few pump rounds. */
bool vf_eof(struct vf *f, int fd);
/* Open file descriptors of this process. */
int vf_count_fds(void);

#endif
