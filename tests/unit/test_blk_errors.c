// SPDX-License-Identifier: MIT
/*
 * virtio-blk when the backend fails: a failed flush stays failed (the kernel reports a writeback
 * error once), failures are counted by kind and logged at a limited rate, anything that loses
 * written data is reported to the VM (so cvmm does not exit 0), also a failure of the final
 * flush; read failures lose nothing.
 *
 * The sync engine's system calls fail on demand: this file defines fdatasync(), pwrite() and
 * pread(), which the library's calls bind to in this binary.  The io_uring engine is failed for
 * real: its disk lives on a full tmpfs in a private mount namespace (skipped where one cannot be
 * made).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>

#include "devices/blk.h"
#include "tests/unit/virtio_harness.h"
#include "vmm/layout.h"
#include "vmm/log.h"
#include "vmm/log_ratelimit.h"

#define RAM        (8ULL << 20)
#define DISK_SIZE  (1ULL << 20)
#define RING_GPA   0x10000ULL
#define HDR_GPA    0x100000ULL
#define STATUS_GPA 0x180000ULL
#define DATA_GPA   0x200000ULL
#define QSIZE      256

/* Injected failures: how many of the next calls fail, and with what. */
static int fdatasync_fails, pwrite_fails, pread_fails, inject_errno = EIO;

int fdatasync(int fd)
{
	if (fdatasync_fails > 0) {
		fdatasync_fails--;
		errno = inject_errno;
		return -1;
	}
	return (int)syscall(SYS_fdatasync, fd);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	if (pwrite_fails > 0) {
		pwrite_fails--;
		errno = inject_errno;
		return -1;
	}
	return syscall(SYS_pwrite64, fd, buf, n, off);
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	if (pread_fails > 0) {
		pread_fails--;
		errno = inject_errno;
		return -1;
	}
	return syscall(SYS_pread64, fd, buf, n, off);
}

struct fx {
	struct vh_vm v;
	char dir[64], disk_dir[96], path[128];
	struct blk_dev *blk;
	struct virtio_dev *vdev;
	struct vh_ring ring;
	uint16_t next_desc;
	int saved_stderr;
	char log[128];
};

static void open_dev(struct fx *f, enum blk_engine engine)
{
	struct drive_config cfg = { .path = f->path, .id = (char *)"d", .engine = engine };
	struct virtio_dev_params p;

	assert_int_equal(blk_dev_open(&cfg, &f->v.loop, &f->v.clock.clock, &f->blk, NULL), 0);
	blk_dev_attach_env(f->blk, &f->v.dev_env);
	blk_dev_params(f->blk, &p);
	assert_int_equal(virtio_dev_create(&f->v.env, &p, LAYOUT_VIRTIO_MMIO_BASE, 16, &f->vdev),
			 0);
	vh_ring_init(&f->ring, &f->v.mem, QSIZE, RING_GPA);
	assert_true(vh_driver_start(f->vdev, vh_device_features(f->vdev), &f->ring, 1) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
}

/*
 * The fixture with its disk in disk_dir (dir when empty; both made by the caller) and stderr
 * going to a file in dir.
 */
static void fx_init(struct fx *f, enum blk_engine engine)
{
	int fd;

	log_threshold = LOG_ERROR;
	assert_int_equal(vh_vm_init(&f->v, RAM, TEE_NONE), 0);
	snprintf(f->path, sizeof(f->path), "%s/disk", f->disk_dir[0] ? f->disk_dir : f->dir);
	fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, DISK_SIZE), 0);
	close(fd);
	snprintf(f->log, sizeof(f->log), "%s/stderr", f->dir);
	fflush(stderr);
	f->saved_stderr = dup(STDERR_FILENO);
	fd = open(f->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	open_dev(f, engine);
}

static void fx_destroy(struct fx *f)
{
	char cmd[128];

	if (f->blk)
		blk_dev_destroy(f->blk);
	vh_vm_destroy(&f->v);
	fflush(stderr);
	dup2(f->saved_stderr, STDERR_FILENO);
	close(f->saved_stderr);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/cvmm-blkerr-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	fx_init(f, BLK_ENGINE_SYNC);
	fdatasync_fails = pwrite_fails = pread_fails = 0;
	inject_errno = EIO;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fdatasync_fails = pwrite_fails = pread_fails = 0;
	fx_destroy(f);
	free(f);
	return 0;
}

