// SPDX-License-Identifier: MIT
/*
 * Unit tests of private/shared conversion against the recording KVM: the guest_memfd memslot setup
 * (TDX/SNP style), the KVM_SET_MEMORY_ATTRIBUTES and punch-hole calls of each conversion in order
 * for both backings, deferred and merged discards, invalid requests answered in hypercall.ret
 * without stopping the vCPU, memory-fault exits, host failures, counters, and the emulated
 * tee_ops.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/kvm_recorder.h"
#include "vmm/convert.h"
#include "vmm/cvm_memory.h"
#include "vmm/kvm_api.h"
#include "vmm/tee.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

#define PG   4096ULL
#define M2   (2ULL << 20)
#define G1   (1ULL << 30)
#define HIGH 0x100000000ULL /* high RAM: 512 MiB at 4 GiB, memfd offset 3 GiB */
#define RAM  (3 * G1 + G1 / 2)
#define VM_FD 7
#define GMEM_FD 100 /* the recorder's first fake fd */
#define CAPS ((1 << 12) | (1 << 3)) /* every capability, with the bits that matter */

struct fixture {
	struct vm vm;
	struct vcpu_context ctx;
	struct vm_config cfg;
	struct converter conv;
	struct kvm_run run;
	struct vcpu vcpu;
};

static struct fixture *new_vm(enum tee_kind tee)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	config_init(&f->cfg);
	f->cfg.tee = tee;
	/* Only what the TEE code touches: no loop, no vCPU threads, no stop fd. */
	f->vm.cfg = &f->cfg;
	f->vm.kvm_fd = 6;
	f->vm.vm_fd = VM_FD;
	f->vm.stopping_fd = -1;
	run_control_init(&f->vm.run);
	assert_int_equal(guest_mem_create(&f->vm.mem, RAM), 0);
	/* What vm.c gives its vCPUs; tee_ops is filled in once a test selects one. */
	f->ctx = (struct vcpu_context){ .vm = &f->vm, .run = &f->vm.run, .request_stop = vm_stop };
	f->vcpu.ctx = &f->ctx;
	f->vcpu.run = &f->run;
	rec_reset();
	return f;
}

/* A VM with guest_memfd-backed private memory, set up and with the recorder log cleared. */
static struct fixture *new_gmem_vm(void)
{
	struct fixture *f = new_vm(TEE_SNP);

	rec_set_result("kvm_check_extension", CAPS);
	assert_int_equal(cvm_setup_guest_memfd(&f->vm, &f->conv, NULL), 0);
	rec_reset();
	return f;
}

static struct fixture *new_emulated_vm(void)
{
	struct fixture *f = new_vm(TEE_EMULATED);

	assert_int_equal(cvm_setup_emulated(&f->vm, &f->conv, NULL), 0);
	rec_reset();
	return f;
}

static void free_vm(struct fixture *f)
{
	converter_destroy(&f->conv);
	if (f->vm.mem.gmem_fd == GMEM_FD)
		f->vm.mem.gmem_fd = -1; /* the recorder's fd is not real */
	guest_mem_destroy(&f->vm.mem);
	run_control_destroy(&f->vm.run);
	free(f);
}

static void set_hypercall(struct fixture *f, uint64_t nr, uint64_t gpa, uint64_t npages,
			  uint64_t attrs)
{
	memset(&f->run, 0, sizeof(f->run));
	f->run.exit_reason = KVM_EXIT_HYPERCALL;
	f->run.hypercall.nr = nr;
	f->run.hypercall.args[0] = gpa;
	f->run.hypercall.args[1] = npages;
	f->run.hypercall.args[2] = attrs;
	f->run.hypercall.ret = 0x5555; /* must be overwritten */
}

/* MAP_GPA_RANGE through the converter; returns the handler's result. */
static int map_gpa(struct fixture *f, uint64_t gpa, uint64_t len, bool to_private)
{
	set_hypercall(f, KVM_HC_MAP_GPA_RANGE_NR, gpa, len / PG,
		      to_private ? KVM_MAP_GPA_RANGE_ENCRYPTED : KVM_MAP_GPA_RANGE_DECRYPTED);
	return converter_handle_hypercall(&f->conv, &f->run);
}

