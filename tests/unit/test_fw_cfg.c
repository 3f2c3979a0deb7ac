// SPDX-License-Identifier: MIT
/*
 * The fw_cfg device through the port I/O bus, as firmware drives it: signature and ID, the file
 * directory (format and order), items byte by byte on the data port, DMA reads with SELECT and
 * SKIP, and a hostile guest for every field it controls: the descriptor's place (outside RAM,
 * private, straddling), the buffer's place (outside RAM, private, wrapping, over the cap), the
 * length past the item, WRITE, unknown keys and accesses of the wrong width or offset.  In the
 * confidential cases the device-side mapping of private pages is PROT_NONE, so any access the
 * device made there would crash the test.  Also the direct-boot items (bzImage split, addresses,
 * initrd placement) and "etc/e820".
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "devices/fw_cfg.h"
#include "vmm/bus.h"
#include "vmm/log.h"
#include "vmm/memory.h"

#define PG       4096ULL
#define RAM      (16ULL << 20)
#define HIGH     0x100000000ULL
#define DESC     0x1000ULL /* a descriptor */
#define BUF      0x10000ULL /* a DMA buffer */
#define FILL     0xaa

struct env {
	struct guest_mem gm;
	struct bus pio;
	struct fw_cfg *fc;
};

static struct env *new_env_sized(uint64_t ram, bool confidential)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	assert_int_equal(guest_mem_create(&e->gm, ram), 0);
	if (confidential)
		assert_int_equal(guest_mem_enable_attrs(&e->gm, true), 0);
	e->fc = fw_cfg_create(&e->gm);
	assert_non_null(e->fc);
	bus_init(&e->pio);
	assert_int_equal(bus_register(&e->pio, FW_CFG_PIO_BASE, FW_CFG_PIO_LEN, fw_cfg_pio, e->fc,
				      "fw_cfg"),
			 0);
	return e;
}

static struct env *new_env(void)
{
	return new_env_sized(RAM, false);
}

static void free_env(struct env *e)
{
	bus_destroy(&e->pio);
	fw_cfg_destroy(e->fc);
	guest_mem_destroy(&e->gm);
	free(e);
}

/* Makes [gpa, gpa + len) shared, as a conversion would (attributes and device mapping). */
static void share(struct env *e, uint64_t gpa, uint64_t len)
{
	assert_int_equal(mem_attr_set(e->gm.attrs, gpa, len, true), 0);
	assert_int_equal(guest_mem_set_dev_access(&e->gm, gpa, len, true), 0);
}

static uint8_t *host(struct env *e, uint64_t gpa, uint64_t len)
{
	uint8_t *p = guest_mem_ptr(&e->gm, gpa, len);

	assert_non_null(p);
	return p;
}

static void out16(struct env *e, uint16_t port, uint16_t v)
{
	uint8_t d[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	assert_true(bus_access(&e->pio, port, d, 2, true));
}

static void out32_be(struct env *e, uint16_t port, uint32_t v)
{
	uint32_t be = htobe32(v);

	assert_true(bus_access(&e->pio, port, (uint8_t *)&be, 4, true));
}

static uint8_t in8(struct env *e, uint16_t port)
{
	uint8_t v = 0x5a;

	assert_true(bus_access(&e->pio, port, &v, 1, false));
	return v;
}

static void select_key(struct env *e, uint16_t key)
{
	out16(e, FW_CFG_PORT_SEL, key);
}

/* Reads len bytes of the selected item through the data port. */
static void read_data(struct env *e, void *buf, size_t len)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		p[i] = in8(e, FW_CFG_PORT_DATA);
}

static uint32_t read_be32(struct env *e)
{
	uint32_t v;

	read_data(e, &v, sizeof(v));
	return be32toh(v);
}

/* Writes a FWCfgDmaAccess at gpa (host side) and starts it through both address halves. */
static void put_desc(struct env *e, uint64_t gpa, uint32_t control, uint32_t length, uint64_t addr)
{
	struct fw_cfg_dma_access d = {
		.control = htobe32(control), .length = htobe32(length), .address = htobe64(addr),
	};

	memcpy(host(e, gpa, sizeof(d)), &d, sizeof(d));
}

static void start_dma(struct env *e, uint64_t gpa)
{
	out32_be(e, FW_CFG_PORT_DMA_HIGH, (uint32_t)(gpa >> 32));
	out32_be(e, FW_CFG_PORT_DMA_LOW, (uint32_t)gpa);
}

/* Runs one descriptor at DESC and returns the control word written back. */
static uint32_t dma(struct env *e, uint32_t control, uint32_t length, uint64_t addr)
{
	uint32_t v;

	put_desc(e, DESC, control, length, addr);
	start_dma(e, DESC);
	memcpy(&v, host(e, DESC, 4), 4);
	return be32toh(v);
}

static uint32_t sel_ctl(uint16_t key, uint32_t bits)
{
	return (uint32_t)key << 16 | FW_CFG_DMA_CTL_SELECT | bits;
}

static bool all_bytes(const uint8_t *p, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

static void fill_pattern(uint8_t *p, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + seed);
}

/* The key of a named file, from the directory as the guest reads it; -1 if absent. */
static int file_key(struct env *e, const char *name, uint32_t *size)
{
	uint32_t count;

	select_key(e, FW_CFG_FILE_DIR);
	count = read_be32(e);
	for (uint32_t i = 0; i < count; i++) {
		struct fw_cfg_file f;

		read_data(e, &f, sizeof(f));
		if (!strcmp(f.name, name)) {
			if (size)
				*size = be32toh(f.size);
			return be16toh(f.select);
		}
	}
	return -1;
}

static uint32_t read_u32_item(struct env *e, uint16_t key)
{
	uint32_t v;

	select_key(e, key);
	read_data(e, &v, sizeof(v));
	return le32toh(v);
}

