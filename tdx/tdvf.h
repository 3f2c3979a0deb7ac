/* SPDX-License-Identifier: MIT */
/*
 * The TDVF metadata descriptor ("TDVF") of OVMF TDX builds and td-shim: which parts of the
 * firmware image go where in guest memory, and whether they are added and measured at launch.
 */
#ifndef CVMM_TDX_TDVF_H
#define CVMM_TDX_TDVF_H

#include <stdint.h>

#include "boot/firmware.h"

struct error;

enum tdvf_section_type {
	TDVF_SECTION_BFV = 0,
	TDVF_SECTION_CFV = 1,
	TDVF_SECTION_TD_HOB = 2,
	TDVF_SECTION_TEMP_MEM = 3,
	TDVF_SECTION_PERM_MEM = 4,
	TDVF_SECTION_PAYLOAD = 5,
	TDVF_SECTION_PAYLOAD_PARAM = 6,
	TDVF_SECTION_TD_INFO = 7,
};

#define TDVF_ATTR_MR_EXTEND (1u << 0)
#define TDVF_ATTR_PAGE_AUG  (1u << 1)

#define TDVF_SIGNATURE    0x46564454u /* "TDVF" */
#define TDVF_MAX_SECTIONS 64

/*
 * What a TD can hold.  cvmm's TDs have a 48-bit guest-physical address width (4-level secure
 * EPT), whose bit 47 is the shared bit: every TDVF section is private memory, so it must lie
 * below 2^47.  The sections a launch adds page by page (all but PAGE.AUG ones: one
 * TDH.MEM.PAGE.ADD each before the TD runs, and 1 or 17 MRTD records to hash) are the firmware
 * volumes and the memory the firmware runs in before it accepts RAM itself; together they may
 * be 1 GiB at most (real images add a few MiB: OVMF about 4, td-shim with a payload tens).
 * That bounds `cvmm measure` to about 2^18 pages.
 */
#define TDVF_GPA_WIDTH    48
#define TDVF_MAX_GPA      (1ULL << (TDVF_GPA_WIDTH - 1))
#define TDVF_MAX_ADDED    (1ULL << 30)

struct tdvf_section {
	uint32_t data_offset; /* in the firmware file */
	uint32_t raw_data_size;
	uint64_t memory_address;
	uint64_t memory_data_size;
	uint32_t type;
	uint32_t attributes;
};

struct tdvf_metadata {
	uint32_t nr_sections;
	struct tdvf_section sections[TDVF_MAX_SECTIONS];
};

/*
 * Parses and validates the descriptor the footer table points at: signature, version, length,
 * and per section: raw data inside the file, 4 KiB alignment, size >= raw size, known type and
 * attributes, below TDVF_MAX_GPA, no overlap; the sections added at launch at most
 * TDVF_MAX_ADDED bytes together.  One line in err and -EINVAL (-ENOENT: no TDX metadata) on
 * failure.
 */
int tdvf_parse(const struct fw_table *t, struct tdvf_metadata *md, struct error *e);

/* "BFV", "CFV", ... ; "unknown" for anything else. */
const char *tdvf_section_type_name(uint32_t type);

#endif
