// SPDX-License-Identifier: MIT
/* Disk image locks (see blk_lock.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "devices/blk_lock.h"
#include "vmm/error.h"
#include "vmm/log.h"

#define LOCK_HOLD_BASE   100 /* byte 100 + i: holds permission i */
#define LOCK_DENY_BASE   200 /* byte 200 + i: does not share permission i */
#define PERM_READ        0   /* consistent read */
#define PERM_WRITE       1
#define PERM_RESIZE      3

static int ofd_lock(int fd, short type, int cmd, off_t byte, short *holder)
{
	struct flock fl = {
		.l_type = type,
		.l_whence = SEEK_SET,
		.l_start = byte,
		.l_len = 1,
	};

	if (fcntl(fd, cmd, &fl) < 0)
		return -errno;
	if (holder)
		*holder = fl.l_type;
	return 0;
}

/* Whether another open file holds byte (its lock would conflict with an exclusive one). */
static int held_by_other(int fd, off_t byte, bool *held)
{
	short type = F_UNLCK;
	int err = ofd_lock(fd, F_WRLCK, F_OFD_GETLK, byte, &type);

	if (!err)
		*held = type != F_UNLCK;
	return err;
}

static bool unsupported(int err)
{
	return err == -EINVAL || err == -EOPNOTSUPP || err == -ENOLCK || err == -ENOSYS;
}

int blk_lock_image(int fd, bool read_only, const char *path, struct error *e)
{
	static const off_t deny[] = { LOCK_DENY_BASE + PERM_WRITE, LOCK_DENY_BASE + PERM_RESIZE };
	const off_t hold_rw[] = { LOCK_HOLD_BASE + PERM_READ, LOCK_HOLD_BASE + PERM_WRITE };
	/* Others must not deny what we use, nor use what we deny. */
	const off_t check_rw[] = { LOCK_DENY_BASE + PERM_READ, LOCK_DENY_BASE + PERM_WRITE,
				   LOCK_HOLD_BASE + PERM_WRITE, LOCK_HOLD_BASE + PERM_RESIZE };
	const off_t check_ro[] = { LOCK_DENY_BASE + PERM_READ, LOCK_HOLD_BASE + PERM_WRITE,
				   LOCK_HOLD_BASE + PERM_RESIZE };
	const off_t *check = read_only ? check_ro : check_rw;
	size_t nr_hold = read_only ? 1 : 2, nr_check = read_only ? 3 : 4;
	int err = 0;

	/* Shared locks on our bytes: they never conflict with other openers' shared ones. */
	for (size_t i = 0; i < nr_hold && !err; i++)
		err = ofd_lock(fd, F_RDLCK, F_OFD_SETLK, hold_rw[i], NULL);
	for (size_t i = 0; i < 2 && !err; i++)
		err = ofd_lock(fd, F_RDLCK, F_OFD_SETLK, deny[i], NULL);
	if (err == -EAGAIN || err == -EACCES)
		goto conflict;
	if (err && unsupported(err)) {
		log_warn("drive %s: the file system has no open-file locks; the image is not locked "
			 "against other users", path);
		return 0;
	}
	if (err)
		return error_set(e, ERROR_HOST, err, "drive %s: cannot lock the image: %s", path,
				 strerror(-err));
	for (size_t i = 0; i < nr_check; i++) {
		bool held;

		err = held_by_other(fd, check[i], &held);
		if (err)
			return error_set(e, ERROR_HOST, err, "drive %s: cannot test the image locks: %s",
					 path, strerror(-err));
		if (held)
			goto conflict;
	}
	return 0;
conflict:
	/* The fd is about to be closed, which drops what was taken. */
	if (read_only)
		return error_set(e, ERROR_INPUT, EBUSY,
				 "drive %s: another process writes to the image (a read-only drive "
				 "shares it with readers only)", path);
	return error_set(e, ERROR_INPUT, EBUSY,
			 "drive %s: the image is in use by another process (a read-write drive "
			 "needs it alone)", path);
}