static void test_signature_and_id(void **state)
{
	struct env *e = new_env();
	uint8_t buf[8];

	/* Selected at power-on: the signature. */
	read_data(e, buf, 4);
	assert_memory_equal(buf, "QEMU", 4);
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), 0); /* past the end */
	select_key(e, FW_CFG_SIGNATURE);
	/* QEMU decodes byte reads of 0x510 as data reads too. */
	assert_int_equal(in8(e, FW_CFG_PORT_SEL), 'Q');
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), 'E');
	assert_int_equal(read_u32_item(e, FW_CFG_ID), FW_CFG_VERSION | FW_CFG_VERSION_DMA);
	/* The DMA signature, big endian over 0x514..0x51b, in any width. */
	for (unsigned i = 0; i < 8; i++)
		buf[i] = in8(e, FW_CFG_PORT_DMA_HIGH + i);
	assert_memory_equal(buf, "QEMU CFG", 8);
	memset(buf, 0, sizeof(buf));
	assert_true(bus_access(&e->pio, FW_CFG_PORT_DMA_HIGH, buf, 4, false));
	assert_true(bus_access(&e->pio, FW_CFG_PORT_DMA_LOW, buf + 4, 4, false));
	assert_memory_equal(buf, "QEMU CFG", 8);
	assert_true(bus_access(&e->pio, FW_CFG_PORT_DMA_HIGH + 3, buf, 2, false));
	assert_memory_equal(buf, "U ", 2);
	free_env(e);
}

static void test_file_dir_format_and_order(void **state)
{
	static const char *const added[] = {
		"opt/org.example/b", "etc/table-loader", "etc/e820", "etc/acpi/tables", "bootorder",
		"etc/acpi/rsdp", "opt/org.example/a",
	};
	static const char *const sorted[] = {
		"bootorder", "etc/acpi/rsdp", "etc/acpi/tables", "etc/e820", "etc/table-loader",
		"opt/org.example/a", "opt/org.example/b",
	};
	struct env *e = new_env();
	char name55[56];
	uint8_t content[64];

	for (unsigned i = 0; i < 7; i++) {
		memset(content, 'A' + i, sizeof(content));
		assert_int_equal(fw_cfg_add_file(e->fc, added[i], content, 10 + i), 0);
	}
	select_key(e, FW_CFG_FILE_DIR);
	assert_int_equal(read_be32(e), 7);
	for (unsigned k = 0; k < 7; k++) {
		struct fw_cfg_file f;
		char expect_name[FW_CFG_MAX_FILE_PATH] = { 0 };
		unsigned i;

		read_data(e, &f, sizeof(f));
		for (i = 0; strcmp(added[i], sorted[k]); i++)
			;
		strcpy(expect_name, sorted[k]);
		assert_memory_equal(f.name, expect_name, sizeof(f.name)); /* NUL padded */
		assert_int_equal(be16toh(f.select), FW_CFG_FILE_FIRST + k);
		assert_int_equal(be32toh(f.size), 10 + i);
		assert_int_equal(f.reserved, 0);
	}
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), 0); /* the directory ends there */

	/* Each key reads its own file. */
	for (unsigned k = 0; k < 7; k++) {
		uint32_t size;
		int key = file_key(e, sorted[k], &size);

		assert_int_equal(key, FW_CFG_FILE_FIRST + k);
		select_key(e, (uint16_t)key);
		read_data(e, content, size);
		assert_true(all_bytes(content, size, content[0]));
		assert_int_equal(content[0], 'A' + (size - 10));
	}

	/* Names: unique, 1..55 bytes. */
	assert_int_equal(fw_cfg_add_file(e->fc, "etc/e820", "x", 1), -EEXIST);
	assert_int_equal(fw_cfg_add_file(e->fc, "", "x", 1), -EINVAL);
	assert_int_equal(fw_cfg_add_file(e->fc, NULL, "x", 1), -EINVAL);
	memset(name55, 'n', 55);
	name55[55] = '\0';
	assert_int_equal(fw_cfg_add_file(e->fc, name55, "x", 1), 0);
	/* It sorts before "opt/": the files after it are renumbered. */
	assert_int_equal(file_key(e, name55, NULL), FW_CFG_FILE_FIRST + 5);
	assert_int_equal(file_key(e, "opt/org.example/b", NULL), FW_CFG_FILE_FIRST + 7);
	assert_int_equal(read_u32_item(e, FW_CFG_FILE_FIRST + 7), 0x41414141);
	{
		char name56[57];

		memset(name56, 'n', 56);
		name56[56] = '\0';
		assert_int_equal(fw_cfg_add_file(e->fc, name56, "x", 1), -EINVAL);
	}
	free_env(e);
}

static void test_item_byte_by_byte(void **state)
{
	struct env *e = new_env();
	uint8_t item[300], got[300];

	fill_pattern(item, sizeof(item), 3);
	assert_int_equal(fw_cfg_add_item(e->fc, FW_CFG_UUID, item, sizeof(item)), 0);
	select_key(e, FW_CFG_UUID);
	read_data(e, got, 100);
	read_data(e, got + 100, 200);
	assert_memory_equal(got, item, sizeof(item));
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(in8(e, FW_CFG_PORT_DATA), 0); /* past the end: zeros, no wrap */
	/* Selecting again starts over; the write-channel bit selects the same item. */
	select_key(e, FW_CFG_UUID | FW_CFG_WRITE_CHANNEL);
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), item[0]);
	select_key(e, FW_CFG_UUID);
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), item[0]);
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), item[1]);
	free_env(e);
}

