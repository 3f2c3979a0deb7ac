// SPDX-License-Identifier: MIT
#include <errno.h>

#include "devices/blk.h"
#include "vmm/devices_setup.h"
#include "vmm/log.h"
#include "vmm/vm.h"
#include "vsock/vsock.h"

int devices_setup(struct vm *vm)
{
	int err;

	for (unsigned i = 0; i < vm->cfg->nr_drives; i++) {
		err = virtio_blk_create(vm, &vm->cfg->drives[i]);
		if (err < 0)
			return err;
	}
	if (vm->cfg->vsock.enabled)
		return virtio_vsock_create(vm, &vm->cfg->vsock);
	return 0;
}
