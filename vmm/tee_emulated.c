// SPDX-License-Identifier: MIT
/*
 * --tee emulated: the confidential-memory discipline of TDX/SNP on plain KVM, for development and
 * tests.  No confidentiality: KVM maps the single memfd backing, private pages included.  What it
 * does give: the VM starts all private, the guest converts with KVM_HC_MAP_GPA_RANGE, devices
 * reach only shared pages (accessor and a guarded device mapping), and a page reads as zero after
 * each change of side.  See docs/confidential-memory.md.
 */
#include <errno.h>
#include <stdlib.h>

#include "vmm/convert.h"
#include "vmm/cvm_memory.h"
#include "vmm/error.h"
#include "vmm/tee.h"
#include "vmm/vm.h"

static int emulated_init(struct vm *vm, struct error *e)
{
	struct converter *c = calloc(1, sizeof(*c));

	if (!c)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	vm->tee = c;
	return cvm_enable_map_gpa_exit(vm, e);
}

static int emulated_setup_memory(struct vm *vm, struct error *e)
{
	return cvm_setup_emulated(vm, vm->tee, e);
}

static void emulated_destroy(struct vm *vm)
{
	if (!vm->tee)
		return;
	cvm_teardown(vm, vm->tee);
	free(vm->tee);
	vm->tee = NULL;
}

static int emulated_hypercall(struct vm *vm, struct vcpu *vcpu, struct kvm_run *run)
{
	return cvm_handle_hypercall(vm, vm->tee, vcpu, run);
}

static int emulated_memory_fault(struct vm *vm, struct vcpu *vcpu, struct kvm_run *run)
{
	return cvm_handle_memory_fault(vm, vm->tee, vcpu, run);
}

static void emulated_counters(struct vm *vm, struct vm_counters *out)
{
	struct convert_stats s;

	if (!vm->tee)
		return;
	converter_get_stats(vm->tee, &s);
	out->conversions.to_shared = s.to_shared;
	out->conversions.to_private = s.to_private;
	out->conversions.pages_to_shared = s.pages_to_shared;
	out->conversions.pages_to_private = s.pages_to_private;
	out->conversions.rejected = s.rejected;
}

const struct tee_ops tee_emulated_ops = {
	.name = "emulated",
	.vm_type = 0,
	.init_vm = emulated_init,
	.setup_memory = emulated_setup_memory,
	.destroy = emulated_destroy,
	.handle_hypercall = emulated_hypercall,
	.handle_memory_fault = emulated_memory_fault,
	.counters = emulated_counters,
};
