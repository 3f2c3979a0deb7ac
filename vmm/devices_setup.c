// SPDX-License-Identifier: MIT
#include <errno.h>

#include "vmm/devices_setup.h"
#include "vmm/log.h"
#include "vmm/vm.h"

int devices_setup(struct vm *vm)
{
	if (vm->cfg->nr_drives) {
		log_error("--drive: virtio-blk is not available in this build yet");
		return -ENOTSUP;
	}
	if (vm->cfg->vsock.enabled) {
		log_error("--vsock: virtio-vsock is not available in this build yet");
		return -ENOTSUP;
	}
	return 0;
}
