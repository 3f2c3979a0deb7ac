/* SPDX-License-Identifier: MIT */
/*
 * A VM's launch inputs: everything the guest starts from, computed once from the config before
 * KVM is opened.  `cvmm measure` and the VM both use launch_inputs_build(), so the measurement
 * covers exactly what the VM is given: the same final command line (with the virtio-mmio entries
 * the device manager's layout adds), the same ACPI tables, the same launch plan and kernel hashes.
 *
 * Two boot strategies:
 *   direct    cvmm loads the kernel and initrd itself and writes the boot information and ACPI
 *             tables into guest RAM (no TEE, --tee emulated);
 *   firmware  the guest starts in firmware (OVMF/TDVF/td-shim) added through a launch plan; the
 *             kernel, initrd and command line go to the firmware (TDX, SNP).
 */
#ifndef CVMM_LAUNCH_H
#define CVMM_LAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/boot.h"
#include "boot/launch_plan.h"
#include "snp/sev_hashes.h"
#include "vmm/device_manager.h"
#include "vmm/layout.h"
#include "vmm/memory.h"

struct error;
struct snp_id_auth_files;
struct vm_config;

enum boot_strategy {
	BOOT_DIRECT,
	BOOT_FIRMWARE,
};

struct launch_inputs {
	enum boot_strategy strategy;
	struct virtio_layout devices;     /* the virtio-mmio slots, as the device manager assigns */
	char cmdline[LAYOUT_CMDLINE_MAX]; /* the final command line the guest gets */
	struct guest_mem layout;          /* guest RAM regions (nothing mapped) */

	/* direct */
	struct boot_kernel kernel;
	struct boot_initrd initrd;
	uint8_t *acpi;      /* the ACPI tables, laid out for acpi_gpa */
	size_t acpi_len;
	uint64_t acpi_gpa;  /* the RSDP's address; 0 without tables */

	/* firmware */
	uint8_t *firmware;
	size_t firmware_len;
	struct launch_plan plan;
	bool has_plan;
	/* What fw_cfg hands the firmware: kernel and initrd mapped once, measured and served. */
	struct firmware_payload payload;
	struct sev_hashes hashes; /* SNP measured direct boot */
	bool has_hashes;
	struct snp_id_auth_files *snp_id; /* SNP: ID block and auth block, checked; or NULL */
};

/* Opens and checks the payload, builds the description and the plan; no KVM involved. */
int launch_inputs_build(const struct vm_config *cfg, struct launch_inputs *li, struct error *e);
void launch_inputs_free(struct launch_inputs *li);

/* The final command line: the user's, then one virtio_mmio.device=4K@ADDR:GSI per device. */
int launch_cmdline(const char *user, const struct virtio_layout *devices, char *out, size_t len,
		   struct error *e);

#endif
