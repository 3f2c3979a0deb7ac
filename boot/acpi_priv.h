/* SPDX-License-Identifier: MIT */
/* Helpers shared by the ACPI table builders (boot/acpi*.c). */
#ifndef CVMM_ACPI_PRIV_H
#define CVMM_ACPI_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "boot/acpi.h"
#include "boot/aml.h"

/* System Description Table header (ACPI 6.x, 5.2.6). */
#define ACPI_HEADER_LEN         36
#define ACPI_HEADER_LENGTH_OFF  4
#define ACPI_HEADER_CSUM_OFF    9

#define ACPI_OEM_ID           "CVMM  "
#define ACPI_OEM_REVISION     1
#define ACPI_CREATOR_ID       "CVMM"
#define ACPI_CREATOR_REVISION 1

static inline void acpi_put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint8_t acpi_checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum = (uint8_t)(sum + *p++);
	return (uint8_t)-sum;
}

/* Zeroes len bytes at t and fills in the header; the checksum comes last (acpi_table_seal). */
void acpi_table_begin(uint8_t *t, const char *sig, uint32_t len, uint8_t revision,
		      const char *oem_table_id);
void acpi_table_seal(uint8_t *t, uint32_t len);

/* The DSDT's definition block body (what follows the header). */
void acpi_dsdt_body(const struct acpi_config *cfg, struct aml *aml);

#endif
