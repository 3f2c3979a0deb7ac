/* SPDX-License-Identifier: MIT */
/*
 * Confidential guest memory as the TEE kinds use it: memslot setup (guest_memfd for TDX/SNP, the
 * plain memfd with a guarded device mapping for --tee emulated), the MAP_GPA_RANGE exit, and the
 * conversion exit handlers wired to a VM.  The conversion engine itself is vmm/convert.h.
 */
#ifndef CVMM_CVM_MEMORY_H
#define CVMM_CVM_MEMORY_H

struct error;
struct vm;
struct vcpu;
struct kvm_run;
struct converter;

/* KVM_ENABLE_CAP(KVM_CAP_EXIT_HYPERCALL, 1 << KVM_HC_MAP_GPA_RANGE); -ENOTSUP if KVM lacks it. */
int cvm_enable_map_gpa_exit(struct vm *vm, struct error *e);

/*
 * TDX/SNP memory: one guest_memfd as large as RAM (same offsets as the memfd), every RAM region
 * bound with KVM_SET_USER_MEMORY_REGION2 + KVM_MEM_GUEST_MEMFD, all of RAM set PRIVATE with
 * KVM_SET_MEMORY_ATTRIBUTES, the attribute map all private, and @c ready to convert.
 */
int cvm_setup_guest_memfd(struct vm *vm, struct converter *c, struct error *e);

/*
 * Emulated memory: plain memslots on the memfd, the attribute map all private, a device-side
 * mapping with every page PROT_NONE, and @c ready to convert.
 */
int cvm_setup_emulated(struct vm *vm, struct converter *c, struct error *e);

/* tee_ops hooks around the converter; a failure stops the VM with one line. */
int cvm_handle_hypercall(struct vm *vm, struct converter *c, struct vcpu *vcpu,
			 struct kvm_run *run);
int cvm_handle_memory_fault(struct vm *vm, struct converter *c, struct vcpu *vcpu,
			    struct kvm_run *run);

/* Flushes pending discards, logs the conversion counters (info level: --verbose), frees @c. */
void cvm_teardown(struct vm *vm, struct converter *c);

#endif
