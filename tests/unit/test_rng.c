// SPDX-License-Identifier: MIT
/*
 * virtio-rng over the virtio harness: buffers are filled with random bytes (two requests differ,
 * the used length is what was written), a chain is capped at RNG_CHAIN_BYTES, a device-readable
 * buffer or a chain without a writable one is answered with 0 bytes and counted, and a buffer
 * outside RAM puts the device in NEEDS_RESET.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/virtio_config.h>

#include "devices/rng.h"
#include "tests/unit/virtio_harness.h"
#include "vmm/layout.h"
#include "vmm/log.h"

#define RAM      (64ULL << 20)
#define RING_GPA 0x100000ULL
#define BUF_GPA  0x200000ULL
#define QSIZE    16

struct fx {
	struct vh_vm v;
	struct rng_dev *rng;
	struct virtio_dev *vdev;
	struct vh_ring ring;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct virtio_dev_params p;

	log_threshold = LOG_ERROR;
	assert_non_null(f);
	assert_int_equal(vh_vm_init(&f->v, RAM, TEE_NONE), 0);
	f->rng = rng_dev_new();
	assert_non_null(f->rng);
	rng_dev_params(f->rng, &p);
	assert_int_equal(virtio_dev_create(&f->v.env, &p, LAYOUT_VIRTIO_MMIO_BASE, 16, &f->vdev), 0);
	vh_ring_init(&f->ring, &f->v.mem, QSIZE, RING_GPA);
	assert_true(vh_driver_start(f->vdev, vh_device_features(f->vdev), &f->ring, 1) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	rng_dev_destroy(f->rng);
	vh_vm_destroy(&f->v);
	free(f);
	return 0;
}

static bool needs_reset(void *arg)
{
	struct fx *f = arg;

	return vh_rd(f->vdev, 0x70) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

/* One chain of bufs, kicked; returns the used length. */
static uint32_t request(struct fx *f, const struct vh_buf *bufs, unsigned n)
{
	uint16_t head = vh_chain(&f->ring, 0, bufs, n), idx = vh_used_idx(&f->ring);
	uint32_t id, len;

	vh_publish(&f->ring, head);
	vh_kick(f->vdev, 0);
	assert_true(vh_run_until_used(&f->v, &f->ring, idx));
	assert_true(vh_take_used(&f->ring, &id, &len));
	assert_int_equal(id, head);
	return len;
}

static void test_fills_buffers(void **state)
{
	struct fx *f = *state;
	struct vh_buf b = { .gpa = BUF_GPA, .len = 4096, .write = true };
	uint8_t *p = guest_mem_ptr(&f->v.mem, BUF_GPA, 2 * 4096), zero[4096] = { 0 };
	struct rng_counters c;

	memset(p, 0, 2 * 4096);
	assert_int_equal(request(f, &b, 1), 4096);
	b.gpa += 4096;
	assert_int_equal(request(f, &b, 1), 4096);
	assert_memory_not_equal(p, zero, 4096);
	assert_memory_not_equal(p, p + 4096, 4096);
	rng_dev_counters(f->rng, &c);
	assert_int_equal(c.requests, 2);
	assert_int_equal(c.bytes, 8192);
	assert_true(vh_irqs(f->vdev) > 0);
}

static void test_caps_and_refusals(void **state)
{
	struct fx *f = *state;
	struct vh_buf big[2] = {
		{ .gpa = BUF_GPA, .len = RNG_CHAIN_BYTES, .write = true },
		{ .gpa = BUF_GPA + RNG_CHAIN_BYTES, .len = 4096, .write = true },
	};
	struct vh_buf readable = { .gpa = BUF_GPA, .len = 64, .write = false };
	struct vh_buf outside = { .gpa = RAM + 0x100000, .len = 64, .write = true };
	struct rng_counters c;

	assert_int_equal(request(f, big, 2), RNG_CHAIN_BYTES);
	assert_int_equal(request(f, &readable, 1), 0);
	rng_dev_counters(f->rng, &c);
	assert_int_equal(c.bad_requests, 1);
	/* A buffer outside RAM: the device stops and says so. */
	vh_publish(&f->ring, vh_chain(&f->ring, 0, &outside, 1));
	vh_kick(f->vdev, 0);
	assert_true(vh_run_until(&f->v, needs_reset, f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fills_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps_and_refusals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
