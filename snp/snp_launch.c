// SPDX-License-Identifier: MIT
/* The SEV-SNP launch through KVM's SNP uAPI (see snp_launch.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/psp-sev.h>

#include "boot/cpu_setup.h"
#include "snp/id_block.h"
#include "snp/snp_cpuid_page.h"
#include "snp/snp_launch.h"
#include "snp/snp_policy.h"
#include "snp/vmsa.h"
#include "vmm/convert.h"
#include "vmm/cvm_fw_memory.h"
#include "vmm/cvm_memory.h"
#include "vmm/error.h"
#include "vmm/kvm_api.h"
#include "vmm/log.h"
#include "vmm/tee.h"
#include "vmm/util.h"
#include "vmm/vm.h"

_Static_assert(SEV_RET_INVALID_PARAM == 0x16, "the firmware's INVALID_PARAM");

#define UNAVAILABLE "--tee snp: SEV-SNP is not available on this host: "

struct snp_vm {
	struct converter conv; /* RAM's private/shared conversions */
	int sev_fd;
	uint64_t vmsa_features; /* KVM_SEV_INIT2's; KVM adds SNP_ACTIVE */
	struct cvm_fw_memory fw; /* the firmware's private memslot below 4 GiB */
};

static const char *const fw_errors[] = {
	[SEV_RET_INVALID_PLATFORM_STATE] = "invalid platform state",
	[SEV_RET_INVALID_GUEST_STATE] = "invalid guest state",
	[SEV_RET_INAVLID_CONFIG] = "invalid configuration",
	[SEV_RET_INVALID_LEN] = "invalid length",
	[SEV_RET_POLICY_FAILURE] = "policy failure",
	[SEV_RET_INACTIVE] = "inactive",
	[SEV_RET_INVALID_ADDRESS] = "invalid address",
	[SEV_RET_BAD_SIGNATURE] = "bad signature",
	[SEV_RET_BAD_MEASUREMENT] = "bad measurement",
	[SEV_RET_INVALID_GUEST] = "invalid guest",
	[SEV_RET_INVALID_COMMAND] = "invalid command",
	[SEV_RET_UNSUPPORTED] = "unsupported",
	[SEV_RET_INVALID_PARAM] = "invalid parameter",
	[SEV_RET_RESOURCE_LIMIT] = "resource limit",
	[SEV_RET_SECURE_DATA_INVALID] = "secure data invalid",
};

const char *snp_fw_error_name(unsigned code)
{
	return code < ARRAY_SIZE(fw_errors) && fw_errors[code] ? fw_errors[code] : "unknown";
}

/* One KVM_MEMORY_ENCRYPT_OP; *fw_error is the firmware's error code (0 when it did not fail). */
static int sev_cmd_raw(struct vm *vm, uint32_t id, void *data, unsigned *fw_error)
{
	struct snp_vm *s = vm->tee;
	struct cvmm_kvm_sev_cmd cmd = {
		.id = id,
		.data = (uintptr_t)data,
		.sev_fd = (uint32_t)s->sev_fd,
	};
	int ret = kvm_memory_encrypt_op(vm->vm_fd, &cmd);

	*fw_error = cmd.error;
	return ret;
}

static int cmd_failed(const char *name, int ret, unsigned fw_error, struct error *e)
{
	if (fw_error)
		return error_set(e, ERROR_HOST, ret, "%s failed: %s (firmware error 0x%x, %s)",
				 name, strerror(-ret), fw_error, snp_fw_error_name(fw_error));
	return error_set(e, ERROR_HOST, ret, "%s failed: %s", name, strerror(-ret));
}

static int sev_cmd(struct vm *vm, uint32_t id, void *data, const char *name, struct error *e)
{
	unsigned fw_error;
	int ret = sev_cmd_raw(vm, id, data, &fw_error);

	return ret ? cmd_failed(name, ret, fw_error, e) : 0;
}

/* ---- probe, VM and memory ---- */

