// SPDX-License-Identifier: MIT
/*
 * mkbzimage: wraps the 64-bit test guest (an ELF linked at 1 MiB) as a Linux bzImage.
 *
 *   mkbzimage <setup-stub.bin> <guest.elf> <out.bzImage>
 *
 * Setup area: zero-page-shaped first sector with the setup header at 0x1f1, the real-mode entry
 * at 0x200 jumping to the stub (bzsetup.S) at BZ_STUB_OFFSET.  Then the protected-mode kernel:
 * the ELF's PT_LOAD file contents laid out flat from 1 MiB, with the 64-bit entry at +0x200.
 * Boot protocol 2.12, not relocatable, XLF_KERNEL_64.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/guest/layout.h"

#ifndef BZ_STUB_OFFSET
#define BZ_STUB_OFFSET 0x1000
#endif

#define MAX_INPUT      (16u << 20)
#define SECTOR         512
#define HDR_JUMP_TARGET 0x26c /* padding after the 2.15 header, before 0x290 */

/* Setup header offsets (Documentation/arch/x86/boot.rst). */
#define H_SETUP_SECTS      0x1f1
#define H_SYSSIZE          0x1f4
#define H_BOOT_FLAG        0x1fe
#define H_JUMP             0x200
#define H_HEADER           0x202
#define H_VERSION          0x206
#define H_LOADFLAGS        0x211
#define H_CODE32_START     0x214
#define H_INITRD_ADDR_MAX  0x22c
#define H_KERNEL_ALIGNMENT 0x230
#define H_RELOCATABLE      0x234
#define H_MIN_ALIGNMENT    0x235
#define H_XLOADFLAGS       0x236
#define H_CMDLINE_SIZE     0x238
#define H_PREF_ADDRESS     0x258
#define H_INIT_SIZE        0x260

#define LOADED_HIGH   0x01
#define XLF_KERNEL_64 0x0001

struct buf {
	uint8_t *data;
	size_t len;
};

static int read_file(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16;

	if (!f)
		return -errno;
	b->len = 0;
	b->data = malloc(cap);
	while (b->data) {
		size_t n = fread(b->data + b->len, 1, cap - b->len, f);

		b->len += n;
		if (n == 0)
			break;
		if (b->len == cap) {
			uint8_t *p;

			if (cap >= MAX_INPUT) {
				free(b->data);
				fclose(f);
				return -EFBIG;
			}
			cap *= 2;
			p = realloc(b->data, cap);
			if (!p)
				free(b->data);
			b->data = p;
		}
	}
	if (!b->data || ferror(f)) {
		free(b->data);
		fclose(f);
		return b->data ? -EIO : -ENOMEM;
	}
	fclose(f);
	return 0;
}

static uint64_t get(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	for (size_t i = n; i--;)
		v = v << 8 | p[i];
	return v;
}