static void test_add_item_keys_and_copies(void **state)
{
	struct env *e = new_env();
	uint8_t src[4] = { 1, 2, 3, 4 }, ref[4] = { 5, 6, 7, 8 }, got[8];

	assert_int_equal(fw_cfg_add_u16(e->fc, FW_CFG_NB_CPUS, 0x0102), 0);
	assert_int_equal(fw_cfg_add_u64(e->fc, FW_CFG_RAM_SIZE, 0x1122334455667788ULL), 0);
	assert_int_equal(fw_cfg_add_item(e->fc, FW_CFG_E820_TABLE, src, 4), 0); /* arch-local */
	assert_int_equal(fw_cfg_add_item_ref(e->fc, FW_CFG_MACHINE_ID, ref, 4), 0);
	/* Not item keys, or taken. */
	assert_int_equal(fw_cfg_add_item(e->fc, FW_CFG_FILE_FIRST, src, 4), -EINVAL);
	assert_int_equal(fw_cfg_add_item(e->fc, FW_CFG_FILE_DIR, src, 4), -EINVAL);
	assert_int_equal(fw_cfg_add_item(e->fc, FW_CFG_NUMA | FW_CFG_WRITE_CHANNEL, src, 4),
			 -EINVAL);
	assert_int_equal(fw_cfg_add_item(e->fc, FW_CFG_INVALID, src, 4), -EINVAL);
	assert_int_equal(fw_cfg_add_u32(e->fc, FW_CFG_ID, 0), -EEXIST);
	assert_int_equal(fw_cfg_add_item(e->fc, FW_CFG_NUMA, NULL, 4), -EINVAL);
	assert_int_equal(fw_cfg_add_item(e->fc, FW_CFG_NUMA, NULL, 0), 0); /* empty item */

	select_key(e, FW_CFG_NB_CPUS);
	read_data(e, got, 3);
	assert_memory_equal(got, "\x02\x01\x00", 3); /* little endian, then zeros */
	select_key(e, FW_CFG_RAM_SIZE);
	read_data(e, got, 8);
	assert_memory_equal(got, "\x88\x77\x66\x55\x44\x33\x22\x11", 8);
	/* Copied: a later change of the source is not seen; borrowed: it is. */
	src[0] = 0x99;
	ref[0] = 0x77;
	select_key(e, FW_CFG_E820_TABLE);
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), 1);
	select_key(e, FW_CFG_MACHINE_ID);
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), 0x77);
	select_key(e, FW_CFG_NUMA);
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), 0);
	free_env(e);
}

static void test_dma_read(void **state)
{
	struct env *e = new_env();
	uint8_t item[5000];

	fill_pattern(item, sizeof(item), 11);
	assert_int_equal(fw_cfg_add_file(e->fc, "etc/acpi/tables", item, sizeof(item)), 0);
	memset(host(e, BUF, 2 * PG), FILL, 2 * PG);
	/* SELECT + READ of the first 3000 bytes, then READ of the rest without SELECT. */
	assert_int_equal(dma(e, sel_ctl(FW_CFG_FILE_FIRST, FW_CFG_DMA_CTL_READ), 3000, BUF), 0);
	assert_memory_equal(host(e, BUF, 3000), item, 3000);
	assert_int_equal(host(e, BUF, 3001)[3000], FILL);
	assert_int_equal(dma(e, FW_CFG_DMA_CTL_READ, 2000, BUF + 3000), 0);
	assert_memory_equal(host(e, BUF, 5000), item, 5000);
	assert_int_equal(host(e, BUF, 5001)[5000], FILL);
	/* The data port continues where DMA stopped (both share the offset). */
	assert_int_equal(dma(e, sel_ctl(FW_CFG_FILE_FIRST, FW_CFG_DMA_CTL_READ), 10, BUF), 0);
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), item[10]);
	assert_int_equal(fw_cfg_dma_errors(e->fc), 0);
	/* Neither READ, SKIP nor WRITE: nothing happens, success. */
	assert_int_equal(dma(e, 0, 100, BUF), 0);
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), item[11]);
	free_env(e);
}

static void test_dma_descriptor_above_4g(void **state)
{
	struct env *e = new_env_sized(3ULL * (1ULL << 30) + RAM, false);
	const uint64_t desc = HIGH + 0x2000, buf = HIGH + 0x8000;
	struct fw_cfg_dma_access d = {
		.control = htobe32(sel_ctl(FW_CFG_SIGNATURE, FW_CFG_DMA_CTL_READ)),
		.length = htobe32(4),
		.address = htobe64(buf),
	};
	uint32_t ctl;

	memcpy(host(e, desc, sizeof(d)), &d, sizeof(d));
	start_dma(e, desc);
	assert_memory_equal(host(e, buf, 4), "QEMU", 4);
	memcpy(&ctl, host(e, desc, 4), 4);
	assert_int_equal(ctl, 0);
	/* The high half is consumed by the transfer: a lone low write means high = 0. */
	put_desc(e, 0x2000, sel_ctl(FW_CFG_ID, FW_CFG_DMA_CTL_READ), 4, 0x3000);
	out32_be(e, FW_CFG_PORT_DMA_LOW, 0x2000);
	assert_int_equal(le32toh(*(uint32_t *)host(e, 0x3000, 4)), 3);
	free_env(e);
}

