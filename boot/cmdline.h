/* SPDX-License-Identifier: MIT */
#ifndef CVMM_CMDLINE_H
#define CVMM_CMDLINE_H

#include <stddef.h>

struct resource_slot;

/*
 * The guest command line: the user's, followed by one `virtio_mmio.device=4K@0xADDR:IRQ` per
 * virtio-mmio device (for kernels that find devices that way, e.g. with acpi=off).
 * Returns 0, or -E2BIG when the result does not fit in out.
 */
int cmdline_build(const char *user, const struct resource_slot *slots, unsigned nr_slots,
		  char *out, size_t outlen);

#endif