static void expect_call(size_t i, const char *op, int fd, uint64_t a0, uint64_t a1)
{
	const struct rec_call *c;

	if (i >= kvm_rec.nr_calls)
		fail_msg("call %zu (%s) missing: only %zu calls", i, op, kvm_rec.nr_calls);
	c = &kvm_rec.calls[i];
	if (strcmp(c->op, op) || c->fd != fd || c->args[0] != a0 || c->args[1] != a1)
		fail_msg("call %zu: got %s(fd %d, 0x%llx, 0x%llx), want %s(fd %d, 0x%llx, 0x%llx)",
			 i, c->op, c->fd, (unsigned long long)c->args[0],
			 (unsigned long long)c->args[1], op, fd, (unsigned long long)a0,
			 (unsigned long long)a1);
}

static void expect_attrs(size_t i, uint64_t gpa, uint64_t len, uint64_t attrs)
{
	expect_call(i, "kvm_set_memory_attributes", VM_FD, gpa, len);
	assert_int_equal(kvm_rec.calls[i].args[2], attrs);
}

static void test_gmem_setup(void **state)
{
	struct fixture *f = new_vm(TEE_TDX);
	struct cvmm_kvm_userspace_memory_region2 slot;
	long i;

	rec_set_result("kvm_check_extension", CAPS);
	assert_int_equal(cvm_setup_guest_memfd(&f->vm, &f->conv, NULL), 0);
	i = rec_find("kvm_create_guest_memfd", 0);
	assert_true(i >= 0);
	expect_call((size_t)i, "kvm_create_guest_memfd", VM_FD, RAM, 0);
	assert_int_equal(f->vm.mem.gmem_fd, GMEM_FD);
	for (unsigned r = 0; r < 2; r++) {
		const struct guest_mem_region *reg = &f->vm.mem.regions[r];

		expect_call((size_t)i + 1 + r, "kvm_set_user_memory_region2", VM_FD, r,
			    CVMM_KVM_MEM_GUEST_MEMFD);
		memcpy(&slot, kvm_rec.calls[i + 1 + r].blob, sizeof(slot));
		assert_int_equal(slot.guest_phys_addr, reg->gpa);
		assert_int_equal(slot.memory_size, reg->size);
		assert_int_equal(slot.userspace_addr, (uintptr_t)reg->hva);
		assert_int_equal(slot.guest_memfd, GMEM_FD);
		assert_int_equal(slot.guest_memfd_offset, reg->fd_offset);
		/* Real TEEs keep no separate device view: the shared side holds nothing private. */
		assert_ptr_equal(reg->dev_hva, reg->hva);
	}
	expect_attrs((size_t)i + 3, 0, 3 * G1, CVMM_KVM_MEMORY_ATTRIBUTE_PRIVATE);
	expect_attrs((size_t)i + 4, HIGH, G1 / 2, CVMM_KVM_MEMORY_ATTRIBUTE_PRIVATE);
	assert_int_equal(kvm_rec.nr_calls, (size_t)i + 5);
	assert_true(mem_attr_is_private(f->vm.mem.attrs, 0, 3 * G1));
	assert_true(mem_attr_is_private(f->vm.mem.attrs, HIGH, G1 / 2));
	free_vm(f);
}

