// SPDX-License-Identifier: MIT
#include <errno.h>

#include "vmm/error.h"
#include "vmm/tee.h"

int tee_select(enum tee_kind kind, const struct tee_ops **ops, struct error *e)
{
	switch (kind) {
	case TEE_NONE:
		*ops = NULL;
		return 0;
	case TEE_EMULATED:
		*ops = &tee_emulated_ops;
		return 0;
	case TEE_TDX:
		*ops = &tee_tdx_ops;
		return 0;
	case TEE_SNP:
		*ops = &tee_snp_ops;
		return 0;
	}
	return error_set(e, ERROR_USAGE, EINVAL, "unknown TEE kind %d", kind);
}
