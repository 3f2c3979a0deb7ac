// SPDX-License-Identifier: MIT
/*
 * What the virtio transport needs from a VM.  Kept apart from mmio_vm.c so that code using only
 * the environment does not depend on the VM lifecycle (vm.c).
 */
#include "devices/virtio/virtio.h"
#include "vmm/irq.h"
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
