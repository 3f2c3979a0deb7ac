/* SPDX-License-Identifier: MIT */
/*
 * The device manager owns what devices are made of: the port I/O and MMIO buses, the virtio-mmio
 * slots and interrupt lines (vmm/resources.h), the list of device instances, and the order in
 * which they are created, stopped and freed.  The same walk of the device table that creates the
 * devices also describes them beforehand (dm_virtio_layout), for the ACPI tables and the command
 * line, so the description and the devices cannot disagree.
 */
#ifndef CVMM_DEVICE_MANAGER_H
#define CVMM_DEVICE_MANAGER_H

#include "vmm/bus.h"
#include "vmm/device_env.h"
#include "vmm/resources.h"

struct error;
struct vm_config;

struct device_manager {
	struct bus pio;
	struct bus mmio;
	struct resources res;
	struct device_maps maps;
	struct device *devices;
	unsigned nr_devices;
	unsigned cap_devices;
};

/* The virtio-mmio slots a VM with this config will have, in creation order. */
struct virtio_layout {
	struct resource_slot slots[RESOURCES_MAX_VIRTIO];
	unsigned nr;
};

int dm_virtio_layout(const struct vm_config *cfg, struct virtio_layout *out, struct error *e);

void dm_init(struct device_manager *dm);
/*
 * Creates every device cfg asks for.  env is the environment devices get (its buses and maps are
 * the manager's own, set here).  On failure everything created so far is torn down again.
 */
int dm_create_devices(struct device_manager *dm, struct device_env *env,
		      const struct vm_config *cfg, struct error *e);
/* After the vCPUs stopped: each device flushes its backend, in creation order. */
void dm_stop_devices(struct device_manager *dm);
/* Frees the devices in reverse order (their bus ranges first), then the buses. */
void dm_destroy(struct device_manager *dm);

/* The model (opaque) of the nth device of kind k, or NULL. */
void *dm_find_model(struct device_manager *dm, const struct device_kind *k, unsigned nth);

/* Calls fn for each virtio device (counters while the VM runs). */
void dm_for_each_virtio(struct device_manager *dm,
			void (*fn)(void *ctx, const struct device *dev), void *ctx);

#endif
