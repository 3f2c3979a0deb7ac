/* SPDX-License-Identifier: MIT */
/*
 * The TEE-kind interface: one instance per kind of VM (none, emulated, tdx, snp).  vm.c calls the
 * hooks at fixed points of a VM's life; a NULL hook means "nothing special for this kind".
 * Hooks return 0 or -errno; an exit handler returning non-zero stops the vCPU.
 */
#ifndef CVMM_TEE_H
#define CVMM_TEE_H

struct vm;
struct vcpu;
struct kvm_run;

struct tee_ops {
	const char *name;
	unsigned long vm_type;                 /* KVM_CREATE_VM argument */
	int (*init)(struct vm *vm);            /* after KVM_CREATE_VM, before memory and vCPUs */
	int (*setup_memory)(struct vm *vm);    /* replaces the plain memslot registration */
	int (*launch)(struct vm *vm);          /* vCPUs exist, payload loaded; before they run */
	void (*destroy)(struct vm *vm);
	int (*handle_hypercall)(struct vm *vm, struct vcpu *vcpu, struct kvm_run *run);
	int (*handle_memory_fault)(struct vm *vm, struct vcpu *vcpu, struct kvm_run *run);
	int (*handle_tdx_exit)(struct vm *vm, struct vcpu *vcpu, struct kvm_run *run);
};

#include <stdbool.h>

#include "vmm/config.h"

/* Sets vm->tee_ops for the requested kind; -ENOTSUP (with one line logged) if unavailable. */
int tee_select(struct vm *vm, enum tee_kind kind);

/*
 * True for every TEE kind but none: guest memory starts private and devices reach only what the
 * guest shared, so virtio devices must offer VIRTIO_F_ACCESS_PLATFORM (the guest then bounces DMA
 * through shared buffers).
 */
bool vm_is_confidential(const struct vm *vm);

extern const struct tee_ops tee_emulated_ops;

#endif