static void test_gmem_setup_errors(void **state)
{
	struct fixture *f = new_vm(TEE_TDX);

	/* No guest_memfd support at all. */
	assert_int_equal(cvm_setup_guest_memfd(&f->vm, &f->conv, NULL), -ENOTSUP);
	assert_int_equal(rec_count("kvm_create_guest_memfd"), 0);
	/* Memory attributes without the PRIVATE bit. */
	rec_set_result("kvm_check_extension", 1 << 12);
	assert_int_equal(cvm_setup_guest_memfd(&f->vm, &f->conv, NULL), -ENOTSUP);
	assert_int_equal(rec_count("kvm_create_guest_memfd"), 0);
	/* guest_memfd creation fails. */
	rec_set_result("kvm_check_extension", CAPS);
	rec_fail_next("kvm_create_guest_memfd", -ENOMEM);
	assert_int_equal(cvm_setup_guest_memfd(&f->vm, &f->conv, NULL), -ENOMEM);
	assert_int_equal(rec_count("kvm_set_user_memory_region2"), 0);
	free_vm(f);

	/* A memslot is refused: no attributes are set. */
	f = new_vm(TEE_TDX);
	rec_set_result("kvm_check_extension", CAPS);
	rec_fail_next("kvm_set_user_memory_region2", -EINVAL);
	assert_int_equal(cvm_setup_guest_memfd(&f->vm, &f->conv, NULL), -EINVAL);
	assert_int_equal(rec_count("kvm_set_memory_attributes"), 0);
	free_vm(f);
}

static void test_gmem_round_trip(void **state)
{
	struct fixture *f = new_gmem_vm();
	const uint64_t gpa = HIGH + M2, len = 16 * PG, off = 3 * G1 + M2;
	int memfd = f->vm.mem.memfd;

	/* To shared: KVM first, the private side discarded later. */
	assert_int_equal(map_gpa(f, gpa, len, false), 0);
	assert_int_equal(f->run.hypercall.ret, 0);
	assert_int_equal(kvm_rec.nr_calls, 1);
	expect_attrs(0, gpa, len, 0);
	assert_true(mem_attr_is_shared(f->vm.mem.attrs, gpa, len));
	assert_false(mem_attr_is_shared(f->vm.mem.attrs, gpa - PG, PG));

	/* Back to private: the pending discard of these pages goes first. */
	assert_int_equal(map_gpa(f, gpa, len, true), 0);
	assert_int_equal(f->run.hypercall.ret, 0);
	expect_call(1, "host_punch_hole", GMEM_FD, off, len);
	expect_attrs(2, gpa, len, CVMM_KVM_MEMORY_ATTRIBUTE_PRIVATE);
	assert_int_equal(kvm_rec.nr_calls, 3);
	assert_true(mem_attr_is_private(f->vm.mem.attrs, gpa, len));
	assert_int_equal(converter_flush(&f->conv), 0);
	expect_call(3, "host_punch_hole", memfd, off, len);
	assert_int_equal(kvm_rec.nr_calls, 4);

	/* Low RAM: the memfd offset is the GPA. */
	rec_reset();
	assert_int_equal(map_gpa(f, 0x200000, M2, false), 0);
	assert_int_equal(converter_flush(&f->conv), 0);
	expect_attrs(0, 0x200000, M2, 0);
	expect_call(1, "host_punch_hole", GMEM_FD, 0x200000, M2);
	free_vm(f);
}

