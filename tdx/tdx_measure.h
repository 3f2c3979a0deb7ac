/* SPDX-License-Identifier: MIT */
/* The TDX launch plan of a TDVF/td-shim image and its MRTD. */
#ifndef CVMM_TDX_TDX_MEASURE_H
#define CVMM_TDX_TDX_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "boot/launch_plan.h"

struct error;

#define TDX_MRTD_SIZE 48

/*
 * Fills an empty plan (launch_plan_init(plan, LAUNCH_TEE_TDX)) with one region per TDVF section,
 * in metadata order.  Regions point into fw, which must outlive the plan.  The TD_HOB region
 * has no data: the launch code builds the HOB (td_hob_build) and attaches it before
 * INIT_MEM_REGION.  One line in err and a negative errno on failure.
 */
int tdx_plan_build(struct launch_plan *plan, const uint8_t *fw, size_t fw_len, struct error *e);

/* SHA-384 over the MEM.PAGE.ADD and MR.EXTEND records of the plan, in plan order. */
int tdx_mrtd(const struct launch_plan *plan, uint8_t mrtd[TDX_MRTD_SIZE]);

#endif
