// SPDX-License-Identifier: MIT
/*
 * smp: the BSP starts every other enabled CPU of the MADT the way firmware does on hardware
 * (INIT, SIPI, SIPI through the xAPIC ICR, real-mode trampoline below 1 MiB) and waits, for at
 * most cvmmtest.spin_limit polls, until each has reached long mode and recorded its APIC ID.
 * With cvmmtest.vcpus=N the MADT must list N CPUs.  One CPU passes trivially.
 */
#include "tests/guest/acpi.h"
#include "tests/guest/apic.h"
#include "tests/guest/cmdline.h"
#include "tests/guest/guest.h"
#include "tests/guest/layout.h"
#include "tests/guest/libc.h"

extern const char ap_trampoline[], ap_trampoline_end[];
extern volatile uint64_t ap_lapic_base;
extern volatile uint32_t ap_count;
extern volatile uint8_t ap_arrived[256];

static bool trampoline_in_ram(void)
{
	uint64_t lo = GUEST_AP_TRAMPOLINE, hi = GUEST_AP_TRAMPOLINE + 0x1000;

	if (boot.map_error)
		return true; /* nothing to judge by; the memmap check reports the map */
	for (uint32_t i = 0; i < boot.map_entries; i++) {
		const struct mem_region *r = &boot.map[i];

		if (r->type == MEM_RAM && r->addr <= lo && r->addr + r->size >= hi)
			return true;
	}
	return false;
}

/* Each poll of the ICR is an MMIO exit (tens of microseconds on slow hosts). */
#define IPI_POLL_LIMIT 10000

static bool send_ipi(uint32_t apic_id, uint32_t icr)
{
	lapic_write(LAPIC_ICR_HI, apic_id << 24);
	lapic_write(LAPIC_ICR_LO, icr);
	for (int i = 0; i < IPI_POLL_LIMIT; i++)
		if (!(lapic_read(LAPIC_ICR_LO) & ICR_DELIVERY_PENDING))
			return true;
	return false;
}

bool check_smp(struct check_result *res)
{
	const struct acpi_info *a = platform_get();
	uint32_t bsp, expected = 0, arrived = 0;
	uint64_t want;
	bool ok = true, first = true;

	if (!a->has_madt || a->madt_bad || !a->n_cpus) {
		result_add(res, "no usable MADT to find the CPUs: %s", a->error);
		return false;
	}
	if (cmdline_get_u64(boot.cmdline, "cvmmtest.vcpus", &want) && want != a->n_cpus) {
		result_add(res, "MADT lists %u CPUs, expected %lu", a->n_cpus, want);
		return false;
	}
	if (a->n_cpus == 1) {
		result_add(res, "1 CPU, no AP to start");
		return true;
	}
	if (!trampoline_in_ram()) {
		result_add(res, "trampoline page 0x%x is not RAM in the memory map",
			   GUEST_AP_TRAMPOLINE);
		return false;
	}
	bsp = lapic_id();
	memcpy((void *)(uintptr_t)GUEST_AP_TRAMPOLINE, ap_trampoline,
	       (size_t)(ap_trampoline_end - ap_trampoline));
	ap_lapic_base = lapic_base;
	ap_count = 0;
	for (int i = 0; i < 256; i++)
		ap_arrived[i] = 0;

	for (uint32_t i = 0; i < a->n_cpus; i++) {
		uint32_t id = a->cpu_apic_id[i];

		if (id == bsp)
			continue;
		if (id > 0xff) {
			result_add(res, "APIC ID %u needs x2APIC", id);
			return false;
		}
		expected++;
		if (!send_ipi(id, ICR_INIT) ||
		    !send_ipi(id, ICR_STARTUP | (GUEST_AP_TRAMPOLINE >> 12)) ||
		    !send_ipi(id, ICR_STARTUP | (GUEST_AP_TRAMPOLINE >> 12))) {
			result_add(res, "IPI to APIC ID %u stays pending", id);
			return false;
		}
	}
	if (expected == a->n_cpus) {
		result_add(res, "BSP APIC ID %u is not in the MADT", bsp);
		return false;
	}
	for (uint64_t i = 0; i < spin_limit && ap_count < expected; i++)
		cpu_relax();

	result_add(res, "BSP %u, APs", bsp);
	for (uint32_t i = 0; i < a->n_cpus; i++) {
		uint32_t id = a->cpu_apic_id[i];

		if (id == bsp)
			continue;
		if (ap_arrived[id])
			arrived++;
		else
			ok = false;
		result_cat(res, "%s%u%s", first ? " " : ",", id, ap_arrived[id] ? "" : "(missing)");
		first = false;
	}
	result_cat(res, ": %u/%u in long mode", arrived, expected);
	if (ap_count != arrived) {
		result_add(res, "%u check-ins", ap_count);
		ok = false;
	}
	return ok;
}