static void test_dma_skip_and_select(void **state)
{
	struct env *e = new_env();
	uint8_t item[64];

	fill_pattern(item, sizeof(item), 5);
	assert_int_equal(fw_cfg_add_item(e->fc, FW_CFG_UUID, item, sizeof(item)), 0);
	assert_int_equal(dma(e, sel_ctl(FW_CFG_UUID, FW_CFG_DMA_CTL_SKIP), 10, BUF), 0);
	assert_int_equal(dma(e, FW_CFG_DMA_CTL_READ, 5, BUF), 0);
	assert_memory_equal(host(e, BUF, 5), item + 10, 5);
	/* SKIP touches no memory, even at an address outside RAM. */
	assert_int_equal(dma(e, FW_CFG_DMA_CTL_SKIP, 4, 0xd0000000ULL), 0);
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), item[19]);
	/* A huge SKIP just ends at the item's end. */
	assert_int_equal(dma(e, FW_CFG_DMA_CTL_SKIP, 0xffffffffu, 0), 0);
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), 0);
	/* SELECT resets the offset; READ wins over SKIP when both are set. */
	assert_int_equal(dma(e, sel_ctl(FW_CFG_UUID, FW_CFG_DMA_CTL_READ | FW_CFG_DMA_CTL_SKIP), 3,
			     BUF),
			 0);
	assert_memory_equal(host(e, BUF, 3), item, 3);
	/* SELECT alone moves the selector for the data port. */
	assert_int_equal(dma(e, sel_ctl(FW_CFG_SIGNATURE, 0), 0, 0), 0);
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), 'Q');
	assert_int_equal(fw_cfg_dma_errors(e->fc), 0);
	free_env(e);
}

static void test_dma_read_past_end_zero_fills(void **state)
{
	struct env *e = new_env();
	uint8_t item[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	assert_int_equal(fw_cfg_add_item(e->fc, FW_CFG_UUID, item, sizeof(item)), 0);
	memset(host(e, BUF, 64), FILL, 64);
	assert_int_equal(dma(e, sel_ctl(FW_CFG_UUID, FW_CFG_DMA_CTL_READ), 32, BUF), 0);
	assert_memory_equal(host(e, BUF, 8), item, 8);
	assert_true(all_bytes(host(e, BUF + 8, 24), 24, 0));
	assert_true(all_bytes(host(e, BUF + 32, 32), 32, FILL)); /* nothing beyond the length */
	memset(host(e, BUF, 64), FILL, 64);
	assert_int_equal(dma(e, FW_CFG_DMA_CTL_READ, 16, BUF), 0);
	assert_true(all_bytes(host(e, BUF, 16), 16, 0));
	assert_true(all_bytes(host(e, BUF + 16, 48), 48, FILL));
	free_env(e);
}

static void test_unknown_selector_reads_zeros(void **state)
{
	static const uint16_t keys[] = {
		0x1234, FW_CFG_INVALID, FW_CFG_FILE_FIRST + 1,
		FW_CFG_KERNEL_DATA, FW_CFG_ARCH_LOCAL | FW_CFG_ID, FW_CFG_ARCH_LOCAL | 0x3fff,
	};
	struct env *e = new_env();

	assert_int_equal(fw_cfg_add_file(e->fc, "bootorder", "x", 1), 0); /* key 0x20 only */
	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		select_key(e, keys[i]);
		assert_int_equal(in8(e, FW_CFG_PORT_DATA), 0);
		memset(host(e, BUF, 32), FILL, 32);
		assert_int_equal(dma(e, sel_ctl(keys[i], FW_CFG_DMA_CTL_READ), 16, BUF), 0);
		assert_true(all_bytes(host(e, BUF, 16), 16, 0));
		assert_true(all_bytes(host(e, BUF + 16, 16), 16, FILL));
	}
	free_env(e);
}

static void test_dma_write_refused(void **state)
{
	struct env *e = new_env();
	uint8_t item[4] = { 1, 2, 3, 4 };

	assert_int_equal(fw_cfg_add_file(e->fc, "etc/vmcoreinfo", item, sizeof(item)), 0);
	memset(host(e, BUF, 4), 0xee, 4);
	assert_int_equal(dma(e, sel_ctl(FW_CFG_FILE_FIRST, FW_CFG_DMA_CTL_WRITE), 4, BUF),
			 FW_CFG_DMA_CTL_ERROR);
	assert_int_equal(dma(e, FW_CFG_DMA_CTL_WRITE, 0, BUF), FW_CFG_DMA_CTL_ERROR);
	assert_int_equal(fw_cfg_dma_errors(e->fc), 2);
	/* The item is unchanged and the offset did not move. */
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), 1);
	select_key(e, FW_CFG_FILE_FIRST);
	read_data(e, item, 4);
	assert_memory_equal(item, "\x01\x02\x03\x04", 4);
	/* Byte writes to the data port change nothing either. */
	select_key(e, FW_CFG_FILE_FIRST);
	item[0] = 0x55;
	assert_true(bus_access(&e->pio, FW_CFG_PORT_DATA, item, 1, true));
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), 1);
	free_env(e);
}

static void test_dma_length_cap(void **state)
{
	struct env *e = new_env();

	memset(host(e, BUF, 16), FILL, 16);
	assert_int_equal(dma(e, sel_ctl(FW_CFG_SIGNATURE, FW_CFG_DMA_CTL_READ),
			     FW_CFG_DMA_MAX_LEN + 1, BUF),
			 FW_CFG_DMA_CTL_ERROR);
	assert_true(all_bytes(host(e, BUF, 16), 16, FILL)); /* nothing written */
	assert_int_equal(dma(e, FW_CFG_DMA_CTL_READ, 0xffffffffu, BUF), FW_CFG_DMA_CTL_ERROR);
	assert_true(all_bytes(host(e, BUF, 16), 16, FILL));
	/* Exactly the cap is served: the signature, then zeros. */
	memset(host(e, BUF, FW_CFG_DMA_MAX_LEN + 1), FILL, FW_CFG_DMA_MAX_LEN + 1);
	assert_int_equal(dma(e, FW_CFG_DMA_CTL_READ, FW_CFG_DMA_MAX_LEN, BUF), 0);
	assert_memory_equal(host(e, BUF, 4), "QEMU", 4);
	assert_true(all_bytes(host(e, BUF + 4, FW_CFG_DMA_MAX_LEN - 4), FW_CFG_DMA_MAX_LEN - 4, 0));
	assert_int_equal(host(e, BUF, FW_CFG_DMA_MAX_LEN + 1)[FW_CFG_DMA_MAX_LEN], FILL);
	assert_int_equal(fw_cfg_dma_errors(e->fc), 2);
	free_env(e);
}

