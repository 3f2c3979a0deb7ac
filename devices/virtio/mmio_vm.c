// SPDX-License-Identifier: MIT
/* Puts a virtio-mmio device on a VM: slot (base + IRQ), transport, MMIO bus. */
#include <errno.h>
#include <string.h>

#include "devices/virtio/virtio.h"
#include "vmm/bus.h"
#include "vmm/log.h"
#include "vmm/vm.h"

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
