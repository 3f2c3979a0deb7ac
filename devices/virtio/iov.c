// SPDX-License-Identifier: MIT
#include <stdbool.h>
#include <string.h>

#include "devices/virtio/iov.h"

/* Copies up to len bytes between buf and the iovec, starting skip bytes into the iovec. */
static size_t iov_copy(const struct iovec *iov, unsigned n, size_t skip, uint8_t *buf,
		       size_t len, bool to_iov)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len, c;
		uint8_t *base;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		base = (uint8_t *)iov[i].iov_base + skip;
		c = l - skip < len - done ? l - skip : len - done;
		if (to_iov)
			memcpy(base, buf + done, c);
		else
			memcpy(buf + done, base, c);
		done += c;
		skip = 0;
	}
	return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len)
{
	return iov_copy(iov, n, skip, buf, len, false);
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t skip, const void *buf,
		    size_t len)
{
	return iov_copy(iov, n, skip, (uint8_t *)buf, len, true);
}

struct iovec *iov_drop_front(struct iovec *iov, unsigned *n, size_t bytes)
{
	while (*n && bytes) {
		if (bytes < iov->iov_len) {
			iov->iov_base = (uint8_t *)iov->iov_base + bytes;
			iov->iov_len -= bytes;
			break;
		}
		bytes -= iov->iov_len;
		iov++;
		(*n)--;
	}
	return iov;
}

void iov_drop_back(struct iovec *iov, unsigned *n, size_t bytes)
{
	while (*n && bytes) {
		struct iovec *last = &iov[*n - 1];

		if (bytes < last->iov_len) {
			last->iov_len -= bytes;
			break;
		}
		bytes -= last->iov_len;
		(*n)--;
	}
}

uint8_t *iov_last_byte(const struct iovec *iov, unsigned n)
{
	while (n && iov[n - 1].iov_len == 0)
		n--;
	if (!n)
		return NULL;
	return (uint8_t *)iov[n - 1].iov_base + iov[n - 1].iov_len - 1;
}
