/* SPDX-License-Identifier: MIT */
/*
 * A virtio 1.x device on the MMIO transport (virtio v1.2 section 4.2.2, version 2 only).
 *
 * The transport owns the register file, feature negotiation, the status state machine, the
 * queues and the interrupt line; a device model plugs in through struct virtio_dev_ops.
 *
 * Threads: register accesses arrive on vCPU threads (bus callback), queue notifications arrive
 * as ioeventfds served by the event loop.  Everything except InterruptStatus / InterruptACK runs
 * under vdev->lock; every ops callback is called with the lock held.  Devices that complete work
 * from other loop handlers (e.g. io_uring completions) take the lock with virtio_dev_lock().
 * Holding it is also a device section of guest memory (memory.h): no page the device reached
 * stops being shared until the unlock.  Pointers kept across unlocks (rings, requests in
 * flight) are re-checked after the next lock (virtio_queue_usable, guest_mem_dma_still_shared).
 */
#ifndef CVMM_VIRTIO_H
#define CVMM_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/virtq.h"

struct ev_loop;
struct guest_mem;
struct virtio_dev;

#define VIRTIO_MMIO_MAGIC     0x74726976 /* "virt" */
#define VIRTIO_MMIO_VENDOR    0x4d4d5643 /* "CVMM" */
#define VIRTIO_MMIO_WINDOW    0x1000
#define VIRTIO_MAX_QUEUES     16
#define VIRTIO_MAX_CONFIG     (VIRTIO_MMIO_WINDOW - 0x100)

/* What the transport needs from the VM (vmm/device_env.c fills it for a real one). */
struct virtio_env {
	struct guest_mem *mem;
	struct ev_loop *loop;
	int vm_fd;          /* for KVM_IOEVENTFD */
	bool confidential;  /* TEE guest: offer and require VIRTIO_F_ACCESS_PLATFORM */
	bool access_platform; /* offer ACCESS_PLATFORM + ORDER_PLATFORM only (developer option) */
	/* Binds / unbinds an eventfd to interrupt line gsi (edge: one write, one interrupt). */
	int (*attach_irqfd)(void *irq_opaque, uint32_t gsi, int efd);
	int (*detach_irqfd)(void *irq_opaque, uint32_t gsi, int efd);
	void *irq_opaque;
};

struct virtio_dev_ops {
	/* Device configuration space; offset and len are already checked against config_size. */
	void (*config_read)(struct virtio_dev *vdev, uint32_t offset, uint8_t *data, uint32_t len);
	void (*config_write)(struct virtio_dev *vdev, uint32_t offset, const uint8_t *data,
			     uint32_t len);
	/* DRIVER_OK: vdev->features is final, queues are mapped.  Negative errno: NEEDS_RESET. */
	int (*activate)(struct virtio_dev *vdev);
	/* Reset by the driver (or destroy): stop, wait for in-flight work, forget the guest's. */
	void (*reset)(struct virtio_dev *vdev);
	/* Queue vq (index qi) has new buffers.  Loop thread, only while the device is live. */
	void (*queue_notify)(struct virtio_dev *vdev, struct virtq *vq, unsigned qi);
};

struct virtio_dev_params {
	const char *name;       /* for messages; also the slot's name, so it must outlive the VM */
	uint32_t device_id;     /* VIRTIO_ID_* */
	uint64_t features;      /* device-type bits; the transport adds its own */
	unsigned nr_queues;     /* 1 .. VIRTIO_MAX_QUEUES */
	uint16_t queue_size_max;
	uint32_t config_size;   /* <= VIRTIO_MAX_CONFIG */
	const struct virtio_dev_ops *ops;
	void *opaque;           /* the device model, vdev->opaque */
	struct virtio_dev **dev_ref; /* the model's pointer to its transport, set on creation */
};

/* Per-device counters (see docs/virtio.md). */
struct virtio_counters {
	uint64_t kicks;                /* queue notifications served */
	uint64_t chains;               /* chains popped */
	uint64_t used;                 /* chains returned */
	uint64_t interrupts;           /* used-buffer interrupts sent */
	uint64_t interrupts_suppressed;
	uint64_t config_interrupts;
	uint64_t resets;
	uint64_t needs_reset;          /* times the device entered NEEDS_RESET */
	uint64_t bad_chain[VIRTQ_ERR__COUNT];
	uint64_t bad_queue_setup;      /* QueueReady with a bad size or ring address */
	uint64_t bad_register_access;  /* wrong width, unknown offset, write to read-only */
	uint64_t bad_status_write;     /* status write that clears bits or skips a step */
	uint64_t features_refused;     /* FEATURES_OK refused */
};

