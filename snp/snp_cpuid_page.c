// SPDX-License-Identifier: MIT
/* The SEV-SNP CPUID page: built from a vCPU's CPUID table, and compared with the firmware's. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/kvm.h>

#include "snp/snp_cpuid_page.h"
#include "vmm/error.h"
#include "vmm/util.h"

#define LEAF_XSAVE 0xd

int snp_cpuid_page_build(const struct kvm_cpuid2 *cpuid, struct snp_cpuid_page *page,
			 struct error *e)
{
	memset(page, 0, sizeof(*page));
	if (cpuid->nent > SNP_CPUID_MAX_ENTRIES)
		return error_set(e, ERROR_HOST, E2BIG,
				 "the vCPU's CPUID has %u leaves; the SEV-SNP CPUID page holds %d",
				 cpuid->nent, SNP_CPUID_MAX_ENTRIES);
	for (unsigned i = 0; i < cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *k = &cpuid->entries[i];
		struct snp_cpuid_entry *s = &page->entries[i];

		s->eax_in = k->function;
		if (k->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX)
			s->ecx_in = k->index;
		s->eax = k->eax;
		s->ebx = k->ebx;
		s->ecx = k->ecx;
		s->edx = k->edx;
		if (s->eax_in == LEAF_XSAVE && (s->ecx_in == 0 || s->ecx_in == 1)) {
			s->ebx = SNP_CPUID_XSAVE_LEGACY_SIZE;
			s->xcr0_in = 1;
			s->xss_in = 0;
		}
	}
	page->count = cpuid->nent;
	return 0;
}

static const struct snp_cpuid_entry *find(const struct snp_cpuid_page *p, unsigned n,
					  const struct snp_cpuid_entry *like)
{
	for (unsigned i = 0; i < n; i++) {
		const struct snp_cpuid_entry *c = &p->entries[i];

		if (c->eax_in == like->eax_in && c->ecx_in == like->ecx_in &&
		    c->xcr0_in == like->xcr0_in && c->xss_in == like->xss_in)
			return c;
	}
	return NULL;
}

unsigned snp_cpuid_page_diff(const struct snp_cpuid_page *ours, const struct snp_cpuid_page *fw,
			     void (*fn)(void *ctx, const char *line), void *ctx)
{
	unsigned n_ours = MIN(ours->count, (uint32_t)SNP_CPUID_MAX_ENTRIES);
	unsigned n_fw = MIN(fw->count, (uint32_t)SNP_CPUID_MAX_ENTRIES), lines = 0;
	char line[192];

	for (unsigned i = 0; i < n_fw; i++) {
		const struct snp_cpuid_entry *f = &fw->entries[i], *o = find(ours, n_ours, f);

		if (!o)
			snprintf(line, sizeof(line), "leaf 0x%x.%u: added by the firmware",
				 f->eax_in, f->ecx_in);
		else if (memcmp(&o->eax, &f->eax, 4 * sizeof(f->eax)))
			snprintf(line, sizeof(line),
				 "leaf 0x%x.%u: eax 0x%x ebx 0x%x ecx 0x%x edx 0x%x; the firmware "
				 "accepts eax 0x%x ebx 0x%x ecx 0x%x edx 0x%x", f->eax_in,
				 f->ecx_in, o->eax, o->ebx, o->ecx, o->edx, f->eax, f->ebx, f->ecx,
				 f->edx);
		else
			continue;
		fn(ctx, line);
		lines++;
	}
	for (unsigned i = 0; i < n_ours; i++) {
		if (find(fw, n_fw, &ours->entries[i]))
			continue;
		snprintf(line, sizeof(line), "leaf 0x%x.%u: dropped by the firmware",
			 ours->entries[i].eax_in, ours->entries[i].ecx_in);
		fn(ctx, line);
		lines++;
	}
	return lines;
}
