/* SPDX-License-Identifier: MIT */
/*
 * The SEV-SNP guest policy given to SNP_LAUNCH_START (SEV-SNP firmware ABI, "Guest Policy"), as
 * KVM accepts it: bits 7:0 and 15:8 the minimum firmware API version, 16 SMT allowed, 17 reserved
 * (must be one), 19 debugging allowed, 20 single socket.  cvmm checks it before KVM is opened.
 */
#ifndef CVMM_SNP_SNP_POLICY_H
#define CVMM_SNP_SNP_POLICY_H

#include <stdint.h>

struct error;

#define SNP_POLICY_API_MINOR     0xffULL
#define SNP_POLICY_API_MAJOR     0xff00ULL
#define SNP_POLICY_SMT           (1ULL << 16)
#define SNP_POLICY_RSVD_MBO      (1ULL << 17)
#define SNP_POLICY_DEBUG         (1ULL << 19)
#define SNP_POLICY_SINGLE_SOCKET (1ULL << 20)
/* QEMU's default: SMT allowed, the reserved bit, no minimum API version, no debugging. */
#define SNP_POLICY_DEFAULT       (SNP_POLICY_SMT | SNP_POLICY_RSVD_MBO)

/* VMSA sev_features bit 0: SNP active (KVM sets it for every SNP VM). */
#define SNP_GUEST_FEATURE_SNP_ACTIVE 1ULL

/*
 * 0 when cvmm launches guests with this policy: bits 16 and 17 set, SINGLE_SOCKET clear (cvmm
 * does not pin vCPUs to one socket), nothing outside the bits above.  Else a usage error naming
 * the offending bits.
 */
int snp_policy_check(uint64_t policy, struct error *e);

#endif
