// SPDX-License-Identifier: MIT
/*
 * A VM's life.  vm_create() goes from a config to a VM whose vCPUs could run: validation and
 * launch inputs first (no KVM yet, so bad input is reported the same way on any machine), then
 * KVM, memory, interrupt routing, devices (vmm/device_manager.c), the payload and the vCPUs, with
 * the TEE kind's hooks (vmm/tee.h) at their fixed points.  The other calls move it between states.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "boot/boot.h"
#include "boot/cpu_setup.h"
#include "devices/blk.h"
#include "devices/i8042.h"
#include "vmm/error.h"
#include "vmm/kvm_api.h"
#include "vmm/log.h"
#include "vmm/sandbox.h"
#include "vmm/tee.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define VM_PAUSE_WAIT_S 5

void vm_stop(struct vm *vm, int exit_status, const char *reason)
{
	uint64_t one = 1;

	if (!run_control_stop(&vm->run, exit_status))
		return;
	if (reason) {
		if (exit_status == VM_EXIT_GUEST_ERROR || exit_status == VM_EXIT_HOST_ERROR)
			log_error("%s", reason);
		else
			log_info("%s", reason);
	}
	if (vm->loop_ready)
		ev_loop_stop(&vm->loop);
	for (unsigned i = 0; vm->vcpus && i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	if (vm->stopping_fd >= 0 && write(vm->stopping_fd, &one, sizeof(one)) < 0) {
		/* the counter cannot overflow with one write; nothing to do */
	}
}

static void env_request_stop(void *ctx, int exit_status, const char *reason)
{
	vm_stop(ctx, exit_status, reason);
}

static void env_data_loss(void *ctx)
{
	struct vm *vm = ctx;

	run_control_data_lost(&vm->run);
}

int vm_stopping_fd(const struct vm *vm)
{
	return vm->stopping_fd;
}

bool vm_is_stopping(struct vm *vm)
{
	return run_control_stopping(&vm->run);
}

bool vm_is_confidential(const struct vm *vm)
{
	return vm->cfg && vm->cfg->tee != TEE_NONE;
}

enum vm_state vm_get_state(struct vm *vm)
{
	enum vm_state s;

	pthread_mutex_lock(&vm->run.lock);
	s = vm->state;
	pthread_mutex_unlock(&vm->run.lock);
	return s;
}

const char *vm_state_name(enum vm_state state)
{
	switch (state) {
	case VM_CREATED:
		return "created";
	case VM_RUNNING:
		return "running";
	case VM_PAUSED:
		return "paused";
	case VM_STOPPED:
		return "stopped";
	}
	return "?";
}

static const char *kvm_missing_hint(int err)
{
	if (err == -ENOENT)
		return "; load kvm-intel or kvm-amd (in a VM: enable nested virtualization), or try "
		       "cvmm inside the nested demo (scripts/demo.sh)";
	if (err == -EACCES || err == -EPERM)
		return "; add yourself to the kvm group or run as root";
	return "";
}

