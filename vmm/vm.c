// SPDX-License-Identifier: MIT
#include "vmm/log.h"
#include "vmm/vm.h"

int vm_run(const struct vm_config *cfg)
{
	log_error("running a VM is not implemented yet");
	return VM_EXIT_HOST_ERROR;
}
