// SPDX-License-Identifier: MIT
/*
 * Initial vCPU state: CPUID (KVM_GET_SUPPORTED_CPUID plus the hypervisor bit, KVM leaves, per-vCPU
 * APIC IDs and topology), MSRs, FPU, LAPIC LVTs, and the registers of the chosen entry mode.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot.h"
#include "boot/cpu_setup.h"
#include "vmm/kvm_api.h"
#include "vmm/layout.h"

#define CPUID_1_ECX_HYPERVISOR   (1U << 31)
#define CPUID_1_ECX_TSC_DEADLINE (1U << 24)
#define CPUID_1_ECX_X2APIC       (1U << 21)
#define CPUID_1_EDX_HTT          (1U << 28)
#define KVM_CPUID_SIGNATURE      0x40000000
#define KVM_CPUID_FEATURES       0x40000001

#define MSR_IA32_SYSENTER_CS  0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_STAR              0xc0000081
#define MSR_LSTAR             0xc0000082
#define MSR_CSTAR             0xc0000083
#define MSR_SYSCALL_MASK      0xc0000084
#define MSR_KERNEL_GS_BASE    0xc0000102
#define MSR_IA32_TSC          0x10
#define MSR_IA32_MISC_ENABLE  0x1a0
#define MSR_MTRR_DEF_TYPE     0x2ff
#define MISC_ENABLE_FAST_STRING 1
#define MTRR_ENABLE_WB        ((1ULL << 11) | 6)

#define X86_CR0_PE (1ULL << 0)
#define X86_CR0_ET (1ULL << 4)
#define X86_CR0_NE (1ULL << 5)
#define X86_CR0_PG (1ULL << 31)
#define X86_CR4_PAE (1ULL << 5)
#define EFER_LME   (1ULL << 8)
#define EFER_LMA   (1ULL << 10)

#define APIC_LVT_LINT0   0x350
#define APIC_LVT_LINT1   0x360
#define APIC_MODE_EXTINT 0x7
#define APIC_MODE_NMI    0x4

static unsigned bits_for(unsigned n)
{
	unsigned b = 0;

	while ((1U << b) < n)
		b++;
	return b;
}

struct kvm_cpuid2 *cpu_cpuid_alloc(unsigned nent)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));

	if (c)
		c->nent = nent;
	return c;
}

int cpu_get_supported_cpuid(int kvm_fd, struct kvm_cpuid2 **out)
{
	for (unsigned nent = 128; nent <= 4096; nent *= 2) {
		struct kvm_cpuid2 *c = cpu_cpuid_alloc(nent);
		int ret;

		if (!c)
			return -ENOMEM;
		ret = kvm_get_supported_cpuid(kvm_fd, c);
		if (ret == 0) {
			*out = c;
			return 0;
		}
		free(c);
		if (ret != -E2BIG)
			return ret;
	}
	return -E2BIG;
}

static struct kvm_cpuid_entry2 *find_leaf(struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

int cpu_build_cpuid(const struct kvm_cpuid2 *supported, unsigned vcpu_id, unsigned nr_vcpus,
		    bool tsc_deadline, struct kvm_cpuid2 **out)
{
	struct kvm_cpuid2 *c = cpu_cpuid_alloc(supported->nent + 4);
	struct kvm_cpuid_entry2 *e;
	unsigned core_bits = bits_for(nr_vcpus);

	if (!c)
		return -ENOMEM;
	memcpy(c->entries, supported->entries, supported->nent * sizeof(c->entries[0]));
	c->nent = supported->nent;

	for (unsigned i = 0; i < c->nent; i++) {
		e = &c->entries[i];
		switch (e->function) {
		case 1:
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
			if (tsc_deadline)
				e->ecx |= CPUID_1_ECX_TSC_DEADLINE;
			e->ebx = (e->ebx & 0x0000ffff) | (vcpu_id << 24) |
				 ((nr_vcpus > 1 ? (1U << core_bits) : 1) << 16);
			if (nr_vcpus > 1)
				e->edx |= CPUID_1_EDX_HTT;
			break;
		case 4:
			/* Cores per package - 1 in EAX[31:26]; one thread per core. */
			e->eax = (e->eax & 0x3ff) | (((1U << core_bits) - 1) << 26);
			break;
		case 0xb:
		case 0x1f:
			/* Level 0: SMT (one thread), level 1: cores; EDX: this vCPU's x2APIC ID. */
			if (e->index == 0) {
				e->eax = 0;
				e->ebx = 1;
				e->ecx = 1 << 8;
			} else if (e->index == 1) {
				e->eax = core_bits;
				e->ebx = nr_vcpus;
				e->ecx = 1 | 2 << 8;
			} else {
				e->eax = e->ebx = 0;
				e->ecx = e->index;
			}
			e->edx = vcpu_id;
			break;
		case 0x80000008:
			/* AMD: NC = cores - 1, ApicIdSize. */
			e->ecx = (e->ecx & ~0xf0ffU) | (nr_vcpus - 1) | (core_bits << 12);
			break;
		case 0x8000001e:
			e->eax = vcpu_id;
			e->ebx = (e->ebx & ~0xffU) | vcpu_id;
			break;
		}
	}

	/* Make sure the KVM paravirtual leaves are advertised. */
	if (!find_leaf(c, KVM_CPUID_SIGNATURE, 0)) {
		e = &c->entries[c->nent++];
		memset(e, 0, sizeof(*e));
		e->function = KVM_CPUID_SIGNATURE;
		e->eax = KVM_CPUID_FEATURES;
		memcpy(&e->ebx, "KVMK", 4);
		memcpy(&e->ecx, "VMKV", 4);
		memcpy(&e->edx, "M\0\0\0", 4);
	}
	*out = c;
	return 0;
}

