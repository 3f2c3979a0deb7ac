// SPDX-License-Identifier: MIT
/*
 * virtio-blk against a temporary backing file, through the MMIO transport and hand-built rings,
 * for both engines: IN / OUT / FLUSH / GET_ID / DISCARD / WRITE_ZEROES, out-of-range and
 * overflowing sectors, short header, missing status byte, read-only refusal, framing, batches,
 * reset with requests in flight, and the open-time checks of the backing file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "devices/blk.h"
#include "devices/blk_priv.h"
#include "tests/unit/virtio_harness.h"
#include "vmm/layout.h"
#include "vmm/log.h"

#define RAM        (8ULL << 20)
#define DISK_SIZE  (1ULL << 20)
#define CAPACITY   (DISK_SIZE / 512)
#define RING_GPA   0x10000ULL
#define HDR_GPA    0x100000ULL
#define STATUS_GPA 0x180000ULL
#define DATA_GPA   0x200000ULL
#define QSIZE      256
#define F(b)       (1ULL << (b))
#define MS         1000000ULL

struct fx {
	struct vh_vm v;
	char path[64];
	int fd; /* the test's own view of the backing file */
	struct blk_dev *blk;
	struct virtio_dev *vdev;
	struct vh_ring ring;
	enum blk_engine engine;
	unsigned poll_us;
	struct rate_limit_config rate;
	uint16_t next_desc;
};

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 7 + off / 512 + 1);
}

static void make_disk(char *path, size_t path_len, uint64_t size)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	uint8_t *buf = malloc(size);
	int fd;

	assert_non_null(buf);
	snprintf(path, path_len, "%s/cvmm-blk-XXXXXX", dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	for (uint64_t i = 0; i < size; i++)
		buf[i] = pattern(i);
	assert_int_equal(write(fd, buf, size), (ssize_t)size);
	close(fd);
	free(buf);
}