static int snp_probe(struct vm *vm, struct error *e)
{
	struct snp_vm *s = calloc(1, sizeof(*s));
	uint64_t supported = 0;
	int types, ret;

	if (!s)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	s->sev_fd = -1;
	cvm_fw_memory_init(&s->fw);
	vm->tee = s;
	if (vm->kvm_fd < 0)
		return error_set(e, ERROR_HOST, vm->kvm_fd, UNAVAILABLE "cannot open %s: %s",
				 kvm_device_path(), strerror(-vm->kvm_fd));
	types = kvm_check_extension(vm->kvm_fd, KVM_CAP_VM_TYPES);
	if (types < 0 || !(types & (1 << CVMM_KVM_X86_SNP_VM)))
		return error_set(e, ERROR_HOST, ENOTSUP, UNAVAILABLE "KVM cannot create SNP VMs "
				 "(VM types 0x%x); SEV-SNP needs Linux 6.11 or later with kvm_amd "
				 "sev_snp=1 on an AMD host with SNP enabled in its firmware",
				 types < 0 ? 0 : types);
	s->sev_fd = sev_open();
	if (s->sev_fd < 0)
		return error_set(e, ERROR_HOST, s->sev_fd, UNAVAILABLE "cannot open %s: %s%s",
				 sev_device_path(), strerror(-s->sev_fd),
				 s->sev_fd == -EACCES ? " (it must be readable and writable)" : "");
	ret = kvm_get_device_attr(vm->kvm_fd, KVM_X86_GRP_SEV, KVM_X86_SEV_VMSA_FEATURES,
				  &supported);
	if (ret)
		return error_set(e, ERROR_HOST, ret, UNAVAILABLE "KVM does not report the VMSA "
				 "features of KVM_SEV_INIT2 (KVM_X86_SEV_VMSA_FEATURES): %s",
				 strerror(-ret));
	s->vmsa_features = vm->cfg->snp.guest_features & ~CVMM_SVM_SEV_FEAT_SNP_ACTIVE;
	if (s->vmsa_features & ~supported)
		return error_set(e, ERROR_HOST, ENOTSUP, "--guest-features 0x%llx: this host's KVM "
				 "offers VMSA features 0x%llx only",
				 (unsigned long long)vm->cfg->snp.guest_features,
				 (unsigned long long)(supported | CVMM_SVM_SEV_FEAT_SNP_ACTIVE));
	return 0;
}

static int snp_init_vm(struct vm *vm, struct error *e)
{
	struct snp_vm *s = vm->tee;
	struct cvmm_kvm_sev_init init = {
		.vmsa_features = s->vmsa_features,
		.ghcb_version = CVMM_SEV_GHCB_VERSION_2,
	};
	struct cvmm_kvm_sev_snp_launch_start start = { .policy = vm->cfg->snp.policy };
	int ret;

	/* config_validate() checked it; LAUNCH_START must never see another. */
	ret = snp_policy_check(start.policy, e);
	if (!ret)
		ret = sev_cmd(vm, KVM_SEV_INIT2, &init, "KVM_SEV_INIT2", e);
	if (!ret)
		ret = cvm_enable_map_gpa_exit(vm, e);
	if (!ret)
		ret = sev_cmd(vm, KVM_SEV_SNP_LAUNCH_START, &start, "KVM_SEV_SNP_LAUNCH_START", e);
	return ret;
}

/* The firmware's own memslot below 4 GiB, private from the start like RAM (after RAM's slots). */
static int setup_firmware_slot(struct vm *vm, struct error *e)
{
	struct snp_vm *s = vm->tee;
	const struct launch_region *fw =
		launch_plan_find(&vm->launch.plan, LAUNCH_REGION_FIRMWARE, 0);
	int ret;

	if (!fw)
		return error_set(e, ERROR_INPUT, EINVAL, "the launch plan has no firmware");
	ret = cvm_fw_memory_add(&s->fw, fw->gpa, fw->size);
	if (ret)
		return error_set(e, ERROR_INPUT, -ret, "the firmware at 0x%llx (0x%llx bytes) cannot "
				 "get private memory: %s", (unsigned long long)fw->gpa,
				 (unsigned long long)fw->size, strerror(-ret));
	return cvm_fw_memory_map(vm, &s->fw, GUEST_MEM_MAX_REGIONS, e);
}

static int snp_setup_memory(struct vm *vm, struct error *e)
{
	struct snp_vm *s = vm->tee;
	int ret = cvm_setup_guest_memfd(vm, &s->conv, e);

	return ret ? ret : setup_firmware_slot(vm, e);
}

/* ---- vCPU state ---- */

/* The reset state the plan measures for vCPU id. */
static const struct sev_es_save_area *plan_vmsa(struct vm *vm, unsigned id)
{
	const struct launch_plan *plan = &vm->launch.plan;

	for (size_t i = 0; i < plan->nr_regions; i++)
		if (plan->regions[i].kind == LAUNCH_REGION_VMSA && plan->regions[i].vcpu == id)
			return (const void *)plan->regions[i].data;
	return NULL;
}