/* Lines of the captured stderr that contain needle. */
static unsigned log_lines(struct fx *f, const char *needle)
{
	char line[1024];
	unsigned n = 0;
	FILE *in;

	fflush(stderr);
	in = fopen(f->log, "r");
	assert_non_null(in);
	while (fgets(line, sizeof(line), in))
		if (strstr(line, needle))
			n++;
	fclose(in);
	return n;
}

struct wait_used {
	struct fx *f;
	uint16_t idx;
};

static bool used_reached(void *arg)
{
	struct wait_used *w = arg;

	return vh_used_idx(&w->f->ring) == w->idx;
}

/* One request (header, data of len bytes unless 0, status); returns the status byte. */
static uint8_t request(struct fx *f, uint32_t type, uint64_t sector, uint32_t len)
{
	struct virtio_blk_outhdr h = { .type = type, .sector = sector };
	struct vh_buf bufs[3] = { { HDR_GPA, 16, false } };
	struct wait_used w = { f, (uint16_t)(f->ring.avail_idx + 1) };
	uint8_t *st = guest_mem_ptr(&f->v.mem, STATUS_GPA, 1);
	uint32_t id, used;
	unsigned n = 1;

	memcpy(guest_mem_ptr(&f->v.mem, HDR_GPA, 16), &h, 16);
	if (len)
		bufs[n++] = (struct vh_buf){ DATA_GPA, len, type == VIRTIO_BLK_T_IN };
	bufs[n++] = (struct vh_buf){ STATUS_GPA, 1, true };
	*st = 0xff;
	vh_publish(&f->ring, vh_chain(&f->ring, f->next_desc, bufs, n));
	f->next_desc = (uint16_t)((f->next_desc + n) % QSIZE);
	vh_kick(f->vdev, 0);
	assert_true(vh_run_until(&f->v, used_reached, &w));
	assert_true(vh_take_used(&f->ring, &id, &used));
	return *st;
}

static void counters(struct fx *f, struct blk_counters *c)
{
	blk_dev_counters(f->blk, c);
}

/*
 * The first flush fails (EIO, as Linux reports a writeback error once); the next fdatasync()
 * succeeds, yet the guest's next flush must fail too: the data of the first never got there.
 */
static void test_failed_flush_stays_failed(void **state)
{
	struct fx *f = *state;
	struct blk_counters c;

	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, 4096), VIRTIO_BLK_S_OK);
	fdatasync_fails = 1;
	assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0), VIRTIO_BLK_S_IOERR);
	assert_int_equal(fdatasync_fails, 0);
	assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0), VIRTIO_BLK_S_IOERR);
	/* Reads and writes go on as before. */
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 8, 4096), VIRTIO_BLK_S_OK);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 8, 4096), VIRTIO_BLK_S_OK);
	counters(f, &c);
	assert_int_equal(c.flush_errors, 3);
	assert_int_equal(c.write_errors, 0);
	assert_int_equal(c.ioerr, 3);
	/* Reported once; the log names the cause and, later, why a flush is refused. */
	assert_int_equal(f->v.data_losses, 1);
	assert_int_equal(log_lines(f, "flush failed: Input/output error"), 1);
	assert_int_equal(log_lines(f, "flush refused: an earlier flush failed (Input/output"), 2);
}

/* ENOSPC on every write: each is an IOERR and counted, the log holds a burst per window. */
static void test_write_errors_logged_at_a_limited_rate(void **state)
{
	struct fx *f = *state;
	struct blk_counters c;
	unsigned n = 3 * LOG_RATELIMIT_BURST;

	inject_errno = ENOSPC;
	pwrite_fails = 1000;
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(request(f, VIRTIO_BLK_T_OUT, i * 8, 4096), VIRTIO_BLK_S_IOERR);
	assert_int_equal(log_lines(f, "write of 4096 bytes at offset"), LOG_RATELIMIT_BURST);
	assert_int_equal(log_lines(f, "No space left on device; the guest gets an I/O error"),
			 LOG_RATELIMIT_BURST);
	/* A window later the next failure is logged and says how many were not. */
	manual_clock_advance(&f->v.clock, LOG_RATELIMIT_WINDOW_NS);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, 4096), VIRTIO_BLK_S_IOERR);
	assert_int_equal(log_lines(f, "(10 earlier failures not logged)"), 1);
	counters(f, &c);
	assert_int_equal(c.write_errors, n + 1);
	assert_int_equal(c.errors_not_logged, n - LOG_RATELIMIT_BURST);
	assert_int_equal(f->v.data_losses, 1);
	pwrite_fails = 0;
}