static int open_dev(struct fx *f, bool ro, const char *id)
{
	struct drive_config cfg = { .path = f->path, .id = (char *)id, .read_only = ro,
				    .engine = f->engine, .poll_us = f->poll_us, .rate = f->rate };
	struct virtio_dev_params p;
	int err;

	err = blk_dev_open(&cfg, &f->v.loop, &f->v.clock.clock, &f->blk, NULL);
	if (err)
		return err;
	blk_dev_params(f->blk, &p);
	assert_int_equal(virtio_dev_create(&f->v.env, &p, LAYOUT_VIRTIO_MMIO_BASE, 16, &f->vdev),
			 0);
	vh_ring_init(&f->ring, &f->v.mem, QSIZE, RING_GPA);
	/* Accept everything offered, as Linux would. */
	assert_true(vh_driver_start(f->vdev, vh_device_features(f->vdev), &f->ring, 1) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	return 0;
}

static int setup_common(void **state, bool ro, const char *id, unsigned poll_us,
			const struct rate_limit_config *rate)
{
	struct fx *f = calloc(1, sizeof(*f));

	log_threshold = LOG_ERROR;
	assert_non_null(f);
	f->engine = *(enum blk_engine *)*state;
	f->poll_us = poll_us;
	if (rate)
		f->rate = *rate;
	assert_int_equal(vh_vm_init(&f->v, RAM, TEE_NONE), 0);
	make_disk(f->path, sizeof(f->path), DISK_SIZE);
	f->fd = open(f->path, O_RDONLY);
	assert_true(f->fd >= 0);
	assert_int_equal(open_dev(f, ro, id), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_common(state, false, "disk-a", 0, NULL);
}

static int setup_poll(void **state)
{
	return setup_common(state, false, "disk-a", 2000, NULL);
}

/* --drive ...,rate=ops:2:1000+bw:8K:1000 */
static int setup_rate(void **state)
{
	const struct rate_limit_config rate = {
		.bandwidth = { .size = 8192, .refill_time_ms = 1000 },
		.ops = { .size = 2, .refill_time_ms = 1000 },
	};

	return setup_common(state, false, "disk-a", 0, &rate);
}

static int setup_ro(void **state)
{
	return setup_common(state, true, NULL, 0, NULL);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->blk)
		blk_dev_destroy(f->blk);
	close(f->fd);
	unlink(f->path);
	vh_vm_destroy(&f->v);
	free(f);
	return 0;
}

static void *gp(struct fx *f, uint64_t gpa, uint64_t len)
{
	return guest_mem_ptr(&f->v.mem, gpa, len);
}

struct wait_used {
	struct fx *f;
	uint16_t idx;
};

static bool used_reached(void *arg)
{
	struct wait_used *w = arg;

	return (uint16_t)(vh_used_idx(&w->f->ring) - w->idx) < 0x8000;
}

/* Publishes the chain, kicks, waits for its completion; returns the used length. */
static uint32_t submit(struct fx *f, const struct vh_buf *bufs, unsigned n)
{
	struct wait_used w = { f, (uint16_t)(f->ring.avail_idx + 1) };
	uint32_t id, len = 0xdeadbeef;
	uint16_t head = vh_chain(&f->ring, f->next_desc, bufs, n);

	f->next_desc = (uint16_t)((f->next_desc + n) % QSIZE);
	*(uint8_t *)gp(f, STATUS_GPA, 1) = 0xff;
	vh_publish(&f->ring, head);
	vh_kick(f->vdev, 0);
	assert_true(vh_run_until(&f->v, used_reached, &w));
	assert_true(vh_take_used(&f->ring, &id, &len));
	assert_int_equal(id, head);
	return len;
}

static uint8_t status(struct fx *f)
{
	return *(uint8_t *)gp(f, STATUS_GPA, 1);
}

static void put_hdr(struct fx *f, uint32_t type, uint64_t sector)
{
	struct virtio_blk_outhdr h = { .type = type, .sector = sector };

	memcpy(gp(f, HDR_GPA, sizeof(h)), &h, sizeof(h));
}

/* A request in the usual three-part framing: header, data, status. */
static uint8_t request(struct fx *f, uint32_t type, uint64_t sector, uint32_t data_len,
		       bool device_writes, uint32_t *used)
{
	struct vh_buf bufs[3] = { { HDR_GPA, 16, false } };
	unsigned n = 1;
	uint32_t len;

	put_hdr(f, type, sector);
	if (data_len)
		bufs[n++] = (struct vh_buf){ DATA_GPA, data_len, device_writes };
	bufs[n++] = (struct vh_buf){ STATUS_GPA, 1, true };
	len = submit(f, bufs, n);
	if (used)
		*used = len;
	return status(f);
}

static void file_read(struct fx *f, uint64_t off, void *buf, size_t len)
{
	assert_int_equal(pread(f->fd, buf, len, (off_t)off), (ssize_t)len);
}

static void assert_file_pattern(struct fx *f, uint64_t off, size_t len)
{
	uint8_t *buf = malloc(len);

	file_read(f, off, buf, len);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(buf[i], pattern(off + i));
	free(buf);
}

static void assert_file_size(struct fx *f, uint64_t size)
{
	struct stat st;

	assert_int_equal(fstat(f->fd, &st), 0);
	assert_int_equal(st.st_size, size);
}

static void test_features_and_config(void **state)
{
	struct fx *f = *state;
	static const unsigned expected[] = { VIRTIO_BLK_F_SEG_MAX, VIRTIO_BLK_F_SIZE_MAX,
					     VIRTIO_BLK_F_BLK_SIZE, VIRTIO_BLK_F_FLUSH };

	uint64_t df = vh_device_features(f->vdev);
	struct virtio_blk_config cfg;

	for (unsigned b = 0; b < 4; b++)
		assert_true(df & F(expected[b]));
	assert_true(df & F(VIRTIO_BLK_F_DISCARD));
	assert_true(df & F(VIRTIO_BLK_F_WRITE_ZEROES));
	assert_false(df & F(VIRTIO_BLK_F_RO));
	for (unsigned off = 0; off < sizeof(cfg); off += 4)
		virtio_mmio_access(f->vdev, VIRTIO_MMIO_CONFIG + off, (uint8_t *)&cfg + off, 4,
				   false);
	assert_int_equal(cfg.capacity, CAPACITY);
	assert_int_equal(cfg.seg_max, BLK_SEG_MAX);
	assert_int_equal(cfg.blk_size, 512);
	assert_int_equal(cfg.max_discard_seg, BLK_MAX_DWZ_SEGS);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_DEVICE_ID), 2);
}

static void test_read(void **state)
{
	struct fx *f = *state;
	uint32_t used;

	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 3, 2048, true, &used), VIRTIO_BLK_S_OK);
	assert_int_equal(used, 2049);
	for (unsigned i = 0; i < 2048; i++)
		assert_int_equal(((uint8_t *)gp(f, DATA_GPA, 2048))[i], pattern(3 * 512 + i));
}

static void test_write(void **state)
{
	struct fx *f = *state;
	uint8_t *data = gp(f, DATA_GPA, 4096), back[4096];

	for (unsigned i = 0; i < 4096; i++)
		data[i] = (uint8_t)(0xa5 ^ i);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 10, 4096, false, NULL), VIRTIO_BLK_S_OK);
	file_read(f, 10 * 512, back, sizeof(back));
	assert_memory_equal(back, data, sizeof(back));
	assert_file_pattern(f, 9 * 512, 512);
	assert_file_pattern(f, 18 * 512, 512);
	assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0, false, NULL), VIRTIO_BLK_S_OK);
}

static void test_get_id(void **state)
{
	struct fx *f = *state;
	uint8_t expect[20] = "disk-a";
	uint32_t used;

	memset(gp(f, DATA_GPA, 20), 0xff, 20);
	assert_int_equal(request(f, VIRTIO_BLK_T_GET_ID, 0, 20, true, &used), VIRTIO_BLK_S_OK);
	assert_memory_equal(gp(f, DATA_GPA, 20), expect, 20);
	assert_int_equal(used, 21);
}

