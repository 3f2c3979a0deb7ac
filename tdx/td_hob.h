/* SPDX-License-Identifier: MIT */
/*
 * The TD HOB list the VMM writes into the TD_HOB section for TDVF: a handoff info table, one
 * resource descriptor per RAM range (system memory where the launch already added the pages,
 * unaccepted memory elsewhere), and an end marker.
 */
#ifndef CVMM_TDX_TD_HOB_H
#define CVMM_TDX_TD_HOB_H

#include <stddef.h>
#include <stdint.h>

#include "boot/launch_plan.h"

struct error;

#define TD_HOB_TYPE_HANDOFF      0x0001
#define TD_HOB_TYPE_RESOURCE     0x0003
#define TD_HOB_TYPE_GUID_EXT     0x0004
#define TD_HOB_TYPE_END          0xffff
#define TD_HOB_HANDOFF_SIZE      56
#define TD_HOB_RESOURCE_SIZE     48
#define TD_HOB_END_SIZE          8
#define TD_HOB_GUID_HDR_SIZE     24 /* generic header + GUID */
#define TD_HOB_HANDOFF_VERSION   9
#define TD_HOB_RES_SYSTEM_MEMORY 0
#define TD_HOB_RES_UNACCEPTED    7
#define TD_HOB_RES_ATTRIBUTES    0x7 /* present | initialized | tested */

struct td_hob_ram {
	uint64_t start;
	uint64_t size;
};

/* A GUID extension HOB: header, the GUID (as its 16 bytes in the file), data, zeros to 8 bytes. */
struct td_hob_guid {
	uint8_t guid[16];
	const void *data;
	size_t len;
};

/*
 * Writes the HOB list for guest RAM `ram` (sorted, non-overlapping, 4 KiB aligned) into buf,
 * which the guest will see at hob_gpa.  RAM that a region of the plan adds at launch (tdx_add)
 * is reported as system memory, the rest as unaccepted.  *used gets the bytes written.
 * -EINVAL for bad RAM ranges, -ENOSPC when buf is too small; one line in err.
 */
int td_hob_build(uint8_t *buf, size_t buflen, uint64_t hob_gpa, const struct td_hob_ram *ram,
		 size_t nr_ram, const struct launch_plan *plan, size_t *used, struct error *e);

/* The same, with GUID extension HOBs (td-shim's ACPI tables and payload info) before the end. */
int td_hob_build_ext(uint8_t *buf, size_t buflen, uint64_t hob_gpa, const struct td_hob_ram *ram,
		     size_t nr_ram, const struct launch_plan *plan, const struct td_hob_guid *ext,
		     size_t nr_ext, size_t *used, struct error *e);

#endif
