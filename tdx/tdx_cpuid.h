/* SPDX-License-Identifier: MIT */
/*
 * The CPUID a TD is given.  The TDX module virtualizes CPUID itself; the VMM may only choose the
 * bits KVM_TDX_CAPABILITIES lists as configurable, once, in KVM_TDX_INIT_VM.  KVM also wants each
 * vCPU's view through KVM_SET_CPUID2 (it emulates some leaves and MSRs from it), with x2APIC:
 * a TD's local APIC is x2APIC only.
 */
#ifndef CVMM_TDX_TDX_CPUID_H
#define CVMM_TDX_TDX_CPUID_H

#include <linux/kvm.h>

struct error;

#define TDX_GPAW_DEFAULT 48 /* 4-level EPT; the shared bit is GPA bit 47 */

/*
 * The CPUID list for KVM_TDX_INIT_VM: for every leaf the capabilities list (their values are
 * the configurable bits), KVM's supported value masked by those bits; leaf 0x80000008 also
 * carries the guest physical address width (48 or 52) in EAX[23:16].  Leaves KVM does not
 * support are left out (the TDX module then sets their configurable bits to 0).  A host error
 * when the capabilities or KVM lack leaf 0x80000008.  *out is malloc'd.
 */
int tdx_cpuid_init_vm(const struct kvm_cpuid2 *caps, const struct kvm_cpuid2 *supported,
		      unsigned gpaw, struct kvm_cpuid2 **out, struct error *e);

/* A vCPU's KVM_SET_CPUID2 table: the plain VM's (cpu_build_cpuid) with CPUID.1:ECX.x2APIC. */
int tdx_cpuid_vcpu(const struct kvm_cpuid2 *supported, unsigned vcpu_id, unsigned nr_vcpus,
		   struct kvm_cpuid2 **out, struct error *e);

#endif