static void test_get_id_defaults_to_file_name(void **state)
{
	struct fx *f = *state;
	char copy[64], expect[20] = { 0 };
	const char *name;

	snprintf(copy, sizeof(copy), "%s", f->path);
	name = basename(copy);
	memcpy(expect, name, strlen(name) < 20 ? strlen(name) : 20);
	assert_int_equal(request(f, VIRTIO_BLK_T_GET_ID, 0, 20, true, NULL), VIRTIO_BLK_S_OK);
	assert_memory_equal(gp(f, DATA_GPA, 20), expect, 20);
}

static void put_segs(struct fx *f, const struct virtio_blk_discard_write_zeroes *s, unsigned n)
{
	memcpy(gp(f, DATA_GPA, sizeof(*s) * n), s, sizeof(*s) * n);
}

static void test_discard(void **state)
{
	struct fx *f = *state;
	struct virtio_blk_discard_write_zeroes s[2] = {
		{ .sector = 0, .num_sectors = 8 }, { .sector = 64, .num_sectors = 16 },
	};

	put_segs(f, s, 2);
	assert_int_equal(request(f, VIRTIO_BLK_T_DISCARD, 0, 32, false, NULL), VIRTIO_BLK_S_OK);
	assert_file_size(f, DISK_SIZE);
	assert_file_pattern(f, 8 * 512, 512);
	/* unmap is meaningless for discard: UNSUPP, as the spec says. */
	s[0].flags = VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	put_segs(f, s, 1);
	assert_int_equal(request(f, VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL),
			 VIRTIO_BLK_S_UNSUPP);
	/* Not a whole number of segments; beyond the end; too many segments. */
	assert_int_equal(request(f, VIRTIO_BLK_T_DISCARD, 0, 10, false, NULL), VIRTIO_BLK_S_IOERR);
	s[0] = (struct virtio_blk_discard_write_zeroes){ .sector = CAPACITY - 4, .num_sectors = 8 };
	put_segs(f, s, 1);
	assert_int_equal(request(f, VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(f, VIRTIO_BLK_T_DISCARD, 0, 16 * (BLK_MAX_DWZ_SEGS + 1), false,
				 NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_file_size(f, DISK_SIZE);
}

static void assert_zeroes(struct fx *f, uint64_t off, size_t len)
{
	uint8_t *buf = calloc(1, len), *zero = calloc(1, len);

	file_read(f, off, buf, len);
	assert_memory_equal(buf, zero, len);
	free(buf);
	free(zero);
}

static void test_write_zeroes(void **state)
{
	struct fx *f = *state;
	struct virtio_blk_discard_write_zeroes s[2] = {
		{ .sector = 16, .num_sectors = 8 },
		{ .sector = 40, .num_sectors = 9, .flags = VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP },
	};

	put_segs(f, s, 2);
	assert_int_equal(request(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 32, false, NULL),
			 VIRTIO_BLK_S_OK);
	assert_zeroes(f, 16 * 512, 8 * 512);
	assert_zeroes(f, 40 * 512, 9 * 512);
	assert_file_pattern(f, 15 * 512, 512);
	assert_file_pattern(f, 24 * 512, 16 * 512);
	assert_file_pattern(f, 49 * 512, 512);
	assert_file_size(f, DISK_SIZE);
	/* Unknown flag bits: UNSUPP, and nothing is touched. */
	s[0] = (struct virtio_blk_discard_write_zeroes){ .sector = 100, .num_sectors = 1,
							 .flags = 2 };
	put_segs(f, s, 1);
	assert_int_equal(request(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, NULL),
			 VIRTIO_BLK_S_UNSUPP);
	assert_file_pattern(f, 100 * 512, 512);
	/* Sector arithmetic that would wrap around. */
	s[0] = (struct virtio_blk_discard_write_zeroes){ .sector = UINT64_MAX - 2,
							 .num_sectors = 8 };
	put_segs(f, s, 1);
	assert_int_equal(request(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, NULL),
			 VIRTIO_BLK_S_IOERR);
}

static void test_out_of_range(void **state)
{
	struct fx *f = *state;
	struct blk_counters c;

	assert_int_equal(request(f, VIRTIO_BLK_T_IN, CAPACITY, 512, true, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, CAPACITY - 1, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
	memset(gp(f, DATA_GPA, 1024), 0, 1024);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, CAPACITY - 1, 1024, false, NULL),
			 VIRTIO_BLK_S_IOERR);
	/* sector * 512 and sector + count both overflow 64 bits here. */
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, UINT64_MAX, 512, false, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, (UINT64_MAX / 512) + 1, 512, false, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_file_size(f, DISK_SIZE);
	assert_file_pattern(f, DISK_SIZE - 512, 512);
	blk_dev_counters(f->blk, &c);
	assert_int_equal(c.bad_request, 4);
	assert_int_equal(c.ioerr, 4);
}

static void test_misaligned_length(void **state)
{
	struct fx *f = *state;

	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, 100, false, NULL), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 700, true, NULL), VIRTIO_BLK_S_IOERR);
	assert_file_pattern(f, 0, 512);
}