static void test_gmem_coalescing(void **state)
{
	struct fixture *f = new_gmem_vm();
	const uint64_t base = 0x1000000;
	struct convert_stats s;

	/* 32 adjacent pages, one at a time, upwards: one discard for all of them. */
	for (unsigned i = 0; i < 32; i++)
		assert_int_equal(map_gpa(f, base + i * PG, PG, false), 0);
	assert_int_equal(rec_count("kvm_set_memory_attributes"), 32);
	assert_int_equal(rec_count("host_punch_hole"), 0);
	/* Downwards from below the run: still the same run. */
	for (unsigned i = 1; i <= 8; i++)
		assert_int_equal(map_gpa(f, base - i * PG, PG, false), 0);
	assert_int_equal(rec_count("host_punch_hole"), 0);
	/* A page elsewhere breaks the run: one call for the 40 pages, the new one waits. */
	assert_int_equal(map_gpa(f, base + 64 * PG, PG, false), 0);
	assert_int_equal(rec_count("host_punch_hole"), 1);
	expect_call((size_t)rec_find("host_punch_hole", 0), "host_punch_hole", GMEM_FD,
		    base - 8 * PG, 40 * PG);
	assert_int_equal(map_gpa(f, base + 65 * PG, PG, false), 0); /* merges */
	/* One of those pages goes private again: its pending discard is done first. */
	assert_int_equal(map_gpa(f, base + 65 * PG, PG, true), 0);
	assert_int_equal(rec_count("host_punch_hole"), 2);
	expect_call((size_t)rec_find("host_punch_hole", 1), "host_punch_hole", GMEM_FD,
		    base + 64 * PG, 2 * PG);
	assert_true((size_t)rec_find("host_punch_hole", 1) <
		    (size_t)rec_find("kvm_set_memory_attributes", 42));
	assert_int_equal(converter_flush(&f->conv), 0);
	expect_call((size_t)rec_find("host_punch_hole", 2), "host_punch_hole",
		    f->vm.mem.memfd, base + 65 * PG, PG);
	assert_int_equal(converter_flush(&f->conv), 0); /* nothing pending: no call */
	assert_int_equal(rec_count("host_punch_hole"), 3);

	converter_get_stats(&f->conv, &s);
	assert_int_equal(s.to_shared, 42);
	assert_int_equal(s.pages_to_shared, 42);
	assert_int_equal(s.to_private, 1);
	assert_int_equal(s.pages_to_private, 1);
	assert_int_equal(s.attr_calls, 43);
	assert_int_equal(s.punch_calls, 3);
	assert_int_equal(s.punch_merged, 40);
	assert_int_equal(s.noop, 0);
	free_vm(f);
}

static void test_noop_conversion(void **state)
{
	struct fixture *f = new_gmem_vm();
	struct convert_stats s;

	assert_int_equal(map_gpa(f, 0x300000, 4 * PG, true), 0); /* already private */
	assert_int_equal(f->run.hypercall.ret, 0);
	assert_int_equal(kvm_rec.nr_calls, 0);
	converter_get_stats(&f->conv, &s);
	assert_int_equal(s.noop, 1);
	assert_int_equal(s.to_private, 1);
	free_vm(f);
}

struct bad_request {
	const char *what;
	uint64_t gpa, npages, attrs;
};

static const struct bad_request bad_requests[] = {
	{ "beyond the end of RAM", HIGH + G1 / 2, 1, 0 },
	{ "ending past RAM", HIGH + G1 / 2 - PG, 2, 0 },
	{ "in the MMIO hole", 0xd0000000ULL, 1, 0 },
	{ "low RAM into the hole", 3 * G1 - PG, 2, 0 },
	{ "across the hole", 3 * G1 - PG, (G1 + 2 * PG) / PG, 0 },
	{ "misaligned", 0x1001, 1, 0 },
	{ "zero pages", 0x1000, 0, 0 },
	{ "overflowing", 0xfffffffffffff000ULL, 2, 0 },
	{ "page count overflowing", 0x1000, 1ULL << 53, 0 },
	{ "unknown attribute bit", 0x1000, 1, 1ULL << 5 },
	{ "bad page size 3", 0x1000, 1, 3 },
	{ "bad page size 15", 0x1000, 1, 0xf | KVM_MAP_GPA_RANGE_ENCRYPTED },
};

static void test_invalid_requests(void **state)
{
	struct fixture *f = new_gmem_vm();
	struct convert_stats s;

	for (size_t i = 0; i < sizeof(bad_requests) / sizeof(bad_requests[0]); i++) {
		const struct bad_request *b = &bad_requests[i];

		set_hypercall(f, KVM_HC_MAP_GPA_RANGE_NR, b->gpa, b->npages, b->attrs);
		if (converter_handle_hypercall(&f->conv, &f->run) != 0 ||
		    f->run.hypercall.ret != CONVERT_HC_EINVAL)
			fail_msg("%s: not answered with -EINVAL", b->what);
	}
	assert_int_equal(kvm_rec.nr_calls, 0);
	assert_true(mem_attr_is_private(f->vm.mem.attrs, 0, 3 * G1));
	assert_true(mem_attr_is_private(f->vm.mem.attrs, HIGH, G1 / 2));
	converter_get_stats(&f->conv, &s);
	assert_int_equal(s.rejected, sizeof(bad_requests) / sizeof(bad_requests[0]));
	assert_int_equal(s.to_shared + s.to_private, 0);
	/* The converter API refuses the same ranges. */
	assert_int_equal(converter_convert(&f->conv, 0xd0000000ULL, PG, false), -EINVAL);
	assert_int_equal(converter_convert(&f->conv, 0, 0, false), -EINVAL);
	/* Page-size hints that are valid are accepted. */
	set_hypercall(f, KVM_HC_MAP_GPA_RANGE_NR, 0x200000, 512, KVM_MAP_GPA_RANGE_PAGE_SZ_2M);
	assert_int_equal(converter_handle_hypercall(&f->conv, &f->run), 0);
	assert_int_equal(f->run.hypercall.ret, 0);
	free_vm(f);
}

