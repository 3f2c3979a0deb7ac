/* SPDX-License-Identifier: MIT */
/*
 * A VM and its life: create (everything up to the first guest instruction), start, pause,
 * resume, stop, wait, destroy.  A supervisor (main.c, later the API) configures a VM with a
 * struct vm_config, creates it, and acts on it while it runs; counters can be read at any time.
 *
 *   vm_create() ──> CREATED ──vm_start()──> RUNNING <──vm_pause()/vm_resume()──> PAUSED
 *                                              │ vm_stop(), or the guest / a failure ends it
 *                                              v
 *                              vm_wait() ──> STOPPED ──vm_destroy()
 */
#ifndef CVMM_VM_H
#define CVMM_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/config.h"
#include "vmm/device_env.h"
#include "vmm/device_manager.h"
#include "vmm/event_loop.h"
#include "vmm/exit_status.h"
#include "vmm/irq.h"
#include "vmm/launch.h"
#include "vmm/layout.h"
#include "vmm/memory.h"
#include "vmm/run_control.h"
#include "vmm/vcpu.h"

struct error;
struct kvm_cpuid2;
struct tee_ops;

enum vm_state {
	VM_CREATED,
	VM_RUNNING,
	VM_PAUSED,
	VM_STOPPED,
};

struct vm {
	const struct vm_config *cfg; /* the caller's; must outlive the VM */
	struct launch_inputs launch;
	int kvm_fd;
	int vm_fd;
	int vcpu_mmap_size;
	struct guest_mem mem;
	struct ev_loop loop;
	struct irq_router irq;
	struct device_manager dm;
	struct device_env env; /* what devices see */
	struct kvm_cpuid2 *supported_cpuid;
	bool tsc_deadline; /* KVM emulates the TSC-deadline timer: advertise it */
	struct boot_info boot;

	const struct tee_ops *tee_ops; /* NULL: plain VM */
	void *tee;                     /* the TEE kind's own state */

	struct vcpu_context vcpu_ctx; /* what the vCPUs see of this VM */
	struct vcpu *vcpus;
	unsigned nr_vcpus;

	uint64_t start_ns; /* CLOCK_MONOTONIC when the VM was created (boot timer's zero) */
	pthread_t loop_thread;
	bool loop_started;
	bool loop_ready;
	int stopping_fd; /* eventfd: readable once the VM is stopping */

	struct run_control run; /* stop and pause; its lock also guards state */
	enum vm_state state;
};

/* Exits of each kind, over all vCPUs, and what devices count (readable while running). */
struct vm_counters {
	uint64_t exits_io, exits_mmio, exits_hypercall, exits_memory_fault, exits_other;
	struct { /* confidential memory: the guest's conversion requests (tee kinds with memory) */
		uint64_t to_shared, to_private, pages_to_shared, pages_to_private, rejected;
	} conversions;
	unsigned nr_virtio;
	struct {
		char name[32];
		struct virtio_counters c;     /* the transport's */
		struct device_counters model; /* the device model's (virtio-net: rx/tx, drops) */
	} virtio[RESOURCES_MAX_VIRTIO];
};

/*
 * Builds the VM that cfg describes, up to the point where its vCPUs could run: validates the
 * config and the files it names, builds the launch inputs, then KVM, memory, devices, payload and
 * vCPUs.  Nothing runs yet.  On failure e says why and whose fault it is (error class).
 */
int vm_create(const struct vm_config *cfg, struct vm **out, struct error *e);
/* Starts the event loop and the vCPU threads (named vcpu0..N-1). */
int vm_start(struct vm *vm, struct error *e);
/* Parks every vCPU outside KVM_RUN (devices keep serving completions); and lets them go. */
int vm_pause(struct vm *vm, struct error *e);
int vm_resume(struct vm *vm, struct error *e);
/*
 * Asks the VM to stop with this exit status; any thread, any state.  The first request wins.
 * reason (may be NULL) is printed once: as an error for VM_EXIT_GUEST_ERROR and
 * VM_EXIT_HOST_ERROR, as information otherwise.
 */
void vm_stop(struct vm *vm, int exit_status, const char *reason);
/* Readable (POLLIN) once the VM is stopping: for a supervisor's poll loop. */
int vm_stopping_fd(const struct vm *vm);
/*
 * Waits until the VM stops, then ends its threads and flushes every device backend.  Returns the
 * exit status (VM_EXIT_*, or the byte the guest wrote to the debug-exit port).
 */
int vm_wait(struct vm *vm);
/* Frees everything; the VM must not be running (stopped, or never started). */
void vm_destroy(struct vm *vm);

enum vm_state vm_get_state(struct vm *vm);
const char *vm_state_name(enum vm_state state);
bool vm_is_stopping(struct vm *vm);
/*
 * True for every TEE kind but none: guest memory starts private and devices reach only what the
 * guest shared, so virtio devices must offer VIRTIO_F_ACCESS_PLATFORM (the guest then bounces DMA
 * through shared buffers).
 */
bool vm_is_confidential(const struct vm *vm);
void vm_get_counters(struct vm *vm, struct vm_counters *out);

/*
 * A running VM's drive `index` (in config order) gets the backing file at path: opened like the
 * original (read-only stays read-only), swapped in on the event loop thread once the requests in
 * flight on the old file completed, then the guest gets a configuration-change interrupt and the
 * new capacity.  The old file is flushed and closed.
 */
int vm_update_drive(struct vm *vm, unsigned index, const char *path, struct error *e);
/* Ctrl+Alt+Del on the i8042 keyboard (a guest with a keyboard driver reboots, usually). */
int vm_send_ctrl_alt_del(struct vm *vm, struct error *e);

/* For the TEE kinds (vmm/tee_*.c): one KVM memslot per RAM region, plain memory. */
int vm_register_memslots(struct vm *vm, struct error *e);

#endif
