// SPDX-License-Identifier: MIT
#include <string.h>

#include <errno.h>
#include <stdlib.h>

#include "boot/acpi.h"
#include "devices/acpi_pm.h"
#include "vmm/device_env.h"
#include "vmm/error.h"
#include "vmm/exit_status.h"
#include "vmm/layout.h"
#include "vmm/log.h"
#include "vmm/util.h"

#define PM_FIRST_PORT \
	MIN(MIN(LAYOUT_ACPI_SLEEP_CTL_PORT, LAYOUT_ACPI_SLEEP_STS_PORT), LAYOUT_ACPI_RESET_PORT)
#define PM_LAST_PORT \
	MAX(MAX(LAYOUT_ACPI_SLEEP_CTL_PORT, LAYOUT_ACPI_SLEEP_STS_PORT), LAYOUT_ACPI_RESET_PORT)
#define PM_NR_PORTS (PM_LAST_PORT - PM_FIRST_PORT + 1)

/* One range covers the three byte registers; keep them close together. */
_Static_assert(PM_NR_PORTS <= 8, "ACPI PM ports must sit within 8 consecutive ports");

static void acpi_pm_write(const struct device_env *env, unsigned port, uint8_t val)
{
	unsigned slp_typ = (val >> ACPI_SLEEP_CTL_SLP_TYP_SHIFT) & ACPI_SLEEP_CTL_SLP_TYP_MASK;

	switch (port) {
	case LAYOUT_ACPI_SLEEP_CTL_PORT:
		/* Only S5 is advertised; other sleep types are ignored. */
		if ((val & ACPI_SLEEP_CTL_SLP_EN) && slp_typ == ACPI_S5_SLP_TYP) {
			log_info("guest powered off");
			device_request_stop(env, VM_EXIT_OK, NULL);
		}
		break;
	case LAYOUT_ACPI_RESET_PORT:
		if (val == LAYOUT_ACPI_RESET_VALUE) {
			log_info("guest reset");
			device_request_stop(env, VM_EXIT_OK, NULL);
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

int acpi_pm_create(const struct device_env *env, struct device *out, struct error *e)
{
	int ret = device_map(env, env->pio, PM_FIRST_PORT, PM_NR_PORTS, acpi_pm_access,
			     (void *)env, "acpi-pm");

	if (ret)
		return error_set(e, ERROR_HOST, ret, "ACPI PM registers: cannot map them: %s",
				 strerror(-ret));
	*out = (struct device){ .name = "acpi-pm" };
	return 0;
}

static int acpi_pm_device_create(const struct device_env *env, const struct vm_config *cfg,
				 unsigned i, struct device *out, struct error *e)
{
	return acpi_pm_create(env, out, e);
}

const struct device_kind acpi_pm_device = {
	.name = "acpi-pm",
	.create = acpi_pm_device_create,
};