static int setup_kvm(struct vm *vm, struct error *e)
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
	/*
	 * A TEE kind says first, in its own words, whether this host can run it at all (also when
	 * the open failed: see vmm/tee.h).
	 */
	if (vm->tee_ops && vm->tee_ops->probe && (ret = vm->tee_ops->probe(vm, e)))
		return ret;
	if (vm->kvm_fd < 0)
		return error_set(e, ERROR_HOST, vm->kvm_fd, "cannot open %s: %s%s", kvm_device_path(),
				 strerror(-vm->kvm_fd), kvm_missing_hint(vm->kvm_fd));
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (kvm_check_extension(vm->kvm_fd, required[i].cap) <= 0)
			return error_set(e, ERROR_HOST, ENOTSUP, "KVM lacks %s, which cvmm needs",
					 required[i].name);
	if (vm->irq.mode == IRQCHIP_SPLIT &&
	    kvm_check_extension(vm->kvm_fd, KVM_CAP_SPLIT_IRQCHIP) <= 0)
		return error_set(e, ERROR_HOST, ENOTSUP,
				 "--irqchip split: KVM lacks KVM_CAP_SPLIT_IRQCHIP");
	vm->vm_fd = kvm_create_vm(vm->kvm_fd, type);
	if (vm->vm_fd < 0)
		return error_set(e, ERROR_HOST, vm->vm_fd, "KVM_CREATE_VM (type %lu) failed: %s",
				 type, strerror(-vm->vm_fd));
	vm->vcpu_mmap_size = kvm_get_vcpu_mmap_size(vm->kvm_fd);
	if (vm->vcpu_mmap_size <= 0)
		return error_set(e, ERROR_HOST, EINVAL, "KVM_GET_VCPU_MMAP_SIZE failed");
	ret = cpu_get_supported_cpuid(vm->kvm_fd, &vm->supported_cpuid);
	if (ret)
		return error_set(e, ERROR_HOST, ret, "KVM_GET_SUPPORTED_CPUID failed: %s",
				 strerror(-ret));
	vm->tsc_deadline = kvm_check_extension(vm->kvm_fd, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	/* Needed on Intel hosts without unrestricted guest; harmless elsewhere. */
	ret = kvm_set_tss_addr(vm->vm_fd, LAYOUT_KVM_TSS);
	if (ret)
		log_warn("KVM_SET_TSS_ADDR failed: %s", strerror(-ret));
	/* Before the TEE's own setup: a TD needs its split irqchip before INIT_VM. */
	ret = irq_router_init(&vm->irq, vm->vm_fd, vm->irq.mode, &vm->dm.mmio);
	if (ret)
		return error_set(e, ERROR_HOST, ret, "cannot create the %s irqchip: %s",
				 vm->irq.mode == IRQCHIP_SPLIT ? "split" : "in-kernel",
				 strerror(-ret));
	if (vm->tee_ops && vm->tee_ops->init_vm)
		return vm->tee_ops->init_vm(vm, e);
	return 0;
}

int vm_register_memslots(struct vm *vm, struct error *e)
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

		if (ret)
			return error_set(e, ERROR_HOST, ret,
					 "KVM_SET_USER_MEMORY_REGION for [0x%llx, +0x%llx) failed: %s",
					 (unsigned long long)r->gpa, (unsigned long long)r->size,
					 strerror(-ret));
	}
	return 0;
}

static int setup_memory(struct vm *vm, struct error *e)
{
	int ret = guest_mem_create(&vm->mem, vm->cfg->mem_mib << 20);

	if (ret)
		return error_set(e, ERROR_HOST, ret, "cannot allocate %llu MiB of guest memory: %s",
				 (unsigned long long)vm->cfg->mem_mib, strerror(-ret));
	if (vm->tee_ops && vm->tee_ops->setup_memory)
		return vm->tee_ops->setup_memory(vm, e);
	return vm_register_memslots(vm, e);
}

static int setup_devices(struct vm *vm, struct error *e)
{
	vm->env = (struct device_env){
		.mem = &vm->mem,
		.loop = &vm->loop,
		.irq = &vm->irq,
		.clock = &clock_monotonic,
		.start_ns = vm->start_ns,
		.request_stop = env_request_stop,
		.report_data_loss = env_data_loss,
		.stop_ctx = vm,
		.firmware = vm->launch.strategy == BOOT_FIRMWARE ? &vm->launch.fw_boot : NULL,
	};
	device_env_set_virtio(&vm->env, vm->vm_fd, vm_is_confidential(vm),
			      vm->cfg->virtio_access_platform);
	return dm_create_devices(&vm->dm, &vm->env, vm->cfg, e);
}

