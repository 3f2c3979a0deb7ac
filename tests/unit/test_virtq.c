// SPDX-License-Identifier: MIT
/*
 * Split virtqueues against hand-built rings in fake guest memory: good chains, every class of
 * malformed chain, EVENT_IDX across the 16-bit wrap, and notification suppression.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/virtio_ring.h>

#include "devices/virtio/virtq.h"
#include "tests/unit/virtio_harness.h"
#include "vmm/log.h"
#include "vmm/memory.h"
#include "vmm/util.h"

#define RAM      (4ULL << 20)
#define RING_GPA 0x10000ULL
#define BUF_GPA  0x100000ULL
#define TBL_GPA  0x200000ULL
#define QSIZE    16

struct fx {
	struct guest_mem mem;
	struct virtq vq;
	struct vh_ring ring;
	struct iovec iov[64];
	struct virtq_chain c;
};

static int setup_size(void **state, uint16_t size, bool event_idx)
{
	struct fx *f = calloc(1, sizeof(*f));

	log_threshold = LOG_ERROR;
	assert_non_null(f);
	assert_int_equal(guest_mem_create(&f->mem, RAM), 0);
	vh_ring_init(&f->ring, &f->mem, size, RING_GPA);
	virtq_init(&f->vq, &f->mem, 256);
	f->vq.size = size;
	f->vq.desc_gpa = f->ring.desc;
	f->vq.avail_gpa = f->ring.avail;
	f->vq.used_gpa = f->ring.used;
	f->vq.indirect = true;
	f->vq.event_idx = event_idx;
	assert_int_equal(virtq_map(&f->vq), 0);
	f->vq.ready = true;
	f->c.iov = f->iov;
	f->c.iov_cap = 64;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_size(state, QSIZE, false);
}

static int setup_event_idx(void **state)
{
	return setup_size(state, QSIZE, true);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	guest_mem_destroy(&f->mem);
	free(f);
	return 0;
}

static void *hva(struct fx *f, uint64_t gpa)
{
	return guest_mem_ptr(&f->mem, gpa, 1);
}

/* Pops one chain and expects the given error class, counted once. */
static void expect_error(struct fx *f, enum virtq_error err)
{
	assert_int_equal(virtq_pop(&f->vq, &f->c), -(int)err);
	assert_int_equal(f->vq.errors[err], 1);
}

static void test_direct_chain(void **state)
{
	struct fx *f = *state;
	const struct vh_buf bufs[] = {
		{ BUF_GPA, 16, false }, { BUF_GPA + 0x1000, 512, false },
		{ BUF_GPA + 0x2000, 4096, true }, { BUF_GPA + 0x3000, 1, true },
	};
	uint32_t id, len;

	vh_publish(&f->ring, vh_chain(&f->ring, 3, bufs, 4));
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_int_equal(f->c.head, 3);
	assert_int_equal(f->c.nr_out, 2);
	assert_int_equal(f->c.nr_in, 2);
	assert_int_equal(f->c.out_bytes, 528);
	assert_int_equal(f->c.in_bytes, 4097);
	for (unsigned i = 0; i < 4; i++) {
		/* Zero-copy: the iovecs are the guest's own buffers. */
		assert_ptr_equal(f->iov[i].iov_base, hva(f, bufs[i].gpa));
		assert_int_equal(f->iov[i].iov_len, bufs[i].len);
	}
	assert_int_equal(virtq_pop(&f->vq, &f->c), 0);
	assert_int_equal(f->vq.popped, 1);

	virtq_push(&f->vq, 3, 4097);
	assert_true(vh_take_used(&f->ring, &id, &len));
	assert_int_equal(id, 3);
	assert_int_equal(len, 4097);
	assert_false(vh_take_used(&f->ring, &id, &len));
}

static void test_unpop_gives_the_chain_back(void **state)
{
	struct fx *f = *state;
	const struct vh_buf a = { BUF_GPA, 64, true }, b = { BUF_GPA + 0x1000, 32, true };

	vh_publish(&f->ring, vh_chain(&f->ring, 5, &a, 1));
	vh_publish(&f->ring, vh_chain(&f->ring, 9, &b, 1));
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_int_equal(f->c.head, 5);
	virtq_unpop(&f->vq);
	assert_int_equal(f->vq.popped, 0);
	/* The same chain again, read afresh, then the next one. */
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_int_equal(f->c.head, 5);
	assert_int_equal(f->c.in_bytes, 64);
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_int_equal(f->c.head, 9);
	assert_int_equal(virtq_pop(&f->vq, &f->c), 0);
}