/* Through the vCPU exit dispatcher with the emulated tee_ops: errors never stop the vCPU. */
static void test_errors_do_not_stop_vcpu(void **state)
{
	struct fixture *f = new_vm(TEE_EMULATED);

	assert_int_equal(tee_select(TEE_EMULATED, &f->vm.tee_ops, NULL), 0);
	f->ctx.tee_ops = f->vm.tee_ops;
	rec_set_result("kvm_check_extension", CAPS);
	assert_int_equal(f->vm.tee_ops->init_vm(&f->vm, NULL), 0);
	assert_int_equal(f->vm.tee_ops->setup_memory(&f->vm, NULL), 0);
	for (size_t i = 0; i < sizeof(bad_requests) / sizeof(bad_requests[0]); i++) {
		const struct bad_request *b = &bad_requests[i];

		set_hypercall(f, KVM_HC_MAP_GPA_RANGE_NR, b->gpa, b->npages, b->attrs);
		assert_true(vcpu_handle_exit(&f->vcpu));
		assert_int_equal(f->run.hypercall.ret, CONVERT_HC_EINVAL);
	}
	set_hypercall(f, 1, 0, 0, 0); /* not MAP_GPA_RANGE */
	assert_true(vcpu_handle_exit(&f->vcpu));
	assert_int_equal(f->run.hypercall.ret, CONVERT_HC_ENOSYS);
	set_hypercall(f, KVM_HC_MAP_GPA_RANGE_NR, 0x100000, 1, 0); /* a good one */
	assert_true(vcpu_handle_exit(&f->vcpu));
	assert_int_equal(f->run.hypercall.ret, 0);
	assert_true(mem_attr_is_shared(f->vm.mem.attrs, 0x100000, PG));
	assert_false(vm_is_stopping(&f->vm));
	f->vm.tee_ops->destroy(&f->vm);
	assert_null(f->vm.tee);
	free_vm(f);
}

static void set_memory_fault(struct fixture *f, uint64_t gpa, uint64_t size, bool to_private)
{
	struct cvmm_kvm_memory_fault_exit *mf = kvm_run_memory_fault(&f->run);

	memset(&f->run, 0, sizeof(f->run));
	f->run.exit_reason = KVM_EXIT_MEMORY_FAULT;
	mf->flags = to_private ? CVMM_KVM_MEMORY_EXIT_FLAG_PRIVATE : 0;
	mf->gpa = gpa;
	mf->size = size;
}

static void test_memory_fault(void **state)
{
	struct fixture *f = new_gmem_vm();
	struct convert_stats s;

	set_memory_fault(f, 0x400000, PG, false);
	assert_int_equal(converter_handle_memory_fault(&f->conv, &f->run), 0);
	expect_attrs(0, 0x400000, PG, 0);
	assert_true(mem_attr_is_shared(f->vm.mem.attrs, 0x400000, PG));
	set_memory_fault(f, 0x400000, PG, true);
	assert_int_equal(converter_handle_memory_fault(&f->conv, &f->run), 0);
	expect_call(1, "host_punch_hole", GMEM_FD, 0x400000, PG);
	expect_attrs(2, 0x400000, PG, CVMM_KVM_MEMORY_ATTRIBUTE_PRIVATE);
	assert_true(mem_attr_is_private(f->vm.mem.attrs, 0x400000, PG));
	/* Outside RAM: nothing to do, and re-entering would fault again. */
	set_memory_fault(f, 0xd0000000ULL, PG, false);
	assert_int_equal(converter_handle_memory_fault(&f->conv, &f->run), -EFAULT);
	converter_get_stats(&f->conv, &s);
	assert_int_equal(s.memory_faults, 3);
	assert_int_equal(s.rejected, 1);
	free_vm(f);
}

