/* SPDX-License-Identifier: MIT */
/*
 * virtio-mmio transport: discovery from the command line and register access.  Device drivers
 * (polling split virtqueues from ring 3) build on this.
 */
#ifndef GUEST_VIRTIO_MMIO_H
#define GUEST_VIRTIO_MMIO_H

#include <stddef.h>
#include <stdint.h>

#include "tests/guest/io.h"

#define VIRTIO_MMIO_MAX 32
#define VIRTIO_MMIO_MAGIC_VALUE 0x74726976 /* "virt" */

/* Register offsets (virtio 1.x, section 4.2.2). */
#define VIRTIO_MMIO_MAGIC               0x000
#define VIRTIO_MMIO_VERSION             0x004
#define VIRTIO_MMIO_DEVICE_ID           0x008
#define VIRTIO_MMIO_VENDOR_ID           0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL           0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034
#define VIRTIO_MMIO_QUEUE_NUM           0x038
#define VIRTIO_MMIO_QUEUE_READY         0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064
#define VIRTIO_MMIO_STATUS              0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fc
#define VIRTIO_MMIO_CONFIG              0x100

#define VIRTIO_ID_NET   1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_VSOCK 19

struct virtio_mmio_dev {
	uint64_t base;
	uint64_t size;
	uint32_t irq;
	uint32_t device_id; /* filled in by virtio_mmio_probe() */
	uint32_t version;
	uint32_t vendor_id;
};

/*
 * Collects every virtio_mmio.device=<size>[K|M|G]@<base>:<irq>[:<id>] of the command line
 * (Linux's syntax; QEMU microvm passes the size in bytes).  Returns how many were found, or -1
 * with err set when an entry is malformed or more than max are given.
 */
int virtio_mmio_discover(const char *cmdline, struct virtio_mmio_dev *devs, int max, char *err,
			 size_t err_len);
/* Reads the identification registers into dev; false if MagicValue is not "virt". */
bool virtio_mmio_probe(struct virtio_mmio_dev *dev);
const char *virtio_device_name(uint32_t device_id);

static inline uint32_t vmmio_read32(const struct virtio_mmio_dev *dev, uint32_t off)
{
	return mmio_read32(dev->base + off);
}

static inline void vmmio_write32(const struct virtio_mmio_dev *dev, uint32_t off, uint32_t val)
{
	mmio_write32(dev->base + off, val);
}

#endif
