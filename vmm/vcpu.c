// SPDX-License-Identifier: MIT
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot/boot.h"
#include "boot/cpu_setup.h"
#include "vmm/error.h"
#include "vmm/kvm_api.h"
#include "vmm/log.h"
#include "vmm/bus.h"
#include "vmm/exit_status.h"
#include "vmm/irq.h"
#include "vmm/run_control.h"
#include "vmm/tee.h"
#include "vmm/vcpu.h"

#define VCPU_KICK_SIGNAL SIGUSR1
#define KVM_ENOSYS_RET   1000 /* what KVM itself returns for unknown hypercalls (-KVM_ENOSYS) */

static void kick_handler(int sig)
{
	(void)sig;
}

int vcpu_init_kick_signal(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: KVM_RUN must return EINTR. */
	return sigaction(VCPU_KICK_SIGNAL, &sa, NULL) ? -errno : 0;
}

int vcpu_create(const struct vcpu_context *ctx, unsigned id, const struct boot_info *boot,
		struct vcpu *vcpu, struct error *e)
{
	struct kvm_cpuid2 *cpuid = NULL;
	int ret;

	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->ctx = ctx;
	vcpu->id = id;
	vcpu->fd = kvm_create_vcpu(ctx->vm_fd, id);
	if (vcpu->fd < 0)
		return error_set(e, ERROR_HOST, vcpu->fd, "cannot create vcpu%u: %s", id,
				 strerror(-vcpu->fd));
	vcpu->run = mmap(NULL, (size_t)ctx->mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vcpu->run = NULL;
		return error_set(e, ERROR_HOST, errno, "vcpu%u: cannot map kvm_run: %s", id,
				 strerror(errno));
	}
	/* A TEE kind may set its vCPUs up its own way (a TD refuses register writes). */
	if (ctx->tee_ops && ctx->tee_ops->init_vcpu)
		return ctx->tee_ops->init_vcpu(ctx->vm, vcpu, e);

	ret = cpu_build_cpuid(ctx->supported_cpuid, id, ctx->nr_vcpus, ctx->tsc_deadline, &cpuid);
	if (!ret)
		ret = kvm_set_cpuid2(vcpu->fd, cpuid);
	free(cpuid);
	if (!ret)
		ret = cpu_setup_msrs(vcpu->fd);
	if (!ret)
		ret = cpu_setup_fpu(vcpu->fd);
	if (!ret)
		ret = cpu_setup_lapic(vcpu->fd);
	/* APs stay in wait-for-SIPI (KVM's default for them) until the guest starts them. */
	if (!ret && id == 0 && boot)
		ret = cpu_setup_boot_regs(vcpu->fd, boot);
	if (ret)
		return error_set(e, ERROR_HOST, ret, "cannot set up vcpu%u: %s", id, strerror(-ret));
	return 0;
}

/* One line for a fatal guest error: reason, vCPU and the state that explains it. */
static void report_fatal(struct vcpu *vcpu, const char *what)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	char reason[256];

	/* A confidential guest's registers are its own: KVM refuses to read them. */
	if (kvm_get_regs(vcpu->fd, &regs) || kvm_get_sregs(vcpu->fd, &sregs)) {
		snprintf(reason, sizeof(reason), "vcpu%u: %s; registers unavailable", vcpu->id,
			 what);
		vcpu->ctx->request_stop(vcpu->ctx->vm, VM_EXIT_GUEST_ERROR, reason);
		return;
	}
	/*
	 * On AMD, KVM reinitialises the vCPU after a shutdown intercept (the VMCB is undefined
	 * then), so what it reports is the reset state, not where the guest died.
	 */
	if (regs.rip == 0xfff0 && sregs.cs.base == 0xffff0000) {
		snprintf(reason, sizeof(reason),
			 "vcpu%u: %s; registers unavailable (KVM reset the vCPU on this exit)",
			 vcpu->id, what);
		vcpu->ctx->request_stop(vcpu->ctx->vm, VM_EXIT_GUEST_ERROR, reason);
		return;
	}
	snprintf(reason, sizeof(reason), "vcpu%u: %s at rip=0x%llx cr0=0x%llx cr3=0x%llx",
		 vcpu->id, what, (unsigned long long)regs.rip, (unsigned long long)sregs.cr0,
		 (unsigned long long)sregs.cr3);
	vcpu->ctx->request_stop(vcpu->ctx->vm, VM_EXIT_GUEST_ERROR, reason);
}

static void handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;

	for (uint32_t i = 0; i < run->io.count; i++) {
		bus_access(vcpu->ctx->pio, run->io.port, data, run->io.size, out);
		data += run->io.size;
	}
}

static void handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint32_t len = run->mmio.len;

	if (len > sizeof(run->mmio.data))
		len = sizeof(run->mmio.data);
	bus_access(vcpu->ctx->mmio, run->mmio.phys_addr, run->mmio.data, len,
		   run->mmio.is_write);
}

