/* SPDX-License-Identifier: MIT */
/*
 * The SEV-SNP launch (--tee snp) as a TEE kind: tee_snp_ops (vmm/tee.h), coded to the KVM uAPI of
 * Linux 6.11 (Documentation/virt/kvm/x86/amd-memory-encryption.rst) and QEMU's order:
 *
 *   probe          KVM offers VM type 4 (KVM_CAP_VM_TYPES), /dev/sev opens read-write, the
 *                  VMSA features asked for are a subset of KVM_X86_SEV_VMSA_FEATURES
 *   KVM_CREATE_VM(KVM_X86_SNP_VM)
 *   init_vm        KVM_SEV_INIT2 (vmsa_features, GHCB v2), KVM_CAP_EXIT_HYPERCALL for
 *                  MAP_GPA_RANGE, KVM_SEV_SNP_LAUNCH_START (the policy, checked before KVM)
 *   setup_memory   guest_memfd memslots for RAM and for the firmware at 4 GiB - size, all PRIVATE
 *   place_payload  KVM_SEV_SNP_LAUNCH_UPDATE for each region of the launch plan but the VMSAs
 *   init_vcpu      CPUID, FPU, LAPIC and the registers from which KVM builds the plan's VMSA
 *   finish_launch  KVM_SEV_SNP_LAUNCH_FINISH (KVM measures the VMSAs), ID block, host_data
 *
 * Page-state changes arrive as MAP_GPA_RANGE hypercall exits and memory faults and go to the
 * conversion engine (vmm/convert.h); a termination request stops the VM with one line.
 */
#ifndef CVMM_SNP_SNP_LAUNCH_H
#define CVMM_SNP_SNP_LAUNCH_H

#include <stddef.h>

struct kvm_run;

/*
 * Consecutive LAUNCH_UPDATE calls that may return -EAGAIN or make no progress before the launch
 * gives up (the kernel asks to be called again; it must not be able to keep cvmm there forever).
 */
#define SNP_LAUNCH_UPDATE_MAX_STALLS 1000

/* What a KVM_SYSTEM_EVENT_SEV_TERM exit says, e.g. "requested termination: reason set 1, ...". */
void snp_term_describe(const struct kvm_run *run, char *buf, size_t len);

/* The SEV firmware's name for an error code (<linux/psp-sev.h>), or "unknown". */
const char *snp_fw_error_name(unsigned code);

#endif
