// SPDX-License-Identifier: MIT
/*
 * --tee tdx: a TD built through Linux 6.16's KVM uAPI, in the order the kernel enforces
 * (Documentation/virt/kvm/x86/intel-tdx.rst):
 *
 *   probe          KVM_CAP_VM_TYPES has KVM_X86_TDX_VM, or one line naming kvm_intel.tdx
 *   init_vm        (after KVM_CREATE_VM(TDX) and the split irqchip) EXIT_HYPERCALL for
 *                  MAP_GPA_RANGE, an APIC bus of 40 ns, KVM_TDX_CAPABILITIES, KVM_TDX_INIT_VM
 *   setup_memory   guest_memfd memslots for RAM and for sections outside RAM, all PRIVATE
 *   place_payload  each plan region with PAGE.ADD staged in page-aligned memory
 *   init_vcpu      KVM_SET_CPUID2 (x2APIC), then KVM_TDX_INIT_VCPU with RCX = the TD HOB's GPA;
 *                  no register, MSR, FPU or LAPIC ioctl: a TD's state is the TDX module's
 *   finish_launch  KVM_TDX_INIT_MEM_REGION per region in plan order on vCPU 0, measured iff the
 *                  section has MR.EXTEND, then KVM_TDX_FINALIZE_VM
 *
 * The plan is launch_inputs_build()'s, the one `cvmm measure` hashes into MRTD.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include "tdx/qgs.h"
#include "tdx/td_payload.h"
#include "tdx/tdx_cpuid.h"
#include "tdx/tdx_vm.h"
#include "vmm/cvm_memory.h"
#include "vmm/error.h"
#include "vmm/log.h"
#include "vmm/tee.h"
#include "vmm/vm.h"

#define TDX_APIC_BUS_CYCLES_NS 40 /* the TDX module's virtual APIC timer runs at 25 MHz */
#define TDX_CAPS_MIN_NENT      16
#define TDX_CAPS_MAX_NENT      256 /* KVM_MAX_CPUID_ENTRIES */
#define TDX_INIT_VM_TRIES      16  /* -EAGAIN: the TDX module lacked entropy for a key */
#define TDX_MEM_MAX_STALLS     64  /* INIT_MEM_REGION calls in a row that add no page */

static struct tdx_vm *tdx_of(struct vm *vm)
{
	return vm->tee;
}

static int tdx_cmd(int fd, uint32_t id, uint32_t flags, uint64_t data, uint64_t *hw_error)
{
	struct cvmm_kvm_tdx_cmd cmd = { .id = id, .flags = flags, .data = data };
	int ret = kvm_memory_encrypt_op(fd, &cmd);

	if (hw_error)
		*hw_error = cmd.hw_error;
	return ret;
}

/* ---- 1. probe ---- */

static int tdx_probe(struct vm *vm, struct error *e)
{
	struct utsname u;
	int types;

	if (vm->kvm_fd < 0)
		return 0; /* no KVM at all: vm_create()'s "cannot open /dev/kvm" line says it */
	types = kvm_check_extension(vm->kvm_fd, KVM_CAP_VM_TYPES);
	if (types > 0 && (types & (1 << CVMM_KVM_X86_TDX_VM)))
		return 0;
	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	return error_set(e, ERROR_HOST, ENOTSUP,
			 "--tee tdx: this host cannot run TDX guests: KVM on Linux %s offers no TDX "
			 "VM type (KVM_CAP_VM_TYPES 0x%x); TDX needs Linux 6.16 or later, a CPU and "
			 "BIOS with TDX enabled, and kvm_intel loaded with the module parameter "
			 "kvm_intel.tdx=1", u.release, types > 0 ? (unsigned)types : 0);
}

/* ---- 2-4. VM-wide setup ---- */

static int get_capabilities(struct vm *vm, struct tdx_vm *t, struct error *e)
{
	for (unsigned nent = TDX_CAPS_MIN_NENT; nent <= TDX_CAPS_MAX_NENT; nent *= 2) {
		struct cvmm_kvm_tdx_capabilities *caps;
		uint64_t hw = 0;
		int ret;

		caps = calloc(1, sizeof(*caps) + nent * sizeof(caps->cpuid.entries[0]));
		if (!caps)
			return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
		caps->cpuid.nent = nent;
		ret = tdx_cmd(vm->vm_fd, KVM_TDX_CAPABILITIES, 0, (uintptr_t)caps, &hw);
		if (!ret && caps->cpuid.nent <= nent) {
			t->caps = caps;
			return 0;
		}
		free(caps);
		if (ret != -E2BIG)
			return error_set(e, ERROR_HOST, ret ? ret : -EPROTO,
					 "KVM_TDX_CAPABILITIES failed: %s (TDX status 0x%llx)",
					 strerror(ret ? -ret : EPROTO), (unsigned long long)hw);
	}
	return error_set(e, ERROR_HOST, E2BIG, "KVM_TDX_CAPABILITIES lists more than %d CPUID leaves",
			 TDX_CAPS_MAX_NENT);
}