static void test_dma_buffer_outside_ram(void **state)
{
	struct env *e = new_env();
	uint8_t *tail = host(e, RAM - 8, 8);

	memset(tail, FILL, 8);
	/* Straddling the end of RAM: refused whole, the 8 bytes inside stay. */
	assert_int_equal(dma(e, sel_ctl(FW_CFG_SIGNATURE, FW_CFG_DMA_CTL_READ), 16, RAM - 8),
			 FW_CFG_DMA_CTL_ERROR);
	assert_true(all_bytes(tail, 8, FILL));
	assert_int_equal(dma(e, FW_CFG_DMA_CTL_READ, 4, 0xd0000000ULL), FW_CFG_DMA_CTL_ERROR);
	assert_int_equal(dma(e, FW_CFG_DMA_CTL_READ, 4, RAM), FW_CFG_DMA_CTL_ERROR);
	/* Wrapping around the top of the address space. */
	assert_int_equal(dma(e, FW_CFG_DMA_CTL_READ, 0x20, 0xfffffffffffffff0ULL),
			 FW_CFG_DMA_CTL_ERROR);
	assert_int_equal(dma(e, FW_CFG_DMA_CTL_READ, 1, ~0ULL), FW_CFG_DMA_CTL_ERROR);
	assert_int_equal(fw_cfg_dma_errors(e->fc), 5);
	/* The offset did not move: the signature is still read from its start. */
	assert_int_equal(dma(e, FW_CFG_DMA_CTL_READ, 4, BUF), 0);
	assert_memory_equal(host(e, BUF, 4), "QEMU", 4);
	free_env(e);
}

static void test_dma_descriptor_outside_ram(void **state)
{
	struct env *e = new_env();
	uint8_t *tail = host(e, RAM - 8, 8);
	uint32_t ctl;

	/* Entirely outside RAM, in the MMIO hole, at the top: nothing to write to. */
	start_dma(e, RAM);
	start_dma(e, 0xd0000000ULL);
	start_dma(e, ~0ULL - 3);
	start_dma(e, ~0ULL);
	assert_int_equal(fw_cfg_dma_errors(e->fc), 4);
	/* Straddling the end of RAM: only its control word is in RAM, and it gets ERROR. */
	memset(tail, FILL, 8);
	ctl = htobe32(sel_ctl(FW_CFG_SIGNATURE, FW_CFG_DMA_CTL_READ));
	memcpy(tail, &ctl, 4);
	start_dma(e, RAM - 8);
	memcpy(&ctl, tail, 4);
	assert_int_equal(be32toh(ctl), FW_CFG_DMA_CTL_ERROR);
	assert_true(all_bytes(tail + 4, 4, FILL));
	assert_int_equal(fw_cfg_dma_errors(e->fc), 5);
	/* No SELECT happened from the unreadable descriptor. */
	select_key(e, FW_CFG_ID);
	ctl = htobe32(sel_ctl(FW_CFG_SIGNATURE, FW_CFG_DMA_CTL_READ));
	memcpy(tail, &ctl, 4);
	start_dma(e, RAM - 8);
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), FW_CFG_VERSION | FW_CFG_VERSION_DMA);
	free_env(e);
}

static void test_dma_private_memory(void **state)
{
	struct env *e = new_env_sized(RAM, true);
	const uint64_t desc = 0x4000, shared_buf = 0x8000, priv_buf = 0x20000;
	uint32_t ctl;

	share(e, desc, PG);
	share(e, shared_buf, PG);
	/* Descriptor and buffer shared: served, into the device-side mapping. */
	put_desc(e, desc, sel_ctl(FW_CFG_SIGNATURE, FW_CFG_DMA_CTL_READ), 4, shared_buf);
	start_dma(e, desc);
	assert_memory_equal(host(e, shared_buf, 4), "QEMU", 4);
	memcpy(&ctl, host(e, desc, 4), 4);
	assert_int_equal(ctl, 0);

	/* Buffer private: ERROR, nothing written (the device mapping there is PROT_NONE). */
	memset(host(e, priv_buf, 16), FILL, 16);
	put_desc(e, desc, sel_ctl(FW_CFG_SIGNATURE, FW_CFG_DMA_CTL_READ), 4, priv_buf);
	start_dma(e, desc);
	memcpy(&ctl, host(e, desc, 4), 4);
	assert_int_equal(be32toh(ctl), FW_CFG_DMA_CTL_ERROR);
	assert_true(all_bytes(host(e, priv_buf, 16), 16, FILL));

	/* Buffer straddling into a private page: refused whole. */
	memset(host(e, shared_buf + PG - 2, 4), FILL, 4);
	put_desc(e, desc, sel_ctl(FW_CFG_SIGNATURE, FW_CFG_DMA_CTL_READ), 4, shared_buf + PG - 2);
	start_dma(e, desc);
	memcpy(&ctl, host(e, desc, 4), 4);
	assert_int_equal(be32toh(ctl), FW_CFG_DMA_CTL_ERROR);
	assert_true(all_bytes(host(e, shared_buf + PG - 2, 4), 4, FILL));

	/* Descriptor private: nothing read, nothing written. */
	put_desc(e, 0x30000, sel_ctl(FW_CFG_SIGNATURE, FW_CFG_DMA_CTL_READ), 4, shared_buf);
	memset(host(e, shared_buf, 4), FILL, 4);
	start_dma(e, 0x30000);
	assert_true(all_bytes(host(e, shared_buf, 4), 4, FILL));
	memcpy(&ctl, host(e, 0x30000, 4), 4);
	assert_int_equal(be32toh(ctl), sel_ctl(FW_CFG_SIGNATURE, FW_CFG_DMA_CTL_READ));

	/* Descriptor straddling: control word shared, the rest private: ERROR there only. */
	put_desc(e, desc + PG - 4, sel_ctl(FW_CFG_SIGNATURE, FW_CFG_DMA_CTL_READ), 4, shared_buf);
	start_dma(e, desc + PG - 4);
	memcpy(&ctl, host(e, desc + PG - 4, 4), 4);
	assert_int_equal(be32toh(ctl), FW_CFG_DMA_CTL_ERROR);
	assert_true(all_bytes(host(e, shared_buf, 4), 4, FILL));

	assert_int_equal(fw_cfg_dma_errors(e->fc), 4);
	assert_true(guest_mem_dma_refusals(&e->gm) >= 4);
	free_env(e);
}

