// SPDX-License-Identifier: MIT
/*
 * The durability contract of virtio-blk: a child process writes through the device and FLUSHes;
 * the moment the flush completes it tells the parent, which kill -9s it and then checks that
 * everything written before the flush is in the backing file.  Once per engine.
 *
 * The page cache survives kill -9, so the contents alone would not show a missing sync.  What
 * does: after a real fdatasync no page of the file is dirty, and POSIX_FADV_DONTNEED then drops
 * every cached page (it cannot drop dirty ones); mincore() shows what stayed.  Without the sync,
 * the written pages stay resident and the test fails.  That needs a file system with a page
 * cache in front of storage: the file lives in the working directory (the build tree), not in a
 * tmpfs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <linux/magic.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>

#include "devices/blk.h"
#include "tests/unit/virtio_harness.h"
#include "vmm/layout.h"
#include "vmm/log.h"

#define RAM        (8ULL << 20)
#define DISK_SIZE  (4ULL << 20)
#define RING_GPA   0x10000ULL
#define HDR_GPA    0x100000ULL
#define STATUS_GPA 0x180000ULL
#define DATA_GPA   0x200000ULL
#define CHUNK      (256 * 1024)
#define CHUNKS     8

static uint8_t written(unsigned chunk, unsigned i)
{
	return (uint8_t)(0x5a ^ (chunk * 31) ^ i ^ (i >> 9));
}

struct child {
	struct vh_vm v;
	struct vh_ring ring;
	struct virtio_dev *vdev;
	uint16_t next_desc;
};

static bool used_reached(void *arg)
{
	struct child *c = arg;

	return vh_used_idx(&c->ring) == c->ring.avail_idx;
}

/* One request in three parts; returns the status byte, or 0xff when it never completed. */
static uint8_t child_request(struct child *c, uint32_t type, uint64_t sector, uint32_t len)
{
	struct virtio_blk_outhdr h = { .type = type, .sector = sector };
	struct vh_buf bufs[3] = { { HDR_GPA, 16, false } };
	uint8_t *st = guest_mem_ptr(&c->v.mem, STATUS_GPA, 1);
	unsigned n = 1;

	memcpy(guest_mem_ptr(&c->v.mem, HDR_GPA, 16), &h, 16);
	if (len)
		bufs[n++] = (struct vh_buf){ DATA_GPA, len, false };
	bufs[n++] = (struct vh_buf){ STATUS_GPA, 1, true };
	*st = 0xff;
	vh_publish(&c->ring, vh_chain(&c->ring, c->next_desc, bufs, n));
	c->next_desc = (uint16_t)((c->next_desc + n) % 256);
	vh_kick(c->vdev, 0);
	if (!vh_run_until(&c->v, used_reached, c))
		return 0xff;
	return *st;
}

/* The child: a device on its own fake VM.  Never returns; exit code 1 on any failure. */
static void child_main(const char *path, enum blk_engine engine, int report_fd)
{
	struct drive_config cfg = { .path = (char *)path, .engine = engine };
	struct virtio_dev_params p;
	struct blk_dev *blk;
	struct child c = { 0 };
	uint8_t *data;

	if (vh_vm_init(&c.v, RAM, TEE_NONE) || blk_dev_open(&cfg, &c.v.loop, &c.v.clock.clock, &blk, NULL))
		_exit(1);
	blk_dev_params(blk, &p);
	if (virtio_dev_create(&c.v.env, &p, LAYOUT_VIRTIO_MMIO_BASE, 16, &c.vdev))
		_exit(1);
	vh_ring_init(&c.ring, &c.v.mem, 256, RING_GPA);
	if (!(vh_driver_start(c.vdev, vh_device_features(c.vdev), &c.ring, 1) &
	      VIRTIO_CONFIG_S_DRIVER_OK))
		_exit(1);
	data = guest_mem_ptr(&c.v.mem, DATA_GPA, CHUNK);
	for (unsigned k = 0; k < CHUNKS; k++) {
		for (unsigned i = 0; i < CHUNK; i++)
			data[i] = written(k, i);
		if (child_request(&c, VIRTIO_BLK_T_OUT, (uint64_t)k * CHUNK / 512, CHUNK) !=
		    VIRTIO_BLK_S_OK)
			_exit(1);
	}
	if (child_request(&c, VIRTIO_BLK_T_FLUSH, 0, 0) != VIRTIO_BLK_S_OK)
		_exit(1);
	if (write(report_fd, "F", 1) != 1)
		_exit(1);
	for (;;)
		pause();
}

/* Pages of [0, len) of fd still in the page cache after asking the kernel to drop them. */
static unsigned resident_after_drop(int fd, size_t len)
{
	unsigned char *vec = calloc(len / 4096, 1);
	unsigned n = 0;
	void *p;

	assert_non_null(vec);
	assert_int_equal(posix_fadvise(fd, 0, (off_t)len, POSIX_FADV_DONTNEED), 0);
	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(mincore(p, len, vec), 0);
	for (size_t i = 0; i < len / 4096; i++)
		n += vec[i] & 1;
	munmap(p, len);
	free(vec);
	return n;
}

static void check_survives_kill(enum blk_engine engine)
{
	const char *dir = getenv("CVMM_TEST_DISK_DIR") ? getenv("CVMM_TEST_DISK_DIR") : ".";
	struct statfs sfs;
	char path[128], flag;
	uint8_t *buf = malloc(CHUNK);
	int fd, pipefd[2], wst;
	pid_t pid;

	assert_non_null(buf);
	assert_int_equal(statfs(dir, &sfs), 0);
	if (sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC)
		fail_msg("%s is a tmpfs: set CVMM_TEST_DISK_DIR to a directory on a disk", dir);
	snprintf(path, sizeof(path), "%s/cvmm-durable-XXXXXX", dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, DISK_SIZE), 0);
	assert_int_equal(pipe(pipefd), 0);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pipefd[0]);
		child_main(path, engine, pipefd[1]);
	}
	close(pipefd[1]);
	/* EOF instead of "F" means the child failed before its flush completed. */
	{
		ssize_t got = read(pipefd[0], &flag, 1);

		/* The child has the file open or is gone: no name left behind, whatever fails. */
		unlink(path);
		assert_int_equal(got, 1);
	}
	assert_int_equal(flag, 'F');
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	assert_true(WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL);
	close(pipefd[0]);

	/* Synced means clean: nothing of what was written may stay in the page cache. */
	{
		unsigned left = resident_after_drop(fd, (size_t)CHUNKS * CHUNK);

		if (left)
			fail_msg("%u of %u written pages were still dirty when the flush completed",
				 left, CHUNKS * CHUNK / 4096);
	}
	for (unsigned k = 0; k < CHUNKS; k++) {
		assert_int_equal(pread(fd, buf, CHUNK, (off_t)k * CHUNK), CHUNK);
		for (unsigned i = 0; i < CHUNK; i++)
			if (buf[i] != written(k, i))
				fail_msg("chunk %u byte %u lost after kill -9", k, i);
	}
	close(fd);
	free(buf);
}

static void test_flush_survives_kill_sync(void **state)
{
	check_survives_kill(BLK_ENGINE_SYNC);
}

static void test_flush_survives_kill_uring(void **state)
{
	check_survives_kill(BLK_ENGINE_URING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flush_survives_kill_sync),
		cmocka_unit_test(test_flush_survives_kill_uring),
	};

	log_threshold = LOG_ERROR;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