static void test_indirect_chain(void **state)
{
	struct fx *f = *state;
	const struct vh_buf bufs[] = {
		{ BUF_GPA, 16, false },
		{ BUF_GPA + 0x1000, 8192, true },
		{ BUF_GPA + 0x4000, 1, true },
	};

	vh_publish(&f->ring, vh_indirect(&f->ring, 5, TBL_GPA, bufs, 3));
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_int_equal(f->c.head, 5);
	assert_int_equal(f->c.nr_out, 1);
	assert_int_equal(f->c.nr_in, 2);
	assert_ptr_equal(f->iov[1].iov_base, hva(f, BUF_GPA + 0x1000));
	assert_int_equal(f->c.in_bytes, 8193);
}

/* Direct readable descriptors followed by an indirect table of writable ones. */
static void test_mixed_direct_indirect(void **state)
{
	struct fx *f = *state;
	const struct vh_buf tbl[] = { { BUF_GPA + 0x1000, 100, true },
				      { BUF_GPA + 0x2000, 1, true } };

	vh_desc_write(&f->mem, f->ring.desc, 0, BUF_GPA, 16, VRING_DESC_F_NEXT, 7);
	vh_indirect(&f->ring, 7, TBL_GPA, tbl, 2);
	vh_publish(&f->ring, 0);
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_int_equal(f->c.nr_out, 1);
	assert_int_equal(f->c.nr_in, 2);
	assert_int_equal(f->c.out_bytes, 16);
	assert_int_equal(f->c.in_bytes, 101);
}

static void test_desc_outside_ram(void **state)
{
	struct fx *f = *state;

	vh_desc_write(&f->mem, f->ring.desc, 0, RAM + 0x1000, 16, 0, 0);
	vh_publish(&f->ring, 0);
	expect_error(f, VIRTQ_ERR_DESC_ADDR);
}

static void test_desc_crosses_end_of_ram(void **state)
{
	struct fx *f = *state;

	vh_desc_write(&f->mem, f->ring.desc, 0, RAM - 8, 16, 0, 0);
	vh_publish(&f->ring, 0);
	expect_error(f, VIRTQ_ERR_DESC_ADDR);
}

static void test_desc_addr_len_overflow(void **state)
{
	struct fx *f = *state;

	vh_desc_write(&f->mem, f->ring.desc, 0, 0xfffffffffffff000ULL, 0x2000, 0, 0);
	vh_publish(&f->ring, 0);
	expect_error(f, VIRTQ_ERR_DESC_ADDR);
}

static void test_loop(void **state)
{
	struct fx *f = *state;

	vh_desc_write(&f->mem, f->ring.desc, 0, BUF_GPA, 16, VRING_DESC_F_NEXT, 1);
	vh_desc_write(&f->mem, f->ring.desc, 1, BUF_GPA, 16, VRING_DESC_F_NEXT, 0);
	vh_publish(&f->ring, 0);
	expect_error(f, VIRTQ_ERR_CHAIN_LEN);
}

static void test_self_loop_in_indirect_table(void **state)
{
	struct fx *f = *state;

	vh_desc_write(&f->mem, TBL_GPA, 0, BUF_GPA, 16, VRING_DESC_F_NEXT, 0);
	vh_desc_write(&f->mem, f->ring.desc, 2, TBL_GPA, 16, VRING_DESC_F_INDIRECT, 0);
	vh_publish(&f->ring, 2);
	expect_error(f, VIRTQ_ERR_CHAIN_LEN);
}

/* A loop-free chain that is still longer than the queue: direct + a full indirect table. */
static void test_over_long_chain(void **state)
{
	struct fx *f = *state;
	struct vh_buf tbl[QSIZE];

	for (unsigned i = 0; i < QSIZE; i++)
		tbl[i] = (struct vh_buf){ BUF_GPA + 64 * i, 64, true };
	vh_desc_write(&f->mem, f->ring.desc, 0, BUF_GPA, 16, VRING_DESC_F_NEXT, 1);
	vh_indirect(&f->ring, 1, TBL_GPA, tbl, QSIZE);
	vh_publish(&f->ring, 0);
	expect_error(f, VIRTQ_ERR_CHAIN_LEN);
}

