// SPDX-License-Identifier: MIT
/*
 * The TDX launch on the recording KVM: the probe, the call sequence in the kernel's order, the
 * struct bytes that matter (INIT_VM, SET_CPUID2, INIT_VCPU, INIT_MEM_REGION, memslots), the retry
 * loops (-E2BIG, -EAGAIN, -EINTR), and the launch/measure identity: the pages the recorder saw
 * INIT_MEM_REGION add, replayed through the MRTD algorithm, give what `cvmm measure` predicts
 * for the same inputs, and the published vector for Debian's OVMF.  Then the inputs refused,
 * each before the KVM call it would have spoiled.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/fw_image.h"
#include "tests/unit/input_files.h"
#include "tests/unit/kvm_recorder.h"
#include "tests/unit/td_fixture.h"
#include "tests/unit/vm_refusal.h"
#include "tdx/tdvf.h"
#include "tdx/tdx_measure.h"
#include "vmm/error.h"
#include "vmm/kvm_api.h"
#include "vmm/launch.h"
#include "vmm/log.h"
#include "vmm/util.h"
#include "vmm/vm.h"

#define PAGE 4096
#define TD_HOB_GPA 0x809000

static char dir[64], fw_path[128], fw2_path[128], kernel_path[128];

/* td-shim's layout: BFV, TD_HOB, TempMem, a measured Payload, PayloadParam. */
static const struct fw_image_tdvf shim_tdvf[] = {
	{ 0x10000, 0x10000, 0xffff0000, 0x10000, TDVF_SECTION_BFV, TDVF_ATTR_MR_EXTEND },
	{ 0, 0, 0x809000, 0x2000, TDVF_SECTION_TD_HOB, 0 },
	{ 0, 0, 0x800000, 0x6000, TDVF_SECTION_TEMP_MEM, 0 },
	{ 0, 0, 0x1200000, 0x40000, TDVF_SECTION_PAYLOAD, TDVF_ATTR_MR_EXTEND },
	{ 0, 0, 0x1100000, 0x1000, TDVF_SECTION_PAYLOAD_PARAM, 0 },
};
static const struct fw_image_layout shim_layout = {
	.size = 0x20000, .tdvf = shim_tdvf, .nr_tdvf = 5,
};

static int setup(void **state)
{
	td_dir_init(dir, sizeof(dir));
	snprintf(fw_path, sizeof(fw_path), "%s/tdvf.fd", dir);
	snprintf(fw2_path, sizeof(fw2_path), "%s/other.fd", dir);
	snprintf(kernel_path, sizeof(kernel_path), "%s/bzImage", dir);
	log_threshold = LOG_ERROR;
	return 0;
}

static int teardown(void **state)
{
	td_dir_free(dir);
	return 0;
}

/* ---- replaying INIT_MEM_REGION through MRTD ---- */

struct replay {
	struct launch_plan plan;
};

/* Each page KVM added becomes a one-page region of a plan: what the TDX module would hash. */
static void replay_page(void *ctx, uint64_t gpa, const uint8_t *page, bool measure)
{
	struct replay *r = ctx;
	uint8_t *copy = launch_plan_alloc(&r->plan, PAGE);
	struct launch_region reg = { .kind = LAUNCH_REGION_TDVF_SECTION, .gpa = gpa, .size = PAGE,
				     .data = copy, .data_len = PAGE, .tdx_add = true,
				     .tdx_extend = measure };

	assert_non_null(copy);
	memcpy(copy, page, PAGE);
	assert_int_equal(launch_plan_add(&r->plan, &reg), 0);
}

/* What `cvmm measure` computes for cfg. */
static void measure(const struct vm_config *cfg, uint8_t mrtd[TDX_MRTD_SIZE])
{
	struct error e = ERROR_INIT;
	struct launch_inputs li;

	assert_int_equal(config_validate(cfg, CONFIG_CHECK_MEASURE, &e), 0);
	assert_int_equal(launch_inputs_build(cfg, &li, &e), 0);
	assert_int_equal(tdx_mrtd(&li.plan, mrtd), 0);
	launch_inputs_free(&li);
}

/* Launches cfg on the recorder, replaying every added page; returns the replayed MRTD. */
static int launch_replayed(const struct vm_config *cfg, uint8_t mrtd[TDX_MRTD_SIZE],
			   struct error *e)
{
	struct replay r;
	struct vm *vm;
	int ret;

