/* SPDX-License-Identifier: MIT */
/*
 * The structure of a block of ACPI tables as acpi_build() lays it out for some base address:
 * which tables it holds, and where one table points at another.  Firmware boots need it because
 * they do not take finished tables in guest memory: OVMF relocates them itself from fw_cfg
 * (devices/fw_cfg_acpi.c writes the loader commands from the pointers), td-shim takes one table
 * per TD HOB entry.  The block is cvmm's own, but every offset is still checked.
 */
#ifndef CVMM_ACPI_WALK_H
#define CVMM_ACPI_WALK_H

#include <stddef.h>
#include <stdint.h>

#define ACPI_WALK_MAX_TABLES 16
#define ACPI_WALK_MAX_PTRS   32
#define ACPI_WALK_RSDP_LEN   36

struct acpi_walk_table {
	size_t off;   /* in the block */
	uint32_t len; /* from its header */
	char sig[5];
};

/* A pointer field: width bytes at off hold base + target (the offset of the table pointed to). */
struct acpi_walk_ptr {
	size_t off;
	unsigned width; /* 4 or 8 */
	size_t target;
};

struct acpi_walk {
	struct acpi_walk_table tables[ACPI_WALK_MAX_TABLES]; /* XSDT first, in walk order */
	unsigned nr_tables;
	struct acpi_walk_ptr ptrs[ACPI_WALK_MAX_PTRS];
	unsigned nr_ptrs;
};

/*
 * Walks the RSDP at offset 0, the XSDT it names, the XSDT's tables and the FADT's DSDT.
 * -EINVAL when a pointer leaves the block, a table overruns it, or a table is reached twice.
 */
int acpi_walk(const uint8_t *blob, size_t len, uint64_t base, struct acpi_walk *w);

#endif
