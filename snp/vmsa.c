// SPDX-License-Identifier: MIT
/* Initial VMSA contents of a vCPU at reset. */
#include <string.h>

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
