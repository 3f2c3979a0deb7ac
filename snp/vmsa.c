// SPDX-License-Identifier: MIT
/* Initial VMSA contents of a vCPU at reset. */
#include <cpuid.h>
#include <string.h>
#include <linux/kvm.h>

#include "snp/vmsa.h"

static struct vmsa_segment seg(uint16_t selector, uint16_t attrib, uint32_t limit, uint64_t base)
{
	return (struct vmsa_segment){ selector, attrib, limit, base };
}

void snp_vmsa_reset_state(struct sev_es_save_area *sa, uint32_t eip, uint32_t vcpu_sig,
			  uint64_t sev_features)
{
	const struct vmsa_segment data = seg(0, 0x93, 0xffff, 0);

	memset(sa, 0, sizeof(*sa));
	sa->es = data;
	sa->cs = seg(0xf000, 0x9b, 0xffff, eip & 0xffff0000u);
	sa->ss = data;
	sa->ds = data;
	sa->fs = data;
	sa->gs = data;
	sa->gdtr = seg(0, 0, 0xffff, 0);
	sa->idtr = seg(0, 0, 0xffff, 0);
	sa->ldtr = seg(0, 0x82, 0xffff, 0);
	sa->tr = seg(0, 0x8b, 0xffff, 0);
	sa->efer = 0x1000;      /* SVME, set by KVM */
	sa->cr4 = 0x40;         /* MCE, set by KVM */
	sa->cr0 = 0x10;         /* ET */
	sa->dr7 = 0x400;
	sa->dr6 = 0xffff0ff0;
	sa->rflags = 0x2;
	sa->rip = eip & 0xffff;
	sa->g_pat = 0x0007040600070406ULL;
	sa->rdx = vcpu_sig;
	sa->sev_features = sev_features;
	sa->xcr0 = 0x1;
	sa->mxcsr = 0x1f80;
	sa->x87_fcw = 0x37f;
}

uint32_t snp_host_vcpu_sig(void)
{
	unsigned eax = 0, ebx, ecx, edx;

	__get_cpuid(1, &eax, &ebx, &ecx, &edx);
	return eax;
}

/* The VMCB attribute word (type, S, DPL, P, AVL, L, D/B, G in bits 11:0) as KVM takes it. */
static struct kvm_segment kvm_seg(const struct vmsa_segment *v)
{
	return (struct kvm_segment){
		.base = v->base,
		.limit = v->limit,
		.selector = v->selector,
		.type = v->attrib & 0xf,
		.s = (v->attrib >> 4) & 1,
		.dpl = (v->attrib >> 5) & 3,
		.present = (v->attrib >> 7) & 1,
		.avl = (v->attrib >> 8) & 1,
		.l = (v->attrib >> 9) & 1,
		.db = (v->attrib >> 10) & 1,
		.g = (v->attrib >> 11) & 1,
	};
}

void snp_vmsa_to_kvm(const struct sev_es_save_area *sa, struct kvm_sregs *sregs,
		     struct kvm_regs *regs)
{
	sregs->cs = kvm_seg(&sa->cs);
	sregs->ds = kvm_seg(&sa->ds);
	sregs->es = kvm_seg(&sa->es);
	sregs->fs = kvm_seg(&sa->fs);
	sregs->gs = kvm_seg(&sa->gs);
	sregs->ss = kvm_seg(&sa->ss);
	sregs->tr = kvm_seg(&sa->tr);
	sregs->ldt = kvm_seg(&sa->ldtr);
	sregs->gdt = (struct kvm_dtable){ .base = sa->gdtr.base,
					  .limit = (uint16_t)sa->gdtr.limit };
	sregs->idt = (struct kvm_dtable){ .base = sa->idtr.base,
					  .limit = (uint16_t)sa->idtr.limit };
	sregs->cr0 = sa->cr0;
	sregs->cr2 = sa->cr2;
	sregs->cr3 = sa->cr3;
	sregs->cr4 = sa->cr4 & ~SNP_CR4_MCE;
	sregs->efer = sa->efer & ~SNP_EFER_SVME;

	memset(regs, 0, sizeof(*regs));
	regs->rax = sa->rax;
	regs->rbx = sa->rbx;
	regs->rcx = sa->rcx;
	regs->rdx = sa->rdx;
	regs->rsi = sa->rsi;
	regs->rdi = sa->rdi;
	regs->rsp = sa->rsp;
	regs->rbp = sa->rbp;
	regs->r8 = sa->r8;
	regs->r9 = sa->r9;
	regs->r10 = sa->r10;
	regs->r11 = sa->r11;
	regs->r12 = sa->r12;
	regs->r13 = sa->r13;
	regs->r14 = sa->r14;
	regs->r15 = sa->r15;
	regs->rip = sa->rip;
	regs->rflags = sa->rflags;
}
