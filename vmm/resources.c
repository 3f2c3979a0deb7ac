// SPDX-License-Identifier: MIT
#include <errno.h>

#include "vmm/resources.h"

const uint8_t resources_virtio_gsis[RESOURCES_NR_VIRTIO_GSIS] = { RESOURCES_VIRTIO_GSIS };

/* tests/unit/test_resources.c checks the pins: distinct, below 24, none of COM1, PIT, cascade. */
_Static_assert(sizeof((uint8_t[]){ RESOURCES_VIRTIO_GSIS }) == RESOURCES_NR_VIRTIO_GSIS,
	       "RESOURCES_NR_VIRTIO_GSIS counts RESOURCES_VIRTIO_GSIS");

int resources_alloc_virtio(struct resources *r, struct resource_slot *out)
{
	unsigned n = r->next_virtio;

	if (n >= RESOURCES_MAX_VIRTIO)
		return -ENOSPC;
	out->base = LAYOUT_VIRTIO_MMIO_BASE + n * LAYOUT_VIRTIO_MMIO_SIZE;
	out->gsi = resources_virtio_gsis[n];
	r->next_virtio = n + 1;
	return 0;
}
