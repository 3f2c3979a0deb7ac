/* SPDX-License-Identifier: MIT */
/*
 * The rest of a TD's launch plan, after tdx_plan_build() turned the firmware's TDVF sections into
 * regions: where each section may lie, what goes into td-shim's Payload and PayloadParam
 * sections, and the TD HOB.  Everything here is input checking and data: no KVM.  The launch and
 * `cvmm measure` both run it, so the TD HOB and payload the VM gets are the ones measured.
 *
 *   RAM       sections the guest accepts later (PAGE.AUG) and every section below the 32-bit MMIO
 *             hole must lie in RAM;
 *   firmware  sections above RAM lie in the MMIO hole but clear of every device window, and
 *             get private memory of their own (vmm/cvm_fw_memory.h);
 *   Payload   with --kernel, a bzImage copied whole into the section (td-shim boots it as
 *             Cloud Hypervisor and Kata's runtime-rs give it); PayloadParam gets the command line
 *             with its NUL; the TD HOB then also carries the payload info and the ACPI tables
 *             as GUID extension HOBs.  Without a Payload section the kernel goes to the firmware
 *             through fw_cfg (TDVF direct boot).
 */
#ifndef CVMM_TDX_TD_PAYLOAD_H
#define CVMM_TDX_TD_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/launch_plan.h"

struct error;
struct guest_mem;

/* td-shim's GUID extension HOBs. */
#define TD_PAYLOAD_IMAGE_BZIMAGE 1

struct td_payload_inputs {
	const struct guest_mem *layout; /* guest RAM */
	const uint8_t *kernel;          /* the --kernel file, or NULL */
	size_t kernel_len;
	const char *cmdline;            /* the final command line */
	const uint8_t *acpi;            /* ACPI tables laid out for acpi_gpa (RSDP first), or NULL */
	size_t acpi_len;
	uint64_t acpi_gpa;
};

struct td_payload {
	bool kernel_in_plan; /* the kernel went into the Payload section (td-shim) */
	uint64_t hob_gpa;    /* the TD HOB's address (initial RCX of every vCPU); 0: no TD_HOB */
	size_t hob_len;
};

/*
 * Completes the plan for these inputs.  Input errors (a section outside RAM or over a device, a
 * kernel that is not a bzImage or does not fit, a command line too long for PayloadParam, a TD HOB
 * section too small) are one line in e, before anything touches KVM.
 */
int td_payload_apply(struct launch_plan *plan, const struct td_payload_inputs *in,
		     struct td_payload *out, struct error *e);

/* True for regions that lie outside RAM and need their own private memory. */
bool td_region_outside_ram(const struct launch_region *r, const struct guest_mem *layout);

#endif