static void test_short_header(void **state)
{
	struct fx *f = *state;
	const struct vh_buf bufs[] = { { HDR_GPA, 8, false }, { STATUS_GPA, 1, true } };
	struct blk_counters c;

	put_hdr(f, VIRTIO_BLK_T_OUT, 0);
	assert_int_equal(submit(f, bufs, 2), 1);
	assert_int_equal(status(f), VIRTIO_BLK_S_IOERR);
	blk_dev_counters(f->blk, &c);
	assert_int_equal(c.bad_request, 1);
}

static void test_missing_status_byte(void **state)
{
	struct fx *f = *state;
	const struct vh_buf bufs[] = { { HDR_GPA, 16, false }, { DATA_GPA, 512, false } };
	struct blk_counters c;

	memset(gp(f, DATA_GPA, 512), 0, 512);
	put_hdr(f, VIRTIO_BLK_T_OUT, 0);
	assert_int_equal(submit(f, bufs, 2), 0);
	assert_file_pattern(f, 0, 512); /* nothing written without a way to report the outcome */
	blk_dev_counters(f->blk, &c);
	assert_int_equal(c.bad_request, 1);
	/* The device stays usable. */
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 512, true, NULL), VIRTIO_BLK_S_OK);
}

static void test_unsupported_types(void **state)
{
	struct fx *f = *state;

	assert_int_equal(request(f, 99, 0, 0, false, NULL), VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(request(f, VIRTIO_BLK_T_SCSI_CMD, 0, 0, false, NULL),
			 VIRTIO_BLK_S_UNSUPP);
	assert_int_equal(request(f, 10 /* GET_LIFETIME */, 0, 8, true, NULL),
			 VIRTIO_BLK_S_UNSUPP);
}

/* The spec forbids assumptions about framing: header and data may share descriptors. */
static void test_any_framing(void **state)
{
	struct fx *f = *state;
	uint8_t *hdr_and_data = gp(f, HDR_GPA, 16 + 512), back[512];
	struct virtio_blk_outhdr h = { .type = VIRTIO_BLK_T_OUT, .sector = 5 };
	const struct vh_buf out[] = { { HDR_GPA, 16 + 512, false }, { STATUS_GPA, 1, true } };
	const struct vh_buf in[] = { { HDR_GPA, 4, false }, { HDR_GPA + 4, 12, false },
				     { DATA_GPA, 300, true }, { DATA_GPA + 300, 213, true } };

	memcpy(hdr_and_data, &h, 16);
	memset(hdr_and_data + 16, 0x3c, 512);
	assert_int_equal(submit(f, out, 2), 1);
	assert_int_equal(status(f), VIRTIO_BLK_S_OK);
	file_read(f, 5 * 512, back, 512);
	assert_memory_equal(back, hdr_and_data + 16, 512);

	put_hdr(f, VIRTIO_BLK_T_IN, 5);
	assert_int_equal(submit(f, in, 4), 513);
	assert_memory_equal(gp(f, DATA_GPA, 512), back, 512);
	assert_int_equal(*(uint8_t *)gp(f, DATA_GPA + 512, 1), VIRTIO_BLK_S_OK);
}

static void test_batch_of_reads(void **state)
{
	struct fx *f = *state;
	struct wait_used w = { f, 0 };
	enum { N = 64 };
	uint32_t id, len;

	/* N requests, each with its own header, buffer and status, in one notification. */
	for (unsigned i = 0; i < N; i++) {
		uint64_t hdr = HDR_GPA + 16 * i, st = STATUS_GPA + i, data = DATA_GPA + 4096 * i;
		struct virtio_blk_outhdr h = { .type = VIRTIO_BLK_T_IN, .sector = 8 * i };
		const struct vh_buf bufs[] = { { hdr, 16, false }, { data, 4096, true },
					       { st, 1, true } };

		memcpy(gp(f, hdr, 16), &h, 16);
		vh_publish(&f->ring, vh_chain(&f->ring, (uint16_t)(3 * i), bufs, 3));
	}
	w.idx = N;
	vh_kick(f->vdev, 0);
	assert_true(vh_run_until(&f->v, used_reached, &w));
	for (unsigned i = 0; i < N; i++) {
		assert_true(vh_take_used(&f->ring, &id, &len));
		assert_int_equal(len, 4097);
		assert_int_equal(*(uint8_t *)gp(f, STATUS_GPA + i, 1), VIRTIO_BLK_S_OK);
		assert_int_equal(*(uint8_t *)gp(f, DATA_GPA + 4096 * i + 7, 1),
				 pattern(4096ULL * i + 7));
	}
	assert_true(vh_irqs(f->vdev) >= 1);
}

/* More requests than slots: the same chain made available over and over (allowed, if odd). */
static void test_more_requests_than_slots(void **state)
{
	struct fx *f = *state;
	struct wait_used w = { f, 0 };
	const struct vh_buf bufs[] = { { HDR_GPA, 16, false }, { DATA_GPA, 512, true },
				       { STATUS_GPA, 1, true } };
	uint16_t head = vh_chain(&f->ring, 0, bufs, 3);

	put_hdr(f, VIRTIO_BLK_T_IN, 1);
	for (unsigned i = 0; i < QSIZE; i++)
		vh_publish(&f->ring, head);
	vh_kick(f->vdev, 0);
	ev_loop_run_once(&f->v.loop, 0);
	for (unsigned i = 0; i < 10; i++)
		vh_publish(&f->ring, head);
	vh_kick(f->vdev, 0);
	w.idx = QSIZE + 10;
	assert_true(vh_run_until(&f->v, used_reached, &w));
	assert_int_equal(vh_used_idx(&f->ring), QSIZE + 10);
	assert_int_equal(f->blk->in_flight, 0);
}

static size_t resident_pool_pages(const struct blk_dev *blk)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len = BLK_QUEUE_SIZE * 4096, n = 0;
	unsigned char vec[BLK_QUEUE_SIZE];

	/* The pool is at least 256 iovec arrays of 4 KiB: look at its first MiB. */
	assert_int_equal(page, 4096);
	assert_int_equal(mincore(blk->pool, len, vec), 0);
	for (size_t i = 0; i < len / page; i++)
		n += vec[i] & 1;
	return n;
}

