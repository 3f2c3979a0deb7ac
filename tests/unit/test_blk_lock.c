// SPDX-License-Identifier: MIT
/*
 * Disk image locking: read-write exclusive, read-only shared among readers, released with the
 * file; a second drive on a locked image is refused at open with an input error naming it; and
 * the locks are QEMU's, so cvmm and QEMU keep out of each other's images (when QEMU is
 * installed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/blk.h"
#include "devices/blk_lock.h"
#include "vmm/error.h"
#include "vmm/event_loop.h"
#include "vmm/log.h"

static char dir[64], img[96];

static int setup(void **state)
{
	int fd;

	log_threshold = LOG_ERROR;
	snprintf(dir, sizeof(dir), "/tmp/cvmm-lock-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(img, sizeof(img), "%s/disk.img", dir);
	fd = open(img, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	unlink(img);
	rmdir(dir);
	return 0;
}

/* Opens the image as a drive would and locks it; returns the fd, or -errno (e says why). */
static int open_locked(bool ro, struct error *e)
{
	int fd = open(img, ro ? O_RDONLY : O_RDWR);
	int err;

	assert_true(fd >= 0);
	error_clear(e);
	err = blk_lock_image(fd, ro, img, e);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static void test_read_write_is_exclusive(void **state)
{
	struct error e = ERROR_INIT;
	int a = open_locked(false, &e), b;

	assert_true(a >= 0);
	assert_int_equal(open_locked(false, &e), -EBUSY);
	assert_int_equal(e.cls, ERROR_INPUT);
	assert_non_null(strstr(e.msg, "in use by another process"));
	assert_non_null(strstr(e.msg, img));
	assert_int_equal(open_locked(true, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "another process writes to the image"));
	/* Closing the holder releases it. */
	close(a);
	b = open_locked(false, &e);
	assert_true(b >= 0);
	close(b);
}

static void test_read_only_is_shared_with_readers(void **state)
{
	struct error e = ERROR_INIT;
	int a = open_locked(true, &e), b = open_locked(true, &e);

	assert_true(a >= 0);
	assert_true(b >= 0);
	assert_int_equal(open_locked(false, &e), -EBUSY);
	close(a);
	assert_int_equal(open_locked(false, &e), -EBUSY);
	close(b);
	a = open_locked(false, &e);
	assert_true(a >= 0);
	close(a);
}

/* Two drives, as two cvmm processes would have them: the second is refused at open. */
static void test_second_drive_refused(void **state)
{
	struct drive_config cfg = { .path = img, .engine = BLK_ENGINE_SYNC };
	struct error e = ERROR_INIT;
	struct blk_dev *a, *b;
	struct ev_loop loop;

	assert_int_equal(ev_loop_init(&loop), 0);
	assert_int_equal(blk_dev_open(&cfg, &loop, &clock_monotonic, &a, &e), 0);
	assert_int_equal(blk_dev_open(&cfg, &loop, &clock_monotonic, &b, &e), -EBUSY);
	assert_int_equal(error_exit_status(&e), 2);
	blk_dev_destroy(a);
	error_clear(&e);
	assert_int_equal(blk_dev_open(&cfg, &loop, &clock_monotonic, &b, &e), 0);
	blk_dev_destroy(b);
	ev_loop_destroy(&loop);
}

static bool have_qemu(void)
{
	return system("qemu-system-x86_64 --version >/dev/null 2>&1") == 0;
}

/*
 * QEMU (stopped before its first instruction) with the image as a virtio-blk drive — a drive
 * takes its locks once a device uses it — and its monitor on a pipe, up to its first prompt.
 */
static pid_t start_qemu(bool ro, int *monitor_in)
{
	char drive[160];
	int in[2], out[2];
	char buf[4096];
	size_t got = 0;
	pid_t pid;

	snprintf(drive, sizeof(drive), "file=%s,format=raw,if=none,id=d%s", img,
		 ro ? ",readonly=on" : "");
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(out[1], STDERR_FILENO);
		execlp("qemu-system-x86_64", "qemu-system-x86_64", "-M", "microvm", "-accel", "tcg",
		       "-S", "-nodefaults", "-display", "none", "-monitor", "stdio", "-drive", drive,
		       "-device", "virtio-blk-device,drive=d", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	/*
	 * The monitor answers commands from QEMU's main loop, which runs once the machine and its
	 * devices exist (the banner may come earlier): the answer to "info block" means the drive
	 * is open and locked.
	 */
	if (write(in[1], "info block\n", 11) != 11)
		return -1;
	while (got < sizeof(buf) - 1) {
		ssize_t n = read(out[0], buf + got, sizeof(buf) - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = 0;
		if (strstr(buf, "(raw"))
			break;
	}
	close(out[0]);
	*monitor_in = in[1];
	return strstr(buf, "(raw") ? pid : -1;
}

static void stop_qemu(pid_t pid, int monitor_in)
{
	int status;

	if (write(monitor_in, "quit\n", 5) != 5)
		kill(pid, SIGKILL);
	close(monitor_in);
	waitpid(pid, &status, 0);
}

/* QEMU refuses an image cvmm writes; cvmm refuses one QEMU writes; readers share. */
static void test_qemu_interop(void **state)
{
	struct error e = ERROR_INIT;
	char cmd[512];
	int fd, mon;
	pid_t pid;

	if (!have_qemu())
		skip();
	fd = open_locked(false, &e);
	assert_true(fd >= 0);
	snprintf(cmd, sizeof(cmd),
		 "timeout 60 qemu-system-x86_64 -M microvm -accel tcg -S -nodefaults -display none "
		 "-drive file=%s,format=raw,if=none,id=d -device virtio-blk-device,drive=d "
		 "</dev/null 2>&1 | grep -q 'Failed to get \"write\" lock'",
		 img);
	assert_int_equal(system(cmd), 0);
	close(fd);

	pid = start_qemu(false, &mon);
	assert_true(pid > 0);
	assert_int_equal(open_locked(false, &e), -EBUSY);
	assert_int_equal(open_locked(true, &e), -EBUSY);
	stop_qemu(pid, mon);

	pid = start_qemu(true, &mon);
	assert_true(pid > 0);
	fd = open_locked(true, &e);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(open_locked(false, &e), -EBUSY);
	stop_qemu(pid, mon);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_write_is_exclusive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_is_shared_with_readers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_second_drive_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qemu_interop, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