/* vCPU id's CPUID: the plain VM's, with the signature the VMSA's RDX announces. */
static int vcpu_cpuid(struct vm *vm, unsigned id, uint32_t sig, struct kvm_cpuid2 **out)
{
	int ret = cpu_build_cpuid(vm->supported_cpuid, id, vm->nr_vcpus, vm->tsc_deadline, out);

	for (unsigned i = 0; !ret && i < (*out)->nent; i++)
		if ((*out)->entries[i].function == 1)
			(*out)->entries[i].eax = sig;
	return ret;
}

static int set_registers(int fd, const struct sev_es_save_area *sa)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_fpu fpu = {
		.fcw = sa->x87_fcw,
		.fsw = sa->x87_fsw,
		.ftwx = (uint8_t)sa->x87_ftw,
		.last_opcode = sa->x87_fop,
		.last_ip = sa->x87_rip,
		.last_dp = sa->x87_dp,
		.mxcsr = sa->mxcsr,
	};
	int ret = kvm_set_fpu(fd, &fpu);

	if (!ret)
		ret = kvm_get_sregs(fd, &sregs); /* keeps the APIC base and the rest */
	if (ret)
		return ret;
	snp_vmsa_to_kvm(sa, &sregs, &regs);
	ret = kvm_set_sregs(fd, &sregs);
	return ret ? ret : kvm_set_regs(fd, &regs);
}

/* BSP at the reset vector, APs at the SEV-ES AP reset block, as the plan's VMSAs say. */
static int snp_init_vcpu(struct vm *vm, struct vcpu *vcpu, struct error *e)
{
	const struct sev_es_save_area *sa = plan_vmsa(vm, vcpu->id);
	struct kvm_cpuid2 *cpuid = NULL;
	int ret;

	if (!sa)
		return error_set(e, ERROR_HOST, EINVAL,
				 "vcpu%u: the launch plan has no VMSA for it", vcpu->id);
	ret = vcpu_cpuid(vm, vcpu->id, (uint32_t)sa->rdx, &cpuid);
	if (!ret)
		ret = kvm_set_cpuid2(vcpu->fd, cpuid);
	free(cpuid);
	if (!ret)
		ret = cpu_setup_lapic(vcpu->fd);
	if (!ret)
		ret = set_registers(vcpu->fd, sa);
	if (ret)
		return error_set(e, ERROR_HOST, ret, "cannot set up vcpu%u: %s", vcpu->id,
				 strerror(-ret));
	return 0;
}

/* ---- LAUNCH_UPDATE ---- */

/*
 * LAUNCH_UPDATE of [gpa, gpa + len) from src (NULL for ZERO pages).  KVM may do part of the range
 * and advance the struct, or ask to be called again (-EAGAIN): either way the call is repeated
 * until len is 0, at most SNP_LAUNCH_UPDATE_MAX_STALLS times in a row without progress.  Progress
 * that does not add up is refused.  On failure *fw_error has the firmware's error code.
 */
static int launch_update(struct vm *vm, uint64_t gpa, const void *src, uint64_t len,
			 uint8_t type, unsigned *fw_error)
{
	struct cvmm_kvm_sev_snp_launch_update u = {
		.gfn_start = gpa / LAUNCH_PAGE_SIZE,
		.uaddr = (uintptr_t)src,
		.len = len,
		.type = type,
	};
	unsigned stalls = 0;

	while (u.len) {
		const struct cvmm_kvm_sev_snp_launch_update before = u;
		uint64_t done;
		int ret = sev_cmd_raw(vm, KVM_SEV_SNP_LAUNCH_UPDATE, &u, fw_error);

		if (ret == -EAGAIN || ret == -EINTR) {
			u = before;
			if (++stalls > SNP_LAUNCH_UPDATE_MAX_STALLS)
				return -ETIMEDOUT;
			continue;
		}
		if (ret)
			return ret;
		done = before.len - u.len;
		if (u.len > before.len || done % LAUNCH_PAGE_SIZE ||
		    u.gfn_start != before.gfn_start + done / LAUNCH_PAGE_SIZE ||
		    u.uaddr != (src ? before.uaddr + done : 0) || u.type != type)
			return -EPROTO;
		stalls = done ? 0 : stalls + 1;
		if (stalls > SNP_LAUNCH_UPDATE_MAX_STALLS)
			return -ETIMEDOUT;
	}
	return 0;
}