/* Request slots are carved from the pool as the queue deepens: an idle drive, or one doing one
 * request at a time, keeps a page or two of its ~1 MiB pool resident, not all of it. */
static void test_request_slots_touched_only_when_used(void **state)
{
	struct fx *f = *state;
	struct wait_used w = { f, 0 };
	const struct vh_buf bufs[] = { { HDR_GPA, 16, false }, { DATA_GPA, 512, true },
				       { STATUS_GPA, 1, true } };
	uint16_t head = vh_chain(&f->ring, 0, bufs, 3);

	assert_int_equal(f->blk->pool_carved, 0);
	assert_int_equal(resident_pool_pages(f->blk), 0);
	put_hdr(f, VIRTIO_BLK_T_IN, 1);
	for (unsigned i = 1; i <= 20; i++) {
		vh_publish(&f->ring, head);
		vh_kick(f->vdev, 0);
		w.idx = i;
		assert_true(vh_run_until(&f->v, used_reached, &w));
	}
	assert_int_equal(f->blk->in_flight, 0);
	/* One slot, or two with io_uring (a completion may be reaped after the next request). */
	assert_in_range(f->blk->pool_carved, 1, 2);
	assert_in_range(resident_pool_pages(f->blk), 1, 3);
	/* A full queue takes every slot, and they are all reused afterwards. */
	for (unsigned i = 0; i < QSIZE; i++)
		vh_publish(&f->ring, head);
	vh_kick(f->vdev, 0);
	w.idx = 20 + QSIZE;
	assert_true(vh_run_until(&f->v, used_reached, &w));
	assert_int_equal(f->blk->in_flight, 0);
	assert_in_range(f->blk->pool_carved, 1, BLK_QUEUE_SIZE);
}

/* A reset waits for in-flight I/O and returns nothing to the (now reset) rings. */
static void test_reset_with_requests_in_flight(void **state)
{
	struct fx *f = *state;
	const struct vh_buf bufs[] = { { HDR_GPA, 16, false }, { DATA_GPA, 65536, true },
				       { STATUS_GPA, 1, true } };
	uint16_t head = vh_chain(&f->ring, 0, bufs, 3);

	put_hdr(f, VIRTIO_BLK_T_IN, 0);
	for (unsigned i = 0; i < 8; i++)
		vh_publish(&f->ring, head);
	virtio_dev_lock(f->vdev);
	blk_process_queue(f->blk);
	virtio_dev_unlock(f->vdev);
	if (f->engine == BLK_ENGINE_URING)
		assert_int_equal(f->blk->in_flight, 8);
	vh_wr(f->vdev, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(f->blk->in_flight, 0);
	if (f->engine == BLK_ENGINE_URING)
		assert_int_equal(vh_used_idx(&f->ring), 0);
	for (int i = 0; i < 4; i++)
		ev_loop_run_once(&f->v.loop, 0);
	/* The device comes back after a new bring-up. */
	vh_ring_init(&f->ring, &f->v.mem, QSIZE, RING_GPA);
	f->next_desc = 0;
	assert_true(vh_driver_start(f->vdev, vh_device_features(f->vdev), &f->ring, 1) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 2, 512, true, NULL), VIRTIO_BLK_S_OK);
}

