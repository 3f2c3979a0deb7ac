/* SPDX-License-Identifier: MIT */
/*
 * Direct kernel boot: load a kernel image (bzImage, ELF vmlinux, PVH ELF64 or ELF32) and an initrd
 * into guest RAM, and write the boot information the entry point expects (Linux zero page, or PVH
 * start info).
 */
#ifndef CVMM_BOOT_H
#define CVMM_BOOT_H

#include <stddef.h>
#include <stdint.h>

struct guest_mem;

enum boot_entry_mode {
	BOOT_ENTRY_LINUX64, /* long mode at entry, RSI = boot_params (bzImage, ELF vmlinux) */
	BOOT_ENTRY_PVH32,   /* 32-bit protected mode, paging off, EBX = hvm_start_info (PVH ELF) */
};

enum boot_image_kind {
	BOOT_IMAGE_BZIMAGE,
	BOOT_IMAGE_ELF,
	BOOT_IMAGE_PVH,
};

/* A kernel image parsed and placed in guest memory (loaders fill this in). */
struct boot_kernel {
	enum boot_image_kind kind;
	uint64_t entry;
	uint64_t load_start;     /* lowest guest byte the image occupies */
	uint64_t load_end;       /* first byte after it (including bss / init_size) */
	/* bzImage only: the setup header as found in the file, and its length. */
	uint8_t setup_header[0x290 - 0x1f1];
	size_t setup_header_len;
	uint32_t initrd_addr_max; /* highest address the initrd may occupy (inclusive) */
	uint32_t cmdline_max;     /* longest command line the kernel accepts (without NUL) */
};

struct boot_request {
	const char *kernel_path;
	const char *initrd_path; /* may be NULL */
	const char *cmdline;     /* complete command line (device entries already appended) */
	uint64_t rsdp_gpa;       /* 0 when there are no ACPI tables */
};

struct boot_info {
	enum boot_entry_mode mode;
	enum boot_image_kind kind;
	uint64_t entry;
	uint64_t params_gpa; /* boot_params (LINUX64) or hvm_start_info (PVH32) */
	uint64_t kernel_start, kernel_end;
	uint64_t initrd_gpa, initrd_size;
};

/*
 * Loads everything and builds the boot information.  On failure returns -errno and writes one line
 * naming the problem (which file, what is wrong with it) into err.
 */
int boot_load(struct guest_mem *gm, const struct boot_request *req, struct boot_info *info,
	      char *err, size_t errlen);

/* Individual steps, exposed for tests. fd is an open kernel image of file_size bytes. */
int boot_load_bzimage(struct guest_mem *gm, int fd, uint64_t file_size, struct boot_kernel *k,
		      char *err, size_t errlen);
int boot_load_elf(struct guest_mem *gm, int fd, uint64_t file_size, struct boot_kernel *k,
		  char *err, size_t errlen);
int boot_load_initrd(struct guest_mem *gm, const char *path, const struct boot_kernel *k,
		     uint64_t *gpa, uint64_t *size, char *err, size_t errlen);

/* The guest memory map as the e820 / PVH memmap tables describe it. */
struct boot_mem_range {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* E820 type: 1 RAM, 2 reserved */
};
#define BOOT_E820_RAM      1
#define BOOT_E820_RESERVED 2
#define BOOT_MAX_MEM_RANGES 8
unsigned boot_memory_map(const struct guest_mem *gm, struct boot_mem_range *out, unsigned max);

int boot_write_zero_page(struct guest_mem *gm, const struct boot_kernel *k,
			 const struct boot_request *req, uint64_t initrd_gpa, uint64_t initrd_size);
int boot_write_pvh_start_info(struct guest_mem *gm, const struct boot_request *req,
			      uint64_t initrd_gpa, uint64_t initrd_size);

/* Identity page tables for the first 4 GiB and the boot GDT (see layout.h for addresses). */
int boot_write_page_tables(struct guest_mem *gm);
int boot_write_gdt(struct guest_mem *gm);

/* GDT selectors written by boot_write_gdt(). */
#define BOOT_GDT_CODE32 0x08
#define BOOT_GDT_CODE64 0x10 /* __BOOT_CS of the Linux 64-bit boot protocol */
#define BOOT_GDT_DATA   0x18 /* __BOOT_DS */
#define BOOT_GDT_TSS    0x20
#define BOOT_GDT_ENTRIES 6   /* the TSS descriptor takes two slots */

#endif
