// SPDX-License-Identifier: MIT
/*
 * The virtio-mmio transport: identity registers, feature negotiation (with and without
 * VERSION_1, confidential guests), the status state machine, reset, queue setup validation,
 * InterruptStatus / InterruptACK, ConfigGeneration, NEEDS_RESET, and the KVM ioeventfd / irqfd
 * registrations as seen by the KVM recorder.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/kvm.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "devices/virtio/virtio.h"
#include "tests/unit/kvm_recorder.h"
#include "tests/unit/virtio_harness.h"
#include "vmm/bus.h"
#include "vmm/event_loop.h"
#include "vmm/layout.h"
#include "vmm/log.h"

#define RAM    (4ULL << 20)
#define BASE   LAYOUT_VIRTIO_MMIO_BASE
#define IRQ    16
#define QMAX   64
#define DEV_ID 42
#define DEV_FEATURE 3 /* a device-type feature bit */
#define F(b)   (1ULL << (b))
#define BASIC  (F(VIRTIO_F_VERSION_1) | F(VIRTIO_RING_F_EVENT_IDX))

struct dummy {
	uint8_t config[8];
	unsigned activations, resets, notifies;
	int activate_ret;
};

struct fx {
	struct vh_vm v;
	struct dummy dev;
	struct virtio_dev *vdev;
	struct vh_ring rings[2];
};

static void dummy_config_read(struct virtio_dev *vdev, uint32_t off, uint8_t *data, uint32_t len)
{
	struct dummy *d = vdev->opaque;

	memcpy(data, d->config + off, len);
}

static int dummy_activate(struct virtio_dev *vdev)
{
	struct dummy *d = vdev->opaque;

	d->activations++;
	return d->activate_ret;
}

static void dummy_reset(struct virtio_dev *vdev)
{
	struct dummy *d = vdev->opaque;

	d->resets++;
}

/* Returns every chain unchanged, like a device that consumes buffers immediately. */
static void dummy_notify(struct virtio_dev *vdev, struct virtq *vq, unsigned qi)
{
	struct dummy *d = vdev->opaque;
	struct iovec iov[8];
	struct virtq_chain c = { .iov = iov, .iov_cap = 8 };
	int r;

	d->notifies++;
	while ((r = virtq_pop(vq, &c)) > 0)
		virtq_push(vq, c.head, 0);
	if (r < 0)
		virtio_dev_fail(vdev, virtq_error_name(-r));
	virtio_dev_signal_used(vdev, vq);
}

static const struct virtio_dev_ops dummy_ops = {
	.config_read = dummy_config_read,
	.activate = dummy_activate,
	.reset = dummy_reset,
	.queue_notify = dummy_notify,
};

static struct virtio_dev_params params(struct dummy *d)
{
	return (struct virtio_dev_params){
		.name = "dummy",
		.device_id = DEV_ID,
		.features = F(DEV_FEATURE),
		.nr_queues = 2,
		.queue_size_max = QMAX,
		.config_size = sizeof(d->config),
		.ops = &dummy_ops,
		.opaque = d,
	};
}

static int setup_env(void **state, enum tee_kind tee, bool access_platform)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct virtio_dev_params p;

	log_threshold = LOG_ERROR;
	assert_non_null(f);
	assert_int_equal(vh_vm_init(&f->v, RAM, tee), 0);
	if (access_platform) {
		/* What --virtio-access-platform sets, taken through the device environment. */
		device_env_set_virtio(&f->v.dev_env, VH_VM_FD, tee != TEE_NONE, true);
		f->v.env = f->v.dev_env.virtio;
	}
	for (unsigned i = 0; i < 8; i++)
		f->dev.config[i] = (uint8_t)(0x10 + i);
	p = params(&f->dev);
	assert_int_equal(virtio_dev_create(&f->v.env, &p, BASE, IRQ, &f->vdev), 0);
	vh_ring_init(&f->rings[0], &f->v.mem, 16, 0x10000);
	vh_ring_init(&f->rings[1], &f->v.mem, 16, 0x20000);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_env(state, TEE_NONE, false);
}

