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
struct error;

enum boot_entry_mode {
	BOOT_ENTRY_LINUX64, /* long mode at entry, RSI = boot_params (bzImage, ELF vmlinux) */
	BOOT_ENTRY_PVH32,   /* 32-bit protected mode, paging off, EBX = hvm_start_info (PVH ELF) */
};

enum boot_image_kind {
	BOOT_IMAGE_BZIMAGE,
	BOOT_IMAGE_ELF,
	BOOT_IMAGE_PVH,
};

#define BOOT_MAX_SEGMENTS 16

/* A piece of the kernel file that goes to guest memory: file bytes, then zeros up to memsz. */
struct boot_segment {
	uint64_t file_offset;
	uint64_t gpa;
	uint64_t filesz;
	uint64_t memsz;
};

/*
 * A kernel image, parsed and checked against the guest's memory layout but not yet loaded.  The
 * headers were copied out of the file and validated; the segment bytes are read from fd when the
 * kernel is loaded into guest memory (boot_kernel_load), which checks the file again.
 */
struct boot_kernel {
	int fd;                  /* the open image (owned by boot_kernel_open's caller) */
	uint64_t file_size;
	enum boot_image_kind kind;
	uint64_t entry;
	uint64_t load_start;     /* lowest guest byte the image occupies */
	uint64_t load_end;       /* first byte after it (including bss / init_size) */
	struct boot_segment seg[BOOT_MAX_SEGMENTS];
	unsigned nr_seg;
	/* bzImage only: the setup header as found in the file, and its length. */
	uint8_t setup_header[0x290 - 0x1f1];
	size_t setup_header_len;
	uint32_t initrd_addr_max; /* highest address the initrd may occupy (inclusive) */
	uint32_t cmdline_max;     /* longest command line the kernel accepts (without NUL) */
};

/* The initrd: open, sized and placed (as high as the kernel allows), not yet loaded. */
struct boot_initrd {
	int fd;          /* -1: no initrd */
	uint64_t size;   /* 0: none, or an empty file */
	uint64_t gpa;
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
 * Opens the kernel at path, recognises its format and checks it against layout (a guest_mem
 * whose regions describe guest RAM; nothing needs to be mapped).  Errors (class input) name the
 * file and the problem.  On success k->fd is open: boot_kernel_close() releases it.
 */
int boot_kernel_open(struct boot_kernel *k, const char *path, const struct guest_mem *layout,
		     struct error *e);
void boot_kernel_close(struct boot_kernel *k);
/* Copies the segments into guest memory (host pages allocated in one go first). */
int boot_kernel_load(const struct boot_kernel *k, struct guest_mem *gm, struct error *e);

/* Parsers behind boot_kernel_open, exposed for tests: fd is an image of file_size bytes. */
int boot_parse_bzimage(int fd, uint64_t file_size, const struct guest_mem *layout,
		       struct boot_kernel *k, struct error *e);
int boot_parse_elf(int fd, uint64_t file_size, const struct guest_mem *layout,
		   struct boot_kernel *k, struct error *e);

/* Opens the initrd and places it for kernel k; path NULL means none (rd->fd = -1). */
int boot_initrd_open(struct boot_initrd *rd, const char *path, const struct boot_kernel *k,
		     const struct guest_mem *layout, struct error *e);
void boot_initrd_close(struct boot_initrd *rd);
int boot_initrd_load(const struct boot_initrd *rd, struct guest_mem *gm, struct error *e);

/*
 * Writes what the entry point expects: the command line, the zero page or hvm_start_info (with
 * the initrd and the RSDP; rsdp_gpa 0 when there are no ACPI tables), page tables and GDT.
 * cmdline must fit the kernel's limit (boot_cmdline_fits).
 */
int boot_write_info(struct guest_mem *gm, const struct boot_kernel *k,
		    const struct boot_initrd *rd, const char *cmdline, uint64_t rsdp_gpa,
		    struct boot_info *info, struct error *e);
/* Whether the kernel accepts a command line this long (usage error naming the limit if not). */
int boot_cmdline_fits(const struct boot_kernel *k, const char *cmdline, struct error *e);

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

int boot_write_zero_page(struct guest_mem *gm, const struct boot_kernel *k, uint64_t rsdp_gpa,
			 uint64_t initrd_gpa, uint64_t initrd_size);
int boot_write_pvh_start_info(struct guest_mem *gm, uint64_t rsdp_gpa, uint64_t initrd_gpa,
			      uint64_t initrd_size);

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
