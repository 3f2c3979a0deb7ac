// SPDX-License-Identifier: MIT
#include <errno.h>

#include "vmm/log.h"
#include "vmm/tee.h"
#include "vmm/vm.h"

int tee_select(struct vm *vm, enum tee_kind kind)
{
	switch (kind) {
	case TEE_NONE:
		vm->tee_ops = NULL;
		return 0;
	case TEE_EMULATED:
		vm->tee_ops = &tee_emulated_ops;
		return 0;
	case TEE_TDX:
	case TEE_SNP:
		log_error("--tee %s is not available in this build yet",
			  kind == TEE_TDX ? "tdx" : "snp");
		return -ENOTSUP;
	}
	return -EINVAL;
}

bool vm_is_confidential(const struct vm *vm)
{
	return vm->cfg && vm->cfg->tee != TEE_NONE;
}