static void put(uint8_t *p, size_t n, uint64_t v)
{
	for (size_t i = 0; i < n; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

/* Flattens the PT_LOAD segments of elf from GUEST_LOAD_ADDR; returns a message on bad input. */
static const char *flatten(const struct buf *elf, struct buf *flat, uint64_t *mem_end)
{
	const uint8_t *e = elf->data;
	uint64_t phoff, file_end = GUEST_LOAD_ADDR;
	unsigned int phentsize, phnum;

	*mem_end = GUEST_LOAD_ADDR;
	if (elf->len < 64 || memcmp(e, "\177ELF", 4) || e[4] != 2 || e[5] != 1 ||
	    get(e + 18, 2) != 62)
		return "not a little-endian x86-64 ELF64 file";
	if (get(e + 24, 8) != GUEST_ENTRY64_ADDR)
		return "entry point is not at load address + 0x200";
	phoff = get(e + 32, 8);
	phentsize = (unsigned int)get(e + 54, 2);
	phnum = (unsigned int)get(e + 56, 2);
	if (phentsize < 56 || phoff > elf->len || (uint64_t)phnum * phentsize > elf->len - phoff)
		return "program headers out of bounds";

	for (int pass = 0; pass < 2; pass++) {
		for (unsigned int i = 0; i < phnum; i++) {
			const uint8_t *ph = e + phoff + (uint64_t)i * phentsize;
			uint64_t off = get(ph + 8, 8), paddr = get(ph + 24, 8);
			uint64_t filesz = get(ph + 32, 8), memsz = get(ph + 40, 8);

			if (get(ph, 4) != 1) /* PT_LOAD */
				continue;
			if (off > elf->len || filesz > elf->len - off || filesz > memsz ||
			    paddr < GUEST_LOAD_ADDR || memsz > MAX_INPUT ||
			    paddr - GUEST_LOAD_ADDR > MAX_INPUT)
				return "PT_LOAD segment out of bounds";
			if (pass == 0) {
				if (paddr + filesz > file_end)
					file_end = paddr + filesz;
				if (paddr + memsz > *mem_end)
					*mem_end = paddr + memsz;
			} else {
				memcpy(flat->data + (paddr - GUEST_LOAD_ADDR), e + off, filesz);
			}
		}
		if (pass == 0) {
			flat->len = (file_end - GUEST_LOAD_ADDR + 15) & ~15ull;
			if (!flat->len)
				return "no loadable contents";
			flat->data = calloc(1, flat->len);
			if (!flat->data)
				return "out of memory";
		}
	}
	return NULL;
}

static int write_image(const char *path, const uint8_t *setup, size_t setup_len,
		       const struct buf *kernel)
{
	FILE *f = fopen(path, "wb");
	int err = 0;

	if (!f)
		return -errno;
	if (fwrite(setup, 1, setup_len, f) != setup_len ||
	    fwrite(kernel->data, 1, kernel->len, f) != kernel->len)
		err = -EIO;
	if (fclose(f) && !err)
		err = -EIO;
	return err;
}

int main(int argc, char **argv)
{
	struct buf stub, elf, kernel = { 0 };
	uint64_t mem_end, init_size;
	size_t setup_len;
	unsigned int setup_sects;
	const char *why;
	uint8_t *setup;
	int err;

	if (argc != 4) {
		fprintf(stderr, "usage: %s <setup-stub.bin> <guest.elf> <out.bzImage>\n", argv[0]);
		return 2;
	}
	err = read_file(argv[1], &stub);
	if (err) {
		fprintf(stderr, "mkbzimage: %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	err = read_file(argv[2], &elf);
	if (err) {
		fprintf(stderr, "mkbzimage: %s: %s\n", argv[2], strerror(-err));
		return 1;
	}
	why = flatten(&elf, &kernel, &mem_end);
	if (why) {
		fprintf(stderr, "mkbzimage: %s: %s\n", argv[2], why);
		return 1;
	}

	setup_len = (BZ_STUB_OFFSET + stub.len + SECTOR - 1) / SECTOR * SECTOR;
	setup_sects = (unsigned int)(setup_len / SECTOR - 1);
	if (setup_sects > 64) {
		fprintf(stderr, "mkbzimage: %s: setup stub too large\n", argv[1]);
		return 1;
	}
	setup = calloc(1, setup_len);
	if (!setup) {
		fprintf(stderr, "mkbzimage: out of memory\n");
		return 1;
	}
	memcpy(setup + BZ_STUB_OFFSET, stub.data, stub.len);

	init_size = (mem_end - GUEST_LOAD_ADDR + 0xfff) & ~0xfffull;
	setup[H_SETUP_SECTS] = (uint8_t)setup_sects;
	put(setup + H_SYSSIZE, 4, kernel.len / 16);
	put(setup + H_BOOT_FLAG, 2, 0xaa55);
	setup[H_JUMP] = 0xeb; /* jmp short to the near jump below */
	setup[H_JUMP + 1] = HDR_JUMP_TARGET - (H_JUMP + 2);
	memcpy(setup + H_HEADER, "HdrS", 4);
	put(setup + H_VERSION, 2, 0x020c);
	setup[H_LOADFLAGS] = LOADED_HIGH;
	put(setup + H_CODE32_START, 4, GUEST_LOAD_ADDR);
	put(setup + H_INITRD_ADDR_MAX, 4, 0x7fffffff);
	put(setup + H_KERNEL_ALIGNMENT, 4, 0x100000);
	setup[H_RELOCATABLE] = 0;
	setup[H_MIN_ALIGNMENT] = 20;
	put(setup + H_XLOADFLAGS, 2, XLF_KERNEL_64);
	put(setup + H_CMDLINE_SIZE, 4, 4095);
	put(setup + H_PREF_ADDRESS, 8, GUEST_LOAD_ADDR);
	put(setup + H_INIT_SIZE, 4, init_size);
	/* jmp near BZ_STUB_OFFSET (offsets within the setup area; entry CS = setup seg + 0x20) */
	setup[HDR_JUMP_TARGET] = 0xe9;
	put(setup + HDR_JUMP_TARGET + 1, 2, BZ_STUB_OFFSET - (HDR_JUMP_TARGET + 3));

	err = write_image(argv[3], setup, setup_len, &kernel);
	if (err) {
		fprintf(stderr, "mkbzimage: %s: %s\n", argv[3], strerror(-err));
		return 1;
	}
	free(setup);
	free(kernel.data);
	free(elf.data);
	free(stub.data);
	return 0;
}