/*
 * Serves what is pending (a few passes at least) and then events until the used index reaches
 * idx, on real time only: the manual clock stays where it is.
 */
static void run_until_used_idx(struct fx *f, uint16_t idx)
{
	for (int i = 0; i < 200 && (i < 3 || vh_used_idx(&f->ring) != idx); i++)
		ev_loop_run_once(&f->v.loop, i < 3 ? 1 : 10);
	assert_int_equal(vh_used_idx(&f->ring), idx);
}

/* Publishes a read of len bytes with header, data and status of their own (slot i). */
static void publish_slot_read(struct fx *f, unsigned i, uint32_t len)
{
	uint64_t hdr = HDR_GPA + 16 * i, st = STATUS_GPA + i, data = DATA_GPA + 8192 * i;
	struct virtio_blk_outhdr h = { .type = VIRTIO_BLK_T_IN, .sector = 16 * i };
	const struct vh_buf bufs[] = { { hdr, 16, false }, { data, len, true }, { st, 1, true } };

	memcpy(gp(f, hdr, 16), &h, 16);
	vh_publish(&f->ring, vh_chain(&f->ring, f->next_desc, bufs, 3));
	f->next_desc = (uint16_t)((f->next_desc + 3) % QSIZE);
}

/* Makes the armed rate timer expire now (it was armed for real time), then serves it. */
static void expire_rate_timer(struct fx *f)
{
	struct itimerspec its = { .it_value = { .tv_nsec = 1 } }, cur;

	assert_int_equal(timerfd_gettime(f->blk->rate_timer_fd, &cur), 0);
	assert_true(cur.it_value.tv_sec || cur.it_value.tv_nsec); /* it was armed */
	assert_int_equal(timerfd_settime(f->blk->rate_timer_fd, 0, &its, NULL), 0);
}

/*
 * rate=ops:2:1000+bw:8K:1000 on the manual clock: two requests go, the third stays in the ring
 * (kicks change nothing) until the buckets refill; the timer is armed for exactly that.
 */
static void test_rate_limit(void **state)
{
	struct fx *f = *state;
	struct itimerspec its;
	struct blk_counters c;

	for (unsigned i = 0; i < 3; i++)
		publish_slot_read(f, i, 512);
	vh_kick(f->vdev, 0);
	run_until_used_idx(f, 2);
	assert_true(f->blk->throttled);
	blk_dev_counters(f->blk, &c);
	assert_int_equal(c.reads, 2);
	assert_int_equal(c.throttled.ops_throttled, 1);
	assert_int_equal(c.throttled.bandwidth_throttled, 0);
	/* One operation comes back in 500 ms. */
	assert_int_equal(timerfd_gettime(f->blk->rate_timer_fd, &its), 0);
	assert_true(its.it_value.tv_sec == 0 && its.it_value.tv_nsec > 490000000);
	vh_kick(f->vdev, 0);
	run_until_used_idx(f, 2);
	/* The timer firing early (the clock has not moved) re-arms it and serves nothing. */
	expire_rate_timer(f);
	run_until_used_idx(f, 2);
	manual_clock_advance(&f->v.clock, 500 * MS);
	expire_rate_timer(f);
	run_until_used_idx(f, 3);
	assert_false(f->blk->throttled);

	/* Bandwidth: 4 KiB reads against 8 KiB per second, after a full refill. */
	manual_clock_advance(&f->v.clock, 2000 * MS);
	publish_slot_read(f, 3, 4096);
	publish_slot_read(f, 4, 4096);
	publish_slot_read(f, 5, 4096);
	vh_kick(f->vdev, 0);
	run_until_used_idx(f, 5);
	blk_dev_counters(f->blk, &c);
	assert_int_equal(c.throttled.bandwidth_throttled, 1);
	/* A reset forgets the held request but keeps the buckets as they are. */
	vh_wr(f->vdev, VIRTIO_MMIO_STATUS, 0);
	assert_false(f->blk->throttled);
	vh_ring_init(&f->ring, &f->v.mem, QSIZE, RING_GPA);
	f->next_desc = 0;
	assert_true(vh_driver_start(f->vdev, vh_device_features(f->vdev), &f->ring, 1) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	publish_slot_read(f, 0, 4096);
	vh_kick(f->vdev, 0);
	run_until_used_idx(f, 0);
	assert_true(f->blk->throttled);
	manual_clock_advance(&f->v.clock, 500 * MS);
	expire_rate_timer(f);
	run_until_used_idx(f, 1);
	assert_int_equal(*(uint8_t *)gp(f, STATUS_GPA, 1), VIRTIO_BLK_S_OK);
}

static void test_read_only_refuses_writes(void **state)
{
	struct fx *f = *state;
	uint64_t df = vh_device_features(f->vdev);
	struct virtio_blk_discard_write_zeroes s = { .sector = 0, .num_sectors = 1 };

	assert_true(df & F(VIRTIO_BLK_F_RO));
	assert_false(df & F(VIRTIO_BLK_F_DISCARD));
	assert_false(df & F(VIRTIO_BLK_F_WRITE_ZEROES));
	memset(gp(f, DATA_GPA, 512), 0, 512);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 0, 512, false, NULL), VIRTIO_BLK_S_IOERR);
	put_segs(f, &s, 1);
	assert_int_equal(request(f, VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL), VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_file_pattern(f, 0, 512);
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 0, 512, true, NULL), VIRTIO_BLK_S_OK);
	assert_int_equal(request(f, VIRTIO_BLK_T_FLUSH, 0, 0, false, NULL), VIRTIO_BLK_S_OK);
}

