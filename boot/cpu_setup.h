/* SPDX-License-Identifier: MIT */
#ifndef CVMM_CPU_SETUP_H
#define CVMM_CPU_SETUP_H

#include <stdbool.h>
#include <linux/kvm.h>

struct boot_info;

struct kvm_cpuid2 *cpu_cpuid_alloc(unsigned nent);
/* KVM_GET_SUPPORTED_CPUID, growing the buffer until it fits; *out is malloc'd. */
int cpu_get_supported_cpuid(int kvm_fd, struct kvm_cpuid2 **out);
/* The CPUID table of one vCPU (APIC ID = vcpu_id); *out is malloc'd. */
int cpu_build_cpuid(const struct kvm_cpuid2 *supported, unsigned vcpu_id, unsigned nr_vcpus,
		    bool tsc_deadline, struct kvm_cpuid2 **out);
int cpu_setup_msrs(int vcpu_fd);
int cpu_setup_fpu(int vcpu_fd);
int cpu_setup_lapic(int vcpu_fd);
/* Registers of the boot vCPU for the entry mode in info (APs wait for INIT/SIPI instead). */
int cpu_setup_boot_regs(int vcpu_fd, const struct boot_info *info);

#endif