static void test_port_widths_and_offsets(void **state)
{
	struct env *e = new_env();
	uint8_t d[8];

	assert_int_equal(fw_cfg_add_u32(e->fc, FW_CFG_NB_CPUS, 0x04030201), 0);
	select_key(e, FW_CFG_NB_CPUS);
	/* Wrong-width reads of the data port: all ones, the offset stays. */
	memset(d, 0, sizeof(d));
	assert_true(bus_access(&e->pio, FW_CFG_PORT_SEL, d, 2, false));
	assert_true(all_bytes(d, 2, 0xff));
	assert_true(bus_access(&e->pio, FW_CFG_PORT_SEL, d, 4, false));
	assert_true(all_bytes(d, 4, 0xff));
	assert_int_equal(in8(e, 0x512), 0xff);
	assert_int_equal(in8(e, 0x513), 0xff);
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), 0x01);
	/* Selector writes of the wrong width or at the wrong port select nothing. */
	d[0] = FW_CFG_SIGNATURE;
	d[1] = 0;
	assert_true(bus_access(&e->pio, FW_CFG_PORT_SEL, d, 1, true));
	memset(d, 0, 4);
	assert_true(bus_access(&e->pio, FW_CFG_PORT_SEL, d, 4, true));
	assert_true(bus_access(&e->pio, FW_CFG_PORT_DATA, d, 2, true));
	assert_true(bus_access(&e->pio, 0x512, d, 2, true));
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), 0x02);

	/* DMA halves: only 4-byte writes at 0x514 / 0x518 count. */
	put_desc(e, DESC, sel_ctl(FW_CFG_SIGNATURE, FW_CFG_DMA_CTL_READ), 4, BUF);
	memset(host(e, BUF, 4), FILL, 4);
	d[0] = d[1] = d[2] = 0;
	d[3] = (uint8_t)DESC;
	assert_true(bus_access(&e->pio, FW_CFG_PORT_DMA_LOW, d, 2, true));
	assert_true(bus_access(&e->pio, FW_CFG_PORT_DMA_LOW + 1, d, 1, true));
	assert_true(bus_access(&e->pio, FW_CFG_PORT_DMA_HIGH + 1, d, 4, false)); /* a read */
	assert_true(all_bytes(host(e, BUF, 4), 4, FILL));
	/* A misaligned 4-byte write (0x515) triggers nothing; nor does one the bus cannot place. */
	{
		uint32_t be = htobe32((uint32_t)DESC);

		assert_true(bus_access(&e->pio, FW_CFG_PORT_DMA_HIGH + 1, (uint8_t *)&be, 4, true));
		assert_false(bus_access(&e->pio, FW_CFG_PORT_DMA_LOW + 2, (uint8_t *)&be, 4, true));
	}
	assert_true(all_bytes(host(e, BUF, 4), 4, FILL));
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), 0x03); /* still NB_CPUS */
	/* A byte write to the high half latches nothing: the low write then means high = 0. */
	d[0] = 0x01;
	assert_true(bus_access(&e->pio, FW_CFG_PORT_DMA_HIGH, d, 1, true));
	out32_be(e, FW_CFG_PORT_DMA_LOW, (uint32_t)DESC);
	assert_memory_equal(host(e, BUF, 4), "QEMU", 4);

	/* The handler itself, called past its range or with odd lengths, stays inside. */
	memset(d, 0, sizeof(d));
	fw_cfg_pio(e->fc, FW_CFG_PIO_LEN, d, 1, false);
	assert_int_equal(d[0], 0xff);
	fw_cfg_pio(e->fc, FW_CFG_PIO_LEN - 2, d, 4, false);
	assert_true(all_bytes(d, 4, 0xff));
	fw_cfg_pio(e->fc, ~0ULL, d, 8, false);
	assert_true(all_bytes(d, 8, 0xff));
	fw_cfg_pio(e->fc, 0, d, 0, true);
	fw_cfg_pio(e->fc, ~0ULL - 1, d, 4, true);
	free_env(e);
}

static void test_reset(void **state)
{
	struct env *e = new_env();

	select_key(e, FW_CFG_ID);
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), 3);
	put_desc(e, DESC, sel_ctl(FW_CFG_ID, FW_CFG_DMA_CTL_READ), 4, BUF);
	out32_be(e, FW_CFG_PORT_DMA_HIGH, 1); /* latched, never completed */
	fw_cfg_reset(e->fc);
	assert_int_equal(in8(e, FW_CFG_PORT_DATA), 'Q');
	/* The latched high half is gone: this low write means DESC below 4 GiB. */
	out32_be(e, FW_CFG_PORT_DMA_LOW, (uint32_t)DESC);
	assert_int_equal(le32toh(*(uint32_t *)host(e, BUF, 4)), 3);
	free_env(e);
}

