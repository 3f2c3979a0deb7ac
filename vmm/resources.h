/* SPDX-License-Identifier: MIT */
/*
 * Where devices go: the one allocator of virtio-mmio windows and interrupt lines, derived from
 * the guest layout (vmm/layout.h).  The config's device limit, the device manager and the ACPI /
 * command-line description of the devices all come from here.
 *
 * Virtio-mmio device n gets window LAYOUT_VIRTIO_MMIO_BASE + n * 4 KiB and the n-th IOAPIC pin of
 * resources_virtio_gsis: first pins 16-23 (nothing else uses them), then the ISA pins no emulated
 * device or legacy PIC input uses (5, 6, 7, 9, 10, 11).  Edge-triggered, active high.
 */
#ifndef CVMM_RESOURCES_H
#define CVMM_RESOURCES_H

#include <stdint.h>

#include "vmm/layout.h"

#define RESOURCES_VIRTIO_GSIS 16, 17, 18, 19, 20, 21, 22, 23, 5, 6, 7, 9, 10, 11
#define RESOURCES_NR_VIRTIO_GSIS 14
#define RESOURCES_MAX_VIRTIO \
	(RESOURCES_NR_VIRTIO_GSIS < LAYOUT_VIRTIO_MMIO_MAX ? RESOURCES_NR_VIRTIO_GSIS \
							     : LAYOUT_VIRTIO_MMIO_MAX)

_Static_assert(LAYOUT_VIRTIO_MMIO_BASE + LAYOUT_VIRTIO_MMIO_MAX * LAYOUT_VIRTIO_MMIO_SIZE <=
		       LAYOUT_IOAPIC_ADDR, "virtio-mmio windows end below the IOAPIC");
_Static_assert(LAYOUT_VIRTIO_MMIO_BASE >= LAYOUT_MMIO_HOLE_START,
	       "virtio-mmio windows lie in the MMIO hole");
_Static_assert(LAYOUT_VIRTIO_MMIO_BASE + LAYOUT_VIRTIO_MMIO_MAX * LAYOUT_VIRTIO_MMIO_SIZE <=
		       0x100000000ULL, "virtio-mmio windows lie below 4 GiB (ACPI Memory32Fixed)");

extern const uint8_t resources_virtio_gsis[RESOURCES_NR_VIRTIO_GSIS];

/* One virtio-mmio slot. */
struct resource_slot {
	uint64_t base;
	uint32_t gsi;
};

struct resources {
	unsigned next_virtio;
};

static inline void resources_init(struct resources *r)
{
	r->next_virtio = 0;
}

/* The next virtio-mmio window and pin; -ENOSPC when all RESOURCES_MAX_VIRTIO are taken. */
int resources_alloc_virtio(struct resources *r, struct resource_slot *out);

#endif
