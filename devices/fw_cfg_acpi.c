// SPDX-License-Identifier: MIT
/*
 * ACPI through fw_cfg for firmware that relocates tables itself: two files and the loader
 * script of QEMU's BIOS linker/loader (hw/acpi/bios-linker-loader.c has the format):
 *
 *   ALLOCATE      u32 1, file[56], u32 align, u8 zone (1 high memory, 2 the F segment)
 *   ADD_POINTER   u32 2, dest_file[56], src_file[56], u32 offset, u8 size: the size-byte field
 *                 at offset in dest holds an offset in src; the firmware adds src's address
 *   ADD_CHECKSUM  u32 3, file[56], u32 offset, u32 start, u32 length: the byte at offset
 *                 becomes minus the sum of [start, start + length) (it must be 0 before)
 *
 * The RSDP is its own file in the F segment; everything else one file with tables at the
 * offsets they have in the block (less the RSDP's part), so only the pointers change.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/acpi_walk.h"
#include "devices/fw_cfg.h"
#include "vmm/util.h"

#define LOADER_ENTRY_SIZE   128
#define LOADER_FILE_SIZE    56
#define CMD_ALLOCATE        1
#define CMD_ADD_POINTER     2
#define CMD_ADD_CHECKSUM    3
#define ZONE_HIGH           1
#define ZONE_FSEG           2
#define TABLES_ALIGN        64
#define TABLES_START        48 /* the first table after the RSDP, 16-byte aligned */
#define RSDP_CSUM_OFF       8
#define RSDP_V1_LEN         20
#define RSDP_EXT_CSUM_OFF   32
#define TABLE_CSUM_OFF      9

static const char rsdp_file[] = "etc/acpi/rsdp";
static const char tables_file[] = "etc/acpi/tables";

struct loader {
	uint8_t *cmds;
	size_t n, cap;
};

