// SPDX-License-Identifier: MIT
/*
 * The fw_cfg items of direct boot through firmware: the kernel split into setup and protected-mode
 * parts, initrd and command line with the load addresses QEMU's x86_load_linux() reports, and the
 * "etc/e820" memory map.
 */
#include <asm/bootparam.h>
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"

#define SETUP_HDR_OFFSET     0x1f1
#define HDRS_MAGIC           0x53726448 /* "HdrS" */
#define SECTOR_SIZE          512
#define DEFAULT_SETUP_SECTS  4
#define OLD_INITRD_ADDR_MAX  0x37ffffff /* boot protocol < 2.03 */

/* Where QEMU tells the firmware the parts go, by boot protocol (x86_load_linux()). */
struct linux_addrs {
	uint32_t setup;   /* FW_CFG_SETUP_ADDR ("real_addr") */
	uint32_t kernel;  /* FW_CFG_KERNEL_ADDR ("prot_addr") */
	uint32_t cmdline; /* FW_CFG_CMDLINE_ADDR */
	uint32_t initrd_max; /* highest initrd byte the kernel accepts, before the RAM limit */
};

static void linux_addrs(const struct setup_header *hdr, size_t cmdline_len,
			struct linux_addrs *a)
{
	uint16_t protocol = le16toh(hdr->version);
	/* QEMU reserves the command line rounded up to 16 bytes below 0x9a000 for old kernels. */
	uint32_t low_cmdline = 0x9a000 - (uint32_t)((cmdline_len - 1 + 16) & ~(size_t)15);

	if (protocol < 0x200 || !(hdr->loadflags & LOADED_HIGH))
		*a = (struct linux_addrs){ .setup = 0x90000, .kernel = 0x10000, .cmdline = low_cmdline };
	else if (protocol < 0x202)
		*a = (struct linux_addrs){ .setup = 0x90000, .kernel = 0x100000, .cmdline = low_cmdline };
	else
		*a = (struct linux_addrs){ .setup = 0x10000, .kernel = 0x100000, .cmdline = 0x20000 };

	if (protocol >= 0x20c && (le16toh(hdr->xloadflags) & XLF_CAN_BE_LOADED_ABOVE_4G))
		a->initrd_max = UINT32_MAX;
	else if (protocol >= 0x203)
		a->initrd_max = le32toh(hdr->initrd_addr_max);
	else
		a->initrd_max = OLD_INITRD_ADDR_MAX;
}

/* Validates the kernel and the initrd's placement before anything is added. */
static int check_linux(const struct fw_cfg_linux *lb, size_t cmdline_len, uint32_t *setup_len,
		       uint32_t *initrd_addr, struct linux_addrs *a)
{
	struct setup_header hdr;
	uint64_t initrd_max;
	unsigned setup_sects;

	if (!lb->kernel || lb->kernel_len < SETUP_HDR_OFFSET + sizeof(hdr))
		return -ENOEXEC;
	memcpy(&hdr, lb->kernel + SETUP_HDR_OFFSET, sizeof(hdr));
	if (le32toh(hdr.header) != HDRS_MAGIC)
		return -ENOEXEC;
	setup_sects = hdr.setup_sects ? hdr.setup_sects : DEFAULT_SETUP_SECTS;
	*setup_len = (setup_sects + 1) * SECTOR_SIZE;
	if (*setup_len > lb->kernel_len)
		return -ENOEXEC;
	if (lb->kernel_len > FW_CFG_MAX_ITEM_LEN || cmdline_len > FW_CFG_MAX_ITEM_LEN ||
	    lb->initrd_len > FW_CFG_MAX_ITEM_LEN)
		return -E2BIG;

	linux_addrs(&hdr, cmdline_len, a);
	if (!lb->initrd)
		return 0;
	if (le16toh(hdr.version) < 0x200)
		return -ENOEXEC; /* too old for an initrd */
	initrd_max = a->initrd_max;
	if (lb->initrd_limit && initrd_max >= lb->initrd_limit)
		initrd_max = lb->initrd_limit - 1;
	if (lb->initrd_len >= initrd_max)
		return -E2BIG;
	*initrd_addr = (uint32_t)((initrd_max - lb->initrd_len) & ~4095ULL);
	return 0;
}

