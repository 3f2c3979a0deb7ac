/* SPDX-License-Identifier: MIT */
/* xAPIC (MMIO) and IOAPIC register access; usable from ring 3 and ring 0. */
#ifndef GUEST_APIC_H
#define GUEST_APIC_H

#include <stdint.h>

#include "tests/guest/io.h"

#define LAPIC_ID     0x020
#define LAPIC_TPR    0x080
#define LAPIC_EOI    0x0b0
#define LAPIC_SVR    0x0f0
#define LAPIC_ICR_LO 0x300
#define LAPIC_ICR_HI 0x310

#define LAPIC_SVR_ENABLE     0x100
#define ICR_DELIVERY_PENDING (1u << 12)
#define ICR_INIT             0x00004500 /* INIT, level assert */
#define ICR_STARTUP          0x00004600 /* start-up IPI, vector = page number */

#define IOAPIC_REGSEL  0x00
#define IOAPIC_WIN     0x10
#define IOAPIC_VER     0x01
#define IOAPIC_REDTBL(pin) (0x10 + 2 * (pin))
#define IOAPIC_RTE_ACTIVE_LOW (1u << 13)
#define IOAPIC_RTE_LEVEL      (1u << 15)
#define IOAPIC_RTE_MASKED     (1u << 16)

/* LAPIC base: the MADT's (or its override), 0xfee00000 until apic_init() ran. */
extern uint64_t lapic_base;

void apic_init(void);
/* Masks the 8259s and software-enables the LAPIC (TPR 0): IOAPIC interrupts reach this CPU.
 * Returns its APIC ID. */
uint32_t apic_take_interrupts(void);

static inline uint32_t lapic_read(uint32_t reg)
{
	return mmio_read32(lapic_base + reg);
}

static inline void lapic_write(uint32_t reg, uint32_t val)
{
	mmio_write32(lapic_base + reg, val);
}

static inline uint32_t lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

static inline uint32_t ioapic_read(uint64_t base, uint32_t reg)
{
	mmio_write32(base + IOAPIC_REGSEL, reg);
	return mmio_read32(base + IOAPIC_WIN);
}

static inline void ioapic_write(uint64_t base, uint32_t reg, uint32_t val)
{
	mmio_write32(base + IOAPIC_REGSEL, reg);
	mmio_write32(base + IOAPIC_WIN, val);
}

#endif
