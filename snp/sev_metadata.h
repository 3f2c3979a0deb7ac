/* SPDX-License-Identifier: MIT */
/*
 * The SEV metadata ("ASEV") of OVMF builds: guest memory ranges the VMM must add at launch
 * before the firmware runs (pre-validated memory, secrets page, CPUID page, kernel hashes).
 */
#ifndef CVMM_SNP_SEV_METADATA_H
#define CVMM_SNP_SEV_METADATA_H

#include <stdint.h>

#include "boot/firmware.h"

struct error;

enum sev_section_type {
	SEV_SECTION_SNP_SEC_MEM = 1,
	SEV_SECTION_SNP_SECRETS = 2,
	SEV_SECTION_CPUID = 3,
	SEV_SECTION_SVSM_CAA = 4,
	SEV_SECTION_SNP_KERNEL_HASHES = 0x10,
};

#define SEV_METADATA_SIGNATURE    0x56455341u /* "ASEV" */
#define SEV_METADATA_MAX_SECTIONS 64

struct sev_section {
	uint32_t base; /* guest physical address */
	uint32_t length;
	uint32_t type;
};

struct sev_metadata {
	uint32_t nr_sections;
	struct sev_section sections[SEV_METADATA_MAX_SECTIONS];
};

/*
 * Parses and validates the metadata the footer table points at: signature, version, length,
 * and per section: 4 KiB alignment, non-empty, below 4 GiB, known type, no overlap.
 * One line in err and -EINVAL (-ENOENT: no SEV metadata) on failure.
 */
int sev_metadata_parse(const struct fw_table *t, struct sev_metadata *md, struct error *e);

/* "SNP_SEC_MEM", "SNP_SECRETS", ... ; "unknown" for anything else. */
const char *sev_section_type_name(uint32_t type);

#endif
