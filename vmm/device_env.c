// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>

#include "vmm/device_env.h"
#include "vmm/irq.h"

int device_map(const struct device_env *env, struct bus *bus, uint64_t base, uint64_t len,
	       bus_access_fn fn, void *opaque, const char *name)
{
	struct device_maps *m = env->maps;
	int ret;

	if (m && m->nr == m->cap) {
		unsigned cap = m->cap ? m->cap * 2 : 16;
		struct device_map_entry *v = realloc(m->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = cap;
	}
	ret = bus_register(bus, base, len, fn, opaque, name);
	if (ret)
		return ret;
	if (m)
		m->v[m->nr++] = (struct device_map_entry){ .bus = bus, .base = base };
	return 0;
}

void device_maps_unmap_from(struct device_maps *maps, unsigned from)
{
	while (maps->nr > from) {
		maps->nr--;
		bus_unregister(maps->v[maps->nr].bus, maps->v[maps->nr].base);
	}
}

void device_maps_free(struct device_maps *maps)
{
	free(maps->v);
	maps->v = NULL;
	maps->nr = maps->cap = 0;
}

static int env_attach_irqfd(void *opaque, uint32_t gsi, int efd)
{
	return irq_attach_irqfd(opaque, gsi, efd);
}

static int env_detach_irqfd(void *opaque, uint32_t gsi, int efd)
{
	return irq_detach_irqfd(opaque, gsi, efd);
}

void device_env_set_virtio(struct device_env *env, int vm_fd, bool confidential,
			   bool access_platform)
{
	env->virtio = (struct virtio_env){
		.mem = env->mem,
		.loop = env->loop,
		.vm_fd = vm_fd,
		.confidential = confidential,
		.access_platform = access_platform,
		.attach_irqfd = env_attach_irqfd,
		.detach_irqfd = env_detach_irqfd,
		.irq_opaque = env->irq,
	};
}
