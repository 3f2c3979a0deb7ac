// SPDX-License-Identifier: MIT
/*
 * A VM's life: create it on KVM for its TEE kind, lay out memory, add devices, load the payload,
 * create vCPUs, run the event loop until something stops the VM, then tear everything down.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "boot/acpi_setup.h"
#include "boot/boot.h"
#include "boot/cmdline.h"
#include "boot/cpu_setup.h"
#include "devices/acpi_pm.h"
#include "devices/debug_ports.h"
#include "devices/i8042.h"
#include "devices/serial.h"
#include "vmm/devices_setup.h"
#include "vmm/kvm_api.h"
#include "vmm/log.h"
#include "vmm/tee.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define KVM_API_VERSION_EXPECTED 12

/* Distinguishes "the user gave us something unusable" from "the host failed us". */
struct setup_error {
	int status;
};

static int fail(struct setup_error *e, int status, int err)
{
	e->status = status;
	return err ? err : -EINVAL;
}

int vm_alloc_virtio_mmio(struct vm *vm, const char *name, uint64_t *base, uint32_t *irq)
{
	/* IOAPIC pins 16-23 first (no legacy ISA device uses them), then free ISA pins. */
	static const uint8_t pins[] = { 16, 17, 18, 19, 20, 21, 22, 23, 5, 6, 7, 9, 10, 11 };
	unsigned n = vm->nr_virtio_slots;

	if (n >= LAYOUT_VIRTIO_MMIO_MAX || n >= sizeof(pins))
		return -ENOSPC;
	vm->virtio_slots[n] = (struct vm_mmio_slot){
		.base = LAYOUT_VIRTIO_MMIO_BASE + n * LAYOUT_VIRTIO_MMIO_SIZE,
		.irq = pins[n],
		.name = name,
	};
	vm->nr_virtio_slots++;
	*base = vm->virtio_slots[n].base;
	*irq = vm->virtio_slots[n].irq;
	return 0;
}

int vm_register_device(struct vm *vm, const struct vm_device *dev)
{
	if (vm->nr_devices == VM_MAX_DEVICES)
		return -ENOSPC;
	vm->devices[vm->nr_devices++] = *dev;
	return 0;
}

void vm_request_stop(struct vm *vm, int exit_status, const char *reason)
{
	bool first;

	pthread_mutex_lock(&vm->stop_lock);
	first = !vm->stopping;
	if (first) {
		vm->stopping = true;
		vm->exit_status = exit_status;
	}
	pthread_mutex_unlock(&vm->stop_lock);
	if (first && reason) {
		if (exit_status == VM_EXIT_GUEST_ERROR || exit_status == VM_EXIT_HOST_ERROR)
			log_error("%s", reason);
		else
			log_info("%s", reason);
	}
	ev_loop_stop(&vm->loop);
}

bool vm_is_stopping(struct vm *vm)
{
	bool s;

	pthread_mutex_lock(&vm->stop_lock);
	s = vm->stopping;
	pthread_mutex_unlock(&vm->stop_lock);
	return s;
}

