/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables for a hardware-reduced cvmm guest: RSDP, XSDT, FADT, MADT and a DSDT describing
 * COM1, the virtio-mmio devices, the processors and \_S5 (see docs/acpi.md).
 */
#ifndef CVMM_ACPI_H
#define CVMM_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits: APIC IDs 0..254 (0xff is the xAPIC broadcast ID and the "all processors" UID). */
#define ACPI_MAX_CPUS   255
#define ACPI_MAX_VIRTIO 256

/* The hardware-reduced sleep control register (ACPI 6.x, 4.8.3.7): SLP_TYP in bits 4-2, SLP_EN. */
#define ACPI_SLEEP_CTL_SLP_EN        0x20
#define ACPI_SLEEP_CTL_SLP_TYP_SHIFT 2
#define ACPI_SLEEP_CTL_SLP_TYP_MASK  0x7
/* The SLP_TYP value \_S5 (soft off) advertises. */
#define ACPI_S5_SLP_TYP 5

struct acpi_virtio_dev {
	uint64_t base; /* must lie below 4 GiB */
	uint32_t size;
	uint32_t irq; /* IOAPIC GSI; edge-triggered, active high */
};

struct acpi_config {
	unsigned nr_cpus; /* LAPIC IDs and ACPI processor UIDs 0..nr_cpus-1 */
	bool legacy_pic;  /* in-kernel 8259 + PIT present: PCAT_COMPAT and the IRQ0->GSI2 override */
	bool i8042;       /* an i8042 is emulated: let the guest's i8042 driver probe it */
	uint64_t ioapic_addr;
	uint8_t ioapic_id;
	uint32_t ioapic_gsi_base;
	uint64_t lapic_addr;
	bool com1;
	uint16_t com1_port;
	uint32_t com1_irq; /* ISA IRQ 0..15 */
	const struct acpi_virtio_dev *virtio;
	unsigned nr_virtio;
	uint16_t sleep_ctl_port, sleep_sts_port, reset_port; /* non-zero */
	uint8_t reset_value;
};

/*
 * Lays out RSDP at base_gpa (16-byte aligned), then XSDT, FADT, MADT and DSDT, each 16-byte
 * aligned, inside buf, which is cvmm's mapping of guest memory [base_gpa, base_gpa + size).
 * Returns the bytes used, -ENOSPC when the tables do not fit (buf is then left untouched), or
 * -EINVAL for a bad config.
 */
int acpi_build(const struct acpi_config *cfg, uint8_t *buf, size_t size, uint64_t base_gpa);

#endif
