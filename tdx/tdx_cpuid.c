// SPDX-License-Identifier: MIT
/* The TD's CPUID: the configurable leaves for INIT_VM and each vCPU's table for KVM. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/cpu_setup.h"
#include "tdx/tdx_cpuid.h"
#include "vmm/error.h"

#define LEAF_ADDR_SIZES      0x80000008u
#define GPAW_SHIFT           16
#define GPAW_MASK            (0xffu << GPAW_SHIFT)
#define CPUID_1_ECX_X2APIC   (1u << 21)

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		const struct kvm_cpuid_entry2 *x = &c->entries[i];

		if (x->function == fn &&
		    (x->index == idx || !(x->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX)))
			return x;
	}
	return NULL;
}

int tdx_cpuid_init_vm(const struct kvm_cpuid2 *caps, const struct kvm_cpuid2 *supported,
		      unsigned gpaw, struct kvm_cpuid2 **out, struct error *e)
{
	struct kvm_cpuid2 *c;
	bool have_addr_sizes = false;

	if (gpaw != 48 && gpaw != 52)
		return error_set(e, ERROR_USAGE, EINVAL, "a TD's guest physical address width is 48 "
				 "or 52 bits, not %u", gpaw);
	c = cpu_cpuid_alloc(caps->nent);
	if (!c)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	c->nent = 0;
	for (uint32_t i = 0; i < caps->nent; i++) {
		const struct kvm_cpuid_entry2 *mask = &caps->entries[i];
		const struct kvm_cpuid_entry2 *s = find(supported, mask->function, mask->index);
		struct kvm_cpuid_entry2 *d;

		if (!s)
			continue;
		d = &c->entries[c->nent++];
		memset(d, 0, sizeof(*d));
		d->function = mask->function;
		d->index = mask->index;
		d->flags = mask->flags;
		d->eax = s->eax & mask->eax;
		d->ebx = s->ebx & mask->ebx;
		d->ecx = s->ecx & mask->ecx;
		d->edx = s->edx & mask->edx;
		if (d->function == LEAF_ADDR_SIZES) {
			/* KVM reads the width here and clears it before the TDX module sees it. */
			d->eax = (d->eax & ~GPAW_MASK) | gpaw << GPAW_SHIFT;
			have_addr_sizes = true;
		}
	}
	if (!have_addr_sizes) {
		free(c);
		return error_set(e, ERROR_HOST, ENOTSUP,
				 "CPUID leaf 0x80000008 (guest physical address width) is missing from "
				 "%s; KVM_TDX_INIT_VM needs it",
				 find(caps, LEAF_ADDR_SIZES, 0) ? "KVM_GET_SUPPORTED_CPUID"
								: "the TDX capabilities");
	}
	*out = c;
	return 0;
}

int tdx_cpuid_vcpu(const struct kvm_cpuid2 *supported, unsigned vcpu_id, unsigned nr_vcpus,
		   struct kvm_cpuid2 **out, struct error *e)
{
	struct kvm_cpuid2 *c;
	bool leaf1 = false;
	int ret;

	/* A TD's TSC deadline timer is the TDX module's business, not the table's. */
	ret = cpu_build_cpuid(supported, vcpu_id, nr_vcpus, false, &c);
	if (ret)
		return error_set(e, ERROR_HOST, ret, "vcpu%u: cannot build its CPUID: %s", vcpu_id,
				 strerror(-ret));
	for (uint32_t i = 0; i < c->nent; i++) {
		if (c->entries[i].function == 1) {
			c->entries[i].ecx |= CPUID_1_ECX_X2APIC;
			leaf1 = true;
		}
	}
	if (!leaf1) {
		free(c);
		return error_set(e, ERROR_HOST, ENOTSUP, "KVM_GET_SUPPORTED_CPUID has no leaf 1; a TD "
				 "vCPU needs CPUID.1:ECX.x2APIC");
	}
	*out = c;
	return 0;
}
