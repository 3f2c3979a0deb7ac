// SPDX-License-Identifier: MIT
/* Adding a virtio-blk drive to a VM. */
#include <string.h>

#include "devices/blk_priv.h"
#include "vmm/log.h"
#include "vmm/vm.h"

int virtio_blk_create(struct vm *vm, const struct drive_config *cfg)
{
	struct virtio_dev_params params;
	struct virtio_dev *vdev;
	struct blk_dev *blk;
	int err;

	err = blk_dev_open(cfg, &vm->loop, &blk);
	if (err < 0)
		return err;
	blk_dev_params(blk, &params);
	err = virtio_mmio_create_on_vm(vm, &params, &vdev);
	if (err < 0) {
		blk_dev_destroy(blk);
		return err;
	}
	blk_dev_attach(blk, vdev);
	err = vm_register_device(vm, &(struct vm_device){
		.name = blk->name,
		.opaque = blk,
		.stop = blk_dev_stop,
		.destroy = blk_dev_destroy,
	});
	if (err < 0) {
		log_error("%s: cannot register the device: %s", blk->name, strerror(-err));
		blk_dev_destroy(blk);
	}
	return err;
}
