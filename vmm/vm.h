/* SPDX-License-Identifier: MIT */
/* A VM: its KVM handles, memory, buses, event loop, interrupt routing, vCPUs and devices. */
#ifndef CVMM_VM_H
#define CVMM_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "vmm/bus.h"
#include "vmm/config.h"
#include "vmm/event_loop.h"
#include "vmm/irq.h"
#include "vmm/layout.h"
#include "vmm/memory.h"

struct vcpu;
struct kvm_cpuid2;
struct tee_ops;

/* A virtio-mmio window handed out to a device; ACPI and the command line describe each one. */
struct vm_mmio_slot {
	uint64_t base;
	uint32_t irq;
	const char *name;
};

/* Devices register these so the VM can flush and free them in order at shutdown. */
struct vm_device {
	const char *name;
	void *opaque;
	void (*stop)(void *opaque);    /* after the vCPUs stopped: flush backends */
	void (*destroy)(void *opaque); /* free everything */
};

#define VM_MAX_DEVICES 64

/* cvmm's exit statuses (also documented in README.md). */
enum vm_exit_status {
	VM_EXIT_OK = 0,          /* guest powered off or reset, or SIGTERM/SIGINT */
	VM_EXIT_GUEST_ERROR = 1, /* triple fault, emulation failure, guest-reported crash */
	VM_EXIT_USAGE = 2,       /* bad command line or configuration, unusable input file */
	VM_EXIT_HOST_ERROR = 3,  /* KVM or host resources failed */
};

struct vm {
	const struct vm_config *cfg;
	int kvm_fd;
	int vm_fd;
	int vcpu_mmap_size;
	struct guest_mem mem;
	struct bus pio_bus;
	struct bus mmio_bus;
	struct ev_loop loop;
	struct irq_router irq;
	struct kvm_cpuid2 *supported_cpuid;
	bool tsc_deadline; /* KVM emulates the TSC-deadline timer: advertise it */

	const struct tee_ops *tee_ops; /* NULL: plain VM */
	void *tee;                     /* the TEE kind's own state */

	struct vcpu *vcpus;
	unsigned nr_vcpus;

	struct vm_mmio_slot virtio_slots[LAYOUT_VIRTIO_MMIO_MAX];
	unsigned nr_virtio_slots;
	struct vm_device devices[VM_MAX_DEVICES];
	unsigned nr_devices;

	struct timespec start_time; /* CLOCK_MONOTONIC at exec, for the boot timer */
	pthread_mutex_t stop_lock;
	bool stopping;
	int exit_status;
};

/* Reserves the next virtio-mmio window and IOAPIC pin. */
int vm_alloc_virtio_mmio(struct vm *vm, const char *name, uint64_t *base, uint32_t *irq);
int vm_register_device(struct vm *vm, const struct vm_device *dev);
/* One KVM memslot per RAM region, backed by cvmm's mapping of the memfd (logs its failure). */
int vm_register_memslots(struct vm *vm);

/*
 * Asks the VM to stop with the given exit status; callable from any thread.  The first request
 * wins.  reason (may be NULL) is printed once on stderr: as an error for VM_EXIT_GUEST_ERROR and
 * VM_EXIT_HOST_ERROR, as information otherwise.
 */
void vm_request_stop(struct vm *vm, int exit_status, const char *reason);
bool vm_is_stopping(struct vm *vm);

/* The whole life of a VM: build it from cfg, run it until it stops, tear it down. */
int vm_run(const struct vm_config *cfg);

#endif