/* Direct boot: the kernel, initrd, ACPI tables and boot information go into RAM. */
static int place_direct(struct vm *vm, struct error *e)
{
	struct launch_inputs *li = &vm->launch;
	uint8_t *acpi;
	int ret;

	ret = boot_kernel_load(&li->kernel, &vm->mem, e);
	if (!ret)
		ret = boot_initrd_load(&li->initrd, &vm->mem, e);
	if (ret)
		return ret;
	acpi = guest_mem_ptr(&vm->mem, li->acpi_gpa, li->acpi_len);
	if (!acpi)
		return error_set(e, ERROR_HOST, EFAULT, "no guest RAM for the ACPI tables");
	memcpy(acpi, li->acpi, li->acpi_len);
	acpi = guest_mem_ptr(&vm->mem, LAYOUT_MPTABLE_START, li->mptable_len);
	if (!acpi)
		return error_set(e, ERROR_HOST, EFAULT, "no guest RAM for the MP table");
	memcpy(acpi, li->mptable, li->mptable_len);
	return boot_write_info(&vm->mem, &li->kernel, &li->initrd, li->cmdline, li->acpi_gpa,
			       &vm->boot, e);
}

static int setup_payload(struct vm *vm, struct error *e)
{
	if (vm->tee_ops && vm->tee_ops->place_payload)
		return vm->tee_ops->place_payload(vm, e);
	if (vm->launch.strategy != BOOT_DIRECT)
		return error_set(e, ERROR_USAGE, ENOTSUP, "--tee %s has no way to place firmware",
				 config_tee_name(vm->cfg->tee));
	return place_direct(vm, e);
}

/* A VM thread confines itself, then says so (the supervisor waits for every one). */
static bool confine_thread(struct vm *vm, enum seccomp_thread kind, const char *name)
{
	int ret = seccomp_enter(&vm->seccomp, kind, name);

	if (ret)
		log_error("%s: cannot install its seccomp filter: %s", name, strerror(-ret));
	run_control_thread_ready(&vm->run, !ret);
	return !ret;
}

static bool vcpu_thread_init(struct vm *vm, const char *name)
{
	return confine_thread(vm, SECCOMP_VCPU, name);
}

static int setup_vcpus(struct vm *vm, struct error *e)
{
	int ret;

	vm->vcpu_ctx = (struct vcpu_context){
		.vm = vm,
		.tee_ops = vm->tee_ops,
		.vm_fd = vm->vm_fd,
		.mmap_size = vm->vcpu_mmap_size,
		.supported_cpuid = vm->supported_cpuid,
		.tsc_deadline = vm->tsc_deadline,
		.nr_vcpus = vm->nr_vcpus,
		.pio = &vm->dm.pio,
		.mmio = &vm->dm.mmio,
		.irq = &vm->irq,
		.run = &vm->run,
		.request_stop = vm_stop,
		.thread_init = vcpu_thread_init,
	};
	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vm->vcpus[i].fd = -1;
	for (unsigned i = 0; i < vm->nr_vcpus; i++) {
		ret = vcpu_create(&vm->vcpu_ctx, i, &vm->boot, &vm->vcpus[i], e);
		if (ret)
			return ret;
	}
	if (vm->tee_ops && vm->tee_ops->finish_launch)
		return vm->tee_ops->finish_launch(vm, e);
	return 0;
}

static struct vm *vm_alloc(const struct vm_config *cfg)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->mem.memfd = vm->mem.gmem_fd = -1;
	vm->nr_vcpus = cfg->vcpus;
	vm->start_ns = clock_now_ns(&clock_monotonic);
	vm->launch.kernel.fd = vm->launch.initrd.fd = -1;
	vm->irq.mode = cfg->irqchip;
	/* A TD has no in-kernel IOAPIC: split is its only mode, whatever the default says. */
	if (cfg->tee == TEE_TDX)
		vm->irq.mode = IRQCHIP_SPLIT;
	run_control_init(&vm->run);
	dm_init(&vm->dm);
	vm->stopping_fd = -1;
	return vm;
}