	launch_plan_init(&r.plan, LAUNCH_TEE_TDX);
	rec_tdx_on_page(replay_page, &r);
	ret = vm_create(cfg, &vm, e);
	if (!ret) {
		assert_int_equal(tdx_mrtd(&r.plan, mrtd), 0);
		vm_destroy(vm);
	}
	rec_tdx_on_page(NULL, NULL);
	launch_plan_free(&r.plan);
	return ret;
}

/* ---- the recorded sequence ---- */

/* Index of the n-th KVM_MEMORY_ENCRYPT_OP with this TDX command id. */
static long find_tdx(uint32_t id, unsigned n)
{
	for (size_t i = 0; i < kvm_rec.nr_calls; i++)
		if (!strcmp(kvm_rec.calls[i].op, "kvm_memory_encrypt_op") &&
		    kvm_rec.calls[i].args[0] == id && n-- == 0)
			return (long)i;
	return -1;
}

static unsigned count_tdx(uint32_t id)
{
	unsigned n = 0;

	while (find_tdx(id, n) >= 0)
		n++;
	return n;
}

/* Index of the n-th call of op whose first argument is arg0. */
static long find_arg(const char *op, uint64_t arg0, unsigned n)
{
	for (size_t i = 0; i < kvm_rec.nr_calls; i++)
		if (!strcmp(kvm_rec.calls[i].op, op) && kvm_rec.calls[i].args[0] == arg0 && n-- == 0)
			return (long)i;
	return -1;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void assert_in_order(const long *idx, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (idx[i] < 0)
			fail_msg("step %zu of the sequence was not called", i);
		if (i && idx[i] <= idx[i - 1])
			fail_msg("step %zu (call %ld) came before step %zu (call %ld)", i, idx[i],
				 i - 1, idx[i - 1]);
	}
}

