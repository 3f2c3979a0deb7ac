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
		return error_set(e, ERROR_USAGE, ENOTSUP,
				 "--tee %s: launches are not available in this build yet "
				 "(`cvmm measure` predicts their measurement)",
				 config_tee_name(kind));
	}
	return error_set(e, ERROR_USAGE, EINVAL, "unknown TEE kind %d", kind);
}
