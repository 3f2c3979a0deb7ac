/* SPDX-License-Identifier: MIT */
/*
 * A bounded byte FIFO holding guest data the host socket did not take yet.  Its storage is
 * allocated on first use, so idle connections cost nothing, and freed when the connection ends.
 */
#ifndef CVMM_VSOCK_RING_H
#define CVMM_VSOCK_RING_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct vsock_ring {
	uint8_t *buf;
	uint32_t cap;
	uint32_t head; /* offset of the oldest byte */
	uint32_t len;  /* bytes held */
};

void vsock_ring_init(struct vsock_ring *r, uint32_t cap);
void vsock_ring_free(struct vsock_ring *r);

static inline uint32_t vsock_ring_space(const struct vsock_ring *r)
{
	return r->cap - r->len;
}

/* Appends len bytes taken skip bytes into iov[0..n); -ENOSPC / -ENOMEM, or 0. */
int vsock_ring_put_iov(struct vsock_ring *r, const struct iovec *iov, unsigned n, size_t skip,
		       size_t len);
/* Sends as much as stream socket fd takes; returns the bytes sent (0 if empty) or -errno. */
ssize_t vsock_ring_flush(struct vsock_ring *r, int fd);

#endif