static void test_full_indirect_table_is_fine(void **state)
{
	struct fx *f = *state;
	struct vh_buf tbl[QSIZE];

	for (unsigned i = 0; i < QSIZE; i++)
		tbl[i] = (struct vh_buf){ BUF_GPA + 64 * i, 64, i > 0 };
	vh_publish(&f->ring, vh_indirect(&f->ring, 1, TBL_GPA, tbl, QSIZE));
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_int_equal(f->c.nr_out + f->c.nr_in, QSIZE);
}

static void test_nested_indirect(void **state)
{
	struct fx *f = *state;

	vh_desc_write(&f->mem, TBL_GPA, 0, TBL_GPA + 0x1000, 32, VRING_DESC_F_INDIRECT, 0);
	vh_desc_write(&f->mem, f->ring.desc, 0, TBL_GPA, 16, VRING_DESC_F_INDIRECT, 0);
	vh_publish(&f->ring, 0);
	expect_error(f, VIRTQ_ERR_INDIRECT);
}

static void test_indirect_with_next(void **state)
{
	struct fx *f = *state;

	vh_desc_write(&f->mem, TBL_GPA, 0, BUF_GPA, 16, 0, 0);
	vh_desc_write(&f->mem, f->ring.desc, 0, TBL_GPA, 16,
		      VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	vh_publish(&f->ring, 0);
	expect_error(f, VIRTQ_ERR_INDIRECT);
}

static void test_indirect_not_negotiated(void **state)
{
	struct fx *f = *state;
	const struct vh_buf b = { BUF_GPA, 16, false };

	f->vq.indirect = false;
	vh_publish(&f->ring, vh_indirect(&f->ring, 0, TBL_GPA, &b, 1));
	expect_error(f, VIRTQ_ERR_INDIRECT);
}

static void check_indirect_size(void **state, uint32_t len)
{
	struct fx *f = *state;

	vh_desc_write(&f->mem, TBL_GPA, 0, BUF_GPA, 16, 0, 0);
	vh_desc_write(&f->mem, f->ring.desc, 0, TBL_GPA, len, VRING_DESC_F_INDIRECT, 0);
	vh_publish(&f->ring, 0);
	expect_error(f, VIRTQ_ERR_INDIRECT_SIZE);
}

static void test_indirect_size_zero(void **state)
{
	check_indirect_size(state, 0);
}

static void test_indirect_size_not_multiple(void **state)
{
	check_indirect_size(state, 24);
}

static void test_indirect_size_too_big(void **state)
{
	check_indirect_size(state, 16 * (QSIZE + 1));
}

static void test_indirect_table_outside_ram(void **state)
{
	struct fx *f = *state;

	vh_desc_write(&f->mem, f->ring.desc, 0, RAM - 16, 32, VRING_DESC_F_INDIRECT, 0);
	vh_publish(&f->ring, 0);
	expect_error(f, VIRTQ_ERR_DESC_ADDR);
}

static void test_write_before_read(void **state)
{
	struct fx *f = *state;
	const struct vh_buf bufs[] = { { BUF_GPA, 16, true }, { BUF_GPA + 0x1000, 16, false } };

	vh_publish(&f->ring, vh_chain(&f->ring, 0, bufs, 2));
	expect_error(f, VIRTQ_ERR_WRITE_ORDER);
}

static void test_write_before_read_indirect(void **state)
{
	struct fx *f = *state;
	const struct vh_buf bufs[] = { { BUF_GPA, 16, false }, { BUF_GPA + 0x1000, 16, true },
				       { BUF_GPA + 0x2000, 16, false } };

	vh_publish(&f->ring, vh_indirect(&f->ring, 0, TBL_GPA, bufs, 3));
	expect_error(f, VIRTQ_ERR_WRITE_ORDER);
}

static void test_zero_length(void **state)
{
	struct fx *f = *state;
	const struct vh_buf bufs[] = { { BUF_GPA, 16, false }, { BUF_GPA + 0x1000, 0, true } };

	vh_publish(&f->ring, vh_chain(&f->ring, 0, bufs, 2));
	expect_error(f, VIRTQ_ERR_ZERO_LEN);
}

static void test_head_out_of_range(void **state)
{
	struct fx *f = *state;

	vh_publish(&f->ring, QSIZE);
	expect_error(f, VIRTQ_ERR_DESC_INDEX);
}

static void test_next_out_of_range(void **state)
{
	struct fx *f = *state;

	vh_desc_write(&f->mem, f->ring.desc, 0, BUF_GPA, 16, VRING_DESC_F_NEXT, 0xffff);
	vh_publish(&f->ring, 0);
	expect_error(f, VIRTQ_ERR_DESC_INDEX);
}

static void test_indirect_next_beyond_table(void **state)
{
	struct fx *f = *state;

	vh_desc_write(&f->mem, TBL_GPA, 0, BUF_GPA, 16, VRING_DESC_F_NEXT, 2);
	vh_desc_write(&f->mem, TBL_GPA, 1, BUF_GPA, 16, 0, 0);
	vh_desc_write(&f->mem, f->ring.desc, 0, TBL_GPA, 32, VRING_DESC_F_INDIRECT, 0);
	vh_publish(&f->ring, 0);
	expect_error(f, VIRTQ_ERR_DESC_INDEX);
}

static void test_avail_idx_jump(void **state)
{
	struct fx *f = *state;

	vh_set_avail_idx(&f->ring, QSIZE + 1);
	expect_error(f, VIRTQ_ERR_AVAIL_IDX);
	assert_int_equal(virtq_pending(&f->vq), 0);
}

/*
 * Chains given back with virtq_unpop() are still the device's to check: a driver that then
 * publishes more than the queue holds (overwriting the entries given back) gets AVAIL_IDX, not
 * the same heads served twice.
 */
static void test_avail_idx_jump_after_unpop(void **state)
{
	struct fx *f = *state;
	const struct vh_buf b = { BUF_GPA, 16, true };

	for (unsigned i = 0; i < QSIZE; i++)
		vh_publish(&f->ring, vh_chain(&f->ring, (uint16_t)i, &b, 1));
	for (unsigned i = 0; i < QSIZE; i++)
		assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	for (unsigned i = 0; i < QSIZE; i++)
		virtq_unpop(&f->vq);
	vh_publish(&f->ring, 0);
	expect_error(f, VIRTQ_ERR_AVAIL_IDX);
}

static void test_avail_idx_full_ring_is_fine(void **state)
{
	struct fx *f = *state;
	const struct vh_buf b = { BUF_GPA, 16, false };

	for (unsigned i = 0; i < QSIZE; i++)
		vh_publish(&f->ring, vh_chain(&f->ring, (uint16_t)i, &b, 1));
	assert_int_equal(virtq_pending(&f->vq), QSIZE);
	for (unsigned i = 0; i < QSIZE; i++) {
		assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
		assert_int_equal(f->c.head, i);
	}
	assert_int_equal(virtq_pop(&f->vq, &f->c), 0);
}

static void test_too_many_segments(void **state)
{
	struct fx *f = *state;
	const struct vh_buf bufs[] = { { BUF_GPA, 16, false }, { BUF_GPA, 16, false },
				       { BUF_GPA, 16, true } };

	f->c.iov_cap = 2;
	vh_publish(&f->ring, vh_chain(&f->ring, 0, bufs, 3));
	expect_error(f, VIRTQ_ERR_TOO_MANY_SEGS);
}

static void test_chain_longer_than_4g(void **state)
{
	struct guest_mem mem;
	struct vh_ring ring;
	struct virtq vq;
	struct iovec iov[4];
	struct virtq_chain c = { .iov = iov, .iov_cap = 4 };
	const uint32_t big = 0x7ffff000;
	const struct vh_buf bufs[] = { { 0x1000, big, false }, { 0x1000, big, false },
				       { 0x1000, big, true } };

	/* Sparse memfd: descriptors may overlap, only their lengths matter here. */
	assert_int_equal(guest_mem_create(&mem, 2ULL << 30), 0);
	vh_ring_init(&ring, &mem, 8, 0x10000);
	virtq_init(&vq, &mem, 8);
	vq.desc_gpa = ring.desc;
	vq.avail_gpa = ring.avail;
	vq.used_gpa = ring.used;
	assert_int_equal(virtq_map(&vq), 0);
	vh_publish(&ring, vh_chain(&ring, 0, bufs, 3));
	assert_int_equal(virtq_pop(&vq, &c), -VIRTQ_ERR_CHAIN_BYTES);
	guest_mem_destroy(&mem);
}

static void test_unmapped_ring(void **state)
{
	struct fx *f = *state;

	f->vq.avail = NULL;
	expect_error(f, VIRTQ_ERR_RING_ADDR);
}

static void test_map_refuses_bad_layouts(void **state)
{
	struct fx *f = *state;
	struct virtq *vq = &f->vq;

	vq->size = 12; /* not a power of two */
	assert_int_equal(virtq_map(vq), -EINVAL);
	vq->size = 512; /* above size_max */
	assert_int_equal(virtq_map(vq), -EINVAL);
	vq->size = 0;
	assert_int_equal(virtq_map(vq), -EINVAL);
	vq->size = QSIZE;
	vq->desc_gpa = f->ring.desc + 8; /* misaligned */
	assert_int_equal(virtq_map(vq), -EINVAL);
	vq->desc_gpa = f->ring.desc;
	vq->used_gpa = f->ring.used + 2;
	assert_int_equal(virtq_map(vq), -EINVAL);
	vq->used_gpa = RAM - 8; /* used ring runs past the end of RAM */
	assert_int_equal(virtq_map(vq), -EFAULT);
	vq->used_gpa = f->ring.used;
	vq->avail_gpa = 0xc0000000ULL; /* MMIO hole */
	assert_int_equal(virtq_map(vq), -EFAULT);
	vq->avail_gpa = f->ring.avail;
	assert_int_equal(virtq_map(vq), 0);
}

/* Reference for vring_need_event: was event_idx one of the indices in [old, new)? */
static bool crossed(uint16_t event, uint16_t new_idx, uint16_t old)
{
	for (uint16_t i = old; i != new_idx; i++)
		if (i == event)
			return true;
	return false;
}

static void test_need_event_matches_reference(void **state)
{
	static const uint16_t points[] = { 0, 1, 2, 100, 32767, 32768, 65533, 65534, 65535 };

	for (unsigned a = 0; a < ARRAY_SIZE(points); a++)
		for (unsigned b = 0; b < ARRAY_SIZE(points); b++)
			for (int d = 0; d < 5; d++) {
				uint16_t old = points[a], new_idx = (uint16_t)(old + d);
				uint16_t ev = (uint16_t)(points[b] + old);

				assert_int_equal(virtq_need_event(ev, new_idx, old),
						 crossed(ev, new_idx, old));
			}
}

/* Puts the device and driver state at idx, as if idx requests had gone through already. */
static void start_at(struct fx *f, uint16_t idx)
{
	f->ring.avail_idx = idx;
	f->ring.last_used = idx;
	vh_set_avail_idx(&f->ring, idx);
	__atomic_store_n((uint16_t *)hva(f, f->ring.used + 2), idx, __ATOMIC_RELEASE);
	f->vq.last_avail_idx = f->vq.shadow_avail_idx = idx;
	f->vq.used_idx = idx;
	f->vq.signalled_used = idx;
	f->vq.signalled_used_valid = true;
}

static void test_event_idx_wraps(void **state)
{
	struct fx *f = *state;
	const struct vh_buf b = { BUF_GPA, 16, true };
	uint32_t id, len;

	start_at(f, 65534);
	for (uint16_t i = 0; i < 4; i++)
		vh_publish(&f->ring, vh_chain(&f->ring, i, &b, 1));
	assert_int_equal(f->ring.avail_idx, 2); /* wrapped */
	assert_int_equal(virtq_pending(&f->vq), 4);

	/* The driver wants an interrupt once entry 65535 is used (used_event = 65535). */
	vh_set_used_event(&f->ring, 65535);
	for (uint16_t i = 0; i < 4; i++) {
		assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
		assert_int_equal(f->c.head, i);
	}
	virtq_push(&f->vq, 0, 1); /* used idx 65534 -> 65535: event not crossed yet */
	assert_false(virtq_should_notify(&f->vq));
	virtq_push(&f->vq, 1, 1); /* 65535 -> 0: crossed */
	assert_true(virtq_should_notify(&f->vq));
	virtq_push(&f->vq, 2, 1); /* 0 -> 1: event already behind */
	assert_false(virtq_should_notify(&f->vq));
	vh_set_used_event(&f->ring, 1);
	virtq_push(&f->vq, 3, 1); /* 1 -> 2 */
	assert_true(virtq_should_notify(&f->vq));
	for (uint32_t i = 0; i < 4; i++) {
		assert_true(vh_take_used(&f->ring, &id, &len));
		assert_int_equal(id, i);
	}
	/* avail_event follows last_avail_idx across the wrap. */
	assert_false(virtq_enable_notify(&f->vq));
	assert_int_equal(vh_avail_event(&f->ring), 2);
}

static void test_event_idx_suppression(void **state)
{
	struct fx *f = *state;
	const struct vh_buf b = { BUF_GPA, 16, true };

	/* Draining does not touch avail_event, so the driver does not kick meanwhile. */
	virtq_disable_notify(&f->vq);
	vh_publish(&f->ring, vh_chain(&f->ring, 0, &b, 1));
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_int_equal(vh_avail_event(&f->ring), 0);
	assert_int_equal(vh_used_flags(&f->ring), 0);
	/* Re-arming reports buffers that arrived in between. */
	vh_publish(&f->ring, vh_chain(&f->ring, 1, &b, 1));
	assert_true(virtq_enable_notify(&f->vq));
	assert_int_equal(vh_avail_event(&f->ring), 1);
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	assert_false(virtq_enable_notify(&f->vq));
	assert_int_equal(vh_avail_event(&f->ring), 2);

	/* The first interrupt decision always fires; nothing new pushed: no interrupt. */
	virtq_push(&f->vq, 0, 1);
	assert_true(virtq_should_notify(&f->vq));
	assert_false(virtq_should_notify(&f->vq));
}

/* Asking for several more entries: avail_event is that far ahead, and entries short of it are
 * not enough to go on. */
static void test_event_idx_notify_after(void **state)
{
	struct fx *f = *state;
	const struct vh_buf b = { BUF_GPA, 16, true };

	assert_false(virtq_enable_notify_after(&f->vq, 3));
	assert_int_equal(vh_avail_event(&f->ring), 2); /* kick when entry 2 is published */
	vh_publish(&f->ring, vh_chain(&f->ring, 0, &b, 1));
	vh_publish(&f->ring, vh_chain(&f->ring, 1, &b, 1));
	assert_false(virtq_enable_notify_after(&f->vq, 3));
	assert_true(virtq_enable_notify_after(&f->vq, 2));
	vh_publish(&f->ring, vh_chain(&f->ring, 2, &b, 1));
	assert_true(virtq_enable_notify_after(&f->vq, 3));
	for (int i = 0; i < 3; i++)
		assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	/* 0 means 1; the mark moves with last_avail_idx. */
	assert_false(virtq_enable_notify_after(&f->vq, 0));
	assert_int_equal(vh_avail_event(&f->ring), 3);
}

static void test_flag_suppression(void **state)
{
	struct fx *f = *state;
	const struct vh_buf b = { BUF_GPA, 16, true };

	virtq_disable_notify(&f->vq);
	assert_int_equal(vh_used_flags(&f->ring), VRING_USED_F_NO_NOTIFY);
	assert_false(virtq_enable_notify(&f->vq));
	assert_int_equal(vh_used_flags(&f->ring), 0);
	vh_publish(&f->ring, vh_chain(&f->ring, 0, &b, 1));
	virtq_disable_notify(&f->vq);
	assert_true(virtq_enable_notify(&f->vq));

	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	vh_set_avail_flags(&f->ring, VRING_AVAIL_F_NO_INTERRUPT);
	virtq_push(&f->vq, 0, 1);
	assert_false(virtq_should_notify(&f->vq));
	vh_set_avail_flags(&f->ring, 0);
	vh_publish(&f->ring, 0);
	assert_int_equal(virtq_pop(&f->vq, &f->c), 1);
	virtq_push(&f->vq, 0, 1);
	assert_true(virtq_should_notify(&f->vq));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define TE(fn) cmocka_unit_test_setup_teardown(fn, setup_event_idx, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_direct_chain),
		T(test_unpop_gives_the_chain_back),
		T(test_avail_idx_jump_after_unpop),
		T(test_indirect_chain),
		T(test_mixed_direct_indirect),
		T(test_desc_outside_ram),
		T(test_desc_crosses_end_of_ram),
		T(test_desc_addr_len_overflow),
		T(test_loop),
		T(test_self_loop_in_indirect_table),
		T(test_over_long_chain),
		T(test_full_indirect_table_is_fine),
		T(test_nested_indirect),
		T(test_indirect_with_next),
		T(test_indirect_not_negotiated),
		T(test_indirect_size_zero),
		T(test_indirect_size_not_multiple),
		T(test_indirect_size_too_big),
		T(test_indirect_table_outside_ram),
		T(test_write_before_read),
		T(test_write_before_read_indirect),
		T(test_zero_length),
		T(test_head_out_of_range),
		T(test_next_out_of_range),
		T(test_indirect_next_beyond_table),
		T(test_avail_idx_jump),
		T(test_avail_idx_full_ring_is_fine),
		T(test_too_many_segments),
		cmocka_unit_test(test_chain_longer_than_4g),
		T(test_unmapped_ring),
		T(test_map_refuses_bad_layouts),
		cmocka_unit_test(test_need_event_matches_reference),
		TE(test_event_idx_wraps),
		TE(test_event_idx_suppression),
		TE(test_event_idx_notify_after),
		T(test_flag_suppression),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