int vm_create(const struct vm_config *cfg, struct vm **out, struct error *e)
{
	struct vm *vm;
	int ret;

	*out = NULL;
	/*
	 * Everything the user named is checked before KVM is touched: the config here, the payload
	 * files by launch_inputs_build() and launch_inputs_check_boot() below (the same checks as
	 * CONFIG_CHECK_ALL, done once).
	 */
	ret = config_validate(cfg, CONFIG_CHECK_NO_PAYLOAD, e);
	if (!ret)
		ret = sandbox_check(cfg, e);
	if (ret)
		return ret;
	log_startup("config validated");
	vm = vm_alloc(cfg);
	if (!vm)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	ret = launch_inputs_build(cfg, &vm->launch, e);
	if (!ret)
		ret = launch_inputs_check_boot(cfg, &vm->launch, e);
	if (!ret)
		ret = tee_select(cfg->tee, &vm->tee_ops, e);
	log_startup("launch inputs built");
	if (ret)
		goto fail;
	ret = ev_loop_init(&vm->loop);
	if (ret) {
		error_set(e, ERROR_HOST, ret, "cannot create the event loop: %s", strerror(-ret));
		goto fail;
	}
	vm->loop_ready = true;
	vm->stopping_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stopping_fd < 0 || vcpu_init_kick_signal()) {
		ret = error_set(e, ERROR_HOST, errno, "cannot set up the VM's signals: %s",
				strerror(errno));
		goto fail;
	}
	/* Into the policy's cgroup before anything is allocated for the guest. */
	ret = sandbox_enforce(cfg, e);
	if (!ret)
		ret = setup_kvm(vm, e);
	log_startup("KVM VM created");
	if (!ret)
		ret = setup_memory(vm, e);
	log_startup("memory set up");
	if (!ret)
		ret = setup_devices(vm, e);
	log_startup("devices created");
	if (!ret)
		ret = setup_payload(vm, e);
	log_startup("payload placed");
	if (!ret)
		ret = setup_vcpus(vm, e);
	log_startup("vCPUs created");
	if (!ret)
		ret = seccomp_build(&vm->seccomp, cfg, e);
	log_startup("seccomp filters built");
	if (ret)
		goto fail;
	vm->state = VM_CREATED;
	*out = vm;
	return 0;
fail:
	if (!error_is_set(e))
		error_set(e, ERROR_HOST, ret, "cannot create the VM: %s", strerror(-ret));
	vm_destroy(vm);
	return ret;
}

static void *loop_thread(void *arg)
{
	struct vm *vm = arg;
	int ret;

	pthread_setname_np(pthread_self(), "cvmm-loop");
	if (!confine_thread(vm, SECCOMP_LOOP, "cvmm-loop"))
		return NULL;
	ret = ev_loop_run(&vm->loop);
	if (ret) {
		char reason[96];

		snprintf(reason, sizeof(reason), "event loop failed: %s", strerror(-ret));
		vm_stop(vm, VM_EXIT_HOST_ERROR, reason);
	}
	return NULL;
}

int vm_start(struct vm *vm, struct error *e)
{
	sigset_t block, old;
	int ret;

	pthread_mutex_lock(&vm->run.lock);
	if (vm->state != VM_CREATED) {
		pthread_mutex_unlock(&vm->run.lock);
		return error_set(e, ERROR_USAGE, EBUSY, "the VM is %s, not created",
				 vm_state_name(vm->state));
	}
	vm->state = VM_RUNNING;
	pthread_mutex_unlock(&vm->run.lock);

	/* Threads start with the kick signal blocked; vCPU threads unblock it themselves. */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	ret = -pthread_create(&vm->loop_thread, NULL, loop_thread, vm);
	vm->loop_started = !ret;
	for (unsigned i = 0; i < vm->nr_vcpus && !ret; i++)
		ret = vcpu_start(&vm->vcpus[i]);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	log_startup("threads started");
	if (ret) {
		vm_stop(vm, VM_EXIT_HOST_ERROR, NULL);
		return error_set(e, ERROR_HOST, ret, "cannot start the VM's threads: %s",
				 strerror(-ret));
	}
	/* Every thread confined, this one last, before the guest's first instruction. */
	if (!run_control_wait_threads(&vm->run, vm->nr_vcpus + 1)) {
		vm_stop(vm, VM_EXIT_HOST_ERROR, NULL);
		return error_set(e, ERROR_HOST, EPERM, "a VM thread could not confine itself");
	}
	ret = seccomp_enter(&vm->seccomp, SECCOMP_SUPERVISOR, "supervisor");
	if (ret) {
		vm_stop(vm, VM_EXIT_HOST_ERROR, NULL);
		return error_set(e, ERROR_HOST, ret, "cannot install the supervisor's seccomp filter: "
				 "%s", strerror(-ret));
	}
	log_startup("threads confined");
	run_control_release(&vm->run);
	return 0;
}

