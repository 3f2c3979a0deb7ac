/* SPDX-License-Identifier: MIT */
#ifndef CVMM_ACPI_SETUP_H
#define CVMM_ACPI_SETUP_H

#include <stdint.h>

struct vm;

/* Builds the VM's ACPI tables in low memory; *rsdp_gpa = where the RSDP is (0: no tables). */
int acpi_setup(struct vm *vm, uint64_t *rsdp_gpa);

#endif