static void test_files_limit(void **state)
{
	struct env *e = new_env();
	char name[32];
	uint32_t size;

	for (unsigned i = 0; i < FW_CFG_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "opt/f%03u", i);
		assert_int_equal(fw_cfg_add_file(e->fc, name, &i, sizeof(i)), 0);
	}
	assert_int_equal(fw_cfg_add_file(e->fc, "opt/one-more", "x", 1), -ENOSPC);
	assert_int_equal(file_key(e, "opt/f255", &size), FW_CFG_FILE_FIRST + 255);
	assert_int_equal(size, 4);
	assert_int_equal(read_u32_item(e, FW_CFG_FILE_FIRST + 255), 255);
	assert_int_equal(read_u32_item(e, FW_CFG_FILE_FIRST + 256), 0); /* no such file */
	free_env(e);
}

/* A synthetic bzImage: setup_sects, protocol, loadflags, xloadflags, initrd_addr_max. */
static uint8_t *make_bzimage(size_t len, uint8_t setup_sects, uint16_t version,
			     uint8_t loadflags, uint16_t xloadflags, uint32_t initrd_addr_max)
{
	uint8_t *k = malloc(len);
	uint32_t magic = htole32(0x53726448);
	uint16_t v16;
	uint32_t v32;

	assert_non_null(k);
	fill_pattern(k, len, 1);
	k[0x1f1] = setup_sects;
	memcpy(k + 0x202, &magic, 4);
	v16 = htole16(version);
	memcpy(k + 0x206, &v16, 2);
	k[0x211] = loadflags;
	v32 = htole32(initrd_addr_max);
	memcpy(k + 0x22c, &v32, 4);
	v16 = htole16(xloadflags);
	memcpy(k + 0x236, &v16, 2);
	return k;
}

static void read_item(struct env *e, uint16_t key, uint8_t *buf, size_t len)
{
	memset(host(e, BUF, len + 1), FILL, len + 1);
	assert_int_equal(dma(e, sel_ctl(key, FW_CFG_DMA_CTL_READ), (uint32_t)len, BUF), 0);
	memcpy(buf, host(e, BUF, len), len);
}

static void test_linux_split(void **state)
{
	const size_t klen = 3 * 512 + 7000, ilen = 3 * 4096; /* whole pages: the limit - 1 shows */
	uint8_t *kernel = make_bzimage(klen, 2, 0x020f, 0x01, 0x0003, 0x7fffffff);
	uint8_t *initrd = malloc(ilen), *got = malloc(klen + ilen);
	struct fw_cfg_linux lb = {
		.kernel = kernel, .kernel_len = klen, .initrd = initrd, .initrd_len = ilen,
		.cmdline = "console=ttyS0 quiet", .initrd_limit = 0xbffe0000ULL,
	};
	struct env *e = new_env();
	uint32_t size;
	int key;

	assert_non_null(initrd);
	assert_non_null(got);
	fill_pattern(initrd, ilen, 9);
	assert_int_equal(fw_cfg_add_linux(e->fc, &lb), 0);

	assert_int_equal(read_u32_item(e, FW_CFG_SETUP_SIZE), 3 * 512);
	read_item(e, FW_CFG_SETUP_DATA, got, 3 * 512);
	assert_memory_equal(got, kernel, 3 * 512); /* the file's own bytes, unpatched */
	assert_int_equal(read_u32_item(e, FW_CFG_KERNEL_SIZE), 7000);
	read_item(e, FW_CFG_KERNEL_DATA, got, 7000);
	assert_memory_equal(got, kernel + 3 * 512, 7000);
	assert_int_equal(host(e, BUF, 7001)[7000], FILL);
	key = file_key(e, "etc/boot/kernel", &size);
	assert_true(key >= FW_CFG_FILE_FIRST);
	assert_int_equal(size, klen);
	read_item(e, (uint16_t)key, got, klen);
	assert_memory_equal(got, kernel, klen);

	assert_int_equal(read_u32_item(e, FW_CFG_CMDLINE_SIZE), 20);
	read_item(e, FW_CFG_CMDLINE_DATA, got, 20);
	assert_memory_equal(got, "console=ttyS0 quiet", 20); /* with its NUL */
	assert_int_equal(read_u32_item(e, FW_CFG_INITRD_SIZE), ilen);
	read_item(e, FW_CFG_INITRD_DATA, got, ilen);
	assert_memory_equal(got, initrd, ilen);

	/* QEMU's addresses for a 2.15 kernel that may take its initrd anywhere below 4 GiB. */
	assert_int_equal(read_u32_item(e, FW_CFG_SETUP_ADDR), 0x10000);
	assert_int_equal(read_u32_item(e, FW_CFG_KERNEL_ADDR), 0x100000);
	assert_int_equal(read_u32_item(e, FW_CFG_CMDLINE_ADDR), 0x20000);
	assert_int_equal(read_u32_item(e, FW_CFG_INITRD_ADDR), (0xbffe0000 - 1 - ilen) & ~4095u);
	free_env(e);

	/* A second device: the same kernel without CAN_BE_LOADED_ABOVE_4G uses initrd_addr_max. */
	kernel[0x236] = 0;
	e = new_env();
	assert_int_equal(fw_cfg_add_linux(e->fc, &lb), 0);
	assert_int_equal(read_u32_item(e, FW_CFG_INITRD_ADDR), (0x7fffffff - ilen) & ~4095u);
	assert_int_equal(fw_cfg_add_linux(e->fc, &lb), -EEXIST); /* once per device */
	free_env(e);
	free(kernel);
	free(initrd);
	free(got);
}