static int check_attributes(const struct vm_config *cfg, const struct tdx_vm *t,
			    struct error *e)
{
	uint64_t extra = cfg->tdx.attributes & ~t->caps->supported_attrs;

	if (!extra)
		return 0;
	return error_set(e, ERROR_USAGE, ENOTSUP,
			 "--tdx-attributes 0x%llx: this host's TDX does not allow 0x%llx%s (it allows "
			 "0x%llx)", (unsigned long long)cfg->tdx.attributes,
			 (unsigned long long)extra, extra & CVMM_TDX_ATTR_DEBUG ? " (debug)" : "",
			 (unsigned long long)t->caps->supported_attrs);
}

static int init_td(struct vm *vm, struct tdx_vm *t, struct error *e)
{
	const struct vm_config *cfg = vm->cfg;
	struct cvmm_kvm_tdx_init_vm *iv;
	struct kvm_cpuid2 *cpuid;
	uint64_t hw = 0;
	int ret;

	ret = tdx_cpuid_init_vm(&t->caps->cpuid, vm->supported_cpuid, TDX_GPAW_DEFAULT, &cpuid, e);
	if (ret)
		return ret;
	iv = calloc(1, sizeof(*iv) + cpuid->nent * sizeof(cpuid->entries[0]));
	if (!iv) {
		free(cpuid);
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	}
	t->attributes = cfg->tdx.attributes;
	t->xfam = t->caps->supported_xfam;
	iv->attributes = t->attributes;
	iv->xfam = t->xfam;
	memcpy(iv->mrconfigid, cfg->tdx.mrconfigid, sizeof(iv->mrconfigid));
	memcpy(iv->mrowner, cfg->tdx.mrowner, sizeof(iv->mrowner));
	memcpy(iv->mrownerconfig, cfg->tdx.mrownerconfig, sizeof(iv->mrownerconfig));
	iv->cpuid.nent = cpuid->nent;
	memcpy(iv->cpuid.entries, cpuid->entries, cpuid->nent * sizeof(cpuid->entries[0]));
	free(cpuid);
	ret = -EAGAIN;
	for (unsigned i = 0; i < TDX_INIT_VM_TRIES && (ret == -EAGAIN || ret == -EINTR); i++)
		ret = tdx_cmd(vm->vm_fd, KVM_TDX_INIT_VM, 0, (uintptr_t)iv, &hw);
	free(iv);
	if (ret)
		return error_set(e, ERROR_HOST, ret, "KVM_TDX_INIT_VM failed: %s (TDX status 0x%llx)",
				 strerror(-ret), (unsigned long long)hw);
	return 0;
}

static int start_quote_service(struct vm *vm, struct tdx_vm *t, struct error *e)
{
	struct qgs_addr addr;
	int ret;

	if (!vm->cfg->tdx.quote_service)
		return 0;
	ret = qgs_addr_parse(vm->cfg->tdx.quote_service, &addr, e);
	if (ret)
		return ret;
	ret = qgs_client_create(&t->qgs, &vm->loop, &addr, QGS_DEFAULT_TIMEOUT_MS);
	if (ret)
		return error_set(e, ERROR_HOST, ret, "cannot set up the quote service client: %s",
				 strerror(-ret));
	return 0;
}

static int tdx_init(struct vm *vm, struct error *e)
{
	struct tdx_vm *t = calloc(1, sizeof(*t));
	int ret;

	if (!t)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	cvm_fw_memory_init(&t->fw);
	pthread_mutex_init(&t->lock, NULL);
	vm->tee = t;
	ret = cvm_enable_map_gpa_exit(vm, e);
	if (ret)
		return ret;
	if (kvm_check_extension(vm->vm_fd, KVM_CAP_X86_APIC_BUS_CYCLES_NS) <= 0)
		return error_set(e, ERROR_HOST, ENOTSUP,
				 "KVM lacks KVM_CAP_X86_APIC_BUS_CYCLES_NS, which a TD needs");
	ret = kvm_enable_cap(vm->vm_fd, KVM_CAP_X86_APIC_BUS_CYCLES_NS, TDX_APIC_BUS_CYCLES_NS);
	if (ret)
		return error_set(e, ERROR_HOST, ret,
				 "KVM_ENABLE_CAP(KVM_CAP_X86_APIC_BUS_CYCLES_NS, %d) failed: %s",
				 TDX_APIC_BUS_CYCLES_NS, strerror(-ret));
	ret = get_capabilities(vm, t, e);
	if (!ret)
		ret = check_attributes(vm->cfg, t, e);
	if (!ret)
		ret = init_td(vm, t, e);
	if (!ret)
		ret = start_quote_service(vm, t, e);
	return ret;
}

