/* SPDX-License-Identifier: MIT */
/* vCPU threads (named vcpu0..N-1) and the KVM exit dispatcher. */
#ifndef CVMM_VCPU_H
#define CVMM_VCPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;
struct kvm_run;
struct boot_info;

enum vcpu_exit_stat {
	VCPU_STAT_IO,
	VCPU_STAT_MMIO,
	VCPU_STAT_HYPERCALL,
	VCPU_STAT_MEMORY_FAULT,
	VCPU_STAT_EOI,
	VCPU_STAT_INTR,
	VCPU_STAT_OTHER,
	VCPU_STAT_MAX,
};

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	uint64_t stats[VCPU_STAT_MAX];
};

/* Creates the vCPU and programs CPUID, MSRs, FPU, LAPIC; the BSP also gets the boot registers. */
int vcpu_create(struct vm *vm, unsigned id, const struct boot_info *boot, struct vcpu *vcpu);
int vcpu_start(struct vcpu *vcpu);
/* Makes the vCPU leave KVM_RUN (it then sees the VM is stopping and ends). */
void vcpu_kick(struct vcpu *vcpu);
void vcpu_join(struct vcpu *vcpu);
void vcpu_destroy(struct vcpu *vcpu);
/* Installs the no-op signal handler used to kick vCPUs out of KVM_RUN (once per process). */
int vcpu_init_kick_signal(void);

/* Handles one exit already in vcpu->run; returns false when the vCPU must stop. Exposed for tests. */
bool vcpu_handle_exit(struct vcpu *vcpu);

#endif
