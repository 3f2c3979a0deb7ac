// SPDX-License-Identifier: MIT
/* Test support for the virtio code; see virtio_harness.h. */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "tests/unit/kvm_recorder.h"
#include "tests/unit/virtio_harness.h"
#include "vmm/bus.h"
#include "vmm/event_loop.h"
#include "vmm/memory.h"

static void vh_request_stop(void *ctx, int exit_status, const char *reason)
{
	struct vh_vm *v = ctx;

	if (!v->stops++)
		v->stop_status = exit_status;
}

static void vh_data_loss(void *ctx)
{
	struct vh_vm *v = ctx;

	v->data_losses++;
}

int vh_vm_init(struct vh_vm *v, uint64_t ram_size, enum tee_kind tee)
{
	int err;

	memset(v, 0, sizeof(*v));
	err = guest_mem_create(&v->mem, ram_size);
	if (err)
		return err;
	err = ev_loop_init(&v->loop);
	if (err) {
		guest_mem_destroy(&v->mem);
		return err;
	}
	bus_init(&v->pio);
	bus_init(&v->mmio);
	v->irq.vm_fd = VH_VM_FD;
	v->irq.mode = IRQCHIP_KERNEL;
	manual_clock_init(&v->clock, 1000000000ULL);
	v->loop.clock = &v->clock.clock; /* busy-poll windows move only when a test says so */
	v->dev_env = (struct device_env){
		.mem = &v->mem,
		.loop = &v->loop,
		.pio = &v->pio,
		.mmio = &v->mmio,
		.irq = &v->irq,
		.clock = &v->clock.clock,
		.start_ns = 1000000000ULL,
		.request_stop = vh_request_stop,
		.report_data_loss = vh_data_loss,
		.stop_ctx = v,
		.maps = &v->maps,
	};
	device_env_set_virtio(&v->dev_env, VH_VM_FD, tee != TEE_NONE, false);
	v->env = v->dev_env.virtio;
	rec_reset();
	return 0;
}

void vh_add_device(struct vh_vm *v, const struct device *dev)
{
	if (v->nr_devices < VH_MAX_DEVICES)
		v->devices[v->nr_devices++] = *dev;
}

void vh_vm_destroy(struct vh_vm *v)
{
	for (unsigned i = v->nr_devices; i-- > 0;)
		if (v->devices[i].destroy)
			v->devices[i].destroy(v->devices[i].opaque);
	device_maps_unmap_from(&v->maps, 0);
	device_maps_free(&v->maps);
	bus_destroy(&v->mmio);
	bus_destroy(&v->pio);
	ev_loop_destroy(&v->loop);
	guest_mem_destroy(&v->mem);
}

bool vh_run_until(struct vh_vm *v, bool (*cond)(void *arg), void *arg)
{
	for (int i = 0; i < 200 && !cond(arg); i++) {
		ev_loop_run_once(&v->loop, 10);
		manual_clock_advance(&v->clock, VH_TICK_NS);
	}
	return cond(arg);
}

bool vh_run_for(struct vh_vm *v, bool (*cond)(void *arg), void *arg, uint64_t ns)
{
	for (uint64_t t = 0; t <= ns; t += VH_TICK_NS) {
		/* Real events (io_uring completions) get up to 1 ms of real time per step. */
		ev_loop_run_once(&v->loop, 1);
		if (cond(arg))
			return true;
		manual_clock_advance(&v->clock, VH_TICK_NS);
	}
	return cond(arg);
}

static void *gp(struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	return guest_mem_ptr(mem, gpa, len);
}

static void w16(struct guest_mem *mem, uint64_t gpa, uint16_t v)
{
	__atomic_store_n((uint16_t *)gp(mem, gpa, 2), v, __ATOMIC_RELEASE);
}

static uint16_t r16(struct guest_mem *mem, uint64_t gpa)
{
	return __atomic_load_n((uint16_t *)gp(mem, gpa, 2), __ATOMIC_ACQUIRE);
}

static uint32_t r32(struct guest_mem *mem, uint64_t gpa)
{
	return __atomic_load_n((uint32_t *)gp(mem, gpa, 4), __ATOMIC_ACQUIRE);
}

void vh_ring_init(struct vh_ring *r, struct guest_mem *mem, uint16_t size, uint64_t base)
{
	r->mem = mem;
	r->size = size;
	r->desc = base;
	r->avail = base + virtq_desc_bytes(size);
	r->used = (r->avail + virtq_avail_bytes(size) + 4095) & ~4095ULL;
	r->avail_idx = 0;
	r->last_used = 0;
	memset(gp(mem, base, r->used + virtq_used_bytes(size) - base), 0,
	       r->used + virtq_used_bytes(size) - base);
}

void vh_desc_write(struct guest_mem *mem, uint64_t table_gpa, uint16_t i, uint64_t addr,
		   uint32_t len, uint16_t flags, uint16_t next)
{
	struct vring_desc d = { .addr = addr, .len = len, .flags = flags, .next = next };

	memcpy(gp(mem, table_gpa + 16ULL * i, 16), &d, 16);
}

static uint16_t buf_flags(const struct vh_buf *b, bool more)
{
	return (uint16_t)((b->write ? VRING_DESC_F_WRITE : 0) | (more ? VRING_DESC_F_NEXT : 0));
}

