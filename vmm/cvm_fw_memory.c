// SPDX-License-Identifier: MIT
/* Private memory outside RAM: one guest_memfd, one memslot per range.  See cvm_fw_memory.h. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/cvm_fw_memory.h"
#include "vmm/error.h"
#include "vmm/kvm_api.h"
#include "vmm/util.h"
#include "vmm/vm.h"

void cvm_fw_memory_init(struct cvm_fw_memory *fm)
{
	memset(fm, 0, sizeof(*fm));
	fm->gmem_fd = -1;
}

int cvm_fw_memory_add(struct cvm_fw_memory *fm, uint64_t gpa, uint64_t size)
{
	if (!size || !IS_ALIGNED(gpa, GUEST_PAGE_SIZE) || !IS_ALIGNED(size, GUEST_PAGE_SIZE) ||
	    gpa + size < gpa || fm->gmem_fd >= 0)
		return -EINVAL;
	for (unsigned i = 0; i < fm->nr_ranges; i++)
		if (gpa < fm->ranges[i].gpa + fm->ranges[i].size && fm->ranges[i].gpa < gpa + size)
			return -EINVAL;
	if (fm->nr_ranges) {
		typeof(fm->ranges[0]) *last = &fm->ranges[fm->nr_ranges - 1];

		if (last->gpa + last->size == gpa) {
			last->size += size;
			fm->size += size;
			return 0;
		}
	}
	if (fm->nr_ranges == CVM_FW_MAX_RANGES)
		return -ENOSPC;
	fm->ranges[fm->nr_ranges].gpa = gpa;
	fm->ranges[fm->nr_ranges].size = size;
	fm->ranges[fm->nr_ranges].offset = fm->size;
	fm->nr_ranges++;
	fm->size += size;
	return 0;
}

int cvm_fw_memory_contains(const struct cvm_fw_memory *fm, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < fm->nr_ranges; i++)
		if (gpa >= fm->ranges[i].gpa && gpa - fm->ranges[i].gpa < fm->ranges[i].size &&
		    len <= fm->ranges[i].size - (gpa - fm->ranges[i].gpa))
			return 1;
	return 0;
}

int cvm_fw_memory_map(struct vm *vm, struct cvm_fw_memory *fm, unsigned first_slot,
		      struct error *e)
{
	void *shared;
	int fd, ret;

	if (!fm->nr_ranges)
		return 0;
	shared = mmap(NULL, fm->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		      MAP_NORESERVE, -1, 0);
	if (shared == MAP_FAILED)
		return error_set(e, ERROR_HOST, errno, "cannot map %llu bytes for firmware memory",
				 (unsigned long long)fm->size);
	fm->shared = shared;
	fd = kvm_create_guest_memfd(vm->vm_fd, fm->size, 0);
	if (fd < 0)
		return error_set(e, ERROR_HOST, fd,
				 "KVM_CREATE_GUEST_MEMFD for firmware memory (%llu bytes) failed: %s",
				 (unsigned long long)fm->size, strerror(-fd));
	fm->gmem_fd = fd;
	for (unsigned i = 0; i < fm->nr_ranges; i++) {
		const typeof(fm->ranges[0]) *r = &fm->ranges[i];
		struct cvmm_kvm_userspace_memory_region2 slot = {
			.slot = first_slot + i,
			.flags = CVMM_KVM_MEM_GUEST_MEMFD,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uintptr_t)(fm->shared + r->offset),
			.guest_memfd_offset = r->offset,
			.guest_memfd = (uint32_t)fd,
		};

		ret = kvm_set_user_memory_region2(vm->vm_fd, &slot);
		if (!ret)
			ret = kvm_set_memory_attributes(vm->vm_fd, r->gpa, r->size,
							CVMM_KVM_MEMORY_ATTRIBUTE_PRIVATE);
		if (ret)
			return error_set(e, ERROR_HOST, ret,
					 "private firmware memory at [0x%llx, +0x%llx) failed: %s",
					 (unsigned long long)r->gpa, (unsigned long long)r->size,
					 strerror(-ret));
	}
	return 0;
}

void cvm_fw_memory_destroy(struct cvm_fw_memory *fm)
{
	if (fm->shared)
		munmap(fm->shared, fm->size);
	if (fm->gmem_fd >= 0)
		close(fm->gmem_fd);
	cvm_fw_memory_init(fm);
}
