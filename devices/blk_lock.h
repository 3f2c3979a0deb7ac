/* SPDX-License-Identifier: MIT */
/*
 * Disk image locking, compatible with QEMU's: a drive opened read-write is exclusive, read-only
 * drives share the image with each other but not with a writer.  So two cvmm (or a cvmm and a
 * QEMU, or qemu-img) cannot both write one image, nor can one read an image another writes.
 *
 * The locks are open-file-description (OFD) byte locks on the image, on QEMU's bytes: 100 + i
 * held (shared) for each permission i the opener uses, 200 + i held for each permission it does
 * not let others use, with i = 0 consistent read, 1 write, 3 resize.  An opener first takes its
 * bytes, then checks that nobody else holds the bytes that conflict with them:
 *
 *                 holds          denies others     conflicts with whoever holds
 *   read-write    100, 101       201, 203          200, 201, 101, 103
 *   read-only     100            201, 203          200, 101, 103
 *
 * The locks go away with the file descriptor (also when the process dies).
 */
#ifndef CVMM_BLK_LOCK_H
#define CVMM_BLK_LOCK_H

#include <stdbool.h>

struct error;

/*
 * Locks the image open on fd (path for messages).  An input error naming the conflict when
 * another opener holds it in a conflicting way; on a file system without OFD locks, a warning
 * and no lock (as QEMU's locking=auto).
 */
int blk_lock_image(int fd, bool read_only, const char *path, struct error *e);

#endif
