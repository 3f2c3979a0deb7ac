/* SPDX-License-Identifier: MIT */
/*
 * The TEE-kind interface: one instance per kind of VM (none, emulated, tdx, snp).  vm.c calls the
 * hooks at fixed points of vm_create(); a NULL hook means "what a plain VM does".
 *
 *   probe           right after opening /dev/kvm, before anything else asks KVM: can this host
 *                   run the kind at all? (TDX: VM type 5; SNP: VM type 4, /dev/sev, VMSA
 *                   features)  vm->kvm_fd is negative when the open failed: a kind with nothing
 *                   to add returns 0 and vm_create() prints its usual line (TDX does; SNP names
 *                   itself in that line too).
 *   KVM_CREATE_VM(vm_type), the irqchip
 *   init_vm         before memory and vCPUs (TDX: capabilities, INIT_VM; SNP: INIT2, START)
 *   setup_memory    instead of plain memslots (guest_memfd, attributes, conversion engine)
 *   devices
 *   place_payload   instead of direct boot's writes into RAM: add the launch plan's regions
 *                   (SNP: LAUNCH_UPDATE; TDX: stage them, INIT_MEM_REGION needs a vCPU)
 *   vCPUs: KVM_CREATE_VCPU, then init_vcpu instead of CPUID/MSR/FPU/LAPIC/register setup
 *   finish_launch   all vCPUs exist (TDX: INIT_MEM_REGION, FINALIZE_VM; SNP: LAUNCH_FINISH)
 *
 * handle_tee_exit gets KVM_EXIT_TDX and the system events of confidential guests (TDX:
 * TDX_FATAL; SNP: SEV_TERM).
 *
 * Exit handlers return 0 when the vCPU may go on; non-zero stops it.  Hooks return 0 or -errno
 * with the error recorded in e.
 */
#ifndef CVMM_TEE_H
#define CVMM_TEE_H

#include <stdbool.h>

#include "vmm/config.h"

struct error;
struct kvm_run;
struct vcpu;
struct vm;
struct vm_counters;

struct tee_ops {
	const char *name;
	unsigned long vm_type; /* KVM_CREATE_VM argument */
	int (*probe)(struct vm *vm, struct error *e); /* vm->kvm_fd < 0: the open failed */
	int (*init_vm)(struct vm *vm, struct error *e);
	int (*setup_memory)(struct vm *vm, struct error *e);
	int (*place_payload)(struct vm *vm, struct error *e);
	int (*init_vcpu)(struct vm *vm, struct vcpu *vcpu, struct error *e);
	int (*finish_launch)(struct vm *vm, struct error *e);
	void (*destroy)(struct vm *vm);
	int (*handle_hypercall)(struct vm *vm, struct vcpu *vcpu, struct kvm_run *run);
	int (*handle_memory_fault)(struct vm *vm, struct vcpu *vcpu, struct kvm_run *run);
	int (*handle_tee_exit)(struct vm *vm, struct vcpu *vcpu, struct kvm_run *run);
	/* Adds the kind's counters (conversions) to vm_get_counters(); any thread. */
	void (*counters)(struct vm *vm, struct vm_counters *out);
};

/* The ops of a TEE kind (NULL for none); a usage error for a kind this build does not know. */
int tee_select(enum tee_kind kind, const struct tee_ops **ops, struct error *e);

extern const struct tee_ops tee_emulated_ops;
extern const struct tee_ops tee_tdx_ops; /* tdx/tdx_launch.c */
extern const struct tee_ops tee_snp_ops; /* snp/snp_launch.c */

#endif