static void test_launch_sequence(void **state)
{
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	struct vm *vm;
	const struct launch_plan *plan;
	unsigned added = 0;

	td_config(&cfg, fw_path, &fw_image_ovmf);
	td_kvm(0);
	assert_int_equal(vm_create(&cfg, &vm, &e), 0);

	long seq[] = {
		find_arg("kvm_check_extension", KVM_CAP_VM_TYPES, 0),
		find_arg("kvm_create_vm", CVMM_KVM_X86_TDX_VM, 0),
		find_arg("kvm_enable_cap", KVM_CAP_SPLIT_IRQCHIP, 0),
		find_arg("kvm_enable_cap", KVM_CAP_EXIT_HYPERCALL, 0),
		find_arg("kvm_enable_cap", KVM_CAP_X86_APIC_BUS_CYCLES_NS, 0),
		find_tdx(KVM_TDX_CAPABILITIES, 0),
		find_tdx(KVM_TDX_INIT_VM, 0),
		rec_find("kvm_create_guest_memfd", 0),
		rec_find("kvm_set_user_memory_region2", 0),
		rec_find("kvm_set_memory_attributes", 0),
		find_arg("kvm_create_vcpu", 0, 0),
		rec_find("kvm_set_cpuid2", 0),
		find_tdx(KVM_TDX_INIT_VCPU, 0),
		find_arg("kvm_create_vcpu", 1, 0),
		rec_find("kvm_set_cpuid2", 1),
		find_tdx(KVM_TDX_INIT_VCPU, 1),
		find_tdx(KVM_TDX_INIT_MEM_REGION, 0),
		find_tdx(KVM_TDX_FINALIZE_VM, 0),
	};
	assert_in_order(seq, ARRAY_SIZE(seq));

	/* Step 2's arguments: 24 IOAPIC pins, the MAP_GPA_RANGE exit, 40 ns. */
	assert_int_equal(kvm_rec.calls[seq[2]].args[1], 24);
	assert_int_equal(kvm_rec.calls[seq[3]].args[1], 1ULL << 12);
	assert_int_equal(kvm_rec.calls[seq[4]].args[1], 40);

	/* INIT_VM: default attributes, the capabilities' XFAM, zero MRs and reserved words. */
	const uint8_t *iv = rec_tdx.init_vm;

	assert_int_equal(rd64(iv), 1ULL << 28);
	assert_int_equal(rd64(iv + 8), TD_CAPS_XFAM);
	for (size_t i = 16; i < 256; i++)
		assert_int_equal(iv[i], 0);
	/* CPUID: the leaves KVM supports, masked by the configurable bits; GPAW 48. */
	assert_int_equal(rec_tdx.init_vm_nent, 4);
	assert_int_equal(rec_tdx.init_vm_padding, 0);
	for (unsigned i = 0; i < rec_tdx.init_vm_nent; i++) {
		const struct kvm_cpuid_entry2 *c = &rec_tdx.init_vm_cpuid[i];

		if (c->function == 1) {
			assert_int_equal(c->ecx, 0xf7fa3203u & 0x31fe3fffu);
			assert_int_equal(c->edx, 0x178bfbffu & 0xb8d3fbffu);
		} else if (c->function == 0x80000008) {
			assert_int_equal(c->eax, (0x3934u & 0xff00ffu) | 48u << 16);
		} else if (c->function == 7) {
			assert_int_equal(c->ebx, 0xf1bf07abu & 0xdc2fe7ffu);
		}
	}

	/* vCPUs: CPUID with x2APIC, INIT_VCPU(RCX = TD HOB), and nothing that sets state. */
	for (unsigned v = 0; v < 2; v++) {
		long c = rec_find("kvm_set_cpuid2", v);
		const struct kvm_cpuid2 *cpuid = (const void *)kvm_rec.calls[c].blob;

		assert_int_equal(cpuid->entries[0].function, 1);
		assert_true(cpuid->entries[0].ecx & (1u << 21));
		assert_int_equal(kvm_rec.calls[find_tdx(KVM_TDX_INIT_VCPU, v)].args[2], TD_HOB_GPA);
		assert_int_equal(kvm_rec.calls[find_tdx(KVM_TDX_INIT_VCPU, v)].fd, vm->vcpus[v].fd);
	}
	assert_int_equal(rec_count("kvm_set_regs") + rec_count("kvm_set_sregs") +
			 rec_count("kvm_set_msrs") + rec_count("kvm_set_lapic") +
			 rec_count("kvm_set_fpu") + rec_count("kvm_create_irqchip"), 0);

	/* Memory: RAM, then the two volumes under 4 GiB as one private slot of their own. */
	long s2 = rec_find("kvm_set_user_memory_region2", 1);

	assert_int_equal(rec_count("kvm_set_user_memory_region2"), 2);
	assert_int_equal(kvm_rec.calls[s2].args[0], GUEST_MEM_MAX_REGIONS);
	assert_int_equal(kvm_rec.calls[s2].args[1], CVMM_KVM_MEM_GUEST_MEMFD);
	assert_int_equal(kvm_rec.calls[s2].args[2], 0xfffe0000);
	assert_int_equal(kvm_rec.calls[s2].args[3], 0x20000);
	assert_true(find_arg("kvm_set_memory_attributes", 0xfffe0000, 0) > s2);

	/* INIT_MEM_REGION: the plan's PAGE.ADD regions in order, on vCPU 0, measured iff MR.EXTEND. */
	plan = &vm->launch.plan;
	for (size_t i = 0; i < plan->nr_regions; i++) {
		const struct launch_region *r = &plan->regions[i];
		const struct rec_tdx_mem_call *m;

		if (!r->tdx_add)
			continue;
		m = &rec_tdx.mem[added++];
		assert_int_equal(m->gpa, r->gpa);
		assert_int_equal(m->nr_pages, r->size / PAGE);
		assert_int_equal(m->flags, r->tdx_extend ? KVM_TDX_MEASURE_MEMORY_REGION : 0);
		assert_int_equal(m->source % PAGE, 0);
		assert_int_equal(kvm_rec.calls[m->call].fd, vm->vcpus[0].fd);
	}
	assert_int_equal(added, 4); /* PermMem is PAGE.AUG: the guest accepts it */
	assert_int_equal(rec_tdx.nr_mem, added);
	assert_int_equal(kvm_rec.calls[find_tdx(KVM_TDX_FINALIZE_VM, 0)].fd, vm->vm_fd);

	/* Every command: hw_error 0 on input; flags only for INIT_MEM_REGION; no data to FINALIZE. */
	for (size_t i = 0; i < kvm_rec.nr_calls; i++) {
		const struct cvmm_kvm_tdx_cmd *c = (const void *)kvm_rec.calls[i].blob;

		if (strcmp(kvm_rec.calls[i].op, "kvm_memory_encrypt_op"))
			continue;
		assert_int_equal(kvm_rec.calls[i].blob_len, sizeof(*c));
		assert_int_equal(c->hw_error, 0);
		if (c->id != KVM_TDX_INIT_MEM_REGION)
			assert_int_equal(c->flags, 0);
		if (c->id == KVM_TDX_FINALIZE_VM)
			assert_int_equal(c->data, 0);
	}
	vm_destroy(vm);
	config_free(&cfg);
}