int cpu_setup_msrs(int vcpu_fd)
{
	static const struct {
		uint32_t index;
		uint64_t data;
	} init[] = {
		{ MSR_IA32_SYSENTER_CS, 0 },  { MSR_IA32_SYSENTER_ESP, 0 },
		{ MSR_IA32_SYSENTER_EIP, 0 }, { MSR_STAR, 0 },
		{ MSR_CSTAR, 0 },             { MSR_KERNEL_GS_BASE, 0 },
		{ MSR_SYSCALL_MASK, 0 },      { MSR_LSTAR, 0 },
		{ MSR_IA32_TSC, 0 },          { MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING },
		{ MSR_MTRR_DEF_TYPE, MTRR_ENABLE_WB },
	};
	_Alignas(struct kvm_msr_entry) uint8_t buf[sizeof(struct kvm_msrs) +
		sizeof(init) / sizeof(init[0]) * sizeof(struct kvm_msr_entry)];
	struct kvm_msrs *msrs = (struct kvm_msrs *)buf;
	int ret;

	memset(buf, 0, sizeof(buf));
	msrs->nmsrs = sizeof(init) / sizeof(init[0]);
	for (unsigned i = 0; i < msrs->nmsrs; i++) {
		msrs->entries[i].index = init[i].index;
		msrs->entries[i].data = init[i].data;
	}
	ret = kvm_set_msrs(vcpu_fd, msrs);
	if (ret < 0)
		return ret;
	return ret == (int)msrs->nmsrs ? 0 : -EINVAL;
}

int cpu_setup_fpu(int vcpu_fd)
{
	struct kvm_fpu fpu;

	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	return kvm_set_fpu(vcpu_fd, &fpu);
}

static void set_lvt_mode(struct kvm_lapic_state *l, unsigned reg, uint32_t mode)
{
	uint32_t v;

	memcpy(&v, &l->regs[reg], 4);
	v = (v & ~0x700U) | mode << 8;
	memcpy(&l->regs[reg], &v, 4);
}

int cpu_setup_lapic(int vcpu_fd)
{
	struct kvm_lapic_state lapic;
	int ret = kvm_get_lapic(vcpu_fd, &lapic);

	if (ret)
		return ret;
	/* As firmware leaves them: LINT0 takes the 8259's ExtINT, LINT1 takes NMIs. */
	set_lvt_mode(&lapic, APIC_LVT_LINT0, APIC_MODE_EXTINT);
	set_lvt_mode(&lapic, APIC_LVT_LINT1, APIC_MODE_NMI);
	return kvm_set_lapic(vcpu_fd, &lapic);
}

static struct kvm_segment flat_segment(uint16_t sel, uint8_t type, bool code64, bool db)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type, .present = 1,
		.dpl = 0, .db = db, .s = 1, .l = code64, .g = 1,
	};
}

int cpu_setup_boot_regs(int vcpu_fd, const struct boot_info *info)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_segment data = flat_segment(BOOT_GDT_DATA, 0x3, false, true);
	int ret;

	ret = kvm_get_sregs(vcpu_fd, &sregs);
	if (ret)
		return ret;

	sregs.gdt.base = LAYOUT_GDT_ADDR;
	sregs.gdt.limit = BOOT_GDT_ENTRIES * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.tr = (struct kvm_segment){
		.base = 0, .limit = 0x67, .selector = BOOT_GDT_TSS, .type = 0xb, .present = 1,
	};
	sregs.ldt = (struct kvm_segment){ .type = 0x2, .present = 1, .limit = 0xffff };

	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2;
	regs.rip = info->entry;

	if (info->mode == BOOT_ENTRY_LINUX64) {
		sregs.cs = flat_segment(BOOT_GDT_CODE64, 0xb, true, false);
		sregs.cr3 = LAYOUT_PML4_ADDR;
		sregs.cr4 = X86_CR4_PAE;
		sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
		sregs.efer = EFER_LME | EFER_LMA;
		regs.rsi = info->params_gpa;
		regs.rsp = regs.rbp = LAYOUT_BOOT_STACK_TOP;
	} else {
		/* PVH: 32-bit protected mode, paging off, EBX = hvm_start_info. */
		sregs.cs = flat_segment(BOOT_GDT_CODE32, 0xb, false, true);
		sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
		sregs.cr3 = 0;
		sregs.cr4 = 0;
		sregs.efer = 0;
		regs.rbx = info->params_gpa;
	}
	ret = kvm_set_sregs(vcpu_fd, &sregs);
	if (ret)
		return ret;
	return kvm_set_regs(vcpu_fd, &regs);
}