static int setup_tdx(void **state)
{
	return setup_env(state, TEE_TDX, false);
}

static int setup_access_platform(void **state)
{
	return setup_env(state, TEE_NONE, true);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	virtio_dev_destroy(f->vdev);
	vh_vm_destroy(&f->v);
	free(f);
	return 0;
}

static void run_loop(struct fx *f)
{
	for (int i = 0; i < 4; i++)
		ev_loop_run_once(&f->v.loop, 0);
}

static struct virtio_counters counters(struct fx *f)
{
	struct virtio_counters c;

	virtio_dev_counters(f->vdev, &c);
	return c;
}

static void test_identity_registers(void **state)
{
	struct fx *f = *state;
	uint16_t half = 0;

	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_DEVICE_ID), DEV_ID);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_QUEUE_NUM_MAX), QMAX);
	vh_wr(f->vdev, VIRTIO_MMIO_QUEUE_SEL, 2); /* no such queue */
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_SHM_LEN_LOW), 0xffffffff);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_SHM_LEN_HIGH), 0xffffffff);
	/* Unknown register, wrong width, write to a read-only register: ignored and counted. */
	assert_int_equal(vh_rd(f->vdev, 0x0f0), 0);
	virtio_mmio_access(f->vdev, VIRTIO_MMIO_STATUS, (uint8_t *)&half, 2, false);
	vh_wr(f->vdev, VIRTIO_MMIO_MAGIC_VALUE, 0);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(counters(f).bad_register_access, 3);
}

static void test_kvm_registrations(void **state)
{
	struct fx *f = *state;
	struct virtio_dev_params p = params(&f->dev);
	long i;

	assert_int_equal(rec_count("kvm_ioeventfd"), 2);
	for (unsigned q = 0; q < 2; q++) {
		const struct rec_call *c = &kvm_rec.calls[rec_find("kvm_ioeventfd", q)];

		assert_int_equal(c->fd, VH_VM_FD);
		assert_int_equal(c->args[0], BASE + VIRTIO_MMIO_QUEUE_NOTIFY);
		assert_int_equal(c->args[1], 4);
		assert_int_equal(c->args[2], f->vdev->queues[q].kick_fd);
		assert_int_equal(c->args[3], KVM_IOEVENTFD_FLAG_DATAMATCH);
		assert_int_equal(c->args[4], q);
	}
	i = rec_find("kvm_irqfd", 0);
	assert_true(i >= 0);
	assert_int_equal(kvm_rec.calls[i].args[0], f->vdev->irq_fd);
	assert_int_equal(kvm_rec.calls[i].args[1], IRQ);
	assert_int_equal(kvm_rec.calls[i].args[2], 0);

	/* Destroy unregisters all of it. */
	virtio_dev_destroy(f->vdev);
	assert_int_equal(rec_count("kvm_ioeventfd"), 4);
	assert_true(kvm_rec.calls[rec_find("kvm_ioeventfd", 2)].args[3] &
		    KVM_IOEVENTFD_FLAG_DEASSIGN);
	assert_int_equal(kvm_rec.calls[rec_find("kvm_irqfd", 1)].args[2], KVM_IRQFD_FLAG_DEASSIGN);
	assert_int_equal(virtio_dev_create(&f->v.env, &p, BASE, IRQ, &f->vdev), 0);
}

