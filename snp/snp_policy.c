// SPDX-License-Identifier: MIT
/* Validation of the SEV-SNP guest policy before LAUNCH_START. */
#include <errno.h>

#include "snp/snp_policy.h"
#include "vmm/error.h"

#define SNP_POLICY_KNOWN                                                                  \
	(SNP_POLICY_API_MINOR | SNP_POLICY_API_MAJOR | SNP_POLICY_SMT | SNP_POLICY_RSVD_MBO | \
	 SNP_POLICY_DEBUG | SNP_POLICY_SINGLE_SOCKET)

int snp_policy_check(uint64_t policy, struct error *e)
{
	unsigned long long p = policy;

	if (policy & ~SNP_POLICY_KNOWN)
		return error_set(e, ERROR_USAGE, EINVAL,
				 "--snp-policy 0x%llx: unknown bits 0x%llx (known: API version "
				 "15:0, SMT 16, reserved 17, debug 19, single socket 20)",
				 p, p & ~SNP_POLICY_KNOWN);
	if ((policy & (SNP_POLICY_SMT | SNP_POLICY_RSVD_MBO)) !=
	    (SNP_POLICY_SMT | SNP_POLICY_RSVD_MBO))
		return error_set(e, ERROR_USAGE, EINVAL,
				 "--snp-policy 0x%llx: bits 16 (SMT allowed) and 17 (reserved, "
				 "must be one) must be set, e.g. 0x%llx", p,
				 p | SNP_POLICY_SMT | SNP_POLICY_RSVD_MBO);
	if (policy & SNP_POLICY_SINGLE_SOCKET)
		return error_set(e, ERROR_USAGE, EINVAL,
				 "--snp-policy 0x%llx: bit 20 (single socket) is not supported: "
				 "cvmm does not keep vCPUs on one socket", p);
	return 0;
}
