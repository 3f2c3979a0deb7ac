/* SPDX-License-Identifier: MIT */
/*
 * The SEV-SNP CPUID page (SEV-SNP firmware ABI, "CPUID Reporting"): the CPUID values the guest may
 * trust, launched as a CPUID page, which the firmware checks against what the CPU can do.  cvmm
 * builds it from the boot vCPU's CPUID table, as QEMU does from KVM_GET_CPUID2:
 *   - one entry per leaf and subleaf, at most SNP_CPUID_MAX_ENTRIES;
 *   - ecx_in only for leaves whose subleaf matters (KVM_CPUID_FLAG_SIGNIFCANT_INDEX), else 0;
 *   - leaf 0xD subleaves 0 and 1 describe the XSAVE area for XCR0 = 1 and XSS = 0, the state at
 *     reset (xcr0_in 1, xss_in 0, EBX 0x240 = 512-byte legacy area + 64-byte header): the guest
 *     computes the sizes for other XCR0 values from the per-component subleaves.
 * When the firmware rejects the page it writes back the values it accepts; snp_cpuid_page_diff()
 * says which leaves changed.
 */
#ifndef CVMM_SNP_SNP_CPUID_PAGE_H
#define CVMM_SNP_SNP_CPUID_PAGE_H

#include <stdint.h>

struct error;
struct kvm_cpuid2;

#define SNP_CPUID_MAX_ENTRIES 64
#define SNP_CPUID_XSAVE_LEGACY_SIZE 0x240

struct snp_cpuid_entry {
	uint32_t eax_in;
	uint32_t ecx_in;
	uint64_t xcr0_in;
	uint64_t xss_in;
	uint32_t eax, ebx, ecx, edx;
	uint64_t reserved;
} __attribute__((packed));

struct snp_cpuid_page {
	uint32_t count;
	uint32_t reserved1;
	uint64_t reserved2;
	struct snp_cpuid_entry entries[SNP_CPUID_MAX_ENTRIES];
	uint8_t pad[4096 - 16 - SNP_CPUID_MAX_ENTRIES * 48];
} __attribute__((packed));

_Static_assert(sizeof(struct snp_cpuid_entry) == 48, "SNP CPUID entry");
_Static_assert(sizeof(struct snp_cpuid_page) == 4096, "SNP CPUID page");

/* The page for this CPUID table; a host error when it has more leaves than the page holds. */
int snp_cpuid_page_build(const struct kvm_cpuid2 *cpuid, struct snp_cpuid_page *page,
			 struct error *e);

/*
 * Calls fn with one line per entry of `fw` (the firmware's corrected page, untrusted: its count is
 * clamped) whose values differ from the entry for the same inputs in `ours`, or that `ours` lacks,
 * and per entry of `ours` that `fw` dropped.  Returns the number of lines.
 */
unsigned snp_cpuid_page_diff(const struct snp_cpuid_page *ours, const struct snp_cpuid_page *fw,
			     void (*fn)(void *ctx, const char *line), void *ctx);

#endif