static void test_ioeventfd_failure_takes_slow_path(void **state)
{
	struct fx *f = *state;
	struct virtio_dev_params p = params(&f->dev);

	virtio_dev_destroy(f->vdev);
	rec_fail_next("kvm_ioeventfd", -ENOSYS);
	assert_int_equal(virtio_dev_create(&f->v.env, &p, BASE, IRQ, &f->vdev), 0);
	assert_false(f->vdev->queues[0].ioeventfd);
	assert_true(f->vdev->queues[1].ioeventfd);
	vh_driver_start(f->vdev, BASIC, f->rings, 2);
	run_loop(f);
	f->dev.notifies = 0;
	vh_wr(f->vdev, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	run_loop(f);
	assert_int_equal(f->dev.notifies, 1);
}

static void test_irqfd_failure_fails_create(void **state)
{
	struct fx *f = *state;
	struct virtio_dev_params p = params(&f->dev);
	struct virtio_dev *other = NULL;

	rec_fail_next("kvm_irqfd", -EINVAL);
	assert_int_equal(virtio_dev_create(&f->v.env, &p, BASE + 0x1000, IRQ + 1, &other), -EINVAL);
	assert_null(other);
}

static void test_features_offered(void **state)
{
	struct fx *f = *state;
	uint64_t df = vh_device_features(f->vdev);

	assert_true(df & F(VIRTIO_F_VERSION_1));
	assert_true(df & F(VIRTIO_RING_F_EVENT_IDX));
	assert_true(df & F(VIRTIO_RING_F_INDIRECT_DESC));
	assert_true(df & F(DEV_FEATURE));
	assert_false(df & F(VIRTIO_F_ACCESS_PLATFORM));
	assert_false(df & F(VIRTIO_F_RING_PACKED));
	vh_wr(f->vdev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_DEVICE_FEATURES), 0);
}