int vm_pause(struct vm *vm, struct error *e)
{
	struct run_control *rc = &vm->run;
	struct timespec deadline;
	int ret = 0;

	pthread_mutex_lock(&rc->lock);
	if (vm->state != VM_RUNNING || rc->stopping) {
		ret = error_set(e, ERROR_USAGE, EBUSY, "the VM is %s, not running",
				rc->stopping ? "stopping" : vm_state_name(vm->state));
		goto out;
	}
	rc->pause_requested = true;
	pthread_mutex_unlock(&rc->lock);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += VM_PAUSE_WAIT_S;
	pthread_mutex_lock(&rc->lock);
	while (rc->parked < vm->nr_vcpus && !rc->stopping && !ret)
		ret = -pthread_cond_timedwait(&rc->cond, &rc->lock, &deadline);
	if (rc->stopping) {
		ret = error_set(e, ERROR_USAGE, EBUSY, "the VM stopped while pausing");
	} else if (ret) {
		rc->pause_requested = false;
		pthread_cond_broadcast(&rc->cond);
		ret = error_set(e, ERROR_HOST, ETIMEDOUT, "%u of %u vCPUs paused within %d s",
				rc->parked, vm->nr_vcpus, VM_PAUSE_WAIT_S);
	} else {
		vm->state = VM_PAUSED;
	}
out:
	pthread_mutex_unlock(&rc->lock);
	return ret;
}

int vm_resume(struct vm *vm, struct error *e)
{
	struct run_control *rc = &vm->run;
	int ret = 0;

	pthread_mutex_lock(&rc->lock);
	if (vm->state != VM_PAUSED || rc->stopping) {
		ret = error_set(e, ERROR_USAGE, EBUSY, "the VM is %s, not paused",
				rc->stopping ? "stopping" : vm_state_name(vm->state));
	} else {
		rc->pause_requested = false;
		vm->state = VM_RUNNING;
		pthread_cond_broadcast(&rc->cond);
	}
	pthread_mutex_unlock(&rc->lock);
	return ret;
}

int vm_wait(struct vm *vm)
{
	struct run_control *rc = &vm->run;
	int status;

	pthread_mutex_lock(&rc->lock);
	if (vm->state == VM_RUNNING || vm->state == VM_PAUSED)
		while (!rc->stopping)
			pthread_cond_wait(&rc->cond, &rc->lock);
	pthread_mutex_unlock(&rc->lock);
	vm_stop(vm, VM_EXIT_OK, NULL); /* a VM never started stops here */

	for (unsigned i = 0; vm->vcpus && i < vm->nr_vcpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	for (unsigned i = 0; vm->vcpus && i < vm->nr_vcpus; i++)
		vcpu_join(&vm->vcpus[i]);
	if (vm->loop_started)
		pthread_join(vm->loop_thread, NULL);
	vm->loop_started = false;

	pthread_mutex_lock(&rc->lock);
	if (vm->state != VM_STOPPED) {
		vm->state = VM_STOPPED;
		pthread_mutex_unlock(&rc->lock);
		/* Backends flush now: nothing else touches the devices any more. */
		dm_stop_devices(&vm->dm);
		pthread_mutex_lock(&rc->lock);
	}
	pthread_mutex_unlock(&rc->lock);
	status = run_control_exit_status(rc);
	return status;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	if (vm->loop_started || vm->state == VM_RUNNING || vm->state == VM_PAUSED)
		vm_wait(vm);
	/* Devices are freed in reverse order of creation, their bus ranges first. */
	dm_destroy(&vm->dm);
	if (vm->vcpus) {
		for (unsigned i = 0; i < vm->nr_vcpus; i++)
			if (vm->vcpus[i].fd >= 0)
				vcpu_destroy(&vm->vcpus[i]);
		free(vm->vcpus);
	}
	if (vm->tee_ops && vm->tee_ops->destroy)
		vm->tee_ops->destroy(vm);
	irq_router_destroy(&vm->irq);
	if (vm->loop_ready)
		ev_loop_destroy(&vm->loop);
	guest_mem_destroy(&vm->mem);
	launch_inputs_free(&vm->launch);
	seccomp_free(&vm->seccomp);
	free(vm->supported_cpuid);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->stopping_fd >= 0)
		close(vm->stopping_fd);
	run_control_destroy(&vm->run);
	free(vm);
}

