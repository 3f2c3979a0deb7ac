// SPDX-License-Identifier: MIT
/*
 * Virtio on confidential memory (--tee emulated backing, conversions for real): descriptors, indirect
 * tables and rings that touch private pages are refused and counted, never served; shared chains
 * are handed to the device zero-copy (iovecs into the device-side mapping of guest memory); virtio-
 * blk, virtio-vsock and the transport go to NEEDS_RESET on private memory and work again after a
 * reset with shared buffers.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>
#include <linux/virtio_vsock.h>

#include "devices/blk.h"
#include "devices/blk_priv.h"
#include "devices/virtio/virtq.h"
#include "tests/unit/kvm_recorder.h"
#include "tests/unit/spin_guard.h"
#include "tests/unit/virtio_harness.h"
#include "vmm/convert.h"
#include "vmm/layout.h"
#include "vmm/log.h"
#include "vmm/memory.h"
#include "vsock/vsock.h"

#define PG          4096ULL
#define RAM         (8ULL << 20)
#define RING_GPA    0x10000ULL  /* up to three rings, 0x4000 apart: shared */
#define RING_END    0x20000ULL
#define SHARED_GPA  0x100000ULL /* 2 MiB of shared buffers */
#define SHARED_END  0x300000ULL
#define PRIV_GPA    0x400000ULL /* private: never converted */
#define QSIZE       16
#define DISK_SIZE   (64 * 1024ULL)

struct fx {
	struct vh_vm v;
	struct converter conv;
	struct virtq vq;
	struct vh_ring ring;
	struct iovec iov[16];
	struct virtq_chain c;
	/* devices */
	struct virtio_dev *vdev;
	struct blk_dev *blk;
	struct vsock_dev *vsock;
	struct vh_ring rings[3];
	char path[96], dir[64];
	int disk_fd;
};

static struct guest_mem *mem(struct fx *f)
{
	return &f->v.mem;
}

static void *gp(struct fx *f, uint64_t gpa, uint64_t len)
{
	return guest_mem_ptr(mem(f), gpa, len);
}

static void share(struct fx *f, uint64_t gpa, uint64_t len)
{
	assert_int_equal(converter_convert(&f->conv, gpa, len, false), 0);
}

static void make_private(struct fx *f, uint64_t gpa, uint64_t len)
{
	assert_int_equal(converter_convert(&f->conv, gpa, len, true), 0);
}

/* A VM whose RAM starts private; the ring area and one buffer area are shared. */
static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	log_threshold = LOG_ERROR;
	assert_non_null(f);
	assert_int_equal(vh_vm_init(&f->v, RAM, TEE_EMULATED), 0);
	rec_punch_passthrough(true);
	assert_int_equal(guest_mem_enable_attrs(mem(f), true), 0);
	assert_int_equal(converter_init(&f->conv, VH_VM_FD, mem(f), CONVERT_EMULATED), 0);
	share(f, RING_GPA, RING_END - RING_GPA);
	share(f, SHARED_GPA, SHARED_END - SHARED_GPA);
	f->disk_fd = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->blk)
		blk_dev_destroy(f->blk);
	if (f->vsock)
		vsock_dev_destroy(f->vsock);
	if (f->disk_fd >= 0) {
		close(f->disk_fd);
		unlink(f->path);
	}
	if (f->dir[0])
		rmdir(f->dir);
	converter_destroy(&f->conv);
	vh_vm_destroy(&f->v);
	free(f);
	return 0;
}

/* ---- the virtqueue alone ---- */

static void queue_on(struct fx *f, uint64_t desc, uint64_t avail, uint64_t used)
{
	virtq_init(&f->vq, mem(f), 256);
	f->vq.size = QSIZE;
	f->vq.desc_gpa = desc;
	f->vq.avail_gpa = avail;
	f->vq.used_gpa = used;
	f->vq.indirect = true;
	f->c.iov = f->iov;
	f->c.iov_cap = 16;
}

static void queue_start(struct fx *f)
{
	vh_ring_init(&f->ring, mem(f), QSIZE, RING_GPA);
	queue_on(f, f->ring.desc, f->ring.avail, f->ring.used);
	assert_int_equal(virtq_map(&f->vq), 0);
	f->vq.ready = true;
}

