// SPDX-License-Identifier: MIT
/* Glue between the virtio-mmio transport and a running VM (slot, bus, irqfd routing). */
#include <errno.h>
#include <string.h>

#include "devices/virtio/virtio.h"
#include "vmm/bus.h"
#include "vmm/irq.h"
#include "vmm/log.h"
#include "vmm/vm.h"

static int vm_attach_irqfd(void *opaque, uint32_t gsi, int efd)
{
	return irq_attach_irqfd(opaque, gsi, efd);
}

static int vm_detach_irqfd(void *opaque, uint32_t gsi, int efd)
{
	return irq_detach_irqfd(opaque, gsi, efd);
}

void virtio_env_from_vm(struct vm *vm, struct virtio_env *env)
{
	*env = (struct virtio_env){
		.mem = &vm->mem,
		.loop = &vm->loop,
		.vm_fd = vm->vm_fd,
		.confidential = vm->cfg->tee != TEE_NONE,
		.attach_irqfd = vm_attach_irqfd,
		.detach_irqfd = vm_detach_irqfd,
		.irq_opaque = &vm->irq,
	};
}

int virtio_mmio_create_on_vm(struct vm *vm, const struct virtio_dev_params *params,
			     struct virtio_dev **out)
{
	struct virtio_env env;
	struct virtio_dev *vdev;
	uint64_t base;
	uint32_t irq;
	int err;

	err = vm_alloc_virtio_mmio(vm, params->name, &base, &irq);
	if (err < 0) {
		log_error("%s: no free virtio-mmio slot: %s", params->name, strerror(-err));
		return err;
	}
	virtio_env_from_vm(vm, &env);
	err = virtio_dev_create(&env, params, base, irq, &vdev);
	if (err < 0) {
		log_error("%s: cannot create the virtio-mmio device: %s", params->name,
			  strerror(-err));
		return err;
	}
	err = bus_register(&vm->mmio_bus, base, VIRTIO_MMIO_WINDOW, virtio_mmio_access, vdev,
			   vdev->name);
	if (err < 0) {
		log_error("%s: cannot map it at %#llx: %s", params->name,
			  (unsigned long long)base, strerror(-err));
		virtio_dev_destroy(vdev);
		return err;
	}
	*out = vdev;
	return 0;
}
