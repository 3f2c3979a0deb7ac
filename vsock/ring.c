// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "devices/virtio/iov.h"
#include "vsock/ring.h"

void vsock_ring_init(struct vsock_ring *r, uint32_t cap)
{
	*r = (struct vsock_ring){ .cap = cap };
}

void vsock_ring_free(struct vsock_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->head = r->len = 0;
}

int vsock_ring_put_iov(struct vsock_ring *r, const struct iovec *iov, unsigned n, size_t skip,
		       size_t len)
{
	uint32_t tail, first;

	if (len > vsock_ring_space(r))
		return -ENOSPC;
	if (!len)
		return 0;
	if (!r->buf) {
		r->buf = malloc(r->cap);
		if (!r->buf)
			return -ENOMEM;
	}
	tail = (uint32_t)(((uint64_t)r->head + r->len) % r->cap);
	first = (uint32_t)(len < r->cap - tail ? len : r->cap - tail);
	iov_to_buf(iov, n, skip, r->buf + tail, first);
	if (len > first)
		iov_to_buf(iov, n, skip + first, r->buf, len - first);
	r->len += (uint32_t)len;
	return 0;
}

ssize_t vsock_ring_flush(struct vsock_ring *r, int fd)
{
	struct iovec v[2];
	unsigned n = 1;
	uint32_t first;
	ssize_t w;

	if (!r->len)
		return 0;
	first = r->len < r->cap - r->head ? r->len : r->cap - r->head;
	v[0] = (struct iovec){ r->buf + r->head, first };
	if (first < r->len) {
		v[1] = (struct iovec){ r->buf, r->len - first };
		n = 2;
	}
	/* MSG_NOSIGNAL: a peer that closed is EPIPE here, never a SIGPIPE for the process. */
	do
		w = sendmsg(fd, &(struct msghdr){ .msg_iov = v, .msg_iovlen = n },
			    MSG_NOSIGNAL | MSG_DONTWAIT);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	r->head = (uint32_t)(((uint64_t)r->head + (uint64_t)w) % r->cap);
	r->len -= (uint32_t)w;
	if (!r->len)
		r->head = 0;
	return w;
}