static bool handle_system_event(struct vcpu *vcpu)
{
	char reason[96];

	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
	case KVM_SYSTEM_EVENT_RESET:
		vcpu->ctx->request_stop(vcpu->ctx->vm, VM_EXIT_OK, NULL);
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		report_fatal(vcpu, "guest reported a crash");
		break;
	case KVM_SYSTEM_EVENT_SEV_TERM:
	case KVM_SYSTEM_EVENT_TDX_FATAL:
		/*
		 * The TEE kind knows where the guest's report is (SNP: the termination reason; TD:
		 * error code and message); the registers are the guest's secret.  Both stop the VM.
		 */
		if (vcpu->ctx->tee_ops && vcpu->ctx->tee_ops->handle_tee_exit)
			return vcpu->ctx->tee_ops->handle_tee_exit(vcpu->ctx->vm, vcpu,
								   vcpu->run) == 0;
		report_fatal(vcpu, vcpu->run->system_event.type == KVM_SYSTEM_EVENT_SEV_TERM
					   ? "SEV guest requested termination"
					   : "TDX guest reported a fatal error");
		break;
	default:
		snprintf(reason, sizeof(reason), "vcpu%u: unknown system event %u", vcpu->id,
			 vcpu->run->system_event.type);
		vcpu->ctx->request_stop(vcpu->ctx->vm, VM_EXIT_GUEST_ERROR, reason);
		break;
	}
	return false;
}

bool vcpu_handle_exit(struct vcpu *vcpu)
{
	const struct vcpu_context *ctx = vcpu->ctx;
	struct kvm_run *run = vcpu->run;
	char what[96];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu->stats[VCPU_STAT_IO]++;
		handle_io(vcpu);
		return true;
	case KVM_EXIT_MMIO:
		vcpu->stats[VCPU_STAT_MMIO]++;
		handle_mmio(vcpu);
		return true;
	case KVM_EXIT_IOAPIC_EOI:
		vcpu->stats[VCPU_STAT_EOI]++;
		irq_handle_eoi(ctx->irq, run->eoi.vector);
		return true;
	case KVM_EXIT_HYPERCALL:
		vcpu->stats[VCPU_STAT_HYPERCALL]++;
		if (ctx->tee_ops && ctx->tee_ops->handle_hypercall)
			return ctx->tee_ops->handle_hypercall(ctx->vm, vcpu, run) == 0;
		run->hypercall.ret = (uint64_t)-KVM_ENOSYS_RET;
		return true;
	case KVM_EXIT_MEMORY_FAULT:
		vcpu->stats[VCPU_STAT_MEMORY_FAULT]++;
		if (ctx->tee_ops && ctx->tee_ops->handle_memory_fault)
			return ctx->tee_ops->handle_memory_fault(ctx->vm, vcpu, run) == 0;
		report_fatal(vcpu, "memory fault exit without confidential memory");
		return false;
	case KVM_EXIT_TDX:
		if (ctx->tee_ops && ctx->tee_ops->handle_tee_exit)
			return ctx->tee_ops->handle_tee_exit(ctx->vm, vcpu, run) == 0;
		report_fatal(vcpu, "TDX exit on a VM that is not a TD");
		return false;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel LAPIC; a halted VM has nothing left to do. */
		ctx->request_stop(ctx->vm, VM_EXIT_OK, NULL);
		return false;
	case KVM_EXIT_SHUTDOWN:
		report_fatal(vcpu, "triple fault (shutdown)");
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		return handle_system_event(vcpu);
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(what, sizeof(what), "KVM internal error %u%s", run->internal.suberror,
			 run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
				 " (instruction emulation failed)" : "");
		report_fatal(vcpu, what);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(what, sizeof(what), "VM entry failed (hardware reason 0x%llx)",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		report_fatal(vcpu, what);
		return false;
	case KVM_EXIT_INTR:
		vcpu->stats[VCPU_STAT_INTR]++;
		return true;
	default:
		vcpu->stats[VCPU_STAT_OTHER]++;
		snprintf(what, sizeof(what), "unhandled KVM exit %u", run->exit_reason);
		report_fatal(vcpu, what);
		return false;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	sigset_t set;
	char reason[96];
	char name[16];

	/* Named before the first guest instruction: tools (and Kata) look for vcpuN threads. */
	snprintf(name, sizeof(name), "vcpu%u", vcpu->id);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (run_control_may_run(vcpu->ctx->run)) {
		int ret = kvm_run(vcpu->fd);

		/* The one exit that comes with an error: KVM_RUN fails with EFAULT. */
		if (ret == -EFAULT && vcpu->run->exit_reason == KVM_EXIT_MEMORY_FAULT)
			ret = 0;
		if (ret < 0) {
			if (ret == -EINTR || ret == -EAGAIN) {
				vcpu->run->immediate_exit = 0;
				continue;
			}
			snprintf(reason, sizeof(reason), "vcpu%u: KVM_RUN failed: %s", vcpu->id,
				 strerror(-ret));
			vcpu->ctx->request_stop(vcpu->ctx->vm, VM_EXIT_HOST_ERROR, reason);
			break;
		}
		if (!vcpu_handle_exit(vcpu))
			break;
	}
	return NULL;
}

int vcpu_start(struct vcpu *vcpu)
{
	int ret = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);

	if (ret)
		return -ret;
	vcpu->thread_started = true;
	return 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	if (!vcpu->thread_started)
		return;
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_RELEASE);
	pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
}

void vcpu_join(struct vcpu *vcpu)
{
	if (vcpu->thread_started)
		pthread_join(vcpu->thread, NULL);
	vcpu->thread_started = false;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, (size_t)vcpu->ctx->mmap_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}
