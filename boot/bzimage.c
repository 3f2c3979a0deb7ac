// SPDX-License-Identifier: MIT
/*
 * Linux bzImage loader for the 64-bit boot protocol (Documentation/arch/x86/boot.rst): the
 * protected-mode part of the image is loaded at pref_address (relocatable kernels, when it fits)
 * or 1 MiB, and entered in long mode at load address + 0x200.
 */
#include <asm/bootparam.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "boot/boot.h"
#include "vmm/error.h"
#include "vmm/layout.h"
#include "vmm/memory.h"
#include "vmm/util.h"

#define SETUP_HDR_OFFSET   0x1f1
#define BOOT_FLAG_MAGIC    0xaa55
#define HDRS_MAGIC         0x53726448 /* "HdrS" */
#define MIN_PROTOCOL       0x020c     /* 2.12: xloadflags, XLF_KERNEL_64 */
#define ENTRY64_OFFSET     0x200
#define DEFAULT_SETUP_SECTS 4

/* Every problem of the image is the input file's. */
#define ERR(code, ...) (error_set(e, ERROR_INPUT, code, __VA_ARGS__), (code))

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

int boot_parse_bzimage(int fd, uint64_t file_size, const struct guest_mem *layout,
		       struct boot_kernel *k, struct error *e)
{
	uint8_t hdr[0x290];
	uint32_t setup_sects, kernel_alignment, init_size;
	uint16_t version, xloadflags;
	uint64_t pm_offset, pm_size, load, need, low_end, pref;
	size_t hdr_end;
	int ret;

	memset(k, 0, sizeof(*k));
	if (file_size < sizeof(hdr))
		return ERR(-EINVAL, "bzImage is truncated: %llu bytes, the setup header alone needs %zu",
			   (unsigned long long)file_size, sizeof(hdr));
	ret = pread_exact(fd, hdr, sizeof(hdr), 0);
	if (ret)
		return ERR(ret, "cannot read the bzImage header: %s", strerror(-ret));
	if (get16(hdr + 0x1fe) != BOOT_FLAG_MAGIC || get32(hdr + 0x202) != HDRS_MAGIC)
		return ERR(-ENOEXEC, "not a kernel image: no ELF magic and no bzImage setup header");
	version = get16(hdr + 0x206);
	if (version < MIN_PROTOCOL)
		return ERR(-ENOEXEC, "bzImage boot protocol %u.%02u is too old; 2.12 or later is needed",
			   version >> 8, version & 0xff);
	xloadflags = get16(hdr + 0x236);
	if (!(xloadflags & XLF_KERNEL_64))
		return ERR(-ENOEXEC, "bzImage has no 64-bit entry point (XLF_KERNEL_64 not set)");
	if (!(hdr[0x211] & LOADED_HIGH))
		return ERR(-ENOEXEC, "bzImage is a zImage (not LOADED_HIGH); only bzImages are supported");

	setup_sects = hdr[0x1f1] ? hdr[0x1f1] : DEFAULT_SETUP_SECTS;
	pm_offset = (uint64_t)(setup_sects + 1) * 512;
	if (pm_offset >= file_size)
		return ERR(-EINVAL, "bzImage is truncated: setup claims %u sectors but the file has %llu "
			   "bytes", setup_sects, (unsigned long long)file_size);
	pm_size = file_size - pm_offset;
	if ((uint64_t)get32(hdr + 0x1f4) * 16 > pm_size)
		return ERR(-EINVAL, "bzImage is truncated: syssize says %llu bytes of kernel, the file "
			   "holds %llu", (unsigned long long)get32(hdr + 0x1f4) * 16,
			   (unsigned long long)pm_size);

	kernel_alignment = get32(hdr + 0x230);
	init_size = get32(hdr + 0x260);
	pref = get64(hdr + 0x258);
	need = MAX((uint64_t)init_size, pm_size);
	low_end = layout->regions[0].gpa + layout->regions[0].size;

	/* A relocatable kernel runs where it is loaded; prefer its own choice if it fits. */
	load = LAYOUT_KERNEL_ADDR;
	if (hdr[0x234] && pref >= LAYOUT_KERNEL_ADDR && pref < low_end && need <= low_end - pref &&
	    (!kernel_alignment || (kernel_alignment & (kernel_alignment - 1)) == 0) &&
	    (!kernel_alignment || IS_ALIGNED(pref, kernel_alignment)))
		load = pref;
	if (need > low_end || load > low_end - need)
		return ERR(-ENOSPC, "kernel needs %llu MiB from 0x%llx but guest RAM below the MMIO "
			   "hole ends at 0x%llx; give the guest more memory",
			   (unsigned long long)(need >> 20) + 1, (unsigned long long)load,
			   (unsigned long long)low_end);

	k->fd = fd;
	k->file_size = file_size;
	k->kind = BOOT_IMAGE_BZIMAGE;
	k->entry = load + ENTRY64_OFFSET;
	k->load_start = load;
	k->load_end = load + need;
	k->seg[0] = (struct boot_segment){
		.file_offset = pm_offset, .gpa = load, .filesz = pm_size, .memsz = pm_size,
	};
	k->nr_seg = 1;
	hdr_end = 0x202 + (size_t)hdr[0x201];
	if (hdr_end > sizeof(hdr))
		hdr_end = sizeof(hdr);
	k->setup_header_len = hdr_end - SETUP_HDR_OFFSET;
	memcpy(k->setup_header, hdr + SETUP_HDR_OFFSET, k->setup_header_len);
	k->initrd_addr_max = get32(hdr + 0x22c) ? get32(hdr + 0x22c) : 0x37ffffff;
	k->cmdline_max = get32(hdr + 0x238) ? get32(hdr + 0x238) : 255;
	if (k->cmdline_max > LAYOUT_CMDLINE_MAX - 1)
		k->cmdline_max = LAYOUT_CMDLINE_MAX - 1;
	return 0;
}
