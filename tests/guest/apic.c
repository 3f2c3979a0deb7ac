// SPDX-License-Identifier: MIT
#include "tests/guest/acpi.h"
#include "tests/guest/apic.h"
#include "tests/guest/layout.h"

uint64_t lapic_base = 0xfee00000;

#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1

uint32_t apic_take_interrupts(void)
{
	outb(PIC1_DATA, 0xff);
	outb(PIC2_DATA, 0xff);
	lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | VEC_SPURIOUS);
	lapic_write(LAPIC_TPR, 0);
	return lapic_id();
}

void apic_init(void)
{
	const struct acpi_info *a = platform_get();

	if (a->has_madt && a->lapic_base && phys_range_ok(a->lapic_base, 0x1000))
		lapic_base = a->lapic_base;
}
