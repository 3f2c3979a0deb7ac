/* SPDX-License-Identifier: MIT */
/*
 * The confidential-guest side of the test guest: KVM_HC_MAP_GPA_RANGE from ring 0 (the SYS_MAP_GPA
 * system call) and the `cvm` check (cvm.c).
 */
#ifndef GUEST_CVM_H
#define GUEST_CVM_H

#include <stdint.h>

#define KVM_HC_MAP_GPA_RANGE   12
#define MAP_GPA_PAGE_2M        (1ULL << 0) /* page-size hint */
#define MAP_GPA_TO_PRIVATE     (1ULL << 4) /* ENCRYPTED; 0 = to shared */

/* What the guest sees in RAX (KVM's own codes, negated, and cvmm's answer for a bad range). */
#define HC_OK       0ULL
#define HC_EPERM    ((uint64_t)-1)    /* -KVM_EPERM: issued at CPL > 0 */
#define HC_EINVAL   ((uint64_t)-22)   /* -KVM_EINVAL: malformed (KVM); not RAM, bad attrs (cvmm) */
#define HC_ENOSYS   ((uint64_t)-1000) /* -KVM_ENOSYS: the VMM did not enable the exit */

/*
 * Ring 0 (through SYS_MAP_GPA): VMMCALL on AMD/Hygon, VMCALL elsewhere, chosen by the CPUID
 * vendor the check read.  The TSC cycles the instruction took go to cvm_hc_cycles.
 */
uint64_t cvm_hypercall_ring0(uint64_t gpa, uint64_t npages, uint64_t attrs);
extern volatile uint64_t cvm_hc_cycles;

#endif