static void test_memory_fault_outside_ram_stops_vm(void **state)
{
	struct fixture *f = new_vm(TEE_EMULATED);

	assert_int_equal(tee_select(TEE_EMULATED, &f->vm.tee_ops, NULL), 0);
	f->ctx.tee_ops = f->vm.tee_ops;
	rec_set_result("kvm_check_extension", CAPS);
	assert_int_equal(f->vm.tee_ops->init_vm(&f->vm, NULL), 0);
	assert_int_equal(f->vm.tee_ops->setup_memory(&f->vm, NULL), 0);
	set_memory_fault(f, 0x200000, M2, false);
	assert_true(vcpu_handle_exit(&f->vcpu));
	assert_true(mem_attr_is_shared(f->vm.mem.attrs, 0x200000, M2));
	set_memory_fault(f, HIGH + G1, PG, true);
	assert_false(vcpu_handle_exit(&f->vcpu));
	assert_true(vm_is_stopping(&f->vm));
	assert_int_equal(f->vm.run.exit_status, VM_EXIT_GUEST_ERROR);
	f->vm.tee_ops->destroy(&f->vm);
	free_vm(f);
}

static void test_host_failure_stops_vm(void **state)
{
	struct fixture *f = new_gmem_vm();

	rec_fail_next("kvm_set_memory_attributes", -ENOMEM);
	assert_int_equal(map_gpa(f, 0x200000, PG, false), -ENOMEM);
	assert_true(mem_attr_is_private(f->vm.mem.attrs, 0x200000, PG)); /* KVM said no */
	/* EAGAIN is retried. */
	rec_fail_next("kvm_set_memory_attributes", -EAGAIN);
	assert_int_equal(map_gpa(f, 0x200000, PG, false), 0);
	assert_int_equal(rec_count("kvm_set_memory_attributes"), 3);
	/* The VM-level hook stops the VM as a host error. */
	rec_fail_next("kvm_set_memory_attributes", -EIO);
	set_hypercall(f, KVM_HC_MAP_GPA_RANGE_NR, 0x600000, 1, 0);
	assert_int_equal(cvm_handle_hypercall(&f->vm, &f->conv, &f->vcpu, &f->run), -EIO);
	assert_true(vm_is_stopping(&f->vm));
	assert_int_equal(f->vm.run.exit_status, VM_EXIT_HOST_ERROR);
	free_vm(f);
}

static void test_emulated_calls(void **state)
{
	struct fixture *f = new_emulated_vm();
	const uint64_t a = HIGH + 8 * M2, off = 3 * G1 + 8 * M2;
	int memfd = f->vm.mem.memfd;
	struct convert_stats s;

	/* To shared: the pages are zeroed at once, no KVM attributes (plain KVM has none). */
	assert_int_equal(map_gpa(f, a, 4 * PG, false), 0);
	assert_int_equal(kvm_rec.nr_calls, 1);
	expect_call(0, "host_punch_hole", memfd, off, 4 * PG);
	/* A wider request: only the pages that change side are zeroed. */
	assert_int_equal(map_gpa(f, a - PG, 6 * PG, false), 0);
	assert_int_equal(kvm_rec.nr_calls, 3);
	expect_call(1, "host_punch_hole", memfd, off - PG, PG);
	expect_call(2, "host_punch_hole", memfd, off + 4 * PG, PG);
	assert_true(mem_attr_is_shared(f->vm.mem.attrs, a - PG, 6 * PG));
	/* To private, one run: one call, not deferred. */
	assert_int_equal(map_gpa(f, a - PG, 6 * PG, true), 0);
	assert_int_equal(kvm_rec.nr_calls, 4);
	expect_call(3, "host_punch_hole", memfd, off - PG, 6 * PG);
	assert_true(mem_attr_is_private(f->vm.mem.attrs, a - PG, 6 * PG));
	/* A whole 1 GiB block of low RAM in one call. */
	assert_int_equal(map_gpa(f, G1, G1, false), 0);
	expect_call(4, "host_punch_hole", memfd, G1, G1);
	assert_int_equal(rec_count("kvm_set_memory_attributes"), 0);

	converter_get_stats(&f->conv, &s);
	assert_int_equal(s.to_shared, 3);
	assert_int_equal(s.pages_to_shared, 10 + G1 / PG);
	assert_int_equal(s.to_private, 1);
	assert_int_equal(s.pages_to_private, 6);
	assert_int_equal(s.punch_calls, 5);
	assert_int_equal(s.mprotect_calls, 5);
	assert_int_equal(s.punch_merged, 0);
	free_vm(f);
}