/* The measurement the launch produces is `cvmm measure`'s; so is the TD HOB RTMR[0] covers. */
static void test_launch_equals_measure(void **state)
{
	uint8_t launched[TDX_MRTD_SIZE], predicted[TDX_MRTD_SIZE];
	struct error e = ERROR_INIT;
	struct launch_inputs li;
	struct vm_config cfg;
	struct replay r;
	struct vm *vm;
	const struct launch_region *hob;
	unsigned found = 0;

	td_config(&cfg, fw_path, &fw_image_ovmf);
	td_kvm(0);
	assert_int_equal(launch_replayed(&cfg, launched, &e), 0);
	measure(&cfg, predicted);
	assert_memory_equal(launched, predicted, TDX_MRTD_SIZE);

	/* The TD HOB pages KVM was given are the ones measure's plan holds. */
	td_kvm(0);
	launch_plan_init(&r.plan, LAUNCH_TEE_TDX);
	rec_tdx_on_page(replay_page, &r);
	assert_int_equal(vm_create(&cfg, &vm, &e), 0);
	rec_tdx_on_page(NULL, NULL);
	assert_int_equal(launch_inputs_build(&cfg, &li, &e), 0);
	hob = launch_plan_find(&li.plan, LAUNCH_REGION_TDVF_SECTION, TDVF_SECTION_TD_HOB);
	for (size_t i = 0; i < r.plan.nr_regions; i++) {
		const struct launch_region *p = &r.plan.regions[i];
		uint8_t scratch[PAGE];

		if (p->gpa < hob->gpa || p->gpa >= hob->gpa + hob->size)
			continue;
		assert_memory_equal(p->data,
				    launch_region_page(hob, (p->gpa - hob->gpa) / PAGE, scratch),
				    PAGE);
		found++;
	}
	assert_int_equal(found, hob->size / PAGE);
	launch_inputs_free(&li);
	launch_plan_free(&r.plan);
	vm_destroy(vm);
	config_free(&cfg);
}

