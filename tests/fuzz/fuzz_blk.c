// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for virtio-blk through a real ring: the whole device (MMIO transport, event
 * loop, backing file, sync or io_uring engine) driven by a script in which the guest writes
 * arbitrary descriptors, avail entries and memory (headers, segments, status bytes), kicks, resets
 * the device, and the host shrinks the image underneath.  Built with the unit tests' virtio
 * harness.
 *
 * Input: 2 bytes of set-up, then records [op][len lo][len hi][len bytes]:
 *   set-up  [0] bit 0 io_uring engine, bit 1 read-only, bit 2 EVENT_IDX, bit 3 INDIRECT_DESC,
 *           bit 4 FLUSH refused (write-through)  [1] log2 queue size (4 to 8, modulo)
 *   0  descriptor: index (le16), addr (le32, from BUF_GPA; may point past RAM), len (le32),
 *      flags, next (le16)
 *   1  avail entry: head (le16), published at once
 *   2  guest memory at BUF_GPA + offset (le16 x 16): the bytes
 *   3  kick the queue        4  serve pending events (completions)
 *   5  reset the device and bring it up again
 *   6  the image shrinks or grows to le32 x 512 bytes (at most 4 MiB)
 * Checked: every used element names a head below the queue size with a length within what that
 * many descriptors can hold, and the used index only moves by what was made available; the
 * sanitizers watch the rest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "devices/blk.h"
#include "tests/unit/virtio_harness.h"
#include "vmm/layout.h"
#include "vmm/log.h"

#define RAM       (2ULL << 20)
#define RING_GPA  0x0ULL
#define BUF_GPA   0x10000ULL
#define DISK      (1ULL << 20)
#define F(b)      (1ULL << (b))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz {
	struct vh_vm v;
	struct blk_dev *blk;
	struct virtio_dev *vdev;
	struct vh_ring ring;
	uint64_t features;
	int disk_fd;
	char disk_path[64];
	uint16_t published; /* avail entries the driver made since the last (re)start */
	uint16_t used_seen;
};

static struct fz z;

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void start(void)
{
	if (!(vh_driver_start(z.vdev, z.features, &z.ring, 1) & VIRTIO_CONFIG_S_DRIVER_OK))
		abort();
	z.published = 0;
	z.used_seen = 0;
}

static void serve(void)
{
	for (int i = 0; i < 64 && ev_loop_run_once(&z.v.loop, 0) > 0; i++)
		;
}

/* The used ring as a driver would see it: plausible elements only. */
static void check_used(void)
{
	uint16_t idx = vh_used_idx(&z.ring);
	uint32_t id, len;

	if ((uint16_t)(idx - z.used_seen) > z.published)
		abort();
	while (z.ring.last_used != idx && vh_take_used(&z.ring, &id, &len)) {
		if (id >= z.ring.size || len > (uint64_t)z.ring.size * (BLK_SIZE_MAX + 512) + 1)
			abort();
		z.used_seen++;
	}
}

static void op(uint8_t kind, const uint8_t *p, size_t n)
{
	uint16_t qs = z.ring.size;

	switch (kind % 7) {
	case 0: /* descriptor */
		if (n >= 13)
			vh_desc_write(&z.v.mem, z.ring.desc, le16(p) % qs, BUF_GPA + le32(p + 2),
				      le32(p + 6), p[10], le16(p + 11));
		break;
	case 1: /* avail entry */
		if (n >= 2) {
			vh_publish(&z.ring, le16(p) % qs);
			z.published++;
		}
		break;
	case 2: /* guest memory */
		if (n >= 2) {
			uint64_t off = (uint64_t)le16(p) * 16;
			void *dst = guest_mem_ptr(&z.v.mem, BUF_GPA + off, n - 2);

			if (dst)
				memcpy(dst, p + 2, n - 2);
		}
		break;
	case 3:
		vh_kick(z.vdev, 0);
		break;
	case 4:
		serve();
		break;
	case 5: /* reset, then the driver starts over */
		vh_wr(z.vdev, 0x70, 0);
		vh_ring_init(&z.ring, &z.v.mem, qs, RING_GPA);
		start();
		break;
	case 6: /* the image changes size under the device */
		if (n >= 4 && ftruncate(z.disk_fd, (off_t)((le32(p) % 8193) * 512)) < 0)
			abort();
		break;
	}
	serve();
	check_used();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct drive_config cfg = { .path = z.disk_path, .id = (char *)"fuzz" };
	struct virtio_dev_params params;
	size_t pos = 2;

	if (size < 2)
		return 0;
	log_threshold = LOG_ERROR;
	memset(&z, 0, sizeof(z));
	if (vh_vm_init(&z.v, RAM, TEE_NONE))
		abort();
	z.disk_fd = memfd_create("fuzz-blk", MFD_CLOEXEC);
	if (z.disk_fd < 0 || ftruncate(z.disk_fd, DISK) < 0)
		abort();
	snprintf(z.disk_path, sizeof(z.disk_path), "/proc/self/fd/%d", z.disk_fd);
	cfg.engine = data[0] & 1 ? BLK_ENGINE_URING : BLK_ENGINE_SYNC;
	cfg.read_only = data[0] & 2;
	if (blk_dev_open(&cfg, &z.v.loop, &z.v.clock.clock, &z.blk, NULL))
		abort();
	blk_dev_attach_env(z.blk, &z.v.dev_env);
	blk_dev_params(z.blk, &params);
	if (virtio_dev_create(&z.v.env, &params, LAYOUT_VIRTIO_MMIO_BASE, 16, &z.vdev))
		abort();
	z.features = vh_device_features(z.vdev) & ~(F(VIRTIO_RING_F_EVENT_IDX) |
						   F(VIRTIO_RING_F_INDIRECT_DESC));
	if (data[0] & 4)
		z.features |= F(VIRTIO_RING_F_EVENT_IDX);
	if (data[0] & 8)
		z.features |= F(VIRTIO_RING_F_INDIRECT_DESC);
	if (data[0] & 16)
		z.features &= ~F(VIRTIO_BLK_F_FLUSH);
	z.features &= vh_device_features(z.vdev);
	vh_ring_init(&z.ring, &z.v.mem, (uint16_t)(1u << (4 + data[1] % 5)), RING_GPA);
	start();
	while (pos + 3 <= size) {
		size_t n = le16(data + pos + 1);

		if (n > size - pos - 3)
			n = size - pos - 3;
		op(data[pos], data + pos + 3, n);
		pos += 3 + n;
	}
	blk_dev_stop(z.blk);
	blk_dev_destroy(z.blk);
	vh_vm_destroy(&z.v);
	close(z.disk_fd);
	return 0;
}