static void test_negotiation_without_version_1_fails(void **state)
{
	struct fx *f = *state;
	uint32_t st = vh_negotiate(f->vdev, F(VIRTIO_RING_F_EVENT_IDX));

	assert_int_equal(st, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	assert_int_equal(counters(f).features_refused, 1);
	/* Without FEATURES_OK there is no DRIVER_OK either. */
	vh_wr(f->vdev, VIRTIO_MMIO_STATUS, st | VIRTIO_CONFIG_S_DRIVER_OK);
	assert_false(vh_rd(f->vdev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK);
	assert_int_equal(f->dev.activations, 0);
}

static void test_negotiation_of_unoffered_feature_fails(void **state)
{
	struct fx *f = *state;
	uint32_t st = vh_negotiate(f->vdev, F(VIRTIO_F_VERSION_1) | F(VIRTIO_F_RING_PACKED));

	assert_false(st & VIRTIO_CONFIG_S_FEATURES_OK);
}

static void test_negotiation_succeeds_and_freezes(void **state)
{
	struct fx *f = *state;
	uint64_t want = BASIC | F(DEV_FEATURE);
	uint32_t st = vh_negotiate(f->vdev, want);

	assert_true(st & VIRTIO_CONFIG_S_FEATURES_OK);
	assert_int_equal(f->vdev->features, want);
	vh_wr(f->vdev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vh_wr(f->vdev, VIRTIO_MMIO_DRIVER_FEATURES, 0);
	assert_int_equal(f->vdev->features, want);
	assert_int_equal(f->vdev->driver_features, want);
}

static void test_confidential_requires_access_platform(void **state)
{
	struct fx *f = *state;
	uint64_t df = vh_device_features(f->vdev);
	uint64_t plat = F(VIRTIO_F_ACCESS_PLATFORM) | F(VIRTIO_F_ORDER_PLATFORM);

	assert_int_equal(df & plat, plat);
	assert_false(vh_negotiate(f->vdev, BASIC) & VIRTIO_CONFIG_S_FEATURES_OK);
	assert_true(vh_negotiate(f->vdev, BASIC | plat) & VIRTIO_CONFIG_S_FEATURES_OK);
}

/* The developer option only offers the bits: a driver may take them or not. */
static void test_access_platform_option_offers_only(void **state)
{
	struct fx *f = *state;
	uint64_t df = vh_device_features(f->vdev);
	uint64_t plat = F(VIRTIO_F_ACCESS_PLATFORM) | F(VIRTIO_F_ORDER_PLATFORM);

	assert_false(f->v.env.confidential);
	assert_int_equal(df & plat, plat);
	assert_true(vh_negotiate(f->vdev, BASIC | plat) & VIRTIO_CONFIG_S_FEATURES_OK);
	assert_int_equal(f->vdev->features & plat, plat);
	vh_wr(f->vdev, VIRTIO_MMIO_STATUS, 0);
	assert_true(vh_negotiate(f->vdev, BASIC) & VIRTIO_CONFIG_S_FEATURES_OK);
}

static void test_plain_offers_no_access_platform(void **state)
{
	struct fx *f = *state;

	assert_int_equal(vh_device_features(f->vdev) &
			 (F(VIRTIO_F_ACCESS_PLATFORM) | F(VIRTIO_F_ORDER_PLATFORM)), 0);
}

static void test_status_order(void **state)
{
	struct fx *f = *state;
	struct virtio_dev *d = f->vdev;

	vh_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_DRIVER); /* before ACKNOWLEDGE */
	assert_int_equal(vh_rd(d, VIRTIO_MMIO_STATUS), 0);
	vh_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vh_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_FEATURES_OK);
	assert_int_equal(vh_rd(d, VIRTIO_MMIO_STATUS), VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vh_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	vh_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_DRIVER); /* clears ACKNOWLEDGE */
	vh_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | 0x10);
	assert_int_equal(vh_rd(d, VIRTIO_MMIO_STATUS),
			 VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	vh_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
					     VIRTIO_CONFIG_S_DRIVER_OK);
	assert_false(vh_rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK);
	assert_int_equal(counters(f).bad_status_write, 5);
	/* FAILED is always accepted and stops the device. */
	vh_wr(d, VIRTIO_MMIO_STATUS, vh_rd(d, VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_FAILED);
	assert_true(vh_rd(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FAILED);
	assert_false(virtio_dev_live(d));
}

static void test_driver_ok_activates_and_reset_clears(void **state)
{
	struct fx *f = *state;
	struct virtio_dev *d = f->vdev;
	uint32_t st = vh_driver_start(d, BASIC, f->rings, 2);

	assert_int_equal(st, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				     VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	assert_int_equal(f->dev.activations, 1);
	assert_true(d->queues[0].vq.event_idx);
	assert_false(d->queues[0].vq.indirect);
	vh_wr(d, VIRTIO_MMIO_QUEUE_SEL, 1);
	assert_int_equal(vh_rd(d, VIRTIO_MMIO_QUEUE_READY), 1);
	d->interrupt_status = VIRTIO_MMIO_INT_VRING;

	vh_wr(d, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(f->dev.resets, 2);
	assert_int_equal(vh_rd(d, VIRTIO_MMIO_STATUS), 0);
	assert_int_equal(vh_rd(d, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	for (unsigned q = 0; q < 2; q++) {
		vh_wr(d, VIRTIO_MMIO_QUEUE_SEL, q);
		assert_int_equal(vh_rd(d, VIRTIO_MMIO_QUEUE_READY), 0);
	}
	assert_int_equal(d->features, 0);
	assert_int_equal(counters(f).resets, 2); /* the bring-up starts with a reset too */
	/* Kicks after reset are not served. */
	vh_kick(d, 0);
	run_loop(f);
	assert_int_equal(f->dev.notifies, 0);
}

static void test_activation_failure_needs_reset(void **state)
{
	struct fx *f = *state;

	f->dev.activate_ret = -EIO;
	vh_driver_start(f->vdev, BASIC, f->rings, 2);
	assert_true(vh_rd(f->vdev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(vh_irqs(f->vdev), 1);
}

/* Negotiates, programs queue 0 from ring with one field spoiled, and expects a refusal. */
static void expect_bad_queue(struct fx *f, const struct vh_ring *ring)
{
	assert_true(vh_negotiate(f->vdev, BASIC) & VIRTIO_CONFIG_S_FEATURES_OK);
	vh_setup_queue(f->vdev, 0, ring);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_true(vh_rd(f->vdev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	vh_wr(f->vdev, VIRTIO_MMIO_STATUS, 0);
	assert_false(vh_rd(f->vdev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void test_queue_ready_with_bad_setup(void **state)
{
	struct fx *f = *state;
	struct vh_ring r;

	r = f->rings[0];
	r.desc = RAM + 0x1000; /* outside RAM */
	expect_bad_queue(f, &r);
	r = f->rings[0];
	r.used = RAM - 64; /* runs past the end of RAM */
	expect_bad_queue(f, &r);
	r = f->rings[0];
	r.avail = LAYOUT_VIRTIO_MMIO_BASE; /* MMIO, not RAM */
	expect_bad_queue(f, &r);
	r = f->rings[0];
	r.desc += 8; /* misaligned */
	expect_bad_queue(f, &r);
	r = f->rings[0];
	r.size = 24; /* not a power of two */
	expect_bad_queue(f, &r);
	r.size = QMAX * 2; /* above QueueNumMax */
	expect_bad_queue(f, &r);
	assert_int_equal(counters(f).bad_queue_setup, 6);
	/* And the good layout works after all that. */
	assert_int_equal(vh_driver_start(f->vdev, BASIC, f->rings, 2) &
				 VIRTIO_CONFIG_S_DRIVER_OK,
			 VIRTIO_CONFIG_S_DRIVER_OK);
}

static void test_queue_ready_before_features_ok(void **state)
{
	struct fx *f = *state;

	vh_wr(f->vdev, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vh_setup_queue(f->vdev, 0, &f->rings[0]);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_int_equal(counters(f).bad_queue_setup, 1);
}

static void test_live_queue_layout_is_frozen(void **state)
{
	struct fx *f = *state;
	struct virtq *vq = &f->vdev->queues[0].vq;

	vh_driver_start(f->vdev, BASIC, f->rings, 2);
	vh_wr(f->vdev, VIRTIO_MMIO_QUEUE_SEL, 0);
	vh_wr(f->vdev, VIRTIO_MMIO_QUEUE_NUM, 4);
	vh_wr(f->vdev, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x123000);
	assert_int_equal(vq->size, 16);
	assert_int_equal(vq->desc_gpa, f->rings[0].desc);
	/* QueueReady = 0 stops the device from using it. */
	vh_wr(f->vdev, VIRTIO_MMIO_QUEUE_READY, 0);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_QUEUE_READY), 0);
	assert_false(virtio_queue_live(f->vdev, vq));
}

static void test_used_interrupt_and_ack(void **state)
{
	struct fx *f = *state;
	const struct vh_buf b = { 0x100000, 64, true };
	uint32_t id, len;

	vh_driver_start(f->vdev, BASIC, f->rings, 2);
	run_loop(f);
	vh_publish(&f->rings[1], vh_chain(&f->rings[1], 4, &b, 1));
	vh_kick(f->vdev, 1); /* what KVM does on QueueNotify = 1 */
	run_loop(f);
	assert_true(vh_take_used(&f->rings[1], &id, &len));
	assert_int_equal(id, 4);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	assert_int_equal(vh_irqs(f->vdev), 1);
	vh_wr(f->vdev, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	assert_int_equal(counters(f).interrupts, 1);
	assert_int_equal(counters(f).used, 1);
}

static void test_slow_path_notify(void **state)
{
	struct fx *f = *state;

	vh_driver_start(f->vdev, BASIC, f->rings, 2);
	run_loop(f);
	f->dev.notifies = 0;
	vh_wr(f->vdev, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	run_loop(f);
	assert_int_equal(f->dev.notifies, 1);
	vh_wr(f->vdev, VIRTIO_MMIO_QUEUE_NOTIFY, 7);
	run_loop(f);
	assert_int_equal(f->dev.notifies, 1);
	assert_int_equal(counters(f).bad_register_access, 1);
}

static void test_buffers_before_driver_ok_wait(void **state)
{
	struct fx *f = *state;
	const struct vh_buf b = { 0x100000, 64, true };
	uint32_t id, len;

	assert_true(vh_negotiate(f->vdev, BASIC) & VIRTIO_CONFIG_S_FEATURES_OK);
	vh_setup_queue(f->vdev, 0, &f->rings[0]);
	vh_publish(&f->rings[0], vh_chain(&f->rings[0], 0, &b, 1));
	vh_kick(f->vdev, 0);
	run_loop(f);
	assert_int_equal(f->dev.notifies, 0);
	assert_false(vh_take_used(&f->rings[0], &id, &len));
	vh_wr(f->vdev, VIRTIO_MMIO_STATUS,
	      vh_rd(f->vdev, VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
	run_loop(f);
	assert_true(vh_take_used(&f->rings[0], &id, &len));
}

static void test_malformed_chain_needs_reset(void **state)
{
	struct fx *f = *state;
	const struct vh_buf bad = { RAM + 0x1000, 64, true };
	const struct vh_buf good = { 0x100000, 64, true };
	uint32_t st;

	vh_driver_start(f->vdev, BASIC, f->rings, 2);
	run_loop(f);
	vh_irqs(f->vdev);
	vh_publish(&f->rings[0], vh_chain(&f->rings[0], 0, &bad, 1));
	vh_kick(f->vdev, 0);
	run_loop(f);
	st = vh_rd(f->vdev, VIRTIO_MMIO_STATUS);
	assert_true(st & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_true(vh_rd(f->vdev, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	assert_true(vh_irqs(f->vdev) >= 1);
	assert_int_equal(counters(f).needs_reset, 1);
	assert_int_equal(counters(f).bad_chain[VIRTQ_ERR_DESC_ADDR], 1);

	/* Nothing more is processed, and a driver's read-modify-write keeps the bit. */
	f->dev.notifies = 0;
	vh_publish(&f->rings[1], vh_chain(&f->rings[1], 0, &good, 1));
	vh_kick(f->vdev, 1);
	run_loop(f);
	assert_int_equal(f->dev.notifies, 0);
	vh_wr(f->vdev, VIRTIO_MMIO_STATUS, st | VIRTIO_CONFIG_S_FAILED);
	assert_true(vh_rd(f->vdev, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	vh_wr(f->vdev, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_STATUS), 0);
}

static void test_config_space_and_generation(void **state)
{
	struct fx *f = *state;
	uint8_t b[8];
	uint32_t gen;

	virtio_mmio_access(f->vdev, VIRTIO_MMIO_CONFIG + 2, b, 2, false);
	assert_int_equal(b[0], 0x12);
	assert_int_equal(b[1], 0x13);
	virtio_mmio_access(f->vdev, VIRTIO_MMIO_CONFIG, b, 8, false);
	assert_int_equal(b[7], 0x17);
	memset(b, 0xee, sizeof(b));
	virtio_mmio_access(f->vdev, VIRTIO_MMIO_CONFIG + 6, b, 4, false); /* past the end */
	assert_int_equal(b[0], 0);
	virtio_mmio_access(f->vdev, VIRTIO_MMIO_CONFIG, b, 3, false); /* odd width */
	assert_int_equal(counters(f).bad_register_access, 2);

	vh_driver_start(f->vdev, BASIC, f->rings, 2);
	vh_irqs(f->vdev);
	gen = vh_rd(f->vdev, VIRTIO_MMIO_CONFIG_GENERATION);
	virtio_dev_lock(f->vdev);
	virtio_dev_config_changed(f->vdev);
	virtio_dev_unlock(f->vdev);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_CONFIG_GENERATION), gen + 1);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(vh_irqs(f->vdev), 1);
	vh_wr(f->vdev, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity_registers),
		T(test_kvm_registrations),
		T(test_ioeventfd_failure_takes_slow_path),
		T(test_irqfd_failure_fails_create),
		T(test_features_offered),
		T(test_negotiation_without_version_1_fails),
		T(test_negotiation_of_unoffered_feature_fails),
		T(test_negotiation_succeeds_and_freezes),
		cmocka_unit_test_setup_teardown(test_access_platform_option_offers_only,
						setup_access_platform, teardown),
		cmocka_unit_test_setup_teardown(test_plain_offers_no_access_platform, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_confidential_requires_access_platform,
						setup_tdx, teardown),
		T(test_status_order),
		T(test_driver_ok_activates_and_reset_clears),
		T(test_activation_failure_needs_reset),
		T(test_queue_ready_with_bad_setup),
		T(test_queue_ready_before_features_ok),
		T(test_live_queue_layout_is_frozen),
		T(test_used_interrupt_and_ack),
		T(test_slow_path_notify),
		T(test_buffers_before_driver_ok_wait),
		T(test_malformed_chain_needs_reset),
		T(test_config_space_and_generation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