static void add_virtio(void *ctx, const struct device *dev)
{
	struct vm_counters *out = ctx;

	if (out->nr_virtio >= RESOURCES_MAX_VIRTIO)
		return;
	snprintf(out->virtio[out->nr_virtio].name, sizeof(out->virtio[0].name), "%s", dev->name);
	virtio_dev_counters(dev->vdev, &out->virtio[out->nr_virtio].c);
	if (dev->counters)
		dev->counters(dev->opaque, &out->virtio[out->nr_virtio].model);
	out->nr_virtio++;
}

static void add_other(void *ctx, const struct device *dev)
{
	struct vm_counters *out = ctx;

	if (dev->vdev || !dev->counters || out->nr_other >= VM_COUNTERS_MAX_OTHER)
		return;
	snprintf(out->other[out->nr_other].name, sizeof(out->other[0].name), "%s", dev->name);
	dev->counters(dev->opaque, &out->other[out->nr_other].c);
	out->nr_other++;
}

void vm_get_counters(struct vm *vm, struct vm_counters *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; vm->vcpus && i < vm->nr_vcpus; i++) {
		const uint64_t *s = vm->vcpus[i].stats;

		out->exits_io += __atomic_load_n(&s[VCPU_STAT_IO], __ATOMIC_RELAXED);
		out->exits_mmio += __atomic_load_n(&s[VCPU_STAT_MMIO], __ATOMIC_RELAXED);
		out->exits_hypercall += __atomic_load_n(&s[VCPU_STAT_HYPERCALL], __ATOMIC_RELAXED);
		out->exits_memory_fault +=
			__atomic_load_n(&s[VCPU_STAT_MEMORY_FAULT], __ATOMIC_RELAXED);
		out->exits_other += __atomic_load_n(&s[VCPU_STAT_OTHER], __ATOMIC_RELAXED) +
				    __atomic_load_n(&s[VCPU_STAT_EOI], __ATOMIC_RELAXED) +
				    __atomic_load_n(&s[VCPU_STAT_INTR], __ATOMIC_RELAXED);
	}
	if (vm->tee_ops && vm->tee_ops->counters)
		vm->tee_ops->counters(vm, out);
	dm_for_each_virtio(&vm->dm, add_virtio, out);
	dm_for_each_device(&vm->dm, add_other, out);
}

static int require_live(struct vm *vm, const char *what, struct error *e)
{
	enum vm_state s = vm_get_state(vm);

	if ((s != VM_RUNNING && s != VM_PAUSED) || vm_is_stopping(vm))
		return error_set(e, ERROR_USAGE, EBUSY, "%s: the VM is %s", what,
				 vm_is_stopping(vm) ? "stopping" : vm_state_name(s));
	return 0;
}

int vm_update_drive(struct vm *vm, unsigned index, const char *path, struct error *e)
{
	struct blk_dev *blk = dm_find_model(&vm->dm, &virtio_blk_device, index);
	int ret = require_live(vm, "drive update", e);

	if (ret)
		return ret;
	if (!blk)
		return error_set(e, ERROR_USAGE, ENOENT, "drive update: no drive %u", index);
	return blk_dev_swap_backend(blk, path, &vm->loop, e);
}

int vm_send_ctrl_alt_del(struct vm *vm, struct error *e)
{
	struct i8042 *k = dm_find_model(&vm->dm, &i8042_device, 0);
	int ret = require_live(vm, "SendCtrlAltDel", e);

	if (ret)
		return ret;
	if (!k)
		return error_set(e, ERROR_HOST, ENODEV, "SendCtrlAltDel: no i8042 keyboard");
	i8042_send_ctrl_alt_del(k);
	return 0;
}