static int update_failed(const struct launch_region *r, int ret, unsigned fw_error,
			 struct error *e)
{
	char what[96];

	snprintf(what, sizeof(what), "KVM_SEV_SNP_LAUNCH_UPDATE of [0x%llx, +0x%llx)",
		 (unsigned long long)r->gpa, (unsigned long long)r->size);
	if (ret == -ETIMEDOUT)
		return error_set(e, ERROR_HOST, ETIMEDOUT, "%s: no progress after %d calls", what,
				 SNP_LAUNCH_UPDATE_MAX_STALLS);
	if (ret == -EPROTO)
		return error_set(e, ERROR_HOST, EPROTO, "%s: KVM reported progress that does not "
				 "add up", what);
	return cmd_failed(what, ret, fw_error, e);
}

static void log_leaf(void *ctx, const char *line)
{
	log_warn("  SEV-SNP CPUID %s", line);
}

/*
 * The CPUID page of the boot vCPU's table.  When the firmware rejects it (INVALID_PARAM), it has
 * written the values it accepts into our buffer: log the leaves that differ and launch that page,
 * once.
 */
static int launch_cpuid(struct vm *vm, const struct launch_region *r, uint8_t *buf,
			struct error *e)
{
	struct snp_cpuid_page *ours = calloc(1, sizeof(*ours));
	const struct sev_es_save_area *bsp = plan_vmsa(vm, 0);
	struct kvm_cpuid2 *cpuid = NULL;
	unsigned fw_error = 0;
	int ret = ours && bsp ? vcpu_cpuid(vm, 0, (uint32_t)bsp->rdx, &cpuid) : -ENOMEM;

	if (ret) {
		free(ours);
		return error_set(e, ERROR_HOST, ret, "cannot build the CPUID page: %s",
				 strerror(-ret));
	}
	ret = snp_cpuid_page_build(cpuid, ours, e);
	free(cpuid);
	if (ret)
		goto out;
	memcpy(buf, ours, sizeof(*ours));
	ret = launch_update(vm, r->gpa, buf, r->size, r->snp_type, &fw_error);
	if (ret == -EIO && fw_error == SEV_RET_INVALID_PARAM) {
		log_warn("SEV-SNP firmware rejected the CPUID page; launching it with the values "
			 "the firmware accepts instead:");
		if (!snp_cpuid_page_diff(ours, (const void *)buf, log_leaf, NULL))
			log_warn("  (no leaf differs)");
		ret = launch_update(vm, r->gpa, buf, r->size, r->snp_type, &fw_error);
	}
	if (ret)
		ret = update_failed(r, ret, fw_error, e);
out:
	free(ours);
	return ret;
}

static int launch_region(struct vm *vm, const struct launch_region *r, struct error *e)
{
	unsigned fw_error = 0;
	uint8_t *buf;
	int ret;

	if (r->snp_type == SNP_PAGE_TYPE_ZERO) {
		ret = launch_update(vm, r->gpa, NULL, r->size, r->snp_type, &fw_error);
		return ret ? update_failed(r, ret, fw_error, e) : 0;
	}
	/* KVM copies from page-aligned memory; the plan's data is neither aligned nor whole. */
	ret = launch_region_stage(r, &buf);
	if (ret)
		return error_set(e, ERROR_HOST, ret, "cannot stage %llu bytes for LAUNCH_UPDATE: %s",
				 (unsigned long long)r->size, strerror(-ret));
	if (r->snp_type == SNP_PAGE_TYPE_CPUID) {
		ret = launch_cpuid(vm, r, buf, e);
	} else {
		ret = launch_update(vm, r->gpa, buf, r->size, r->snp_type, &fw_error);
		if (ret)
			ret = update_failed(r, ret, fw_error, e);
	}
	munmap(buf, r->size);
	return ret;
}

/* Every region of the plan but the VMSAs, which KVM adds from the vCPUs at LAUNCH_FINISH. */
static int snp_place_payload(struct vm *vm, struct error *e)
{
	const struct launch_plan *plan = &vm->launch.plan;

	for (size_t i = 0; i < plan->nr_regions; i++) {
		int ret;

		if (plan->regions[i].kind == LAUNCH_REGION_VMSA)
			continue;
		ret = launch_region(vm, &plan->regions[i], e);
		if (ret)
			return ret;
	}
	return 0;
}

