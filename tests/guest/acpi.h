/* SPDX-License-Identifier: MIT */
/* ACPI table discovery: RSDP -> XSDT (or RSDT) -> FADT -> DSDT, and the MADT. */
#ifndef GUEST_ACPI_H
#define GUEST_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#define ACPI_MAX_CPUS   256
#define ACPI_MAX_TABLES 32

struct acpi_info {
	bool ok;		/* every table found and valid */
	char error[120];	/* first problem, when !ok */
	char summary[120];

	uint64_t rsdp_addr;
	bool rsdp_scanned;	/* found by scanning 0xe0000-0xfffff, not passed */

	bool has_madt;
	bool madt_bad;		/* the MADT itself is malformed (error says how) */
	uint64_t lapic_base;
	uint32_t n_cpus;	/* enabled Local APIC / x2APIC entries */
	uint32_t cpu_apic_id[ACPI_MAX_CPUS];
	bool has_ioapic;
	uint64_t ioapic_addr;
	uint32_t ioapic_gsi_base;
	uint32_t com1_gsi;	/* ISA IRQ 4, after interrupt source overrides */
	uint16_t com1_flags;	/* MPS INTI flags of the override (0 = bus default) */
	/* MP table only: ISA IRQ n -> IOAPIC pin (with ACPI, a GSI is its pin). */
	bool irq_routed[256];
	uint8_t irq_pin[256];
	uint16_t irq_flags[256];
};

/* Parses the tables once (ring 3) and returns the cached result. */
const struct acpi_info *acpi_get(void);
/* The same from the MP table (mptable.c). */
const struct acpi_info *mptable_get(void);
/* acpi=off is on the command line: the guest uses the MP table, as Linux would. */
bool guest_acpi_off(void);
/* What the CPU and interrupt checks use: the MP table with acpi=off, else ACPI. */
const struct acpi_info *platform_get(void);

#endif