static void test_emulated_tee_ops(void **state)
{
	struct fixture *f = new_vm(TEE_EMULATED);
	long i;

	assert_true(vm_is_confidential(&f->vm));
	assert_int_equal(tee_select(TEE_EMULATED, &f->vm.tee_ops, NULL), 0);
	assert_string_equal(f->vm.tee_ops->name, "emulated");
	assert_int_equal(f->vm.tee_ops->vm_type, 0);
	/* KVM without the MAP_GPA_RANGE exit: refused with a clear error. */
	rec_set_result("kvm_check_extension", 0);
	assert_int_equal(f->vm.tee_ops->init_vm(&f->vm, NULL), -ENOTSUP);
	assert_int_equal(rec_count("kvm_enable_cap"), 0);
	f->vm.tee_ops->destroy(&f->vm);

	rec_reset();
	rec_set_result("kvm_check_extension", 1 << 12);
	assert_int_equal(f->vm.tee_ops->init_vm(&f->vm, NULL), 0);
	i = rec_find("kvm_enable_cap", 0);
	assert_true(i >= 0);
	expect_call((size_t)i, "kvm_enable_cap", VM_FD, KVM_CAP_EXIT_HYPERCALL, 1 << 12);
	assert_int_equal(f->vm.tee_ops->setup_memory(&f->vm, NULL), 0);
	assert_int_equal(rec_count("kvm_set_user_memory_region"), 2);
	assert_int_equal(rec_count("kvm_set_user_memory_region2"), 0);
	assert_int_equal(rec_count("kvm_create_guest_memfd"), 0);
	/* All private, and devices get their own, closed, view. */
	assert_true(mem_attr_is_private(f->vm.mem.attrs, 0, 3 * G1));
	assert_true(f->vm.mem.regions[0].dev_hva != f->vm.mem.regions[0].hva);
	assert_null(guest_mem_dma(&f->vm.mem, 0x1000, 16));
	f->vm.tee_ops->destroy(&f->vm);
	free_vm(f);

	f = new_vm(TEE_NONE);
	assert_false(vm_is_confidential(&f->vm));
	assert_int_equal(tee_select(TEE_NONE, &f->vm.tee_ops, NULL), 0);
	assert_null(f->vm.tee_ops);
	free_vm(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gmem_setup),
		cmocka_unit_test(test_gmem_setup_errors),
		cmocka_unit_test(test_gmem_round_trip),
		cmocka_unit_test(test_gmem_coalescing),
		cmocka_unit_test(test_noop_conversion),
		cmocka_unit_test(test_invalid_requests),
		cmocka_unit_test(test_errors_do_not_stop_vcpu),
		cmocka_unit_test(test_memory_fault),
		cmocka_unit_test(test_memory_fault_outside_ram_stops_vm),
		cmocka_unit_test(test_host_failure_stops_vm),
		cmocka_unit_test(test_emulated_calls),
		cmocka_unit_test(test_emulated_tee_ops),
	};

	return cmocka_run_group_tests_name("convert", tests, NULL, NULL);
}