/* ---- memory ---- */

static int cmp_region_gpa(const void *a, const void *b)
{
	const struct launch_region *x = *(const struct launch_region *const *)a;
	const struct launch_region *y = *(const struct launch_region *const *)b;

	return x->gpa < y->gpa ? -1 : x->gpa > y->gpa;
}

/* The sections outside RAM, by address, each range once (adjacent ones share a slot). */
static int add_firmware_ranges(struct vm *vm, struct tdx_vm *t, struct error *e)
{
	const struct launch_plan *plan = &vm->launch.plan;
	const struct launch_region **out;
	size_t n = 0;
	int ret = 0;

	out = calloc(plan->nr_regions ? plan->nr_regions : 1, sizeof(*out));
	if (!out)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	for (size_t i = 0; i < plan->nr_regions; i++)
		if (td_region_outside_ram(&plan->regions[i], &vm->mem))
			out[n++] = &plan->regions[i];
	qsort(out, n, sizeof(*out), cmp_region_gpa);
	for (size_t i = 0; i < n && !ret; i++) {
		ret = cvm_fw_memory_add(&t->fw, out[i]->gpa, out[i]->size);
		if (ret)
			error_set(e, ERROR_INPUT, ret, "firmware memory at [0x%llx, +0x%llx): %s",
				  (unsigned long long)out[i]->gpa, (unsigned long long)out[i]->size,
				  ret == -ENOSPC ? "too many separate ranges" : "overlaps another");
	}
	free(out);
	return ret;
}

static int tdx_setup_memory(struct vm *vm, struct error *e)
{
	struct tdx_vm *t = tdx_of(vm);
	int ret = cvm_setup_guest_memfd(vm, &t->conv, e);

	if (!ret)
		ret = add_firmware_ranges(vm, t, e);
	if (!ret)
		ret = cvm_fw_memory_map(vm, &t->fw, GUEST_MEM_MAX_REGIONS, e);
	return ret;
}

/* ---- payload ---- */

static void free_stage(struct tdx_vm *t)
{
	for (size_t i = 0; i < t->nr_stage; i++)
		if (t->stage[i].buf)
			munmap(t->stage[i].buf, t->stage[i].region->size);
	free(t->stage);
	t->stage = NULL;
	t->nr_stage = 0;
}

static int tdx_place_payload(struct vm *vm, struct error *e)
{
	const struct launch_plan *plan = &vm->launch.plan;
	struct tdx_vm *t = tdx_of(vm);

	t->stage = calloc(plan->nr_regions ? plan->nr_regions : 1, sizeof(*t->stage));
	if (!t->stage)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	for (size_t i = 0; i < plan->nr_regions; i++) {
		const struct launch_region *r = &plan->regions[i];
		struct tdx_stage *s = &t->stage[t->nr_stage];
		int ret;

		if (!r->tdx_add)
			continue; /* PAGE.AUG: the guest accepts it itself */
		ret = launch_region_stage(r, &s->buf);
		if (ret)
			return error_set(e, ERROR_HOST, ret,
					 "cannot stage the %llu bytes of TDVF section %zu: %s",
					 (unsigned long long)r->size, i, strerror(-ret));
		s->region = r;
		t->nr_stage++;
	}
	return 0;
}

/* ---- 5. vCPUs ---- */

static int tdx_init_vcpu(struct vm *vm, struct vcpu *vcpu, struct error *e)
{
	struct kvm_cpuid2 *cpuid;
	uint64_t hw = 0;
	int ret;

	ret = tdx_cpuid_vcpu(vm->supported_cpuid, vcpu->id, vm->nr_vcpus, &cpuid, e);
	if (ret)
		return ret;
	ret = kvm_set_cpuid2(vcpu->fd, cpuid);
	free(cpuid);
	if (ret)
		return error_set(e, ERROR_HOST, ret, "vcpu%u: KVM_SET_CPUID2 failed: %s", vcpu->id,
				 strerror(-ret));
	ret = tdx_cmd(vcpu->fd, KVM_TDX_INIT_VCPU, 0, vm->launch.td.hob_gpa, &hw);
	if (ret)
		return error_set(e, ERROR_HOST, ret,
				 "vcpu%u: KVM_TDX_INIT_VCPU failed: %s (TDX status 0x%llx)", vcpu->id,
				 strerror(-ret), (unsigned long long)hw);
	return 0;
}