static int snp_finish_launch(struct vm *vm, struct error *e)
{
	const struct snp_id_auth_files *id = vm->launch.snp_id;
	struct cvmm_kvm_sev_snp_launch_finish f = { 0 };

	memcpy(f.host_data, vm->cfg->snp.host_data, sizeof(f.host_data));
	if (id) {
		f.id_block_uaddr = (uintptr_t)&id->block;
		f.id_auth_uaddr = (uintptr_t)&id->auth;
		f.id_block_en = 1;
		f.auth_key_en = id->auth.auth_key_algo != 0;
	}
	return sev_cmd(vm, KVM_SEV_SNP_LAUNCH_FINISH, &f, "KVM_SEV_SNP_LAUNCH_FINISH", e);
}

static void snp_destroy(struct vm *vm)
{
	struct snp_vm *s = vm->tee;

	if (!s)
		return;
	cvm_teardown(vm, &s->conv);
	cvm_fw_memory_destroy(&s->fw);
	if (s->sev_fd >= 0)
		close(s->sev_fd);
	free(s);
	vm->tee = NULL;
}

/* ---- exits ---- */

static int snp_hypercall(struct vm *vm, struct vcpu *vcpu, struct kvm_run *run)
{
	struct snp_vm *s = vm->tee;

	return cvm_handle_hypercall(vm, &s->conv, vcpu, run);
}

static int snp_memory_fault(struct vm *vm, struct vcpu *vcpu, struct kvm_run *run)
{
	struct snp_vm *s = vm->tee;

	return cvm_handle_memory_fault(vm, &s->conv, vcpu, run);
}

static const char *term_reason(unsigned set, unsigned code)
{
	/* GHCB specification set 0; Linux guests' own set 1 (arch/x86/include/asm/sev-common.h). */
	static const char *const general[] = { "general termination request",
					       "GHCB protocol version not supported",
					       "SEV-SNP features not supported" };
	static const char *const linux_set[] = { "GHCB registration failed",
						 "page state change failed",
						 "PVALIDATE failed",
						 "not running at VMPL0",
						 "CPUID validation failed",
						 "CPUID hypervisor fallback failed",
						 "secrets page invalid" };

	if (set == 0 && code < ARRAY_SIZE(general))
		return general[code];
	if (set == 1 && code < ARRAY_SIZE(linux_set))
		return linux_set[code];
	return "reason not known to cvmm";
}

void snp_term_describe(const struct kvm_run *run, char *buf, size_t len)
{
	uint64_t v = run->system_event.data[0];

	if (run->system_event.ndata == 0)
		snprintf(buf, len, "shut down (triple fault)");
	else if ((v & CVMM_GHCB_MSR_INFO_MASK) == CVMM_GHCB_MSR_TERM_REQ)
		snprintf(buf, len, "requested termination: reason set %u, code 0x%02x (%s)",
			 CVMM_GHCB_TERM_SET(v), CVMM_GHCB_TERM_CODE(v),
			 term_reason(CVMM_GHCB_TERM_SET(v), CVMM_GHCB_TERM_CODE(v)));
	else
		snprintf(buf, len, "requested termination through its GHCB at 0x%llx (the reason "
			 "stays in guest memory)", (unsigned long long)v);
}

/* A termination request: one line with the reason, exit status 1. */
static int snp_tee_exit(struct vm *vm, struct vcpu *vcpu, struct kvm_run *run)
{
	char why[160], line[200];

	if (run->exit_reason == KVM_EXIT_SYSTEM_EVENT &&
	    run->system_event.type == KVM_SYSTEM_EVENT_SEV_TERM)
		snp_term_describe(run, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "exited with reason %u, which an SNP guest cannot",
			 run->exit_reason);
	snprintf(line, sizeof(line), "vcpu%u: SEV-SNP guest %s", vcpu->id, why);
	vm_stop(vm, VM_EXIT_GUEST_ERROR, line);
	return -EINVAL;
}

const struct tee_ops tee_snp_ops = {
	.name = "snp",
	.vm_type = CVMM_KVM_X86_SNP_VM,
	.probe = snp_probe,
	.init_vm = snp_init_vm,
	.setup_memory = snp_setup_memory,
	.place_payload = snp_place_payload,
	.init_vcpu = snp_init_vcpu,
	.finish_launch = snp_finish_launch,
	.destroy = snp_destroy,
	.handle_hypercall = snp_hypercall,
	.handle_memory_fault = snp_memory_fault,
	.handle_tee_exit = snp_tee_exit,
};
