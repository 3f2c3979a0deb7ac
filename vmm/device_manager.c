// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/config.h"
#include "vmm/device_manager.h"
#include "vmm/device_table.h"
#include "vmm/error.h"

static void destroy_devices(struct device_manager *dm);

static unsigned kind_count(const struct device_kind *k, const struct vm_config *cfg)
{
	return k->count ? k->count(cfg) : 1;
}

int dm_virtio_layout(const struct vm_config *cfg, struct virtio_layout *out, struct error *e)
{
	struct resources res;

	resources_init(&res);
	out->nr = 0;
	for (size_t t = 0; t < device_table_len; t++) {
		const struct device_kind *k = device_table[t];

		if (!k->open_virtio)
			continue;
		for (unsigned i = 0; i < kind_count(k, cfg); i++) {
			if (resources_alloc_virtio(&res, &out->slots[out->nr]))
				return error_set(e, ERROR_USAGE, ENOSPC,
						 "more virtio devices than the %d a VM has room for",
						 RESOURCES_MAX_VIRTIO);
			out->nr++;
		}
	}
	return 0;
}

void dm_init(struct device_manager *dm)
{
	memset(dm, 0, sizeof(*dm));
	bus_init(&dm->pio);
	bus_init(&dm->mmio);
	resources_init(&dm->res);
}

static struct device *new_device(struct device_manager *dm, struct error *e)
{
	if (dm->nr_devices == dm->cap_devices) {
		unsigned cap = dm->cap_devices ? dm->cap_devices * 2 : 8;
		struct device *d = realloc(dm->devices, cap * sizeof(*d));

		if (!d) {
			error_set(e, ERROR_HOST, ENOMEM, "out of memory");
			return NULL;
		}
		dm->devices = d;
		dm->cap_devices = cap;
	}
	memset(&dm->devices[dm->nr_devices], 0, sizeof(struct device));
	dm->devices[dm->nr_devices].first_map = dm->maps.nr;
	return &dm->devices[dm->nr_devices];
}

static int create_virtio(struct device_manager *dm, const struct device_env *env,
			 const struct device_kind *k, const struct vm_config *cfg, unsigned i,
			 struct device *dev, struct error *e)
{
	struct virtio_dev_params params;
	struct resource_slot slot;
	struct virtio_dev *vdev;
	void *model = NULL;
	int ret;

	ret = resources_alloc_virtio(&dm->res, &slot);
	if (ret)
		return error_set(e, ERROR_USAGE, ENOSPC, "%s: no free virtio-mmio slot (a VM has %d)",
				 k->name, RESOURCES_MAX_VIRTIO);
	memset(&params, 0, sizeof(params));
	ret = k->open_virtio(env, cfg, i, &model, &params, e);
	if (ret)
		return ret;
	/* The message first: params.name belongs to the model. */
	ret = virtio_dev_create(&env->virtio, &params, slot.base, slot.gsi, &vdev);
	if (ret) {
		error_set(e, ERROR_HOST, ret, "%s: cannot create the virtio-mmio device: %s",
			  params.name, strerror(-ret));
		k->destroy(model);
		return ret;
	}
	ret = device_map(env, env->mmio, slot.base, VIRTIO_MMIO_WINDOW, virtio_mmio_access, vdev,
			 vdev->name);
	if (ret) {
		error_set(e, ERROR_HOST, ret, "%s: cannot map it at %#llx: %s", params.name,
			  (unsigned long long)slot.base, strerror(-ret));
		virtio_dev_destroy(vdev);
		k->destroy(model);
		return ret;
	}
	snprintf(dev->name, sizeof(dev->name), "%s", params.name);
	dev->opaque = model;
	dev->stop = k->stop;
	dev->destroy = k->destroy;
	dev->counters = k->counters;
	dev->vdev = vdev;
	return 0;
}

int dm_create_devices(struct device_manager *dm, struct device_env *env,
		      const struct vm_config *cfg, struct error *e)
{
	int ret = 0;

	env->pio = &dm->pio;
	env->mmio = &dm->mmio;
	env->maps = &dm->maps;
	for (size_t t = 0; t < device_table_len && !ret; t++) {
		const struct device_kind *k = device_table[t];
		unsigned n = kind_count(k, cfg);

		for (unsigned i = 0; i < n && !ret; i++) {
			struct device *dev = new_device(dm, e);

			if (!dev) {
				ret = -ENOMEM;
				break;
			}
			if (k->open_virtio)
				ret = create_virtio(dm, env, k, cfg, i, dev, e);
			else
				ret = k->create(env, cfg, i, dev, e);
			if (ret) {
				/* Whatever the half-made device mapped goes with it. */
				device_maps_unmap_from(&dm->maps, dev->first_map);
				break;
			}
			if (!dev->name[0])
				snprintf(dev->name, sizeof(dev->name), "%s", k->name);
			dev->kind = k;
			dm->nr_devices++;
		}
	}
	if (ret)
		destroy_devices(dm);
	return ret;
}

void dm_stop_devices(struct device_manager *dm)
{
	for (unsigned i = 0; i < dm->nr_devices; i++)
		if (dm->devices[i].stop)
			dm->devices[i].stop(dm->devices[i].opaque);
}

void dm_destroy(struct device_manager *dm)
{
	destroy_devices(dm);
	bus_destroy(&dm->pio);
	bus_destroy(&dm->mmio);
	resources_init(&dm->res);
}

static void destroy_devices(struct device_manager *dm)
{
	for (unsigned i = dm->nr_devices; i-- > 0;) {
		struct device *d = &dm->devices[i];

		device_maps_unmap_from(&dm->maps, d->first_map);
		if (d->destroy)
			d->destroy(d->opaque);
	}
	device_maps_unmap_from(&dm->maps, 0);
	device_maps_free(&dm->maps);
	free(dm->devices);
	dm->devices = NULL;
	dm->nr_devices = dm->cap_devices = 0;
}

void *dm_find_model(struct device_manager *dm, const struct device_kind *k, unsigned nth)
{
	for (unsigned i = 0; i < dm->nr_devices; i++)
		if (dm->devices[i].kind == k && nth-- == 0)
			return dm->devices[i].opaque;
	return NULL;
}

void dm_for_each_virtio(struct device_manager *dm,
			void (*fn)(void *ctx, const struct device *dev), void *ctx)
{
	for (unsigned i = 0; i < dm->nr_devices; i++)
		if (dm->devices[i].vdev)
			fn(ctx, &dm->devices[i]);
}