static void expect_pop_error(struct fx *f, enum virtq_error err)
{
	uint64_t refused = guest_mem_dma_refusals(mem(f));

	assert_int_equal(virtq_pop(&f->vq, &f->c), -(int)err);
	assert_int_equal(f->vq.errors[err], 1);
	assert_int_equal(f->vq.popped, 0);
	if (err == VIRTQ_ERR_DESC_PRIVATE)
		assert_int_equal(guest_mem_dma_refusals(mem(f)), refused + 1);
}

static void test_shared_chain_is_zero_copy(void **state)
{
	struct fx *f = *state;
	const struct guest_mem_region *r = &mem(f)->regions[0];
	struct vh_buf bufs[3] = {
		{ SHARED_GPA, 16, false }, { SHARED_GPA + PG, 512, true },
		{ SHARED_GPA + 2 * PG, 1, true },
	};

	queue_start(f);
	vh_publish(&f->ring, vh_chain(&f->ring, 0, bufs, 3));
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	/* Pointers into the device-side mapping of guest memory, no copies. */
	for (unsigned i = 0; i < 3; i++)
		assert_ptr_equal(f->iov[i].iov_base, r->dev_hva + (bufs[i].gpa - r->gpa));
	assert_ptr_not_equal(r->dev_hva, r->hva);
	memset(f->iov[1].iov_base, 0x5a, 512);
	assert_int_equal(*(uint8_t *)gp(f, SHARED_GPA + PG + 511, 1), 0x5a);
}

static void test_partially_private_chain(void **state)
{
	struct fx *f = *state;
	struct vh_buf bufs[3] = {
		{ SHARED_GPA, 16, false }, { PRIV_GPA, 512, true }, { SHARED_GPA + PG, 1, true },
	};

	queue_start(f);
	vh_publish(&f->ring, vh_chain(&f->ring, 0, bufs, 3));
	expect_pop_error(f, VIRTQ_ERR_DESC_PRIVATE);
}

/* A buffer that starts shared and ends in a private page. */
static void test_buffer_straddling_into_private(void **state)
{
	struct fx *f = *state;
	struct vh_buf b = { SHARED_END - 8, 16, false };

	queue_start(f);
	vh_publish(&f->ring, vh_chain(&f->ring, 0, &b, 1));
	expect_pop_error(f, VIRTQ_ERR_DESC_PRIVATE);
}

static void test_outside_ram_is_not_private(void **state)
{
	struct fx *f = *state;
	struct vh_buf b = { RAM + PG, 16, false };

	queue_start(f);
	vh_publish(&f->ring, vh_chain(&f->ring, 0, &b, 1));
	expect_pop_error(f, VIRTQ_ERR_DESC_ADDR);
}

static void test_private_indirect_table(void **state)
{
	struct fx *f = *state;
	struct vh_buf bufs[2] = { { SHARED_GPA, 16, false }, { SHARED_GPA + PG, 64, true } };

	queue_start(f);
	vh_publish(&f->ring, vh_indirect(&f->ring, 0, PRIV_GPA, bufs, 2));
	expect_pop_error(f, VIRTQ_ERR_DESC_PRIVATE);
}

static void test_indirect_entry_private(void **state)
{
	struct fx *f = *state;
	struct vh_buf bufs[2] = { { SHARED_GPA, 16, false }, { PRIV_GPA, 64, true } };

	queue_start(f);
	vh_publish(&f->ring, vh_indirect(&f->ring, 0, SHARED_GPA + 8 * PG, bufs, 2));
	expect_pop_error(f, VIRTQ_ERR_DESC_PRIVATE);
}

static void test_private_rings_not_mapped(void **state)
{
	struct fx *f = *state;
	const uint64_t shared[3] = { RING_GPA, RING_GPA + 0x1000, RING_GPA + 0x2000 };

	/* Each ring in private memory in turn, the other two shared. */
	for (unsigned i = 0; i < 3; i++) {
		uint64_t g[3] = { shared[0], shared[1], shared[2] };

		g[i] = PRIV_GPA + i * PG;
		queue_on(f, g[0], g[1], g[2]);
		assert_int_equal(virtq_map(&f->vq), -EFAULT);
		assert_null(f->vq.desc);
		assert_null(f->vq.avail);
		assert_null(f->vq.used);
	}
}

