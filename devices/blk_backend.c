// SPDX-License-Identifier: MIT
/* The backing file of a virtio-blk drive: checks at open, and the I/O both engines share. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <linux/fs.h>

#include "devices/blk_lock.h"
#include "devices/blk_priv.h"
#include "devices/virtio/iov.h"
#include "vmm/error.h"
#include "vmm/log.h"
#include "vmm/util.h"

int blk_backend_open(struct blk_dev *blk, const char *path, bool read_only, struct error *e)
{
	struct stat st;
	uint64_t size;
	int fd, err;

	/* Type first, so a directory gets the same clear message whatever the mode. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return error_set(e, ERROR_INPUT, EINVAL, "drive %s: not a regular file or block device",
				 path);
	/* No atime updates on the data path; O_NOATIME needs ownership (or CAP_FOWNER). */
	fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return error_set(e, ERROR_INPUT, errno, "drive %s: cannot open%s: %s", path,
				 read_only ? "" : " read-write", strerror(errno));
	if (fstat(fd, &st) < 0) {
		err = error_set(e, ERROR_INPUT, errno, "drive %s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0) {
			err = error_set(e, ERROR_INPUT, errno,
					"drive %s: cannot read the device size: %s", path,
					strerror(errno));
			goto fail;
		}
		blk->is_blockdev = true;
	} else {
		err = error_set(e, ERROR_INPUT, EINVAL, "drive %s: not a regular file or block device",
				path);
		goto fail;
	}
	if (size % 512) {
		err = error_set(e, ERROR_INPUT, EINVAL,
				"drive %s: size %llu is not a multiple of 512 bytes", path,
				(unsigned long long)size);
		goto fail;
	}
	err = blk_lock_image(fd, read_only, path, e);
	if (err)
		goto fail;
	blk->fd = fd;
	blk->size = size;
	blk->read_only = read_only;
	return 0;
fail:
	close(fd);
	return err;
}

int blk_backend_rw(struct blk_dev *blk, struct iovec *iov, unsigned n, uint64_t off, bool write)
{
	int flags = write && blk->writethrough ? RWF_DSYNC : 0;
	ssize_t r;

	while (n) {
		unsigned cnt = n > IOV_MAX ? IOV_MAX : n;

		/* One buffer (the common case): skip the kernel's iovec import. */
		if (cnt == 1 && !flags)
			r = write ? pwrite(blk->fd, iov->iov_base, iov->iov_len, (off_t)off)
				  : pread(blk->fd, iov->iov_base, iov->iov_len, (off_t)off);
		else if (write)
			r = pwritev2(blk->fd, iov, (int)cnt, (off_t)off, flags);
		else
			r = preadv2(blk->fd, iov, (int)cnt, (off_t)off, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO; /* the file shrank under us */
		off += (uint64_t)r;
		iov = iov_drop_front(iov, &n, (size_t)r);
	}
	return 0;
}

int blk_backend_flush(struct blk_dev *blk)
{
	return fdatasync(blk->fd) < 0 ? -errno : 0;
}

int blk_backend_discard(struct blk_dev *blk, uint64_t off, uint64_t len)
{
	uint64_t range[2] = { off, len };
	int r;

	if (blk->is_blockdev)
		r = ioctl(blk->fd, BLKDISCARD, range);
	else
		r = fallocate(blk->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
			      (off_t)len);
	/* Discard is a hint: a backend that cannot deallocate simply keeps the data. */
	if (r < 0 && errno != EOPNOTSUPP)
		return -errno;
	return 0;
}

static int write_zero_buffers(struct blk_dev *blk, uint64_t off, uint64_t len)
{
	static const uint8_t zeroes[64 * 1024];

	while (len) {
		size_t c = len < sizeof(zeroes) ? (size_t)len : sizeof(zeroes);
		ssize_t r = pwrite(blk->fd, zeroes, c, (off_t)off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -EIO;
		off += (uint64_t)r;
		len -= (uint64_t)r;
	}
	return 0;
}

int blk_backend_write_zeroes(struct blk_dev *blk, uint64_t off, uint64_t len, bool unmap)
{
	uint64_t range[2] = { off, len };
	int mode = unmap ? FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE;

	if (blk->is_blockdev) {
		if (ioctl(blk->fd, BLKZEROOUT, range) == 0)
			return 0;
	} else if (fallocate(blk->fd, mode | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0) {
		return 0;
	}
	if (errno != EOPNOTSUPP && errno != EINVAL)
		return -errno;
	return write_zero_buffers(blk, off, len);
}
