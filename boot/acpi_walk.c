// SPDX-License-Identifier: MIT
/* Finds the tables and pointers of a block of ACPI tables (see acpi_walk.h). */
#include <errno.h>
#include <string.h>

#include "boot/acpi_walk.h"
#include "boot/firmware.h"
#include "vmm/util.h"

#define HEADER_LEN      36
#define RSDP_XSDT_OFF   24
#define FADT_DSDT_OFF   40
#define FADT_X_DSDT_OFF 140

/* Adds the table at block offset off (once); its index in *idx. */
static int add_table(const uint8_t *blob, size_t len, size_t off, struct acpi_walk *w)
{
	struct acpi_walk_table *t;
	uint32_t tlen;

	for (unsigned i = 0; i < w->nr_tables; i++)
		if (w->tables[i].off == off)
			return -EINVAL;
	if (!range_within(off, HEADER_LEN, len) || w->nr_tables == ACPI_WALK_MAX_TABLES)
		return -EINVAL;
	tlen = fw_le32(blob + off + 4);
	if (tlen < HEADER_LEN || !range_within(off, tlen, len))
		return -EINVAL;
	t = &w->tables[w->nr_tables++];
	t->off = off;
	t->len = tlen;
	memcpy(t->sig, blob + off, 4);
	t->sig[4] = 0;
	return 0;
}

/* Records the pointer field at off and returns the block offset it points at. */
static int add_ptr(const uint8_t *blob, size_t len, uint64_t base, size_t off, unsigned width,
		   struct acpi_walk *w, size_t *target)
{
	uint64_t v;

	if (!range_within(off, width, len) || w->nr_ptrs == ACPI_WALK_MAX_PTRS)
		return -EINVAL;
	v = width == 8 ? fw_le64(blob + off) : fw_le32(blob + off);
	if (v < base || v - base >= len)
		return -EINVAL;
	*target = (size_t)(v - base);
	w->ptrs[w->nr_ptrs++] = (struct acpi_walk_ptr){ .off = off, .width = width,
							 .target = *target };
	return 0;
}

static int walk_fadt(const uint8_t *blob, size_t len, uint64_t base, const struct acpi_walk_table *f,
		     struct acpi_walk *w)
{
	size_t dsdt = 0, x_dsdt = 0;
	int ret;

	if (f->len >= FADT_DSDT_OFF + 4 && fw_le32(blob + f->off + FADT_DSDT_OFF)) {
		ret = add_ptr(blob, len, base, f->off + FADT_DSDT_OFF, 4, w, &dsdt);
		if (ret)
			return ret;
	}
	if (f->len >= FADT_X_DSDT_OFF + 8 && fw_le64(blob + f->off + FADT_X_DSDT_OFF)) {
		ret = add_ptr(blob, len, base, f->off + FADT_X_DSDT_OFF, 8, w, &x_dsdt);
		if (ret)
			return ret;
	}
	if (dsdt && x_dsdt && dsdt != x_dsdt)
		return -EINVAL;
	if (!dsdt && !x_dsdt)
		return 0;
	return add_table(blob, len, dsdt ? dsdt : x_dsdt, w);
}

int acpi_walk(const uint8_t *blob, size_t len, uint64_t base, struct acpi_walk *w)
{
	size_t xsdt, target;
	unsigned nr_entries;
	int ret;

	memset(w, 0, sizeof(*w));
	if (len < ACPI_WALK_RSDP_LEN || memcmp(blob, "RSD PTR ", 8))
		return -EINVAL;
	ret = add_ptr(blob, len, base, RSDP_XSDT_OFF, 8, w, &xsdt);
	if (!ret)
		ret = add_table(blob, len, xsdt, w);
	if (ret || memcmp(w->tables[0].sig, "XSDT", 4))
		return -EINVAL;
	nr_entries = (w->tables[0].len - HEADER_LEN) / 8;
	for (unsigned i = 0; i < nr_entries; i++) {
		ret = add_ptr(blob, len, base, xsdt + HEADER_LEN + 8 * i, 8, w, &target);
		if (!ret)
			ret = add_table(blob, len, target, w);
		if (ret)
			return ret;
		if (!memcmp(w->tables[w->nr_tables - 1].sig, "FACP", 4)) {
			ret = walk_fadt(blob, len, base, &w->tables[w->nr_tables - 1], w);
			if (ret)
				return ret;
		}
	}
	return 0;
}
