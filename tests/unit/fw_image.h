/* SPDX-License-Identifier: MIT */
/*
 * Test helper: builds synthetic OVMF-style firmware images in memory (pattern content, a GUIDed
 * footer table, a TDVF descriptor and SEV metadata) so parser tests can start from a valid image
 * and corrupt one field at a time.  Written from the format description, independent of the
 * parsers under test.
 */
#ifndef CVMM_TESTS_FW_IMAGE_H
#define CVMM_TESTS_FW_IMAGE_H

#include <stddef.h>
#include <stdint.h>

struct fw_image_tdvf {
	uint32_t data_offset, raw_size;
	uint64_t gpa, size;
	uint32_t type, attrs;
};

struct fw_image_sev {
	uint32_t base, length, type;
};

struct fw_image_layout {
	size_t size;
	const struct fw_image_tdvf *tdvf; /* NULL: no TDX metadata entry */
	unsigned nr_tdvf;
	const struct fw_image_sev *sev; /* NULL: no SEV metadata entry */
	unsigned nr_sev;
	uint32_t hashes_base, hashes_size; /* hashes_base 0: no hashes-table entry */
	uint32_t ap_reset;                 /* 0: no SEV-ES reset block entry */
};

struct fw_image {
	uint8_t *data;
	size_t len;
	size_t tdvf_pos;    /* TDVF descriptor ("TDVF" signature) */
	size_t sev_pos;     /* SEV metadata ("ASEV") */
	size_t table_end;   /* fw end - 32: the footer GUID ends here */
	size_t table_start; /* first byte of the first (lowest) entry */
	size_t tdx_entry;   /* position of the TDX metadata entry's data (u32 offset) */
	size_t sev_entry;   /* position of the SEV metadata entry's data */
};

/* The standard layouts used by the tests (OVMF-like, with every kind of entry). */
extern const struct fw_image_layout fw_image_ovmf;

void fw_image_build(struct fw_image *img, const struct fw_image_layout *l);
void fw_image_free(struct fw_image *img);

void fw_image_put16(uint8_t *p, uint16_t v);
void fw_image_put32(uint8_t *p, uint32_t v);
void fw_image_put64(uint8_t *p, uint64_t v);

#endif