/* Without FLUSH negotiated every write is durable when it completes (writethrough). */
/* Runs the loop until cond holds or ms passed (the loop does not sleep while polling). */
/* Serves the loop for ms of the VM's (manual) clock, or until cond holds. */
static bool run_for(struct fx *f, bool (*cond)(void *arg), void *arg, unsigned ms)
{
	return vh_run_for(&f->v, cond, arg, (uint64_t)ms * 1000000);
}

static bool poller_idle(void *arg)
{
	return !((struct fx *)arg)->blk->poller.armed;
}

/* Publishes a one-sector read without notifying the device. */
static void publish_read(struct fx *f, uint16_t first_desc, uint64_t sector)
{
	const struct vh_buf bufs[] = { { HDR_GPA, 16, false }, { DATA_GPA, 512, true },
				       { STATUS_GPA, 1, true } };

	put_hdr(f, VIRTIO_BLK_T_IN, sector);
	vh_publish(&f->ring, vh_chain(&f->ring, first_desc, bufs, 3));
}

/*
 * Polling: after a request the device keeps notifications off and serves requests published
 * without a notification, until the window passes idle; then notifications are back on
 * (avail_event = the next index) and an unnotified request waits.
 */
static void test_polling(void **state)
{
	struct fx *f = *state;
	struct wait_used w = { f, 0 };
	struct virtio_counters c;
	uint16_t event;

	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 1, 512, true, NULL), VIRTIO_BLK_S_OK);
	assert_true(f->blk->poller.armed);
	event = vh_avail_event(&f->ring);
	for (uint16_t i = 0; i < 5; i++) {
		publish_read(f, (uint16_t)(3 + 3 * i), i);
		w.idx = (uint16_t)(2 + i);
		assert_true(run_for(f, used_reached, &w, 1000));
		assert_int_equal(status(f), VIRTIO_BLK_S_OK);
	}
	/* Served without touching avail_event, so the driver was never asked to notify. */
	assert_int_equal(vh_avail_event(&f->ring), event);
	virtio_dev_counters(f->vdev, &c);
	assert_int_equal(c.kicks, 1);

	assert_true(run_for(f, poller_idle, f, 1000));
	assert_int_equal(vh_avail_event(&f->ring), f->ring.avail_idx);
	publish_read(f, 30, 9);
	w.idx = (uint16_t)(f->ring.avail_idx);
	assert_false(run_for(f, used_reached, &w, 50));
	vh_kick(f->vdev, 0);
	assert_true(run_for(f, used_reached, &w, 1000));
}

/* A window that finds nothing makes the next passes skip polling, doubling each time. */
static void test_polling_backoff(void **state)
{
	struct fx *f = *state;
	unsigned skips[] = { 1, 2, 4 };

	for (unsigned round = 0; round < 3; round++) {
		/* Polls after this request, finds nothing, and backs off. */
		assert_int_equal(request(f, VIRTIO_BLK_T_IN, 1, 512, true, NULL), VIRTIO_BLK_S_OK);
		assert_true(f->blk->poller.armed);
		assert_true(run_for(f, poller_idle, f, 1000));
		assert_int_equal(f->blk->poll_skip, skips[round]);
		/* The next passes do not poll: notifications are back on right away. */
		for (unsigned i = 0; i < skips[round]; i++) {
			assert_int_equal(request(f, VIRTIO_BLK_T_IN, 2, 512, true, NULL),
					 VIRTIO_BLK_S_OK);
			assert_false(f->blk->poller.armed);
			assert_int_equal(vh_avail_event(&f->ring), f->ring.avail_idx);
		}
	}
	/* A fruitful window resets the back-off. */
	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 1, 512, true, NULL), VIRTIO_BLK_S_OK);
	assert_true(f->blk->poller.armed);
	publish_read(f, 3, 0);
	assert_true(run_for(f, poller_idle, f, 1000));
	assert_int_equal(f->blk->poll_skip, 0);
	assert_int_equal(f->blk->poll_backoff, 0);
}