struct virtio_queue {
	struct virtq vq;
	struct virtio_dev *vdev;
	unsigned index;
	int kick_fd;           /* eventfd; KVM signals it on QueueNotify == index */
	bool ioeventfd;        /* registered with KVM (else the MMIO handler signals it) */
};

struct virtio_dev {
	pthread_mutex_t lock;
	char name[32];
	const struct virtio_dev_ops *ops;
	void *opaque;
	struct virtio_env env;
	uint64_t base;
	uint32_t irq;
	uint32_t device_id;
	uint32_t config_size;

	uint64_t device_features;
	uint64_t driver_features;  /* as written by the driver */
	uint64_t features;         /* negotiated: valid once FEATURES_OK is set */
	uint32_t device_features_sel;
	uint32_t driver_features_sel;
	uint32_t queue_sel;
	uint32_t status;
	uint32_t config_generation;
	uint32_t interrupt_status; /* atomic: VIRTIO_MMIO_INT_* */
	int irq_fd;
	bool irqfd_attached;
	bool warned;               /* malformed input reported once */

	unsigned nr_queues;
	struct virtio_queue queues[VIRTIO_MAX_QUEUES];
	struct virtio_counters counters;
};

/*
 * Creates the device: eventfds, one KVM ioeventfd per queue on QueueNotify (datamatch = index),
 * the irqfd on irq, and the event-loop handlers.  The caller puts it on the MMIO bus with
 * virtio_mmio_access() as the callback and vdev as opaque.  Returns 0 or -errno.
 */
int virtio_dev_create(const struct virtio_env *env, const struct virtio_dev_params *params,
		      uint64_t base, uint32_t irq, struct virtio_dev **out);
/* Resets the device model, unregisters everything and frees vdev. */
void virtio_dev_destroy(struct virtio_dev *vdev);

/* The bus callback for the device's 4 KiB window. */
void virtio_mmio_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			bool is_write);

void virtio_dev_lock(struct virtio_dev *vdev);
void virtio_dev_unlock(struct virtio_dev *vdev);

/* DRIVER_OK set, neither NEEDS_RESET nor FAILED: queues may be processed (lock held). */
bool virtio_dev_live(const struct virtio_dev *vdev);
/* ... and this queue is ready. */
bool virtio_queue_live(const struct virtio_dev *vdev, const struct virtq *vq);
/*
 * ... and its rings are still in (shared) guest RAM, re-resolved now: every batch of work on a
 * queue starts with this (lock held).  A ring that is not fails the device (RING_ADDR).
 */
bool virtio_queue_usable(struct virtio_dev *vdev, struct virtq *vq);

/* Sends a used-buffer interrupt if the driver wants one for what was pushed (lock held). */
void virtio_dev_signal_used(struct virtio_dev *vdev, struct virtq *vq);
/* Bumps ConfigGeneration and sends a configuration-change interrupt (lock held). */
void virtio_dev_config_changed(struct virtio_dev *vdev);
/*
 * The device cannot go on (malformed ring, backend failure): sets NEEDS_RESET, stops queue
 * processing and, once DRIVER_OK was set, sends a configuration-change interrupt.  why is logged
 * the first time per device (a guest must not be able to flood the log); lock held.
 */
void virtio_dev_fail(struct virtio_dev *vdev, const char *why);

/* A consistent copy of the counters, chain statistics of every queue folded in. */
void virtio_dev_counters(struct virtio_dev *vdev, struct virtio_counters *out);

/* Transport feature bits every device offers in env (VERSION_1, EVENT_IDX, INDIRECT_DESC, and
 * ACCESS_PLATFORM + ORDER_PLATFORM for confidential guests or with env->access_platform). */
uint64_t virtio_transport_features(const struct virtio_env *env);

static inline bool virtio_has_feature(const struct virtio_dev *vdev, unsigned bit)
{
	return (vdev->features >> bit) & 1;
}

#endif
