/* SPDX-License-Identifier: MIT */
/* vCPU threads (named vcpu0..N-1) and the KVM exit dispatcher. */
#ifndef CVMM_VCPU_H
#define CVMM_VCPU_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct boot_info;
struct bus;
struct error;
struct irq_router;
struct kvm_cpuid2;
struct kvm_run;
struct run_control;
struct tee_ops;
struct vm;

/* What vCPUs need from the VM that owns them (vm.c fills it in). */
struct vcpu_context {
	struct vm *vm;                  /* for the TEE hooks only: opaque here */
	const struct tee_ops *tee_ops;  /* NULL: plain VM */
	int vm_fd;
	int mmap_size;                  /* KVM_GET_VCPU_MMAP_SIZE */
	const struct kvm_cpuid2 *supported_cpuid;
	bool tsc_deadline;
	unsigned nr_vcpus;
	struct bus *pio;
	struct bus *mmio;
	struct irq_router *irq;
	struct run_control *run;        /* stop and pause */
	/* Stops the VM with this exit status; reason (may be NULL) is logged once. */
	void (*request_stop)(struct vm *vm, int exit_status, const char *reason);
	/*
	 * Called on each vCPU thread (named name) before anything else it does for the guest: the
	 * VM confines the thread there.  false: the thread ends without running the guest.  May be
	 * NULL.
	 */
	bool (*thread_init)(struct vm *vm, const char *name);
};

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
	const struct vcpu_context *ctx;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	uint64_t stats[VCPU_STAT_MAX];
};

/*
 * Creates the vCPU and programs CPUID, MSRs, FPU, LAPIC (the BSP also gets the boot registers), or
 * leaves that to the TEE kind's init_vcpu hook.
 */
int vcpu_create(const struct vcpu_context *ctx, unsigned id, const struct boot_info *boot,
		struct vcpu *vcpu, struct error *e);
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
