/* SPDX-License-Identifier: MIT */
/*
 * An io_uring that can do what a drive needs and nothing else.  io_uring's work runs in kernel
 * threads that seccomp never sees, so the ring itself is restricted (IORING_REGISTER_RESTRICTIONS):
 * its only operations are READV, WRITEV and FSYNC, every one on registered file 0 (the drive's
 * image; IOSQE_FIXED_FILE required), and no io_uring_register() call works once it is enabled.
 */
#ifndef CVMM_BLK_URING_RESTRICT_H
#define CVMM_BLK_URING_RESTRICT_H

#include <liburing.h>

/* The flags a ring to be restricted is created with (it starts disabled). */
#define BLK_URING_SETUP_FLAGS IORING_SETUP_R_DISABLED

/*
 * On a ring created with BLK_URING_SETUP_FLAGS: registers fd as file 0 and efd (>= 0) as the
 * completion eventfd, applies the restrictions and enables the ring.  0 or -errno.
 */
int blk_uring_restrict(struct io_uring *ring, int fd, int efd);

#endif