static void test_ring_made_private_after_setup(void **state)
{
	struct fx *f = *state;
	struct vh_buf b = { SHARED_GPA, 16, false };

	queue_start(f);
	vh_publish(&f->ring, vh_chain(&f->ring, 0, &b, 1));
	make_private(f, RING_GPA, PG); /* the descriptor table */
	assert_int_equal(virtq_map(&f->vq), -EFAULT);
	assert_int_equal(virtq_pop(&f->vq, &f->c), -VIRTQ_ERR_RING_ADDR);
	assert_int_equal(f->vq.popped, 0);
}

/* ---- devices ---- */

static void start_dev(struct fx *f, unsigned nr_rings)
{
	for (unsigned i = 0; i < nr_rings; i++)
		vh_ring_init(&f->rings[i], mem(f), QSIZE, RING_GPA + i * 0x4000);
	assert_true(vh_driver_start(f->vdev, vh_device_features(f->vdev), f->rings, nr_rings) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
}

static void open_blk_engine(struct fx *f, enum blk_engine engine)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	struct drive_config cfg = { .engine = engine };
	struct virtio_dev_params p;
	uint8_t zero[DISK_SIZE] = { 0 };

	snprintf(f->path, sizeof(f->path), "%s/cvmm-private-XXXXXX", tmp);
	f->disk_fd = mkstemp(f->path);
	assert_true(f->disk_fd >= 0);
	assert_int_equal(write(f->disk_fd, zero, sizeof(zero)), (ssize_t)sizeof(zero));
	cfg.path = f->path;
	assert_int_equal(blk_dev_open(&cfg, &f->v.loop, &f->v.clock.clock, &f->blk, NULL), 0);
	blk_dev_params(f->blk, &p);
	assert_int_equal(virtio_dev_create(&f->v.env, &p, LAYOUT_VIRTIO_MMIO_BASE, 16, &f->vdev),
			 0);
}

static void open_blk(struct fx *f)
{
	open_blk_engine(f, BLK_ENGINE_SYNC);
}

