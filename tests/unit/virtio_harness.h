/* SPDX-License-Identifier: MIT */
/*
 * Test support for the virtio code: a fake VM (memfd guest memory, event loop, irq router on the
 * KVM recorder) and the driver's side of split rings, built by hand in guest memory.
 */
#ifndef CVMM_TEST_VIRTIO_HARNESS_H
#define CVMM_TEST_VIRTIO_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/virtio.h"
#include "vmm/bus.h"
#include "vmm/clock.h"
#include "vmm/config.h"
#include "vmm/device_env.h"
#include "vmm/event_loop.h"
#include "vmm/irq.h"
#include "vmm/memory.h"

#define VH_VM_FD 77
#define VH_MAX_DEVICES 8

/*
 * What devices see of a VM, built for tests: memory, loop, buses, an irq router on the recorded
 * KVM, a manual clock, and a stop request that is only recorded.  dev_env is the environment the
 * device table's create functions get; env is the virtio transport's part of it.
 */
struct vh_vm {
	struct guest_mem mem;
	struct ev_loop loop;
	struct bus pio;
	struct bus mmio;
	struct irq_router irq;
	struct manual_clock clock;
	struct device_maps maps;
	struct device_env dev_env;
	struct virtio_env env;
	struct device devices[VH_MAX_DEVICES];
	unsigned nr_devices;
	unsigned stops;      /* stop requests seen */
	int stop_status;     /* the first one's exit status */
	unsigned data_losses; /* data-loss reports seen */
};

int vh_vm_init(struct vh_vm *v, uint64_t ram_size, enum tee_kind tee);
/* Frees the devices added with vh_add_device (newest first), then everything else. */
void vh_vm_destroy(struct vh_vm *v);
/* Keeps a device made with a table create function so vh_vm_destroy frees it. */
void vh_add_device(struct vh_vm *v, const struct device *dev);
/* The manual clock's step per loop pass in vh_run_until / vh_run_for. */
#define VH_TICK_NS 1000000ULL

/* Serves loop events until cond(arg) holds, at most 200 passes; returns cond(arg). */
bool vh_run_until(struct vh_vm *v, bool (*cond)(void *arg), void *arg);
/*
 * Serves loop events, advancing the VM's clock VH_TICK_NS per pass, until cond(arg) holds or ns
 * of that clock passed; returns cond(arg).  Deterministic: busy-poll windows follow the clock.
 */
bool vh_run_for(struct vh_vm *v, bool (*cond)(void *arg), void *arg, uint64_t ns);

/* The driver side of one split ring. */
struct vh_ring {
	struct guest_mem *mem;
	uint16_t size;
	uint64_t desc, avail, used; /* GPAs */
	uint16_t avail_idx;         /* next avail index the driver publishes */
	uint16_t last_used;         /* next used entry the driver consumes */
};

struct vh_buf {
	uint64_t gpa;
	uint32_t len;
	bool write;
};

/* Lays out desc table, avail and used rings from base (page aligned) and zeroes them. */
void vh_ring_init(struct vh_ring *r, struct guest_mem *mem, uint16_t size, uint64_t base);
/* Writes descriptor i of the table at table_gpa. */
void vh_desc_write(struct guest_mem *mem, uint64_t table_gpa, uint16_t i, uint64_t addr,
		   uint32_t len, uint16_t flags, uint16_t next);
/* Builds bufs as a direct chain in descriptors first.. and returns the head (== first). */
uint16_t vh_chain(struct vh_ring *r, uint16_t first, const struct vh_buf *bufs, unsigned n);
/* Builds bufs in an indirect table at table_gpa, referenced from descriptor desc_i. */
uint16_t vh_indirect(struct vh_ring *r, uint16_t desc_i, uint64_t table_gpa,
		     const struct vh_buf *bufs, unsigned n);
/* Puts head in the avail ring and publishes the new avail idx. */
void vh_publish(struct vh_ring *r, uint16_t head);
void vh_set_avail_idx(struct vh_ring *r, uint16_t idx);
void vh_set_avail_flags(struct vh_ring *r, uint16_t flags);
void vh_set_used_event(struct vh_ring *r, uint16_t v);
uint16_t vh_avail_event(struct vh_ring *r);
uint16_t vh_used_flags(struct vh_ring *r);
uint16_t vh_used_idx(struct vh_ring *r);
/* Serves loop events until r's used idx is no longer idx (vh_run_until's limit); true if it moved. */
bool vh_run_until_used(struct vh_vm *v, struct vh_ring *r, uint16_t idx);
/* Consumes the next used element; false when there is none. */
bool vh_take_used(struct vh_ring *r, uint32_t *id, uint32_t *len);

/* MMIO register access as a vCPU would do it. */
uint32_t vh_rd(struct virtio_dev *d, uint64_t off);
void vh_wr(struct virtio_dev *d, uint64_t off, uint32_t val);
uint64_t vh_device_features(struct virtio_dev *d);
/* ACK, DRIVER, features, FEATURES_OK; returns the status read back. */
uint32_t vh_negotiate(struct virtio_dev *d, uint64_t features);
/* Programs queue qi from r and sets QueueReady. */
void vh_setup_queue(struct virtio_dev *d, unsigned qi, const struct vh_ring *r);
/* The whole Linux-style bring-up with one ring per queue; returns the final status. */
uint32_t vh_driver_start(struct virtio_dev *d, uint64_t features, const struct vh_ring *rings,
			 unsigned nr);
/* Interrupts signalled on the device's irqfd since the last call. */
uint64_t vh_irqs(struct virtio_dev *d);
/* What KVM does on a QueueNotify write that matches the ioeventfd. */
void vh_kick(struct virtio_dev *d, unsigned qi);

#endif
