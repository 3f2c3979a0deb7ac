/* SPDX-License-Identifier: MIT */
/* Small helpers over iovec arrays that point into guest memory (popped virtqueue chains). */
#ifndef CVMM_VIRTIO_IOV_H
#define CVMM_VIRTIO_IOV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Copies up to len bytes starting skip bytes into the iovecs; returns the number copied. */
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t skip, void *buf, size_t len);
/* Copies up to len bytes of buf into the iovecs starting skip bytes in; returns the number. */
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t skip, const void *buf,
		    size_t len);
/* Drops bytes from the front of the array in place; returns the first iovec left (*n updated). */
struct iovec *iov_drop_front(struct iovec *iov, unsigned *n, size_t bytes);
/* Drops bytes from the back of the array in place (*n updated). */
void iov_drop_back(struct iovec *iov, unsigned *n, size_t bytes);
/* Host pointer to the last byte of a non-empty array (e.g. a virtio-blk status byte). */
uint8_t *iov_last_byte(const struct iovec *iov, unsigned n);

#endif
