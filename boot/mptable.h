/* SPDX-License-Identifier: MIT */
/*
 * An Intel MultiProcessor Specification 1.4 table, for guests booted with acpi=off (Kata's fc
 * driver does): without ACPI, Linux finds its CPUs and the IOAPIC only here.  The floating pointer
 * goes at the start of the last KiB of base memory, where Linux looks first; the configuration
 * table follows it: one processor per vCPU, an ISA bus, the IOAPIC, the interrupt sources of the
 * timer (with the legacy PIC), the keyboard, COM1 and every virtio-mmio device (ISA IRQ n on IOAPIC
 * pin n, so the IRQ of virtio_mmio.device= is also the guest's IRQ number), and the local
 * interrupts (ExtINT on LINT0, NMI on LINT1).  See docs/acpi.md.
 */
#ifndef CVMM_MPTABLE_H
#define CVMM_MPTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MPTABLE_MAX_CPUS 254
#define MPTABLE_MAX_IRQS 32 /* interrupt sources besides the fixed ones */

struct mptable_config {
	unsigned nr_cpus;         /* APIC IDs 0..nr_cpus-1; CPU 0 boots */
	uint64_t lapic_addr;
	uint8_t ioapic_id;
	uint64_t ioapic_addr;
	unsigned ioapic_pins;
	bool legacy_pic;          /* 8259 + PIT: timer on pin 2, ExtINT on pin 0 */
	bool keyboard;            /* i8042: ISA IRQ 1 */
	bool com1;
	uint8_t com1_irq;
	const uint32_t *irqs;     /* virtio-mmio GSIs (= IOAPIC pins), edge, active high */
	unsigned nr_irqs;
};

/* Bytes the table takes (floating pointer included); 0 for a bad config. */
size_t mptable_size(const struct mptable_config *cfg);
/*
 * Writes the table into buf (cvmm's mapping of guest memory at gpa, 16-byte aligned).  Returns
 * the bytes written, -ENOSPC when size is too small, -EINVAL for a bad config.
 */
int mptable_build(const struct mptable_config *cfg, uint8_t *buf, size_t size, uint64_t gpa);

#endif