uint16_t vh_chain(struct vh_ring *r, uint16_t first, const struct vh_buf *bufs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((first + i) % r->size);

		vh_desc_write(r->mem, r->desc, idx, bufs[i].gpa, bufs[i].len,
			      buf_flags(&bufs[i], i + 1 < n), (uint16_t)((idx + 1) % r->size));
	}
	return first;
}

uint16_t vh_indirect(struct vh_ring *r, uint16_t desc_i, uint64_t table_gpa,
		     const struct vh_buf *bufs, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		vh_desc_write(r->mem, table_gpa, (uint16_t)i, bufs[i].gpa, bufs[i].len,
			      buf_flags(&bufs[i], i + 1 < n), (uint16_t)(i + 1));
	vh_desc_write(r->mem, r->desc, desc_i, table_gpa, 16 * n, VRING_DESC_F_INDIRECT, 0);
	return desc_i;
}

void vh_publish(struct vh_ring *r, uint16_t head)
{
	w16(r->mem, r->avail + 4 + 2ULL * (r->avail_idx % r->size), head);
	r->avail_idx++;
	w16(r->mem, r->avail + 2, r->avail_idx);
}

void vh_set_avail_idx(struct vh_ring *r, uint16_t idx)
{
	r->avail_idx = idx;
	w16(r->mem, r->avail + 2, idx);
}

void vh_set_avail_flags(struct vh_ring *r, uint16_t flags)
{
	w16(r->mem, r->avail, flags);
}

void vh_set_used_event(struct vh_ring *r, uint16_t v)
{
	w16(r->mem, r->avail + 4 + 2ULL * r->size, v);
}

uint16_t vh_avail_event(struct vh_ring *r)
{
	return r16(r->mem, r->used + 4 + 8ULL * r->size);
}

uint16_t vh_used_flags(struct vh_ring *r)
{
	return r16(r->mem, r->used);
}

uint16_t vh_used_idx(struct vh_ring *r)
{
	return r16(r->mem, r->used + 2);
}

struct used_wait {
	struct vh_ring *r;
	uint16_t idx;
};

static bool used_moved(void *arg)
{
	struct used_wait *w = arg;

	return vh_used_idx(w->r) != w->idx;
}

bool vh_run_until_used(struct vh_vm *v, struct vh_ring *r, uint16_t idx)
{
	struct used_wait w = { r, idx };

	return vh_run_until(v, used_moved, &w);
}

bool vh_take_used(struct vh_ring *r, uint32_t *id, uint32_t *len)
{
	uint64_t elem;

	if (vh_used_idx(r) == r->last_used)
		return false;
	elem = r->used + 4 + 8ULL * (r->last_used % r->size);
	*id = r32(r->mem, elem);
	*len = r32(r->mem, elem + 4);
	r->last_used++;
	return true;
}

uint32_t vh_rd(struct virtio_dev *d, uint64_t off)
{
	uint32_t v;

	virtio_mmio_access(d, off, (uint8_t *)&v, 4, false);
	return v;
}

void vh_wr(struct virtio_dev *d, uint64_t off, uint32_t val)
{
	virtio_mmio_access(d, off, (uint8_t *)&val, 4, true);
}

uint64_t vh_device_features(struct virtio_dev *d)
{
	uint64_t f;

	vh_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	f = (uint64_t)vh_rd(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	vh_wr(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	return f | vh_rd(d, VIRTIO_MMIO_DEVICE_FEATURES);
}

uint32_t vh_negotiate(struct virtio_dev *d, uint64_t features)
{
	vh_wr(d, VIRTIO_MMIO_STATUS, 0);
	vh_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vh_wr(d, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	vh_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vh_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	vh_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vh_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	vh_wr(d, VIRTIO_MMIO_STATUS, vh_rd(d, VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_FEATURES_OK);
	return vh_rd(d, VIRTIO_MMIO_STATUS);
}

void vh_setup_queue(struct virtio_dev *d, unsigned qi, const struct vh_ring *r)
{
	vh_wr(d, VIRTIO_MMIO_QUEUE_SEL, qi);
	vh_wr(d, VIRTIO_MMIO_QUEUE_NUM, r->size);
	vh_wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)r->desc);
	vh_wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(r->desc >> 32));
	vh_wr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)r->avail);
	vh_wr(d, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(r->avail >> 32));
	vh_wr(d, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)r->used);
	vh_wr(d, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(r->used >> 32));
	vh_wr(d, VIRTIO_MMIO_QUEUE_READY, 1);
}

uint32_t vh_driver_start(struct virtio_dev *d, uint64_t features, const struct vh_ring *rings,
			 unsigned nr)
{
	uint32_t st = vh_negotiate(d, features);

	if (!(st & VIRTIO_CONFIG_S_FEATURES_OK))
		return st;
	for (unsigned i = 0; i < nr; i++)
		vh_setup_queue(d, i, &rings[i]);
	vh_wr(d, VIRTIO_MMIO_STATUS, vh_rd(d, VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
	return vh_rd(d, VIRTIO_MMIO_STATUS);
}

uint64_t vh_irqs(struct virtio_dev *d)
{
	eventfd_t v = 0;

	if (eventfd_read(d->irq_fd, &v) < 0)
		return 0;
	return v;
}

void vh_kick(struct virtio_dev *d, unsigned qi)
{
	eventfd_write(d->queues[qi].kick_fd, 1);
}
