// SPDX-License-Identifier: MIT
#include <errno.h>

#include "devices/blk.h"
#include "vmm/devices_setup.h"
#include "vmm/log.h"
#include "vmm/vm.h"

int devices_setup(struct vm *vm)
{
	int err;

	for (unsigned i = 0; i < vm->cfg->nr_drives; i++) {
		err = virtio_blk_create(vm, &vm->cfg->drives[i]);
		if (err < 0)
			return err;
	}
	if (vm->cfg->vsock.enabled) {
		log_error("--vsock: virtio-vsock is not available in this build yet");
		return -ENOTSUP;
	}
	return 0;
}