int fw_cfg_linux_check(const struct fw_cfg_linux *lb)
{
	const char *cmdline = lb->cmdline ? lb->cmdline : "";
	uint32_t setup_len, initrd_addr;
	struct linux_addrs a;

	_Static_assert(FW_CFG_LINUX_HEADER_LEN >= SETUP_HDR_OFFSET + sizeof(struct setup_header),
		       "the header length covers the setup header");
	return check_linux(lb, strlen(cmdline) + 1, &setup_len, &initrd_addr, &a);
}

/* One part of the boot: its load address, size and bytes (copied, or borrowed when @borrow). */
static int add_part(struct fw_cfg *fc, uint16_t addr_key, uint32_t addr, uint16_t size_key,
		    uint16_t data_key, const void *data, size_t len, bool borrow)
{
	int ret = fw_cfg_add_u32(fc, addr_key, addr);

	if (!ret)
		ret = fw_cfg_add_u32(fc, size_key, (uint32_t)len);
	if (!ret && borrow)
		ret = fw_cfg_add_item_ref(fc, data_key, data, len);
	else if (!ret)
		ret = fw_cfg_add_item(fc, data_key, data, len);
	return ret;
}

int fw_cfg_add_linux(struct fw_cfg *fc, const struct fw_cfg_linux *lb)
{
	const char *cmdline = lb->cmdline ? lb->cmdline : "";
	size_t cmdline_len = strlen(cmdline) + 1;
	struct linux_addrs a;
	uint32_t setup_len, initrd_addr = 0;
	int ret;

	ret = check_linux(lb, cmdline_len, &setup_len, &initrd_addr, &a);
	if (ret)
		return ret;
	ret = add_part(fc, FW_CFG_CMDLINE_ADDR, a.cmdline, FW_CFG_CMDLINE_SIZE,
		       FW_CFG_CMDLINE_DATA, cmdline, cmdline_len, false);
	if (ret)
		return ret;
	if (lb->initrd) {
		ret = add_part(fc, FW_CFG_INITRD_ADDR, initrd_addr, FW_CFG_INITRD_SIZE,
			       FW_CFG_INITRD_DATA, lb->initrd, lb->initrd_len, true);
		if (ret)
			return ret;
	}
	ret = add_part(fc, FW_CFG_KERNEL_ADDR, a.kernel, FW_CFG_KERNEL_SIZE, FW_CFG_KERNEL_DATA,
		       lb->kernel + setup_len, lb->kernel_len - setup_len, true);
	if (ret)
		return ret;
	ret = add_part(fc, FW_CFG_SETUP_ADDR, a.setup, FW_CFG_SETUP_SIZE, FW_CFG_SETUP_DATA,
		       lb->kernel, setup_len, true);
	if (ret)
		return ret;
	return fw_cfg_add_file_ref(fc, "etc/boot/kernel", lb->kernel, lb->kernel_len);
}

/* QEMU's struct e820_entry, packed: 20 bytes. */
#define E820_ENTRY_LEN 20

int fw_cfg_add_e820(struct fw_cfg *fc, const struct boot_mem_range *ranges, unsigned nr)
{
	uint8_t *table = malloc(nr ? (size_t)nr * E820_ENTRY_LEN : 1);
	int ret;

	if (!table)
		return -ENOMEM;
	for (unsigned i = 0; i < nr; i++) {
		uint64_t addr = htole64(ranges[i].addr), size = htole64(ranges[i].size);
		uint32_t type = htole32(ranges[i].type);
		uint8_t *e = table + (size_t)i * E820_ENTRY_LEN;

		memcpy(e, &addr, sizeof(addr));
		memcpy(e + 8, &size, sizeof(size));
		memcpy(e + 16, &type, sizeof(type));
	}
	ret = fw_cfg_add_file(fc, "etc/e820", table, (size_t)nr * E820_ENTRY_LEN);
	free(table);
	return ret;
}
