// SPDX-License-Identifier: MIT
/* Restricting a drive's io_uring (see blk_uring_restrict.h). */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devices/blk_uring_restrict.h"

/*
 * io_uring_register() itself: Debian's liburing 2.3 declares io_uring_register_restrictions()
 * and io_uring_enable_rings() but its shared library does not export them.
 */
static int ring_register(struct io_uring *ring, unsigned op, void *arg, unsigned nr)
{
	return syscall(__NR_io_uring_register, ring->ring_fd, op, arg, nr) < 0 ? -errno : 0;
}

int blk_uring_restrict(struct io_uring *ring, int fd, int efd)
{
	struct io_uring_restriction res[5];
	static const unsigned char ops[] = { IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC };
	unsigned n = 0;
	int err;

	err = io_uring_register_files(ring, &fd, 1);
	if (!err && efd >= 0)
		err = io_uring_register_eventfd(ring, efd);
	if (err)
		return err;
	memset(res, 0, sizeof(res));
	for (unsigned i = 0; i < sizeof(ops); i++) {
		res[n].opcode = IORING_RESTRICTION_SQE_OP;
		res[n++].sqe_op = ops[i];
	}
	res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
	res[n++].sqe_flags = IOSQE_FIXED_FILE;
	res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
	res[n++].sqe_flags = IOSQE_FIXED_FILE;
	/* No IORING_RESTRICTION_REGISTER_OP entry: io_uring_register() is closed from now on. */
	err = ring_register(ring, IORING_REGISTER_RESTRICTIONS, res, n);
	if (err)
		return err;
	return ring_register(ring, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
}