/* A read that fails loses nothing: counted and logged, no data-loss report. */
static void test_read_error_loses_nothing(void **state)
{
	struct fx *f = *state;
	struct blk_counters c;

	pread_fails = 1;
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 4096), VIRTIO_BLK_S_IOERR);
	counters(f, &c);
	assert_int_equal(c.read_errors, 1);
	assert_int_equal(f->v.data_losses, 0);
	assert_int_equal(log_lines(f, "read of 4096 bytes at offset 0 failed"), 1);
	blk_dev_stop(f->blk);
	assert_int_equal(f->v.data_losses, 0);
}

/* Nothing failed while running, but the final flush does: reported and logged at stop. */
static void test_final_flush_failure(void **state)
{
	struct fx *f = *state;
	struct blk_counters c;

	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, 4096), VIRTIO_BLK_S_OK);
	assert_int_equal(f->v.data_losses, 0);
	fdatasync_fails = 1;
	blk_dev_stop(f->blk);
	counters(f, &c);
	assert_int_equal(c.flush_errors, 1);
	assert_int_equal(f->v.data_losses, 1);
	assert_int_equal(log_lines(f, "data the guest wrote may be lost: 0 writes and 1 flushes"),
			 1);
}

/* Counters reach the VM's counters by name. */
static void test_stats_by_name(void **state)
{
	struct fx *f = *state;
	struct device_counters m = { 0 };
	bool seen = false;

	fdatasync_fails = 1;
	assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0), VIRTIO_BLK_S_IOERR);
	virtio_blk_device.counters(f->blk, &m);
	for (unsigned i = 0; i < m.nr; i++)
		if (!strcmp(m.v[i].name, "flush_errors")) {
			assert_int_equal(m.v[i].value, 1);
			seen = true;
		}
	assert_true(seen);
}

/*
 * The io_uring engine with a disk on a tmpfs too small for it: the kernel's ENOSPC comes back
 * in the completion and is handled like the sync engine's.
 */
static void uring_enospc_child(void)
{
	struct fx f = { 0 };
	struct blk_counters c;
	bool ok;

	snprintf(f.dir, sizeof(f.dir), "/tmp/cvmm-blkerr-XXXXXX");
	if (!mkdtemp(f.dir))
		_exit(2);
	snprintf(f.disk_dir, sizeof(f.disk_dir), "%s/small", f.dir);
	if (mkdir(f.disk_dir, 0700))
		_exit(2);
	if (unshare(CLONE_NEWNS) && unshare(CLONE_NEWUSER | CLONE_NEWNS))
		_exit(77);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", f.disk_dir, "tmpfs", 0, "size=64k"))
		_exit(77);
	fx_init(&f, BLK_ENGINE_URING);
	for (unsigned i = 0; i < 4; i++)
		request(&f, VIRTIO_BLK_T_OUT, i * 64, 32768);
	counters(&f, &c);
	ok = c.write_errors >= 1 && f.v.data_losses == 1 &&
	     log_lines(&f, "No space left on device; the guest gets an I/O error") >= 1;
	blk_dev_destroy(f.blk);
	f.blk = NULL;
	/* The ring lets go of the file asynchronously: detach rather than wait for it. */
	umount2(f.disk_dir, MNT_DETACH);
	fx_destroy(&f);
	_exit(ok ? 0 : 1);
}

static void test_uring_enospc(void **state)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0)
		uring_enospc_child();
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip(); /* no private mount namespace here */
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_failed_flush_stays_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_errors_logged_at_a_limited_rate, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_read_error_loses_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_final_flush_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_by_name, setup, teardown),
		cmocka_unit_test(test_uring_enospc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