static void test_linux_old_protocols_and_errors(void **state)
{
	const size_t klen = 5 * 512 + 100;
	uint8_t *kernel = make_bzimage(klen, 0, 0x0201, 0x01, 0, 0);
	uint8_t initrd[16] = { 0 };
	struct fw_cfg_linux lb = { .kernel = kernel, .kernel_len = klen, .cmdline = "abc" };
	struct env *e = new_env();

	/* setup_sects 0 means 4; a 2.01 kernel loaded high: setup and command line low. */
	assert_int_equal(fw_cfg_add_linux(e->fc, &lb), 0);
	assert_int_equal(read_u32_item(e, FW_CFG_SETUP_SIZE), 5 * 512);
	assert_int_equal(read_u32_item(e, FW_CFG_KERNEL_SIZE), 100);
	assert_int_equal(read_u32_item(e, FW_CFG_SETUP_ADDR), 0x90000);
	assert_int_equal(read_u32_item(e, FW_CFG_KERNEL_ADDR), 0x100000);
	assert_int_equal(read_u32_item(e, FW_CFG_CMDLINE_ADDR), 0x9a000 - 16);
	assert_int_equal(read_u32_item(e, FW_CFG_INITRD_SIZE), 0); /* no initrd item */
	free_env(e);

	/* Not loaded high: the zImage addresses. */
	kernel[0x211] = 0;
	e = new_env();
	lb.cmdline = NULL;
	assert_int_equal(fw_cfg_add_linux(e->fc, &lb), 0);
	assert_int_equal(read_u32_item(e, FW_CFG_KERNEL_ADDR), 0x10000);
	assert_int_equal(read_u32_item(e, FW_CFG_CMDLINE_SIZE), 1);
	free_env(e);

	e = new_env();
	/* Protocol 2.01 has no initrd_addr_max: 0x37ffffff, then the limit. */
	lb.initrd = initrd;
	lb.initrd_len = sizeof(initrd);
	assert_int_equal(fw_cfg_add_linux(e->fc, &lb), 0);
	assert_int_equal(read_u32_item(e, FW_CFG_INITRD_ADDR), (0x37ffffff - 16) & ~4095u);
	free_env(e);

	e = new_env();
	lb.initrd_limit = sizeof(initrd); /* the initrd cannot end below 16 */
	assert_int_equal(fw_cfg_add_linux(e->fc, &lb), -E2BIG);
	lb.initrd_limit = 0;
	lb.initrd = NULL;
	lb.initrd_len = 0;
	lb.kernel_len = 4 * 512; /* shorter than its setup */
	assert_int_equal(fw_cfg_add_linux(e->fc, &lb), -ENOEXEC);
	lb.kernel_len = klen;
	kernel[0x202] = 'X'; /* no HdrS */
	assert_int_equal(fw_cfg_add_linux(e->fc, &lb), -ENOEXEC);
	lb.kernel_len = 0x200;
	assert_int_equal(fw_cfg_add_linux(e->fc, &lb), -ENOEXEC);
	lb.kernel = NULL;
	assert_int_equal(fw_cfg_add_linux(e->fc, &lb), -ENOEXEC);
	/* Nothing was added by the failures. */
	assert_int_equal(read_u32_item(e, FW_CFG_KERNEL_SIZE), 0);
	assert_int_equal(file_key(e, "etc/boot/kernel", NULL), -1);
	free_env(e);
	free(kernel);
}

static void test_e820(void **state)
{
	const struct boot_mem_range map[] = {
		{ .addr = 0, .size = 0x9fc00, .type = BOOT_E820_RAM },
		{ .addr = 0x100000, .size = 0xbff00000ULL, .type = BOOT_E820_RAM },
		{ .addr = HIGH, .size = 0x140000000ULL, .type = BOOT_E820_RAM },
		{ .addr = 0xfee00000ULL, .size = 0x1000, .type = BOOT_E820_RESERVED },
	};
	struct env *e = new_env();
	uint8_t got[80];
	uint32_t size;
	int key;

	assert_int_equal(fw_cfg_add_e820(e->fc, map, 4), 0);
	key = file_key(e, "etc/e820", &size);
	assert_int_equal(size, 80);
	read_item(e, (uint16_t)key, got, 80);
	for (unsigned i = 0; i < 4; i++) {
		uint64_t addr, len;
		uint32_t type;

		memcpy(&addr, got + i * 20, 8);
		memcpy(&len, got + i * 20 + 8, 8);
		memcpy(&type, got + i * 20 + 16, 4);
		assert_int_equal(le64toh(addr), map[i].addr);
		assert_int_equal(le64toh(len), map[i].size);
		assert_int_equal(le32toh(type), map[i].type);
	}
	assert_int_equal(fw_cfg_add_e820(e->fc, map, 1), -EEXIST);
	free_env(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signature_and_id),
		cmocka_unit_test(test_file_dir_format_and_order),
		cmocka_unit_test(test_item_byte_by_byte),
		cmocka_unit_test(test_add_item_keys_and_copies),
		cmocka_unit_test(test_dma_read),
		cmocka_unit_test(test_dma_descriptor_above_4g),
		cmocka_unit_test(test_dma_skip_and_select),
		cmocka_unit_test(test_dma_read_past_end_zero_fills),
		cmocka_unit_test(test_unknown_selector_reads_zeros),
		cmocka_unit_test(test_dma_write_refused),
		cmocka_unit_test(test_dma_length_cap),
		cmocka_unit_test(test_dma_buffer_outside_ram),
		cmocka_unit_test(test_dma_descriptor_outside_ram),
		cmocka_unit_test(test_dma_private_memory),
		cmocka_unit_test(test_port_widths_and_offsets),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_files_limit),
		cmocka_unit_test(test_linux_split),
		cmocka_unit_test(test_linux_old_protocols_and_errors),
		cmocka_unit_test(test_e820),
	};

	log_threshold = LOG_ERROR; /* the first refusal of each device is logged */
	return cmocka_run_group_tests_name("fw_cfg", tests, NULL, NULL);
}
