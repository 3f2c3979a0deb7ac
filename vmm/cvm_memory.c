// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "vmm/convert.h"
#include "vmm/cvm_memory.h"
#include "vmm/error.h"
#include "vmm/kvm_api.h"
#include "vmm/log.h"
#include "vmm/vm.h"

int cvm_enable_map_gpa_exit(struct vm *vm, struct error *e)
{
	uint64_t bit = 1ULL << KVM_HC_MAP_GPA_RANGE_NR;
	int ret = kvm_check_extension(vm->vm_fd, KVM_CAP_EXIT_HYPERCALL);

	if (ret < 0 || !((uint64_t)ret & bit))
		return error_set(e, ERROR_HOST, ENOTSUP,
				 "KVM cannot exit to cvmm on the MAP_GPA_RANGE hypercall "
				 "(KVM_CAP_EXIT_HYPERCALL)");
	ret = kvm_enable_cap(vm->vm_fd, KVM_CAP_EXIT_HYPERCALL, bit);
	if (ret)
		return error_set(e, ERROR_HOST, ret,
				 "KVM_ENABLE_CAP(KVM_CAP_EXIT_HYPERCALL) failed: %s", strerror(-ret));
	return 0;
}

static int require_cap(struct vm *vm, long cap, uint64_t bits, const char *name,
		       struct error *e)
{
	int ret = kvm_check_extension(vm->vm_fd, cap);

	if (ret <= 0 || (bits && !((uint64_t)ret & bits)))
		return error_set(e, ERROR_HOST, ENOTSUP,
				 "KVM lacks %s, which private guest memory needs", name);
	return 0;
}

int cvm_setup_guest_memfd(struct vm *vm, struct converter *c, struct error *e)
{
	struct guest_mem *gm = &vm->mem;
	int ret, fd;

	ret = require_cap(vm, KVM_CAP_GUEST_MEMFD, 0, "KVM_CAP_GUEST_MEMFD", e);
	if (!ret)
		ret = require_cap(vm, KVM_CAP_USER_MEMORY2, 0, "KVM_CAP_USER_MEMORY2", e);
	if (!ret)
		ret = require_cap(vm, KVM_CAP_MEMORY_ATTRIBUTES, CVMM_KVM_MEMORY_ATTRIBUTE_PRIVATE,
				  "KVM_CAP_MEMORY_ATTRIBUTES (private)", e);
	if (ret)
		return ret;
	fd = kvm_create_guest_memfd(vm->vm_fd, gm->ram_size, 0);
	if (fd < 0)
		return error_set(e, ERROR_HOST, fd, "KVM_CREATE_GUEST_MEMFD (%llu bytes) failed: %s",
				 (unsigned long long)gm->ram_size, strerror(-fd));
	gm->gmem_fd = fd;
	ret = guest_mem_enable_attrs(gm, false);
	if (ret)
		return error_set(e, ERROR_HOST, ret, "cannot create the memory attribute map: %s",
				 strerror(-ret));
	for (unsigned i = 0; i < gm->nr_regions; i++) {
		const struct guest_mem_region *r = &gm->regions[i];
		struct cvmm_kvm_userspace_memory_region2 slot = {
			.slot = i,
			.flags = CVMM_KVM_MEM_GUEST_MEMFD,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uintptr_t)r->hva,
			.guest_memfd_offset = r->fd_offset,
			.guest_memfd = (uint32_t)fd,
		};

		ret = kvm_set_user_memory_region2(vm->vm_fd, &slot);
		if (ret)
			return error_set(e, ERROR_HOST, ret,
					 "KVM_SET_USER_MEMORY_REGION2 for [0x%llx, +0x%llx) failed: %s",
					 (unsigned long long)r->gpa, (unsigned long long)r->size,
					 strerror(-ret));
	}
	/* Every page starts private, in KVM as in the map. */
	for (unsigned i = 0; i < gm->nr_regions; i++) {
		const struct guest_mem_region *r = &gm->regions[i];

		ret = kvm_set_memory_attributes(vm->vm_fd, r->gpa, r->size,
						CVMM_KVM_MEMORY_ATTRIBUTE_PRIVATE);
		if (ret)
			return error_set(e, ERROR_HOST, ret,
					 "KVM_SET_MEMORY_ATTRIBUTES (private) for [0x%llx, +0x%llx) "
					 "failed: %s", (unsigned long long)r->gpa,
					 (unsigned long long)r->size, strerror(-ret));
	}
	ret = converter_init(c, vm->vm_fd, gm, CONVERT_GUEST_MEMFD);
	if (ret)
		return error_set(e, ERROR_HOST, ret, "cannot set up memory conversion: %s",
				 strerror(-ret));
	return 0;
}

int cvm_setup_emulated(struct vm *vm, struct converter *c, struct error *e)
{
	struct guest_mem *gm = &vm->mem;
	int ret;

	ret = guest_mem_enable_attrs(gm, true);
	if (ret)
		return error_set(e, ERROR_HOST, ret, "cannot create the memory attribute map: %s",
				 strerror(-ret));
	/* KVM runs the guest on the shared backing: it cannot keep private memory apart. */
	ret = vm_register_memslots(vm, e);
	if (ret)
		return ret;
	ret = converter_init(c, vm->vm_fd, gm, CONVERT_EMULATED);
	if (ret)
		return error_set(e, ERROR_HOST, ret, "cannot set up memory conversion: %s",
				 strerror(-ret));
	return 0;
}

int cvm_handle_hypercall(struct vm *vm, struct converter *c, struct vcpu *vcpu,
			 struct kvm_run *run)
{
	int ret = converter_handle_hypercall(c, run);

	if (ret)
		vm_stop(vm, VM_EXIT_HOST_ERROR, NULL);
	return ret;
}

int cvm_handle_memory_fault(struct vm *vm, struct converter *c, struct vcpu *vcpu,
			    struct kvm_run *run)
{
	int ret = converter_handle_memory_fault(c, run);

	if (ret)
		vm_stop(vm, ret == -EFAULT ? VM_EXIT_GUEST_ERROR : VM_EXIT_HOST_ERROR,
				NULL);
	return ret;
}

void cvm_teardown(struct vm *vm, struct converter *c)
{
	struct convert_stats s;
	int ret;

	if (!c->gm)
		return;
	ret = converter_flush(c);
	converter_get_stats(c, &s);
	converter_destroy(c);
	if (ret)
		log_warn("discarding converted guest memory failed: %s", strerror(-ret));
	log_info("memory conversions: to shared %llu (%llu pages), to private %llu (%llu pages), "
		 "no-op %llu, rejected %llu, memory-fault exits %llu",
		 (unsigned long long)s.to_shared, (unsigned long long)s.pages_to_shared,
		 (unsigned long long)s.to_private, (unsigned long long)s.pages_to_private,
		 (unsigned long long)s.noop, (unsigned long long)s.rejected,
		 (unsigned long long)s.memory_faults);
	log_info("memory conversion calls: set-attributes %llu, punch-hole %llu (+%llu merged), "
		 "mprotect %llu; device accesses refused: %llu",
		 (unsigned long long)s.attr_calls, (unsigned long long)s.punch_calls,
		 (unsigned long long)s.punch_merged, (unsigned long long)s.mprotect_calls,
		 (unsigned long long)guest_mem_dma_refusals(&vm->mem));
}