static uint8_t *loader_cmd(struct loader *l, uint32_t command)
{
	uint8_t *c;

	if (l->n == l->cap)
		return NULL;
	c = l->cmds + l->n++ * LOADER_ENTRY_SIZE;
	memset(c, 0, LOADER_ENTRY_SIZE);
	command = htole32(command);
	memcpy(c, &command, 4);
	return c;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void allocate(struct loader *l, const char *file, uint32_t align, uint8_t zone)
{
	uint8_t *c = loader_cmd(l, CMD_ALLOCATE);

	if (!c)
		return;
	memcpy(c + 4, file, strlen(file));
	put_le32(c + 4 + LOADER_FILE_SIZE, align);
	c[4 + LOADER_FILE_SIZE + 4] = zone;
}

static void add_pointer(struct loader *l, const char *dest, uint32_t offset, uint8_t size)
{
	uint8_t *c = loader_cmd(l, CMD_ADD_POINTER);

	if (!c)
		return;
	memcpy(c + 4, dest, strlen(dest));
	memcpy(c + 4 + LOADER_FILE_SIZE, tables_file, sizeof(tables_file) - 1);
	put_le32(c + 4 + 2 * LOADER_FILE_SIZE, offset);
	c[4 + 2 * LOADER_FILE_SIZE + 4] = size;
}

static void add_checksum(struct loader *l, const char *file, uint32_t offset, uint32_t start,
			 uint32_t length)
{
	uint8_t *c = loader_cmd(l, CMD_ADD_CHECKSUM);

	if (!c)
		return;
	memcpy(c + 4, file, strlen(file));
	put_le32(c + 4 + LOADER_FILE_SIZE, offset);
	put_le32(c + 8 + LOADER_FILE_SIZE, start);
	put_le32(c + 12 + LOADER_FILE_SIZE, length);
}

/* Writes the pointer's new value (an offset in the tables file) where it now lives. */
static int patch_pointer(const struct acpi_walk_ptr *p, uint8_t *rsdp, uint8_t *tables,
			 size_t tables_len, struct loader *l)
{
	uint64_t value = htole64(p->target - TABLES_START);
	uint8_t *field;
	const char *dest;
	size_t off;

	if (p->target < TABLES_START)
		return -EINVAL;
	if (p->off + p->width <= ACPI_WALK_RSDP_LEN) {
		field = rsdp + p->off;
		dest = rsdp_file;
		off = p->off;
	} else if (p->off >= TABLES_START && p->off - TABLES_START + p->width <= tables_len) {
		off = p->off - TABLES_START;
		field = tables + off;
		dest = tables_file;
	} else {
		return -EINVAL;
	}
	memcpy(field, &value, p->width); /* little endian: the low bytes first */
	add_pointer(l, dest, (uint32_t)off, (uint8_t)p->width);
	return 0;
}

int fw_cfg_acpi_files(const uint8_t *acpi, size_t len, uint64_t base,
		      struct fw_cfg_acpi_files *out)
{
	struct acpi_walk w;
	struct loader l = { 0 };
	uint8_t *rsdp = out->rsdp, *tables;
	size_t tables_len;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!acpi || len <= TABLES_START || len > UINT32_MAX || acpi_walk(acpi, len, base, &w))
		return -EINVAL;
	tables_len = len - TABLES_START;
	tables = malloc(tables_len);
	l.cap = 2 + w.nr_ptrs + w.nr_tables + 2;
	l.cmds = calloc(l.cap, LOADER_ENTRY_SIZE);
	ret = tables && l.cmds ? 0 : -ENOMEM;
	if (ret)
		goto fail;
	memcpy(rsdp, acpi, ACPI_WALK_RSDP_LEN);
	memcpy(tables, acpi + TABLES_START, tables_len);
	allocate(&l, rsdp_file, 16, ZONE_FSEG);
	allocate(&l, tables_file, TABLES_ALIGN, ZONE_HIGH);
	for (unsigned i = 0; i < w.nr_ptrs && !ret; i++)
		ret = patch_pointer(&w.ptrs[i], rsdp, tables, tables_len, &l);
	for (unsigned i = 0; i < w.nr_tables && !ret; i++) {
		const struct acpi_walk_table *t = &w.tables[i];
		size_t off = t->off - TABLES_START;

		if (t->off < TABLES_START) {
			ret = -EINVAL;
			break;
		}
		tables[off + TABLE_CSUM_OFF] = 0;
		add_checksum(&l, tables_file, (uint32_t)(off + TABLE_CSUM_OFF), (uint32_t)off,
			     t->len);
	}
	if (ret)
		goto fail;
	/* The 1.0 checksum first: the extended one covers it. */
	rsdp[RSDP_CSUM_OFF] = 0;
	rsdp[RSDP_EXT_CSUM_OFF] = 0;
	add_checksum(&l, rsdp_file, RSDP_CSUM_OFF, 0, RSDP_V1_LEN);
	add_checksum(&l, rsdp_file, RSDP_EXT_CSUM_OFF, 0, ACPI_WALK_RSDP_LEN);
	out->tables = tables;
	out->tables_len = tables_len;
	out->loader = l.cmds;
	out->loader_len = l.n * LOADER_ENTRY_SIZE;
	return 0;
fail:
	free(tables);
	free(l.cmds);
	return ret;
}

void fw_cfg_acpi_files_free(struct fw_cfg_acpi_files *f)
{
	free(f->tables);
	free(f->loader);
	f->tables = f->loader = NULL;
}

int fw_cfg_add_acpi(struct fw_cfg *fc, const uint8_t *acpi, size_t len, uint64_t base)
{
	struct fw_cfg_acpi_files f;
	int ret = fw_cfg_acpi_files(acpi, len, base, &f);

	if (ret)
		return ret;
	ret = fw_cfg_add_file(fc, rsdp_file, f.rsdp, sizeof(f.rsdp));
	if (!ret)
		ret = fw_cfg_add_file(fc, tables_file, f.tables, f.tables_len);
	if (!ret)
		ret = fw_cfg_add_file(fc, "etc/table-loader", f.loader, f.loader_len);
	fw_cfg_acpi_files_free(&f);
	return ret;
}
