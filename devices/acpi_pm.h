/* SPDX-License-Identifier: MIT */
/*
 * The I/O ports behind the FADT's hardware-reduced registers: sleep control (a write of
 * SLP_TYP=5 with SLP_EN powers the guest off), sleep status (reads 0) and reset (a write of the
 * reset value resets the guest).  cvmm ends the VM with VM_EXIT_OK on both.
 */
#ifndef CVMM_ACPI_PM_H
#define CVMM_ACPI_PM_H

struct vm;

/* Registers LAYOUT_ACPI_{SLEEP_CTL,SLEEP_STS,RESET}_PORT on vm->pio_bus; negative errno. */
int acpi_pm_init(struct vm *vm);

#endif
