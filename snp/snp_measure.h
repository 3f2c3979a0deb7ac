/* SPDX-License-Identifier: MIT */
/* The SEV-SNP launch plan of an OVMF image and its launch digest (PAGE_INFO chain). */
#ifndef CVMM_SNP_SNP_MEASURE_H
#define CVMM_SNP_SNP_MEASURE_H

#include <stddef.h>
#include <stdint.h>


#include "boot/launch_plan.h"
#include "vmm/digest.h"
#include "snp/sev_hashes.h"

struct error;

#define SNP_DIGEST_SIZE    48
#define SNP_PAGE_INFO_SIZE 0x70

struct snp_launch_params {
	const uint8_t *fw; /* whole firmware image; must outlive the plan */
	size_t fw_len;
	unsigned vcpus;
	uint32_t vcpu_sig;       /* CPUID.1.EAX of the guest CPU model, RDX at reset */
	uint64_t guest_features; /* VMSA sev_features (INIT2 vmsa_features | SNP_ACTIVE) */
	const struct sev_hashes *hashes; /* measured direct boot; NULL without a kernel */
};

/*
 * Fills an empty plan (launch_plan_init(plan, LAUNCH_TEE_SNP)) in QEMU's order: the firmware
 * as NORMAL pages ending at 4 GiB, the SEV metadata sections in table order, then one VMSA
 * region per vCPU.  One line in err and a negative errno on failure (bad firmware, a kernel
 * for a firmware without a KERNEL_HASHES section, APs without an AP reset address).
 */
int snp_plan_build(struct launch_plan *plan, const struct snp_launch_params *p, struct error *e);

/*
 * Whether a VM whose guest RAM is `layout` can be launched from the plan: the firmware lies in the
 * top SNP_FIRMWARE_MAX bytes below 4 GiB (above the IOAPIC, the LAPIC and KVM's TSS pages), every
 * SEV metadata section in guest RAM.  An input error naming the region otherwise.
 */
#define SNP_FIRMWARE_MAX (16u << 20)
struct guest_mem;
int snp_plan_check_layout(const struct launch_plan *plan, const struct guest_mem *layout,
			  struct error *e);

/* The AP reset address of the firmware (SEV-ES reset block); -ENOENT if it has none. */
int snp_ap_reset_addr(const uint8_t *fw, size_t fw_len, uint32_t *addr, struct error *e);

/* A running launch digest: LD = SHA-384(PAGE_INFO) per page, starting from zero. */
struct snp_ld {
	uint8_t digest[SNP_DIGEST_SIZE];
	struct digest *hash;
	uint8_t scratch[LAUNCH_PAGE_SIZE];
};

int snp_ld_init(struct snp_ld *ld);
void snp_ld_free(struct snp_ld *ld);
/* contents: the page for NORMAL and VMSA pages; ignored (measured as zero) for other types. */
int snp_ld_add_page(struct snp_ld *ld, uint64_t gpa, uint8_t page_type, const uint8_t *contents);
int snp_ld_add_region(struct snp_ld *ld, const struct launch_region *r);

/* The launch digest of a whole plan. */
int snp_launch_digest(const struct launch_plan *plan, uint8_t digest[SNP_DIGEST_SIZE]);

#endif
