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
#include "tdx/td_payload.h"
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

/* A file the firmware is handed whole, mapped read-only (data NULL for an empty file). */
struct launch_file {
	uint8_t *data;
	size_t len;
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
	uint8_t *mptable;   /* the MP table for acpi=off guests, laid out for LAYOUT_MPTABLE_START */
	size_t mptable_len;

	/* firmware */
	uint8_t *firmware;
	size_t firmware_len;
	struct launch_plan plan;
	bool has_plan;
	/*
	 * --kernel and --initrd for the firmware, mapped once: the bytes SNP's hashes and TDX's RTMR
	 * prediction are taken from are the bytes fw_cfg serves (or td-shim's Payload holds).
	 */
	struct launch_file fw_kernel;
	struct launch_file fw_initrd;
	struct sev_hashes hashes; /* SNP measured direct boot */
	bool has_hashes;
	struct snp_id_auth_files *snp_id; /* SNP: ID block and auth block, checked; or NULL */
	struct td_payload td;             /* TDX: the TD HOB's address, where the kernel went */
	/* what the firmware reads through fw_cfg; points into these inputs (do not copy them) */
	struct device_firmware_boot fw_boot;
	struct boot_mem_range fw_ram[GUEST_MEM_MAX_REGIONS];
};

/* Opens and checks the payload, builds the description and the plan; no KVM involved. */
int launch_inputs_build(const struct vm_config *cfg, struct launch_inputs *li, struct error *e);
void launch_inputs_free(struct launch_inputs *li);

/*
 * What only a VM needs of its inputs (`cvmm measure` predicts any payload): a kernel the firmware
 * gets through fw_cfg must be one it can load (config_check_firmware_kernel() on the mapped bytes).
 * vm_create() calls it right after launch_inputs_build(), before KVM is opened.
 */
int launch_inputs_check_boot(const struct vm_config *cfg, const struct launch_inputs *li,
			     struct error *e);

/* The final command line: the user's, then one virtio_mmio.device=4K@ADDR:GSI per device. */
int launch_cmdline(const char *user, const struct virtio_layout *devices, char *out, size_t len,
		   struct error *e);

#endif