static bool needs_reset(void *arg)
{
	return vh_rd(arg, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

static struct virtio_counters counters(struct fx *f)
{
	struct virtio_counters c;

	virtio_dev_counters(f->vdev, &c);
	return c;
}

/* An OUT request of 512 bytes of 0xab from data_gpa to sector 0. */
static void blk_write(struct fx *f, uint64_t data_gpa)
{
	struct virtio_blk_outhdr h = { .type = VIRTIO_BLK_T_OUT };
	struct vh_buf bufs[3] = {
		{ SHARED_GPA, 16, false }, { data_gpa, 512, false }, { SHARED_GPA + PG, 1, true },
	};

	memcpy(gp(f, SHARED_GPA, sizeof(h)), &h, sizeof(h));
	memset(gp(f, data_gpa, 512), 0xab, 512);
	vh_publish(&f->rings[0], vh_chain(&f->rings[0], 0, bufs, 3));
	vh_kick(f->vdev, 0);
}

static bool sector0_is(struct fx *f, uint8_t v)
{
	uint8_t buf[512];

	assert_int_equal(pread(f->disk_fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		if (buf[i] != v)
			return false;
	return true;
}

static void test_blk_private_data_refused(void **state)
{
	struct fx *f = *state;
	struct blk_counters bc;

	open_blk(f);
	start_dev(f, 1);
	blk_write(f, PRIV_GPA);
	assert_true(vh_run_until(&f->v, needs_reset, f->vdev));
	assert_int_equal(vh_used_idx(&f->rings[0]), 0);
	assert_int_equal(counters(f).bad_chain[VIRTQ_ERR_DESC_PRIVATE], 1);
	assert_int_equal(counters(f).needs_reset, 1);
	blk_dev_counters(f->blk, &bc);
	assert_int_equal(bc.writes, 0);
	assert_true(sector0_is(f, 0));

	/* Reset, the same request from a shared buffer is served. */
	vh_wr(f->vdev, VIRTIO_MMIO_STATUS, 0);
	start_dev(f, 1);
	blk_write(f, SHARED_GPA + 2 * PG);
	assert_true(vh_run_until_used(&f->v, &f->rings[0], 0));
	assert_int_equal(*(uint8_t *)gp(f, SHARED_GPA + PG, 1), VIRTIO_BLK_S_OK);
	assert_true(sector0_is(f, 0xab));
}

static void test_queue_ready_with_private_rings(void **state)
{
	struct fx *f = *state;
	struct vh_ring r;

	open_blk(f);
	vh_ring_init(&r, mem(f), QSIZE, PRIV_GPA);
	assert_true(vh_negotiate(f->vdev, vh_device_features(f->vdev)) &
		    VIRTIO_CONFIG_S_FEATURES_OK);
	vh_setup_queue(f->vdev, 0, &r);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_true(vh_rd(f->vdev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(counters(f).bad_queue_setup, 1);

	vh_wr(f->vdev, VIRTIO_MMIO_STATUS, 0);
	start_dev(f, 1);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_QUEUE_READY), 1);
}

static void open_vsock(struct fx *f)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	struct vsock_config cfg = { .enabled = true, .guest_cid = 42 };
	struct virtio_dev_params p;

	snprintf(f->dir, sizeof(f->dir), "%s/cvmm-private-XXXXXX", tmp);
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/v.sock", f->dir);
	cfg.uds_path = f->path;
	assert_int_equal(vsock_dev_open(&cfg, &f->v.loop, &f->vsock), 0);
	vsock_dev_params(f->vsock, &p);
	assert_int_equal(virtio_dev_create(&f->v.env, &p, LAYOUT_VIRTIO_MMIO_BASE, 16, &f->vdev),
			 0);
	start_dev(f, 3);
}

/* A REQUEST to a host port nobody listens on: the device answers RST. */
static void vsock_request(struct fx *f, uint64_t gpa)
{
	struct vsock_hdr h = {
		.src_cid = 42, .dst_cid = VSOCK_HOST_CID, .src_port = 5000, .dst_port = 7777,
		.type = VIRTIO_VSOCK_TYPE_STREAM, .op = VIRTIO_VSOCK_OP_REQUEST, .buf_alloc = 4096,
	};
	struct vh_buf b = { gpa, VSOCK_HDR_SIZE, false };

	vsock_hdr_encode(&h, gp(f, gpa, VSOCK_HDR_SIZE));
	vh_publish(&f->rings[VSOCK_TX_QUEUE], vh_chain(&f->rings[VSOCK_TX_QUEUE], 0, &b, 1));
	vh_kick(f->vdev, VSOCK_TX_QUEUE);
}

static void vsock_post_rx(struct fx *f, uint64_t gpa)
{
	struct vh_buf b = { gpa, VSOCK_HDR_SIZE + 256, true };

	vh_publish(&f->rings[VSOCK_RX_QUEUE], vh_chain(&f->rings[VSOCK_RX_QUEUE], 0, &b, 1));
	vh_kick(f->vdev, VSOCK_RX_QUEUE);
}

static uint64_t vsock_refused(struct fx *f)
{
	struct vsock_dev_counters c;

	vsock_dev_counters(f->vsock, &c);
	return c.mux.connect_refused;
}

static void test_vsock_private_tx_packet(void **state)
{
	struct fx *f = *state;

	open_vsock(f);
	vsock_request(f, PRIV_GPA);
	assert_true(vh_run_until(&f->v, needs_reset, f->vdev));
	assert_int_equal(counters(f).bad_chain[VIRTQ_ERR_DESC_PRIVATE], 1);
	assert_int_equal(vh_used_idx(&f->rings[VSOCK_TX_QUEUE]), 0);
	assert_int_equal(vsock_refused(f), 0); /* the packet never reached the multiplexer */
}

static void test_vsock_private_rx_buffer(void **state)
{
	struct fx *f = *state;
	struct vsock_hdr h;
	uint8_t *priv;

	open_vsock(f);
	priv = gp(f, PRIV_GPA, PG);
	memset(priv, 0xee, PG);
	vsock_post_rx(f, PRIV_GPA);
	vsock_request(f, SHARED_GPA);
	assert_true(vh_run_until(&f->v, needs_reset, f->vdev));
	assert_int_equal(vsock_refused(f), 1);
	assert_int_equal(counters(f).bad_chain[VIRTQ_ERR_DESC_PRIVATE], 1);
	assert_int_equal(vh_used_idx(&f->rings[VSOCK_RX_QUEUE]), 0);
	for (size_t i = 0; i < PG; i++)
		assert_int_equal(priv[i], 0xee);

	/* After a reset, a shared receive buffer gets the RST. */
	vh_wr(f->vdev, VIRTIO_MMIO_STATUS, 0);
	start_dev(f, 3);
	vsock_post_rx(f, SHARED_GPA + 4 * PG);
	vsock_request(f, SHARED_GPA);
	assert_true(vh_run_until_used(&f->v, &f->rings[VSOCK_RX_QUEUE], 0));
	vsock_hdr_decode(gp(f, SHARED_GPA + 4 * PG, VSOCK_HDR_SIZE), &h);
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_RST);
	assert_int_equal(h.dst_port, 5000);
}

/* ---- conversions racing device I/O ---- */

#define RACE_HDR    SHARED_GPA
#define RACE_DATA   (SHARED_GPA + 2 * PG)
#define RACE_STATUS (SHARED_GPA + 4 * PG) /* a page of its own */

/* An IN request of 512 bytes from sector 0 into RACE_DATA, status in its own page. */
static void blk_read_request(struct fx *f)
{
	struct virtio_blk_outhdr h = { .type = VIRTIO_BLK_T_IN };
	struct vh_buf bufs[3] = {
		{ RACE_HDR, 16, false }, { RACE_DATA, 512, true }, { RACE_STATUS, 1, true },
	};

	memcpy(gp(f, RACE_HDR, sizeof(h)), &h, sizeof(h));
	*(uint8_t *)gp(f, RACE_STATUS, 1) = 0xee;
	vh_publish(&f->rings[0], vh_chain(&f->rings[0], 0, bufs, 3));
	vh_kick(f->vdev, 0);
}

/*
 * The steps below run in a child (spin_guard_run): a device that writes into a page the guest
 * made private faults while holding its lock, so the test must fail there, not hang in the
 * teardown.  Plain checks in the child, each failure its own code.
 */

/* Reset, the status page shared again: the same read completes normally. */
static int read_after_reset(struct fx *f)
{
	uint32_t id, len;

	vh_wr(f->vdev, VIRTIO_MMIO_STATUS, 0);
	if (converter_convert(&f->conv, RACE_STATUS, PG, false))
		return 20;
	vh_ring_init(&f->rings[0], mem(f), QSIZE, RING_GPA);
	if (!(vh_driver_start(f->vdev, vh_device_features(f->vdev), f->rings, 1) &
	      VIRTIO_CONFIG_S_DRIVER_OK))
		return 21;
	blk_read_request(f);
	if (!vh_run_until_used(&f->v, &f->rings[0], 0) || !vh_take_used(&f->rings[0], &id, &len))
		return 22;
	if (len != 513 || *(uint8_t *)gp(f, RACE_STATUS, 1) != VIRTIO_BLK_S_OK)
		return 23;
	return 0;
}

/*
 * io_uring: the guest takes the status page back while the read is with the kernel.  The
 * completion must not write into it: the chain comes back with used length 0, the device needs
 * a reset, and works after one.
 */
static int uring_in_flight_step(void *arg)
{
	struct fx *f = arg;
	struct blk_counters bc;
	uint32_t id, len;

	blk_read_request(f);
	/* One loop round serves the kick: the request is submitted, its completion not reaped. */
	for (int i = 0; i < 10 && counters(f).kicks == 0; i++)
		ev_loop_run_once(&f->v.loop, 0);
	if (counters(f).kicks != 1 || vh_used_idx(&f->rings[0]) != 0)
		return 1;
	if (converter_convert(&f->conv, RACE_STATUS, PG, true))
		return 2;
	if (!vh_run_until_used(&f->v, &f->rings[0], 0) || !vh_take_used(&f->rings[0], &id, &len))
		return 3;
	if (id != 0 || len != 0)
		return 4;
	if (!(vh_rd(f->vdev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET))
		return 5;
	blk_dev_counters(f->blk, &bc);
	if (bc.memory_lost != 1)
		return 6;
	if (*(uint8_t *)gp(f, RACE_STATUS, 1) != 0) /* zeroed by the conversion, nothing since */
		return 7;
	return read_after_reset(f);
}

static void test_blk_uring_status_made_private_in_flight(void **state)
{
	struct fx *f = *state;

	open_blk_engine(f, BLK_ENGINE_URING);
	start_dev(f, 1);
	assert_int_equal(spin_guard_run(uring_in_flight_step, f), 0);
}

/*
 * The sync engine runs a request within the queue pass, but a vCPU thread can convert at any
 * moment.  Here the conversion of the status page starts on another thread in the middle of the
 * request: it must wait until the pass is over, so the request completes normally first.
 */
struct race {
	struct fx *f;
	pthread_t thread;
	int started, done, ret;
};

static struct race race;

static void *race_convert(void *arg)
{
	struct race *r = arg;

	__atomic_store_n(&r->started, 1, __ATOMIC_SEQ_CST);
	r->ret = converter_convert(&r->f->conv, RACE_STATUS, PG, true);
	__atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void racing_submit(struct blk_dev *blk, struct blk_req *req)
{
	if (pthread_create(&race.thread, NULL, race_convert, &race))
		_exit(99);
	while (!__atomic_load_n(&race.started, __ATOMIC_SEQ_CST))
		sched_yield();
	/* Leave the conversion every chance to happen now (it must not). */
	for (int i = 0; i < 10000 && !__atomic_load_n(&race.done, __ATOMIC_SEQ_CST); i++)
		sched_yield();
	blk_engine_sync.submit(blk, req);
}

static int sync_race_step(void *arg)
{
	struct fx *f = arg;
	struct blk_io_engine racing = blk_engine_sync;
	uint32_t id, len;

	racing.submit = racing_submit;
	race = (struct race){ .f = f };
	f->blk->engine = &racing;
	blk_read_request(f);
	if (!vh_run_until_used(&f->v, &f->rings[0], 0) || !vh_take_used(&f->rings[0], &id, &len))
		return 1;
	if (len != 513 || *(uint8_t *)gp(f, RACE_STATUS, 1) != VIRTIO_BLK_S_OK)
		return 2;
	if (vh_rd(f->vdev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET)
		return 3;
	/* Then the conversion went through. */
	if (pthread_join(race.thread, NULL) || race.ret)
		return 4;
	if (!mem_attr_range_is(mem(f)->attrs, RACE_STATUS, PG, MEM_ATTR_PRIVATE))
		return 5;
	f->blk->engine = &blk_engine_sync;
	return read_after_reset(f);
}

static void test_blk_sync_conversion_during_request(void **state)
{
	struct fx *f = *state;

	open_blk(f);
	start_dev(f, 1);
	assert_int_equal(spin_guard_run(sync_race_step, f), 0);
}

/*
 * vsock fills receive buffers from socket events, not only from kicks: a receive ring the guest
 * made private since its last kick must be caught there too, never touched.
 */
static int vsock_ring_step(void *arg)
{
	struct fx *f = arg;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	vsock_post_rx(f, SHARED_GPA + 4 * PG);
	for (int i = 0; i < 10 && counters(f).kicks == 0; i++)
		ev_loop_run_once(&f->v.loop, 0);
	if (converter_convert(&f->conv, RING_GPA, 0x4000, true)) /* the receive ring */
		return 1;
	strncpy(a.sun_path, f->path, sizeof(a.sun_path) - 1);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) ||
	    write(c, "CONNECT 1024\n", 13) != 13)
		return 2;
	if (!vh_run_until(&f->v, needs_reset, f->vdev))
		return 3;
	if (counters(f).bad_chain[VIRTQ_ERR_RING_ADDR] != 1)
		return 4;
	close(c);
	return 0;
}

static void test_vsock_rx_ring_made_private_before_host_data(void **state)
{
	struct fx *f = *state;

	open_vsock(f);
	assert_int_equal(spin_guard_run(vsock_ring_step, f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_shared_chain_is_zero_copy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partially_private_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_buffer_straddling_into_private, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_outside_ram_is_not_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_indirect_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_indirect_entry_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_private_rings_not_mapped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_made_private_after_setup, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_blk_private_data_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queue_ready_with_private_rings, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vsock_private_tx_packet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vsock_private_rx_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blk_uring_status_made_private_in_flight, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_blk_sync_conversion_during_request, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vsock_rx_ring_made_private_before_host_data,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
