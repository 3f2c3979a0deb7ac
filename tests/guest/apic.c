// SPDX-License-Identifier: MIT
#include "tests/guest/acpi.h"
#include "tests/guest/apic.h"

uint64_t lapic_base = 0xfee00000;

void apic_init(void)
{
	const struct acpi_info *a = platform_get();

	if (a->has_madt && a->lapic_base && phys_range_ok(a->lapic_base, 0x1000))
		lapic_base = a->lapic_base;
}