static int setup_kvm(struct vm *vm, struct setup_error *e)
{
	static const struct {
		long cap;
		const char *name;
	} required[] = {
		{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
		{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
		{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
		{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
		{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
		{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
		{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	};
	unsigned long type = vm->tee_ops ? vm->tee_ops->vm_type : 0;
	int ret;

	vm->kvm_fd = kvm_open();
	if (vm->kvm_fd < 0) {
		log_error("cannot open /dev/kvm: %s", strerror(-vm->kvm_fd));
		return fail(e, VM_EXIT_HOST_ERROR, vm->kvm_fd);
	}
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (kvm_check_extension(vm->kvm_fd, required[i].cap) <= 0) {
			log_error("KVM lacks %s, which cvmm needs", required[i].name);
			return fail(e, VM_EXIT_HOST_ERROR, -ENOTSUP);
		}
	}
	if (vm->cfg->irqchip == IRQCHIP_SPLIT &&
	    kvm_check_extension(vm->kvm_fd, KVM_CAP_SPLIT_IRQCHIP) <= 0) {
		log_error("--irqchip split: KVM lacks KVM_CAP_SPLIT_IRQCHIP");
		return fail(e, VM_EXIT_HOST_ERROR, -ENOTSUP);
	}
	vm->vm_fd = kvm_create_vm(vm->kvm_fd, type);
	if (vm->vm_fd < 0) {
		log_error("KVM_CREATE_VM (type %lu) failed: %s", type, strerror(-vm->vm_fd));
		return fail(e, VM_EXIT_HOST_ERROR, vm->vm_fd);
	}
	vm->vcpu_mmap_size = kvm_get_vcpu_mmap_size(vm->kvm_fd);
	if (vm->vcpu_mmap_size <= 0) {
		log_error("KVM_GET_VCPU_MMAP_SIZE failed");
		return fail(e, VM_EXIT_HOST_ERROR, -EINVAL);
	}
	ret = cpu_get_supported_cpuid(vm->kvm_fd, &vm->supported_cpuid);
	if (ret) {
		log_error("KVM_GET_SUPPORTED_CPUID failed: %s", strerror(-ret));
		return fail(e, VM_EXIT_HOST_ERROR, ret);
	}
	vm->tsc_deadline = kvm_check_extension(vm->kvm_fd, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	/* Needed on Intel hosts without unrestricted guest; harmless elsewhere. */
	ret = kvm_set_tss_addr(vm->vm_fd, LAYOUT_KVM_TSS);
	if (ret)
		log_warn("KVM_SET_TSS_ADDR failed: %s", strerror(-ret));
	if (vm->tee_ops && vm->tee_ops->init) {
		ret = vm->tee_ops->init(vm);
		if (ret)
			return fail(e, VM_EXIT_HOST_ERROR, ret);
	}
	return 0;
}

static int setup_memory(struct vm *vm, struct setup_error *e)
{
	uint64_t bytes = vm->cfg->mem_mib << 20;
	int ret;

	ret = guest_mem_create(&vm->mem, bytes);
	if (ret) {
		log_error("cannot allocate %llu MiB of guest memory: %s",
			  (unsigned long long)vm->cfg->mem_mib, strerror(-ret));
		return fail(e, VM_EXIT_HOST_ERROR, ret);
	}
	if (vm->tee_ops && vm->tee_ops->setup_memory) {
		ret = vm->tee_ops->setup_memory(vm);
		return ret ? fail(e, VM_EXIT_HOST_ERROR, ret) : 0;
	}
	ret = vm_register_memslots(vm);
	return ret ? fail(e, VM_EXIT_HOST_ERROR, ret) : 0;
}

int vm_register_memslots(struct vm *vm)
{
	for (unsigned i = 0; i < vm->mem.nr_regions; i++) {
		const struct guest_mem_region *r = &vm->mem.regions[i];
		struct kvm_userspace_memory_region slot = {
			.slot = i,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uintptr_t)r->hva,
		};
		int ret = kvm_set_user_memory_region(vm->vm_fd, &slot);

		if (ret) {
			log_error("KVM_SET_USER_MEMORY_REGION for [0x%llx, +0x%llx) failed: %s",
				  (unsigned long long)r->gpa, (unsigned long long)r->size,
				  strerror(-ret));
			return ret;
		}
	}
	return 0;
}

static int setup_devices(struct vm *vm, struct setup_error *e)
{
	int ret;

	ret = irq_router_init(&vm->irq, vm->vm_fd, vm->cfg->irqchip, &vm->mmio_bus);
	if (ret) {
		log_error("cannot create the %s irqchip: %s",
			  vm->cfg->irqchip == IRQCHIP_SPLIT ? "split" : "in-kernel", strerror(-ret));
		return fail(e, VM_EXIT_HOST_ERROR, ret);
	}
	/* serial_create() names the file it could not open itself. */
	ret = serial_create(vm, vm->cfg->serial, vm->cfg->serial_path);
	if (ret)
		return fail(e, ret == -ENOMEM ? VM_EXIT_HOST_ERROR : VM_EXIT_USAGE, ret);
	ret = i8042_create(vm);
	if (!ret)
		ret = debug_ports_create(vm, vm->cfg->boot_timer);
	if (!ret)
		ret = acpi_pm_init(vm);
	if (ret) {
		log_error("cannot create legacy devices: %s", strerror(-ret));
		return fail(e, VM_EXIT_HOST_ERROR, ret);
	}
	/* Devices whose inputs come from the user (drives, sockets): errors are usage errors. */
	ret = devices_setup(vm);
	if (ret)
		return fail(e, ret == -ENOMEM ? VM_EXIT_HOST_ERROR : VM_EXIT_USAGE, ret);
	return 0;
}

static int setup_payload(struct vm *vm, struct boot_info *boot, struct setup_error *e)
{
	static char cmdline[LAYOUT_CMDLINE_MAX];
	struct boot_request req = { 0 };
	char err[512];
	uint64_t rsdp = 0;
	int ret;

	ret = cmdline_build(vm->cfg->cmdline, vm->virtio_slots, vm->nr_virtio_slots, cmdline,
			    sizeof(cmdline));
	if (ret) {
		log_error("--cmdline: too long with the device entries cvmm appends (max %llu bytes)",
			  (unsigned long long)LAYOUT_CMDLINE_MAX - 1);
		return fail(e, VM_EXIT_USAGE, ret);
	}
	ret = acpi_setup(vm, &rsdp);
	if (ret) {
		log_error("cannot build ACPI tables: %s", strerror(-ret));
		return fail(e, VM_EXIT_HOST_ERROR, ret);
	}
	req.kernel_path = vm->cfg->kernel;
	req.initrd_path = vm->cfg->initrd;
	req.cmdline = cmdline;
	req.rsdp_gpa = rsdp;
	err[0] = 0;
	ret = boot_load(&vm->mem, &req, boot, err, sizeof(err));
	if (ret) {
		log_error("%s", err);
		return fail(e, VM_EXIT_USAGE, ret);
	}
	return 0;
}

static int setup_vcpus(struct vm *vm, const struct boot_info *boot, struct setup_error *e)
{
	int ret;

	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return fail(e, VM_EXIT_HOST_ERROR, -ENOMEM);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vm->vcpus[i].fd = -1;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		ret = vcpu_create(vm, i, boot, &vm->vcpus[i]);
		if (ret) {
			log_error("cannot create vcpu%u: %s", i, strerror(-ret));
			return fail(e, VM_EXIT_HOST_ERROR, ret);
		}
	}
	if (vm->tee_ops && vm->tee_ops->launch) {
		ret = vm->tee_ops->launch(vm);
		if (ret)
			return fail(e, VM_EXIT_HOST_ERROR, ret);
	}
	return 0;
}

static void on_signal(void *opaque, int fd, uint32_t events)
{
	struct vm *vm = opaque;
	struct signalfd_siginfo si;
	char reason[64];

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	snprintf(reason, sizeof(reason), "received %s, stopping", strsignal((int)si.ssi_signo));
	vm_request_stop(vm, VM_EXIT_OK, reason);
}

static void vm_teardown(struct vm *vm, int sig_fd)
{
	if (vm->vcpus) {
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			vcpu_kick(&vm->vcpus[i]);
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			vcpu_join(&vm->vcpus[i]);
	}
	/* Flush backends first (in creation order), then free in reverse order. */
	for (unsigned i = 0; i < vm->nr_devices; i++)
		if (vm->devices[i].stop)
			vm->devices[i].stop(vm->devices[i].opaque);
	for (unsigned i = vm->nr_devices; i-- > 0;)
		if (vm->devices[i].destroy)
			vm->devices[i].destroy(vm->devices[i].opaque);
	if (vm->vcpus) {
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			if (vm->vcpus[i].fd >= 0)
				vcpu_destroy(&vm->vcpus[i]);
		free(vm->vcpus);
	}
	if (vm->tee_ops && vm->tee_ops->destroy)
		vm->tee_ops->destroy(vm);
	irq_router_destroy(&vm->irq);
	if (sig_fd >= 0) {
		ev_loop_del(&vm->loop, sig_fd);
		close(sig_fd);
	}
	ev_loop_destroy(&vm->loop);
	bus_destroy(&vm->pio_bus);
	bus_destroy(&vm->mmio_bus);
	guest_mem_destroy(&vm->mem);
	free(vm->supported_cpuid);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	pthread_mutex_destroy(&vm->stop_lock);
}

int vm_run(const struct vm_config *cfg)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct setup_error e = { .status = VM_EXIT_HOST_ERROR };
	struct boot_info boot;
	sigset_t block, old;
	int sig_fd = -1, status, ret;

	if (!vm) {
		log_error("out of memory");
		return VM_EXIT_HOST_ERROR;
	}
	clock_gettime(CLOCK_MONOTONIC, &vm->start_time);
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->mem.memfd = -1;
	vm->nr_vcpus = cfg->vcpus;
	pthread_mutex_init(&vm->stop_lock, NULL);
	bus_init(&vm->pio_bus);
	bus_init(&vm->mmio_bus);

	/* SIGINT/SIGTERM arrive through a signalfd; vCPU threads alone take the kick signal. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	signal(SIGPIPE, SIG_IGN);

	ret = ev_loop_init(&vm->loop);
	if (ret) {
		log_error("cannot create the event loop: %s", strerror(-ret));
		goto out;
	}
	ret = tee_select(vm, cfg->tee);
	if (ret) {
		e.status = VM_EXIT_USAGE;
		goto out;
	}
	sigdelset(&block, SIGUSR1);
	sig_fd = signalfd(-1, &block, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0 || ev_loop_add(&vm->loop, sig_fd, EPOLLIN, on_signal, vm) ||
	    vcpu_init_kick_signal()) {
		log_error("cannot set up signal handling: %s", strerror(errno));
		ret = -EIO;
		goto out;
	}

	ret = setup_kvm(vm, &e);
	if (!ret)
		ret = setup_memory(vm, &e);
	if (!ret)
		ret = setup_devices(vm, &e);
	if (!ret)
		ret = setup_payload(vm, &boot, &e);
	if (!ret)
		ret = setup_vcpus(vm, &boot, &e);
	if (ret)
		goto out;

	for (unsigned i = 0; i < vm->nr_vcpus && !ret; i++)
		ret = vcpu_start(&vm->vcpus[i]);
	if (ret) {
		log_error("cannot start vCPU threads: %s", strerror(-ret));
		vm_request_stop(vm, VM_EXIT_HOST_ERROR, NULL);
	}
	ret = ev_loop_run(&vm->loop);
	if (ret) {
		log_error("event loop failed: %s", strerror(-ret));
		vm_request_stop(vm, VM_EXIT_HOST_ERROR, NULL);
	}
	ret = 0;
out:
	status = ret ? e.status : vm->exit_status;
	vm_teardown(vm, sig_fd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	free(vm);
	return status;
}
