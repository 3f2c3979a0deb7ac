// SPDX-License-Identifier: MIT
#include <string.h>

#include "boot/acpi.h"
#include "devices/acpi_pm.h"
#include "vmm/log.h"
#include "vmm/util.h"
#include "vmm/vm.h"

#define PM_FIRST_PORT \
	MIN(MIN(LAYOUT_ACPI_SLEEP_CTL_PORT, LAYOUT_ACPI_SLEEP_STS_PORT), LAYOUT_ACPI_RESET_PORT)
#define PM_LAST_PORT \
	MAX(MAX(LAYOUT_ACPI_SLEEP_CTL_PORT, LAYOUT_ACPI_SLEEP_STS_PORT), LAYOUT_ACPI_RESET_PORT)
#define PM_NR_PORTS (PM_LAST_PORT - PM_FIRST_PORT + 1)

/* One range covers the three byte registers; keep them close together. */
_Static_assert(PM_NR_PORTS <= 8, "ACPI PM ports must sit within 8 consecutive ports");

static void acpi_pm_write(struct vm *vm, unsigned port, uint8_t val)
{
	unsigned slp_typ = (val >> ACPI_SLEEP_CTL_SLP_TYP_SHIFT) & ACPI_SLEEP_CTL_SLP_TYP_MASK;

	switch (port) {
	case LAYOUT_ACPI_SLEEP_CTL_PORT:
		/* Only S5 is advertised; other sleep types are ignored. */
		if ((val & ACPI_SLEEP_CTL_SLP_EN) && slp_typ == ACPI_S5_SLP_TYP) {
			log_info("guest powered off");
			vm_request_stop(vm, VM_EXIT_OK, NULL);
		}
		break;
	case LAYOUT_ACPI_RESET_PORT:
		if (val == LAYOUT_ACPI_RESET_VALUE) {
			log_info("guest reset");
			vm_request_stop(vm, VM_EXIT_OK, NULL);
		}
		break;
	default:
		/* Sleep status (the guest clears WAK_STS before sleeping) and any gap: ignored. */
		break;
	}
}

/* Each byte of a wider access goes to the next port, as on real byte-wide registers. */
static void acpi_pm_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			   bool is_write)
{
	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	for (uint32_t i = 0; i < len && offset + i < PM_NR_PORTS; i++)
		acpi_pm_write(opaque, (unsigned)(PM_FIRST_PORT + offset + i), data[i]);
}

int acpi_pm_init(struct vm *vm)
{
	return bus_register(&vm->pio_bus, PM_FIRST_PORT, PM_NR_PORTS, acpi_pm_access, vm, "acpi-pm");
}