/* ---- 6-7. initial memory, finalization ---- */

/*
 * Adds one region.  KVM works page by page and may stop early (-EINTR, -EAGAIN) after advancing
 * the struct in place; the call is repeated until no page is left.  The struct must advance in
 * step (source, GPA and count together), and not stall for good.
 */
static int add_region(int vcpu_fd, const struct tdx_stage *s, struct error *e)
{
	const struct launch_region *r = s->region;
	uint64_t pages = launch_region_pages(r), hw = 0;
	struct cvmm_kvm_tdx_init_mem_region m = {
		.source_addr = (uintptr_t)s->buf,
		.gpa = r->gpa,
		.nr_pages = pages,
	};
	uint32_t flags = r->tdx_extend ? KVM_TDX_MEASURE_MEMORY_REGION : 0;
	unsigned stalls = 0;
	int ret = 0;

	while (m.nr_pages) {
		uint64_t before = m.nr_pages, done;

		ret = tdx_cmd(vcpu_fd, KVM_TDX_INIT_MEM_REGION, flags, (uintptr_t)&m, &hw);
		if (ret && ret != -EINTR && ret != -EAGAIN)
			break;
		done = pages - m.nr_pages;
		if (m.nr_pages > before || m.gpa != r->gpa + done * LAUNCH_PAGE_SIZE ||
		    m.source_addr != (uintptr_t)s->buf + done * LAUNCH_PAGE_SIZE) {
			ret = -EPROTO;
			break;
		}
		stalls = m.nr_pages < before ? 0 : stalls + 1;
		if (stalls > TDX_MEM_MAX_STALLS) {
			ret = -ETIMEDOUT;
			break;
		}
	}
	if (!ret)
		return 0;
	return error_set(e, ERROR_HOST, ret,
			 "KVM_TDX_INIT_MEM_REGION for [0x%llx, +0x%llx)%s failed at 0x%llx: %s "
			 "(TDX status 0x%llx)", (unsigned long long)r->gpa,
			 (unsigned long long)r->size, flags ? " (measured)" : "",
			 (unsigned long long)m.gpa,
			 ret == -EPROTO ? "KVM advanced the region inconsistently"
					: ret == -ETIMEDOUT ? "no progress" : strerror(-ret),
			 (unsigned long long)hw);
}

static int tdx_finish_launch(struct vm *vm, struct error *e)
{
	struct tdx_vm *t = tdx_of(vm);
	uint64_t hw = 0;
	int ret = 0;

	for (size_t i = 0; i < t->nr_stage && !ret; i++)
		ret = add_region(vm->vcpus[0].fd, &t->stage[i], e);
	free_stage(t);
	if (ret)
		return ret;
	ret = tdx_cmd(vm->vm_fd, KVM_TDX_FINALIZE_VM, 0, 0, &hw);
	if (ret)
		return error_set(e, ERROR_HOST, ret,
				 "KVM_TDX_FINALIZE_VM failed: %s (TDX status 0x%llx)", strerror(-ret),
				 (unsigned long long)hw);
	log_info("TD launched: %zu sections added, attributes 0x%llx, xfam 0x%llx",
		 vm->launch.plan.nr_regions, (unsigned long long)t->attributes,
		 (unsigned long long)t->xfam);
	return 0;
}

static void tdx_destroy(struct vm *vm)
{
	struct tdx_vm *t = tdx_of(vm);

	if (!t)
		return;
	qgs_client_destroy(t->qgs);
	cvm_teardown(vm, &t->conv);
	cvm_fw_memory_destroy(&t->fw);
	free_stage(t);
	free(t->caps);
	pthread_mutex_destroy(&t->lock);
	free(t);
	vm->tee = NULL;
}

const struct tee_ops tee_tdx_ops = {
	.name = "tdx",
	.vm_type = CVMM_KVM_X86_TDX_VM,
	.probe = tdx_probe,
	.init_vm = tdx_init,
	.setup_memory = tdx_setup_memory,
	.place_payload = tdx_place_payload,
	.init_vcpu = tdx_init_vcpu,
	.finish_launch = tdx_finish_launch,
	.destroy = tdx_destroy,
	.handle_hypercall = tdx_handle_hypercall,
	.handle_memory_fault = tdx_handle_memory_fault,
	.handle_tee_exit = tdx_handle_exit,
};
