/* SPDX-License-Identifier: MIT */
/*
 * The I/O ports behind the FADT's hardware-reduced registers: sleep control (a write of
 * SLP_TYP=5 with SLP_EN powers the guest off), sleep status (reads 0) and reset (a write of the
 * reset value resets the guest).  cvmm ends the VM with VM_EXIT_OK on both.
 */
#ifndef CVMM_ACPI_PM_H
#define CVMM_ACPI_PM_H

struct device_kind;

struct device;
struct device_env;
struct error;

extern const struct device_kind acpi_pm_device;

/* Maps LAYOUT_ACPI_{SLEEP_CTL,SLEEP_STS,RESET}_PORT on env->pio (the device has no state). */
int acpi_pm_create(const struct device_env *env, struct device *out, struct error *e);

#endif
