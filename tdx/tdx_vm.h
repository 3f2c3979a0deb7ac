/* SPDX-License-Identifier: MIT */
/*
 * A TD's own state (vm->tee for --tee tdx), shared by the launch (tdx/tdx_launch.c) and the exit
 * handlers (tdx/tdx_exits.c).
 */
#ifndef CVMM_TDX_TDX_VM_H
#define CVMM_TDX_TDX_VM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/convert.h"
#include "vmm/cvm_fw_memory.h"
#include "vmm/kvm_api.h"

struct kvm_run;
struct launch_region;
struct qgs_client;
struct vcpu;
struct vm;

/* A region of the launch plan copied to page-aligned memory, the source INIT_MEM_REGION takes. */
struct tdx_stage {
	const struct launch_region *region;
	uint8_t *buf; /* region->size bytes, mmap'd */
};

struct tdx_vm {
	struct converter conv;          /* MapGPA and memory-fault conversions of RAM */
	struct cvm_fw_memory fw;        /* private memory of the sections outside RAM */
	struct cvmm_kvm_tdx_capabilities *caps; /* with caps->cpuid.nent entries after it */
	uint64_t attributes, xfam;      /* what INIT_VM got */
	struct tdx_stage *stage;        /* until FINALIZE_VM */
	size_t nr_stage;
	struct qgs_client *qgs;         /* NULL without --quote-service */

	pthread_mutex_t lock;           /* the event notification, set by any vCPU */
	uint8_t notify_vector;          /* SetupEventNotifyInterrupt's vector; 0: none */
	uint32_t notify_apic_id;        /* the vCPU that asked for it */
};

/* tdx_exits.c: the tee_ops exit hooks of --tee tdx. */
int tdx_handle_hypercall(struct vm *vm, struct vcpu *vcpu, struct kvm_run *run);
int tdx_handle_memory_fault(struct vm *vm, struct vcpu *vcpu, struct kvm_run *run);
int tdx_handle_exit(struct vm *vm, struct vcpu *vcpu, struct kvm_run *run);

#endif