static void hex48(const uint8_t *d, char *out)
{
	for (int i = 0; i < TDX_MRTD_SIZE; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/* Debian's OVMF: launch, prediction and the published vector agree. */
static void test_published_vector(void **state)
{
	static const char want[] = "4c7206f0f483c524f12c366c711e9049030a8d47c471ee5aa9c4999a08de405"
				   "7fb887fed0744d5631a212967fb231c47";
	uint8_t launched[TDX_MRTD_SIZE], predicted[TDX_MRTD_SIZE];
	const char *ovmf = td_debian_ovmf();
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	char hex[2 * TDX_MRTD_SIZE + 1];

	if (!ovmf)
		skip();
	td_config(&cfg, fw2_path, &fw_image_ovmf);
	config_set_string(&cfg.firmware, ovmf, "--firmware", NULL);
	td_kvm(0);
	assert_int_equal(launch_replayed(&cfg, launched, &e), 0);
	measure(&cfg, predicted);
	hex48(launched, hex);
	assert_string_equal(hex, want);
	assert_memory_equal(launched, predicted, TDX_MRTD_SIZE);
	config_free(&cfg);
}

/* -E2BIG grows the capabilities buffer; -EAGAIN repeats INIT_VM; -EINTR/-EAGAIN resume regions. */
static void test_retry_loops(void **state)
{
	uint8_t launched[TDX_MRTD_SIZE], predicted[TDX_MRTD_SIZE];
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	struct vm *vm;

	td_config(&cfg, fw_path, &fw_image_ovmf);
	measure(&cfg, predicted);

	/* CAPABILITIES: 16 entries are too few for the module's 20, 32 are enough. */
	td_kvm(0);
	rec_fail_nth("kvm_memory_encrypt_op", 2, -EAGAIN); /* caps, caps, INIT_VM */
	assert_int_equal(vm_create(&cfg, &vm, &e), 0);
	assert_int_equal(count_tdx(KVM_TDX_CAPABILITIES), 2);
	assert_int_equal(count_tdx(KVM_TDX_INIT_VM), 2);
	vm_destroy(vm);

	/* An interrupted region (half its pages added) and a busy one: resumed, same MRTD. */
	for (unsigned call = 5; call < 9; call++) {
		for (int err = -EINTR; err; err = err == -EINTR ? -EAGAIN : 0) {
			td_kvm(0);
			/* caps x2, INIT_VM, INIT_VCPU x2, then the regions */
			rec_fail_nth("kvm_memory_encrypt_op", call, err);
			assert_int_equal(launch_replayed(&cfg, launched, &e), 0);
			assert_memory_equal(launched, predicted, TDX_MRTD_SIZE);
			assert_int_equal(count_tdx(KVM_TDX_INIT_MEM_REGION), 5);
			assert_true(rec_tdx.mem[call - 5].pages_done <
				    rec_tdx.mem[call - 5].nr_pages);
		}
	}
	config_free(&cfg);
}

/* A KVM that keeps answering -EAGAIN without adding a page: the launch gives up, no FINALIZE. */
static void stall_after_first_page(void *ctx, uint64_t gpa, const uint8_t *page, bool measure)
{
	rec_set_result("kvm_memory_encrypt_op", -EAGAIN);
}

static void test_region_stall(void **state)
{
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	struct vm *vm;

	td_config(&cfg, fw_path, &fw_image_ovmf);
	td_kvm(0);
	rec_tdx_on_page(stall_after_first_page, NULL);
	assert_true(vm_create(&cfg, &vm, &e) < 0);
	assert_int_equal(e.cls, ERROR_HOST);
	assert_non_null(strstr(e.msg, "KVM_TDX_INIT_MEM_REGION"));
	assert_non_null(strstr(e.msg, "no progress"));
	assert_int_equal(count_tdx(KVM_TDX_FINALIZE_VM), 0);
	config_free(&cfg);
}

/* MR values and attributes reach INIT_VM byte for byte. */
static void test_init_vm_values(void **state)
{
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	struct vm *vm;

	td_config(&cfg, fw_path, &fw_image_ovmf);
	cfg.tdx.attributes = (1ULL << 28) | (1ULL << 30);
	for (int i = 0; i < CONFIG_TDX_MR_SIZE; i++) {
		cfg.tdx.mrconfigid[i] = (uint8_t)i;
		cfg.tdx.mrowner[i] = (uint8_t)(0x80 + i);
		cfg.tdx.mrownerconfig[i] = (uint8_t)(0xff - i);
	}
	cfg.tdx.mr_set = true;
	td_kvm(0);
	assert_int_equal(vm_create(&cfg, &vm, &e), 0);
	assert_int_equal(rd64(rec_tdx.init_vm), (1ULL << 28) | (1ULL << 30));
	assert_memory_equal(rec_tdx.init_vm + 16, cfg.tdx.mrconfigid, 48);
	assert_memory_equal(rec_tdx.init_vm + 64, cfg.tdx.mrowner, 48);
	assert_memory_equal(rec_tdx.init_vm + 112, cfg.tdx.mrownerconfig, 48);
	vm_destroy(vm);
	config_free(&cfg);
}

/* td-shim: the kernel in Payload (measured), the command line in PayloadParam, the TD HOB. */
static void test_td_shim_payload(void **state)
{
	uint8_t launched[TDX_MRTD_SIZE], predicted[TDX_MRTD_SIZE];
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	struct vm *vm;
	const struct launch_region *pl, *param, *hob;

	td_config(&cfg, fw_path, &shim_layout);
	td_write_bzimage(kernel_path, 0x9000);
	config_set_string(&cfg.kernel, kernel_path, "--kernel", NULL);
	config_set_string(&cfg.cmdline, "console=hvc0", "--cmdline", NULL);
	td_kvm(0);
	assert_int_equal(vm_create(&cfg, &vm, &e), 0);
	assert_true(vm->launch.td.kernel_in_plan);
	assert_null(vm->launch.fw_boot.kernel); /* not also through fw_cfg */
	pl = launch_plan_find(&vm->launch.plan, LAUNCH_REGION_TDVF_SECTION, TDVF_SECTION_PAYLOAD);
	param = launch_plan_find(&vm->launch.plan, LAUNCH_REGION_TDVF_SECTION,
				 TDVF_SECTION_PAYLOAD_PARAM);
	hob = launch_plan_find(&vm->launch.plan, LAUNCH_REGION_TDVF_SECTION, TDVF_SECTION_TD_HOB);
	assert_int_equal(pl->data_len, 0x9000);
	assert_memory_equal(pl->data, vm->launch.fw_kernel.data, 0x9000);
	assert_string_equal((const char *)param->data, vm->launch.cmdline);
	assert_int_equal(param->data_len, strlen(vm->launch.cmdline) + 1);

	/* The TD HOB: after PHIT and the RAM descriptors, the payload info and the ACPI tables. */
	const uint8_t *h = hob->data, *end = hob->data + vm->launch.td.hob_len;
	unsigned guid_hobs = 0, acpi = 0;

	while (h < end && rd64(h) != 0) {
		uint16_t type = (uint16_t)(h[0] | h[1] << 8), len = (uint16_t)(h[2] | h[3] << 8);

		assert_true(len >= 8 && len % 8 == 0);
		if (type == 4) {
			guid_hobs++;
			if (!memcmp(h + 24, "FACP", 4) || !memcmp(h + 24, "APIC", 4) ||
			    !memcmp(h + 24, "DSDT", 4))
				acpi++;
			else {
				/* HOB_PAYLOAD_INFO_TABLE: bzImage, entry point the Payload's GPA */
				assert_int_equal(h[24], 1);
				assert_int_equal(rd64(h + 28), 0x1200000);
			}
		}
		if (type == 0xffff)
			break;
		h += len;
	}
	assert_int_equal(guid_hobs, 4);
	assert_int_equal(acpi, 3);
	vm_destroy(vm);

	/* The kernel is part of MRTD: launch and prediction agree, and a different kernel differs. */
	td_kvm(0);
	assert_int_equal(launch_replayed(&cfg, launched, &e), 0);
	measure(&cfg, predicted);
	assert_memory_equal(launched, predicted, TDX_MRTD_SIZE);
	td_write_bzimage(kernel_path, 0x9001);
	measure(&cfg, predicted);
	assert_memory_not_equal(launched, predicted, TDX_MRTD_SIZE);
	config_free(&cfg);
}

/* ---- refused ---- */

static void expect_refused(const struct vm_config *cfg, enum error_class cls, const char *needle,
			   bool before_kvm)
{
	bool kvm_opened = expect_vm_refused(cfg, cls, needle);

	if (before_kvm)
		assert_false(kvm_opened);
	assert_int_equal(count_tdx(KVM_TDX_INIT_VM), 0);
}

static void test_bad_firmware(void **state)
{
	/* One section changed from the OVMF-like layout: which, its new address, the complaint. */
	static const struct {
		int section; /* -1: no TDX metadata at all */
		uint64_t gpa;
		const char *needle;
	} cases[] = {
		{ -1, 0, "TDX metadata" },
		{ 3, 0x808000, "overlap" },             /* TempMem over TD_HOB */
		{ 2, 0x809800, "not 4 KiB aligned" },   /* TD_HOB */
		{ 0, 0xfec00000, "IOAPIC" },            /* BFV over a device window */
		{ 4, 0x1000000, "needs at least 17 MiB" }, /* PermMem beyond 16 MiB of RAM */
	};
	struct fw_image_tdvf t[5];
	struct fw_image_layout l = fw_image_ovmf;
	struct vm_config cfg;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		memcpy(t, fw_image_ovmf.tdvf, sizeof(t));
		l.tdvf = cases[i].section < 0 ? NULL : t;
		if (cases[i].section >= 0)
			t[cases[i].section].gpa = cases[i].gpa;
		td_config(&cfg, fw_path, &l);
		cfg.mem_mib = 16;
		td_kvm(0);
		expect_refused(&cfg, ERROR_INPUT, cases[i].needle, true);
		config_free(&cfg);
	}
}

static void test_bad_payload(void **state)
{
	struct vm_config cfg;

	/* A kernel larger than the Payload section. */
	td_config(&cfg, fw_path, &shim_layout);
	td_write_bzimage(kernel_path, 0x40001);
	config_set_string(&cfg.kernel, kernel_path, "--kernel", NULL);
	td_kvm(0);
	expect_refused(&cfg, ERROR_INPUT, "does not fit the firmware's Payload", true);

	/* Not a bzImage. */
	input_write_pvh_kernel(kernel_path);
	expect_refused(&cfg, ERROR_INPUT, "not a bzImage", true);

	/* (PayloadParam is at least a page: the longest command line, 4095 bytes, always fits.) */
	/* An empty Payload section and no kernel. */
	config_set_string(&cfg.kernel, NULL, "--kernel", NULL);
	expect_refused(&cfg, ERROR_INPUT, "needs --kernel", true);
	config_free(&cfg);
}

/* What only the host's capabilities can refuse: before INIT_VM, no vCPU, no memory. */
static void test_refused_by_capabilities(void **state)
{
	struct vm_config cfg;

	td_config(&cfg, fw_path, &fw_image_ovmf);
	cfg.tdx.attributes |= 1; /* debug: this module does not allow it */
	cfg.tdx.attributes_set = true;
	td_kvm(0);
	expect_refused(&cfg, ERROR_USAGE, "does not allow 0x1 (debug)", false);
	assert_int_equal(rec_count("kvm_create_vcpu"), 0);

	cfg.tdx.attributes = 1ULL << 28;
	td_kvm(1);
	expect_refused(&cfg, ERROR_HOST, "0x80000008", false);
	assert_int_equal(rec_count("kvm_create_guest_memfd"), 0);
	config_free(&cfg);
}

/* A host without TDX: one line naming kvm_intel.tdx, exit 3, no VM created. */
static void test_probe(void **state)
{
	static const int answers[] = { 0, -EINVAL, 1 << CVMM_KVM_X86_DEFAULT_VM,
				       (1 << CVMM_KVM_X86_DEFAULT_VM) | (1 << CVMM_KVM_X86_SNP_VM) };
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	struct vm *vm;

	td_config(&cfg, fw_path, &fw_image_ovmf);
	for (size_t i = 0; i < ARRAY_SIZE(answers); i++) {
		td_kvm(0);
		rec_set_cap(KVM_CAP_VM_TYPES, answers[i]);
		error_clear(&e);
		assert_true(vm_create(&cfg, &vm, &e) < 0);
		assert_int_equal(e.cls, ERROR_HOST);
		assert_int_equal(error_exit_status(&e), 3);
		assert_non_null(strstr(e.msg, "kvm_intel.tdx"));
		assert_non_null(strstr(e.msg, "cannot run TDX guests"));
		assert_null(strchr(e.msg, '\n'));
		assert_int_equal(rec_count("kvm_create_vm"), 0);
	}
	config_free(&cfg);
}

/* Injected failures of each TDX step are the host's, and name the step. */
static void test_step_failures(void **state)
{
	static const struct {
		uint32_t id;
		const char *name;
		unsigned nth; /* encrypt ops before it: caps x2, INIT_VM, INIT_VCPU x2, regions */
	} steps[] = {
		{ KVM_TDX_CAPABILITIES, "KVM_TDX_CAPABILITIES", 0 },
		{ KVM_TDX_INIT_VM, "KVM_TDX_INIT_VM", 2 },
		{ KVM_TDX_INIT_VCPU, "KVM_TDX_INIT_VCPU", 4 },
		{ KVM_TDX_INIT_MEM_REGION, "KVM_TDX_INIT_MEM_REGION", 6 },
		{ KVM_TDX_FINALIZE_VM, "KVM_TDX_FINALIZE_VM", 9 },
	};
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	struct vm *vm;

	td_config(&cfg, fw_path, &fw_image_ovmf);
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		td_kvm(0);
		rec_fail_nth("kvm_memory_encrypt_op", steps[i].nth, -EIO);
		error_clear(&e);
		assert_true(vm_create(&cfg, &vm, &e) < 0);
		if (e.cls != ERROR_HOST || !strstr(e.msg, steps[i].name))
			fail_msg("%s failing: %s '%s'", steps[i].name, error_class_name(e.cls), e.msg);
	}
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_launch_sequence),
		cmocka_unit_test(test_launch_equals_measure),
		cmocka_unit_test(test_published_vector),
		cmocka_unit_test(test_retry_loops),
		cmocka_unit_test(test_region_stall),
		cmocka_unit_test(test_init_vm_values),
		cmocka_unit_test(test_td_shim_payload),
		cmocka_unit_test(test_bad_firmware),
		cmocka_unit_test(test_bad_payload),
		cmocka_unit_test(test_refused_by_capabilities),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_step_failures),
	};

	return cmocka_run_group_tests_name("tdx launch", tests, setup, teardown);
}
