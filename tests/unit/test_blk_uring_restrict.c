// SPDX-License-Identifier: MIT
/*
 * The drive's io_uring does what a drive needs and nothing else: READV, WRITEV and FSYNC on
 * registered file 0 work; any other operation (OPENAT, a socket's RECV), an operation on an
 * fd that is not the registered file, and further io_uring_register() calls are refused.
 * io_uring's work runs in kernel threads that seccomp does not see, so this is what confines it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/blk_uring_restrict.h"

struct fx {
	struct io_uring ring;
	char path[64];
	int fd;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int err;

	assert_non_null(f);
	snprintf(f->path, sizeof(f->path), "/tmp/cvmm-uring-XXXXXX");
	f->fd = mkstemp(f->path);
	assert_true(f->fd >= 0);
	assert_int_equal(ftruncate(f->fd, 1 << 16), 0);
	err = io_uring_queue_init(8, &f->ring, BLK_URING_SETUP_FLAGS);
	if (err == -EINVAL || err == -ENOSYS || err == -EPERM) {
		close(f->fd);
		unlink(f->path);
		free(f);
		*state = NULL;
		return 0; /* no io_uring with restrictions here: each test skips */
	}
	assert_int_equal(err, 0);
	assert_int_equal(blk_uring_restrict(&f->ring, f->fd, -1), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	io_uring_queue_exit(&f->ring);
	close(f->fd);
	unlink(f->path);
	free(f);
	return 0;
}

/* Submits one prepared SQE and returns its completion's result. */
static int complete(struct fx *f)
{
	struct io_uring_cqe *cqe;
	int res;

	assert_int_equal(io_uring_submit(&f->ring), 1);
	assert_int_equal(io_uring_wait_cqe(&f->ring, &cqe), 0);
	res = cqe->res;
	io_uring_cqe_seen(&f->ring, cqe);
	return res;
}

static struct io_uring_sqe *sqe(struct fx *f)
{
	struct io_uring_sqe *s = io_uring_get_sqe(&f->ring);

	assert_non_null(s);
	return s;
}

static void test_drive_operations_work(void **state)
{
	struct fx *f = *state;
	char out[512], in[512];
	struct iovec vo = { out, sizeof(out) }, vi = { in, sizeof(in) };
	struct io_uring_sqe *s;

	if (!f)
		skip();
	memset(out, 0x5a, sizeof(out));
	s = sqe(f);
	io_uring_prep_writev(s, 0, &vo, 1, 4096);
	s->flags |= IOSQE_FIXED_FILE;
	assert_int_equal(complete(f), sizeof(out));
	s = sqe(f);
	io_uring_prep_fsync(s, 0, IORING_FSYNC_DATASYNC);
	s->flags |= IOSQE_FIXED_FILE;
	assert_int_equal(complete(f), 0);
	s = sqe(f);
	io_uring_prep_readv(s, 0, &vi, 1, 4096);
	s->flags |= IOSQE_FIXED_FILE;
	assert_int_equal(complete(f), sizeof(in));
	assert_memory_equal(in, out, sizeof(in));
}

static void test_everything_else_refused(void **state)
{
	struct fx *f = *state;
	char buf[64];
	struct iovec v = { buf, sizeof(buf) };
	struct io_uring_sqe *s;
	int other, efd = 0;

	if (!f)
		skip();
	/* Another operation, even on the registered file. */
	s = sqe(f);
	io_uring_prep_openat(s, AT_FDCWD, "/etc/passwd", O_RDONLY, 0);
	s->flags |= IOSQE_FIXED_FILE;
	assert_int_equal(complete(f), -EACCES);
	s = sqe(f);
	io_uring_prep_recv(s, 0, buf, sizeof(buf), 0);
	s->flags |= IOSQE_FIXED_FILE;
	assert_int_equal(complete(f), -EACCES);
	/* An allowed operation on a plain fd (another file the process has open). */
	other = open(f->path, O_RDONLY);
	assert_true(other >= 0);
	s = sqe(f);
	io_uring_prep_readv(s, other, &v, 1, 0);
	assert_int_equal(complete(f), -EACCES);
	close(other);
	/* No more registrations. */
	assert_int_equal(io_uring_register_eventfd(&f->ring, efd), -EACCES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_drive_operations_work, setup, teardown),
		cmocka_unit_test_setup_teardown(test_everything_else_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