/* Without polling an unnotified request is not served. */
static void test_no_polling(void **state)
{
	struct fx *f = *state;
	struct wait_used w = { f, 2 };

	assert_int_equal(request(f, VIRTIO_BLK_T_IN, 1, 512, true, NULL), VIRTIO_BLK_S_OK);
	assert_false(f->blk->poller.armed);
	assert_int_equal(vh_avail_event(&f->ring), f->ring.avail_idx);
	publish_read(f, 3, 0);
	assert_false(run_for(f, used_reached, &w, 50));
}

static void test_writethrough_without_flush(void **state)
{
	struct fx *f = *state;
	uint64_t df = vh_device_features(f->vdev);

	assert_true(vh_driver_start(f->vdev, df & ~F(VIRTIO_BLK_F_FLUSH), &f->ring, 1) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	assert_true(f->blk->writethrough);
	memset(gp(f, DATA_GPA, 512), 0x77, 512);
	assert_int_equal(request(f, VIRTIO_BLK_T_OUT, 1, 512, false, NULL), VIRTIO_BLK_S_OK);
	assert_true(vh_driver_start(f->vdev, df, &f->ring, 1) & VIRTIO_CONFIG_S_DRIVER_OK);
	assert_false(f->blk->writethrough);
}

/* Opens path with cfg and returns the error, checking nothing else was left behind. */
static int try_open(const char *path, bool ro)
{
	struct drive_config cfg = { .path = (char *)path, .read_only = ro };
	struct ev_loop loop;
	struct blk_dev *blk = NULL;
	int err;

	assert_int_equal(ev_loop_init(&loop), 0);
	err = blk_dev_open(&cfg, &loop, NULL, &blk, NULL);
	if (!err)
		blk_dev_destroy(blk);
	ev_loop_destroy(&loop);
	return err;
}

static void test_open_errors(void **state)
{
	char path[64], dir[80];
	pid_t pid;
	int wst;

	make_disk(path, sizeof(path), 4096);
	assert_int_equal(try_open(path, false), 0);
	assert_int_equal(truncate(path, 1000), 0);
	assert_int_equal(try_open(path, false), -EINVAL); /* not a multiple of 512 */
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(try_open(path, true), 0); /* an empty disk is still a disk */
	assert_int_equal(try_open("/nonexistent/cvmm-disk.img", false), -ENOENT);
	assert_int_equal(try_open("/dev/null", false), -EINVAL); /* character device */
	snprintf(dir, sizeof(dir), "%s.d", path);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(try_open(dir, true), -EINVAL); /* directory */
	rmdir(dir);

	/* Not writable: open read-write fails, read-only works.  As root, drop privileges. */
	assert_int_equal(truncate(path, 4096), 0);
	assert_int_equal(chmod(path, 0444), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && setuid(65534) < 0)
			_exit(10);
		_exit(try_open(path, false) == -EACCES && try_open(path, true) == 0 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &wst, 0), pid);
	assert_true(WIFEXITED(wst));
	assert_int_equal(WEXITSTATUS(wst), 0);
	unlink(path);
}

static enum blk_engine sync_engine = BLK_ENGINE_SYNC, uring_engine = BLK_ENGINE_URING;

#define T(fn, e) cmocka_unit_test_prestate_setup_teardown(fn, setup, teardown, &e)
#define BOTH(fn) T(fn, sync_engine), T(fn, uring_engine)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_features_and_config),
		BOTH(test_read),
		BOTH(test_write),
		BOTH(test_get_id),
		cmocka_unit_test_prestate_setup_teardown(test_get_id_defaults_to_file_name,
							 setup_ro, teardown, &sync_engine),
		BOTH(test_discard),
		BOTH(test_write_zeroes),
		BOTH(test_out_of_range),
		BOTH(test_misaligned_length),
		BOTH(test_short_header),
		BOTH(test_missing_status_byte),
		BOTH(test_unsupported_types),
		BOTH(test_any_framing),
		BOTH(test_batch_of_reads),
		BOTH(test_more_requests_than_slots),
		BOTH(test_request_slots_touched_only_when_used),
		BOTH(test_reset_with_requests_in_flight),
		cmocka_unit_test_prestate_setup_teardown(test_read_only_refuses_writes, setup_ro,
							 teardown, &sync_engine),
		cmocka_unit_test_prestate_setup_teardown(test_read_only_refuses_writes, setup_ro,
							 teardown, &uring_engine),
		BOTH(test_writethrough_without_flush),
		cmocka_unit_test_prestate_setup_teardown(test_rate_limit, setup_rate, teardown,
							 &sync_engine),
		cmocka_unit_test_prestate_setup_teardown(test_rate_limit, setup_rate, teardown,
							 &uring_engine),
		cmocka_unit_test_prestate_setup_teardown(test_polling, setup_poll, teardown,
							 &sync_engine),
		cmocka_unit_test_prestate_setup_teardown(test_polling, setup_poll, teardown,
							 &uring_engine),
		cmocka_unit_test_prestate_setup_teardown(test_polling_backoff, setup_poll,
							 teardown, &sync_engine),
		T(test_no_polling, sync_engine),
		cmocka_unit_test(test_open_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
