// SPDX-License-Identifier: MIT
/*
 * Kernel loaders against good and malformed images: ELF vmlinux, PVH ELF (ELF64 and ELF32),
 * bzImage, initrd placement.  Images are built here byte by byte, independently of the loaders.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "boot/boot.h"
#include "vmm/error.h"
#include "vmm/layout.h"
#include "vmm/memory.h"
#include "vmm/util.h"

#define MEM_SIZE MiB(64)

struct fixture {
	struct guest_mem gm;
	struct error e;
	char *err; /* e.msg */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(guest_mem_create(&f->gm, MEM_SIZE), 0);
	f->err = f->e.msg;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	guest_mem_destroy(&f->gm);
	free(f);
	return 0;
}

static int file_from(const void *data, size_t len)
{
	int fd = memfd_create("img", 0);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	return fd;
}

/* ---- ELF images ---- */

struct elf_img {
	uint8_t buf[0x3000];
	size_t len;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
};

/* Two segments: text at 1 MiB (0x100 bytes of 0xaa, memsz 0x2000 so bss follows), and a note. */
static void make_elf(struct elf_img *img, bool pvh_note, uint32_t note_desc_size)
{
	uint8_t *note;

	memset(img, 0, sizeof(*img));
	img->eh = (Elf64_Ehdr *)img->buf;
	img->ph = (Elf64_Phdr *)(img->buf + sizeof(Elf64_Ehdr));
	memcpy(img->eh->e_ident, ELFMAG, SELFMAG);
	img->eh->e_ident[EI_CLASS] = ELFCLASS64;
	img->eh->e_ident[EI_DATA] = ELFDATA2LSB;
	img->eh->e_ident[EI_VERSION] = EV_CURRENT;
	img->eh->e_type = ET_EXEC;
	img->eh->e_machine = EM_X86_64;
	img->eh->e_entry = 0x100010;
	img->eh->e_phoff = sizeof(Elf64_Ehdr);
	img->eh->e_phentsize = sizeof(Elf64_Phdr);
	img->eh->e_phnum = 2;

	img->ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_offset = 0x1000, .p_paddr = 0x100000,
				   .p_vaddr = 0xffffffff80100000ULL, .p_filesz = 0x100,
				   .p_memsz = 0x2000 };
	memset(img->buf + 0x1000, 0xaa, 0x100);

	note = img->buf + 0x2000;
	img->ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = 0x2000, .p_filesz = 0 };
	if (pvh_note) {
		uint32_t hdr[3] = { 4, note_desc_size, 18 };
		uint64_t entry = 0x100020;

		memcpy(note, hdr, 12);
		memcpy(note + 12, "Xen", 4);
		memcpy(note + 16, &entry, note_desc_size <= 8 ? note_desc_size : 8);
		img->ph[1].p_filesz = 16 + ALIGN_UP(note_desc_size, 4);
	}
	img->len = 0x2000 + 64;
}

static int load_elf_bytes(struct fixture *f, const void *buf, size_t len, struct boot_kernel *k)
{
	int fd = file_from(buf, len);
	int ret;

	error_clear(&f->e);
	/* Parse against the layout, then load: what the VM does, with RAM of the same size. */
	ret = boot_parse_elf(fd, len, &f->gm, k, &f->e);
	if (!ret)
		ret = boot_kernel_load(k, &f->gm, &f->e);
	if (ret)
		assert_int_equal(f->e.cls, ERROR_INPUT);
	close(fd);
	return ret;
}

static int load_elf(struct fixture *f, struct elf_img *img, struct boot_kernel *k)
{
	return load_elf_bytes(f, img->buf, img->len, k);
}

static void test_elf_vmlinux(void **state)
{
	struct fixture *f = *state;
	struct elf_img img;
	struct boot_kernel k;
	uint8_t *mem;

	memset(guest_mem_ptr(&f->gm, 0x100000, 0x2000), 0x55, 0x2000);
	make_elf(&img, false, 0);
	assert_int_equal(load_elf(f, &img, &k), 0);
	assert_int_equal(k.kind, BOOT_IMAGE_ELF);
	assert_int_equal(k.entry, 0x100010);
	assert_int_equal(k.load_start, 0x100000);
	assert_int_equal(k.load_end, 0x102000);
	mem = guest_mem_ptr(&f->gm, 0x100000, 0x2000);
	assert_int_equal(mem[0], 0xaa);
	assert_int_equal(mem[0xff], 0xaa);
	assert_int_equal(mem[0x100], 0);    /* bss zeroed */
	assert_int_equal(mem[0x1fff], 0);
}

static void test_elf_pvh_note(void **state)
{
	struct fixture *f = *state;
	struct elf_img img;
	struct boot_kernel k;

	make_elf(&img, true, 4);
	assert_int_equal(load_elf(f, &img, &k), 0);
	assert_int_equal(k.kind, BOOT_IMAGE_PVH);
	assert_int_equal(k.entry, 0x100020);
	/* Linux writes the PVH entry as an 8-byte value. */
	make_elf(&img, true, 8);
	assert_int_equal(load_elf(f, &img, &k), 0);
	assert_int_equal(k.kind, BOOT_IMAGE_PVH);
	assert_int_equal(k.entry, 0x100020);
}

static void expect_elf_bytes_error(struct fixture *f, const void *buf, size_t len,
				   const char *needle)
{
	struct boot_kernel k;

	assert_true(load_elf_bytes(f, buf, len, &k) < 0);
	if (!strstr(f->err, needle))
		fail_msg("error '%s' does not mention '%s'", f->err, needle);
}

static void expect_elf_error(struct fixture *f, struct elf_img *img, const char *needle)
{
	expect_elf_bytes_error(f, img->buf, img->len, needle);
}

static void test_elf_malformed(void **state)
{
	struct fixture *f = *state;
	struct elf_img img;

	make_elf(&img, false, 0);
	img.len = 40;
	expect_elf_error(f, &img, "truncated");

	make_elf(&img, false, 0);
	img.eh->e_ident[EI_CLASS] = ELFCLASSNONE;
	expect_elf_error(f, &img, "32- or 64-bit little-endian");

	make_elf(&img, false, 0);
	img.eh->e_ident[EI_DATA] = ELFDATA2MSB;
	expect_elf_error(f, &img, "little-endian");

	make_elf(&img, false, 0);
	img.eh->e_machine = EM_AARCH64;
	expect_elf_error(f, &img, "x86-64");

	make_elf(&img, false, 0);
	img.eh->e_phnum = 0;
	expect_elf_error(f, &img, "program header");

	make_elf(&img, false, 0);
	img.eh->e_phoff = 0x2ff0;
	expect_elf_error(f, &img, "past the end");

	make_elf(&img, false, 0);
	img.ph[0].p_filesz = 0x3000;
	expect_elf_error(f, &img, "exceeds memory size");

	make_elf(&img, false, 0);
	img.ph[0].p_offset = 0x1f80; /* runs past the end of the file */
	expect_elf_error(f, &img, "truncated");

	make_elf(&img, false, 0);
	img.ph[0].p_offset = UINT64_MAX - 0x10; /* offset + size overflows */
	expect_elf_error(f, &img, "truncated");

	make_elf(&img, false, 0);
	img.ph[0].p_paddr = 0x8000;
	expect_elf_error(f, &img, "below 1 MiB");

	make_elf(&img, false, 0);
	img.ph[0].p_paddr = MEM_SIZE - 0x1000;
	expect_elf_error(f, &img, "outside guest RAM");

	make_elf(&img, false, 0);
	img.ph[0].p_paddr = UINT64_MAX - 0xfff; /* wraps */
	expect_elf_error(f, &img, "outside guest RAM");

	make_elf(&img, false, 0);
	img.ph[1] = img.ph[0];
	img.ph[1].p_paddr = 0x101000;
	expect_elf_error(f, &img, "overlap");

	make_elf(&img, false, 0);
	img.eh->e_entry = 0xffffffff81000000ULL;
	expect_elf_error(f, &img, "entry");

	make_elf(&img, false, 0);
	img.ph[0].p_type = PT_NULL;
	expect_elf_error(f, &img, "no loadable segment");

	make_elf(&img, true, 6);
	expect_elf_error(f, &img, "PVH");
}

/* ---- ELF32 PVH images ---- */

struct elf32_img {
	uint8_t buf[0x3000];
	size_t len;
	Elf32_Ehdr *eh;
	Elf32_Phdr *ph;
};

#define ELF32_NOTE_OFF 0x2000

/* Sets the PVH entry in the note make_elf32() wrote (4- or 8-byte descriptor). */
static void set_elf32_pvh_entry(struct elf32_img *img, uint64_t entry)
{
	uint32_t descsz;

	memcpy(&descsz, img->buf + ELF32_NOTE_OFF + 4, 4);
	memcpy(img->buf + ELF32_NOTE_OFF + 16, &entry, descsz == 8 ? 8 : 4);
}

/*
 * The ELF32 counterpart of make_elf(): text at 1 MiB (0x100 bytes of 0xbb, memsz 0x2000), linked
 * at a virtual address that is not its physical one, and a note segment with the PVH entry
 * 0x100020 when pvh_note (descriptor of note_desc_size bytes, 4 or 8) or an empty one.
 */
static void make_elf32(struct elf32_img *img, bool pvh_note, uint32_t note_desc_size)
{
	memset(img, 0, sizeof(*img));
	img->eh = (Elf32_Ehdr *)img->buf;
	img->ph = (Elf32_Phdr *)(img->buf + sizeof(Elf32_Ehdr));
	memcpy(img->eh->e_ident, ELFMAG, SELFMAG);
	img->eh->e_ident[EI_CLASS] = ELFCLASS32;
	img->eh->e_ident[EI_DATA] = ELFDATA2LSB;
	img->eh->e_ident[EI_VERSION] = EV_CURRENT;
	img->eh->e_type = ET_EXEC;
	img->eh->e_machine = EM_386;
	img->eh->e_entry = 0x100010; /* not the PVH entry: must be ignored */
	img->eh->e_phoff = sizeof(Elf32_Ehdr);
	img->eh->e_ehsize = sizeof(Elf32_Ehdr);
	img->eh->e_phentsize = sizeof(Elf32_Phdr);
	img->eh->e_phnum = 2;

	img->ph[0] = (Elf32_Phdr){ .p_type = PT_LOAD, .p_offset = 0x1000, .p_paddr = 0x100000,
				   .p_vaddr = 0xc0100000, .p_filesz = 0x100, .p_memsz = 0x2000 };
	memset(img->buf + 0x1000, 0xbb, 0x100);

	img->ph[1] = (Elf32_Phdr){ .p_type = PT_NOTE, .p_offset = ELF32_NOTE_OFF, .p_filesz = 0 };
	if (pvh_note) {
		uint32_t hdr[3] = { 4, note_desc_size, 18 };

		memcpy(img->buf + ELF32_NOTE_OFF, hdr, 12);
		memcpy(img->buf + ELF32_NOTE_OFF + 12, "Xen", 4);
		set_elf32_pvh_entry(img, 0x100020);
		img->ph[1].p_filesz = 16 + ALIGN_UP(note_desc_size, 4);
	}
	img->len = ELF32_NOTE_OFF + 64;
}

static void expect_elf32_error(struct fixture *f, struct elf32_img *img, const char *needle)
{
	expect_elf_bytes_error(f, img->buf, img->len, needle);
}

static void test_elf32_pvh(void **state)
{
	struct fixture *f = *state;
	struct elf32_img img;
	struct boot_kernel k;
	uint8_t *mem = guest_mem_ptr(&f->gm, 0x100000, 0x2000);

	memset(mem, 0x55, 0x2000);
	make_elf32(&img, true, 4);
	assert_int_equal(load_elf_bytes(f, img.buf, img.len, &k), 0);
	assert_int_equal(k.kind, BOOT_IMAGE_PVH);
	assert_int_equal(k.entry, 0x100020);
	assert_int_equal(k.load_start, 0x100000);
	assert_int_equal(k.load_end, 0x102000);
	assert_int_equal(k.initrd_addr_max, 0xffffffff);
	assert_int_equal(k.cmdline_max, LAYOUT_CMDLINE_MAX - 1);
	assert_int_equal(mem[0], 0xbb);
	assert_int_equal(mem[0xff], 0xbb);
	assert_int_equal(mem[0x100], 0);    /* bss zeroed */
	assert_int_equal(mem[0x1fff], 0);

	/* An 8-byte descriptor (what `objcopy -O elf32-i386` keeps from an ELF64 PVH kernel). */
	memset(mem, 0x55, 0x2000);
	make_elf32(&img, true, 8);
	set_elf32_pvh_entry(&img, 0x100040);
	assert_int_equal(load_elf_bytes(f, img.buf, img.len, &k), 0);
	assert_int_equal(k.kind, BOOT_IMAGE_PVH);
	assert_int_equal(k.entry, 0x100040);
	assert_int_equal(mem[0], 0xbb);
	assert_int_equal(mem[0x100], 0);

	/* x32-style: ELFCLASS32 with EM_X86_64. */
	make_elf32(&img, true, 4);
	img.eh->e_machine = EM_X86_64;
	assert_int_equal(load_elf_bytes(f, img.buf, img.len, &k), 0);
	assert_int_equal(k.kind, BOOT_IMAGE_PVH);
	assert_int_equal(k.entry, 0x100020);
}

static void test_elf32_malformed(void **state)
{
	struct fixture *f = *state;
	struct elf32_img img;

	/* Header: shorter than Elf32_Ehdr, and shorter than e_ident. */
	make_elf32(&img, true, 4);
	img.len = sizeof(Elf32_Ehdr) - 1;
	expect_elf32_error(f, &img, "truncated");

	make_elf32(&img, true, 4);
	img.len = EI_NIDENT - 1;
	expect_elf32_error(f, &img, "truncated");

	make_elf32(&img, true, 4);
	img.eh->e_ident[EI_DATA] = ELFDATA2MSB;
	expect_elf32_error(f, &img, "little-endian");

	make_elf32(&img, true, 4);
	img.eh->e_machine = EM_ARM;
	expect_elf32_error(f, &img, "not an i386 or x86-64 executable");

	make_elf32(&img, true, 4);
	img.eh->e_type = ET_DYN;
	expect_elf32_error(f, &img, "not an i386 or x86-64 executable");

	/* Program header table. */
	make_elf32(&img, true, 4);
	img.eh->e_phentsize = sizeof(Elf64_Phdr);
	expect_elf32_error(f, &img, "program header table");

	make_elf32(&img, true, 4);
	img.eh->e_phnum = 0;
	expect_elf32_error(f, &img, "program header table");

	make_elf32(&img, true, 4);
	img.eh->e_phnum = 129;
	expect_elf32_error(f, &img, "program header table");

	make_elf32(&img, true, 4);
	img.eh->e_phoff = 0x2ff0;
	expect_elf32_error(f, &img, "program headers lie past the end");

	make_elf32(&img, true, 4);
	img.eh->e_phoff = UINT32_MAX - 0x10; /* would wrap in 32 bits */
	expect_elf32_error(f, &img, "program headers lie past the end");

	/* Segments. */
	make_elf32(&img, true, 4);
	img.ph[0].p_offset = 0x1f80; /* runs past the end of the file */
	expect_elf32_error(f, &img, "segment 0 needs bytes");

	make_elf32(&img, true, 4);
	img.ph[0].p_offset = UINT32_MAX - 0x10; /* offset + size wraps in 32 bits */
	expect_elf32_error(f, &img, "segment 0 needs bytes");

	make_elf32(&img, true, 4);
	img.ph[0].p_filesz = 0x3000;
	expect_elf32_error(f, &img, "exceeds memory size");

	make_elf32(&img, true, 4);
	img.ph[0].p_paddr = 0x8000;
	expect_elf32_error(f, &img, "below 1 MiB");

	make_elf32(&img, true, 4);
	img.ph[0].p_paddr = MEM_SIZE - 0x1000;
	expect_elf32_error(f, &img, "outside guest RAM");

	make_elf32(&img, true, 4);
	img.ph[0].p_paddr = 0xfffff000; /* paddr + memsz wraps in 32 bits */
	expect_elf32_error(f, &img, "past 4 GiB");

	make_elf32(&img, true, 4);
	img.ph[1] = img.ph[0];
	img.ph[1].p_paddr = 0x101000;
	expect_elf32_error(f, &img, "overlap");

	make_elf32(&img, true, 4);
	img.ph[0].p_type = PT_NULL;
	expect_elf32_error(f, &img, "no loadable segment");

	/* The note. */
	make_elf32(&img, true, 4);
	img.ph[1].p_offset = 0x2ff0;
	expect_elf32_error(f, &img, "note segment 1 lies past the end");

	make_elf32(&img, false, 0);
	expect_elf32_error(f, &img, "32-bit ELF image has no PVH entry note");

	make_elf32(&img, true, 4);
	memcpy(img.buf + ELF32_NOTE_OFF + 12, "Xe\0", 4); /* another owner's note 18 */
	expect_elf32_error(f, &img, "no PVH entry note");

	make_elf32(&img, true, 6);
	expect_elf32_error(f, &img, "malformed PVH entry note");

	make_elf32(&img, true, 4);
	set_elf32_pvh_entry(&img, 0x103000); /* past the segment */
	expect_elf32_error(f, &img, "PVH entry 0x103000 is not inside a loaded segment");
}

/* ---- bzImage ---- */

struct bz_img {
	uint8_t buf[0x4000];
	size_t len;
};

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* 4 setup sectors, then 0x2000 bytes of protected-mode kernel. */
static void make_bzimage(struct bz_img *b, bool relocatable, uint64_t pref)
{
	memset(b, 0, sizeof(*b));
	b->buf[0x1f1] = 3; /* setup_sects: 3 + boot sector = 0x800 */
	put32(b->buf + 0x1f4, 0x2000 / 16); /* syssize */
	put16(b->buf + 0x1fe, 0xaa55);
	b->buf[0x201] = 0x66; /* jump: header ends at 0x268 */
	put32(b->buf + 0x202, 0x53726448);
	put16(b->buf + 0x206, 0x020f);
	b->buf[0x211] = 0x01; /* LOADED_HIGH */
	put32(b->buf + 0x22c, 0x37ffffff); /* initrd_addr_max */
	put32(b->buf + 0x230, 0x200000);   /* kernel_alignment */
	b->buf[0x234] = relocatable;
	put16(b->buf + 0x236, 0x3);        /* XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G */
	put32(b->buf + 0x238, 2047);       /* cmdline_size */
	put64(b->buf + 0x258, pref);
	put32(b->buf + 0x260, 0x10000);    /* init_size */
	memset(b->buf + 0x800, 0xcc, 0x2000);
	b->buf[0x800 + 0x200] = 0x90;
	b->len = 0x2800;
}

static int load_bz(struct fixture *f, struct bz_img *b, struct boot_kernel *k)
{
	int fd = file_from(b->buf, b->len);
	int ret;

	error_clear(&f->e);
	ret = boot_parse_bzimage(fd, b->len, &f->gm, k, &f->e);
	if (!ret)
		ret = boot_kernel_load(k, &f->gm, &f->e);
	if (ret)
		assert_int_equal(f->e.cls, ERROR_INPUT);
	close(fd);
	return ret;
}

static void test_bzimage_good(void **state)
{
	struct fixture *f = *state;
	struct bz_img b;
	struct boot_kernel k;
	uint8_t *mem;

	make_bzimage(&b, false, 0x1000000);
	assert_int_equal(load_bz(f, &b, &k), 0);
	assert_int_equal(k.kind, BOOT_IMAGE_BZIMAGE);
	assert_int_equal(k.load_start, LAYOUT_KERNEL_ADDR); /* not relocatable: 1 MiB */
	assert_int_equal(k.entry, LAYOUT_KERNEL_ADDR + 0x200);
	assert_int_equal(k.load_end, LAYOUT_KERNEL_ADDR + 0x10000); /* init_size */
	assert_int_equal(k.cmdline_max, 2047);
	assert_int_equal(k.initrd_addr_max, 0x37ffffff);
	assert_int_equal(k.setup_header_len, 0x268 - 0x1f1);
	mem = guest_mem_ptr(&f->gm, k.entry, 1);
	assert_int_equal(mem[0], 0x90);

	make_bzimage(&b, true, 0x1000000);
	assert_int_equal(load_bz(f, &b, &k), 0);
	assert_int_equal(k.load_start, 0x1000000); /* relocatable: its preferred address */
	assert_int_equal(k.entry, 0x1000200);

	/* A preferred address that does not fit falls back to 1 MiB. */
	make_bzimage(&b, true, MEM_SIZE - 0x1000);
	assert_int_equal(load_bz(f, &b, &k), 0);
	assert_int_equal(k.load_start, LAYOUT_KERNEL_ADDR);
}

static void expect_bz_error(struct fixture *f, struct bz_img *b, const char *needle)
{
	struct boot_kernel k;

	assert_true(load_bz(f, b, &k) < 0);
	if (!strstr(f->err, needle))
		fail_msg("error '%s' does not mention '%s'", f->err, needle);
}

static void test_bzimage_malformed(void **state)
{
	struct fixture *f = *state;
	struct bz_img b;

	make_bzimage(&b, false, 0);
	b.len = 0x200;
	expect_bz_error(f, &b, "truncated");

	make_bzimage(&b, false, 0);
	put32(b.buf + 0x202, 0x12345678);
	expect_bz_error(f, &b, "not a kernel image");

	make_bzimage(&b, false, 0);
	put16(b.buf + 0x206, 0x0204);
	expect_bz_error(f, &b, "too old");

	make_bzimage(&b, false, 0);
	put16(b.buf + 0x236, 0);
	expect_bz_error(f, &b, "64-bit");

	make_bzimage(&b, false, 0);
	b.buf[0x211] = 0;
	expect_bz_error(f, &b, "zImage");

	make_bzimage(&b, false, 0);
	b.buf[0x1f1] = 40; /* setup runs past the end */
	expect_bz_error(f, &b, "truncated");

	make_bzimage(&b, false, 0);
	put32(b.buf + 0x1f4, 0x100000); /* syssize larger than the file */
	expect_bz_error(f, &b, "truncated");

	make_bzimage(&b, false, 0);
	put32(b.buf + 0x260, 0xf0000000); /* init_size beyond RAM */
	expect_bz_error(f, &b, "more memory");
}

/* ---- initrd ---- */

/* Opens and loads the initrd at path for kernel k, as the VM does. */
static int place_initrd(struct fixture *f, const char *path, const struct boot_kernel *k,
			uint64_t *gpa, uint64_t *size)
{
	struct boot_initrd rd;
	int ret;

	error_clear(&f->e);
	ret = boot_initrd_open(&rd, path, k, &f->gm, &f->e);
	if (!ret)
		ret = boot_initrd_load(&rd, &f->gm, &f->e);
	*gpa = rd.gpa;
	*size = rd.size;
	boot_initrd_close(&rd);
	return ret;
}

static void test_initrd_placement(void **state)
{
	struct fixture *f = *state;
	struct boot_kernel k = { .load_start = 0x100000, .load_end = 0x200000,
				 .initrd_addr_max = 0x37ffffff };
	char path[] = "/tmp/cvmm-test-initrd-XXXXXX";
	uint8_t data[5000];
	uint64_t gpa, size;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	assert_int_equal(write(fd, data, sizeof(data)), (ssize_t)sizeof(data));
	close(fd);

	assert_int_equal(place_initrd(f, path, &k, &gpa, &size), 0);
	assert_int_equal(size, sizeof(data));
	assert_true(IS_ALIGNED(gpa, 4096));
	assert_true(gpa + size <= MEM_SIZE);
	assert_true(gpa + size > MEM_SIZE - 4096); /* as high as possible */
	assert_memory_equal(guest_mem_ptr(&f->gm, gpa, size), data, sizeof(data));

	/* The kernel's limit applies. */
	k.initrd_addr_max = 0x1ffffff;
	assert_int_equal(place_initrd(f, path, &k, &gpa, &size), 0);
	assert_true(gpa + size <= 0x2000000);

	/* No room between the kernel and the limit. */
	k.load_end = 0x1fff000;
	assert_int_equal(place_initrd(f, path, &k, &gpa, &size), -ENOSPC);
	assert_non_null(strstr(f->err, "does not fit"));

	unlink(path);
	assert_true(place_initrd(f, path, &k, &gpa, &size) < 0);
	assert_non_null(strstr(f->err, path));
	assert_int_equal(f->e.cls, ERROR_INPUT);
}

/* A file that shrinks between open and load is an error at load time, not zeros. */
static void test_file_shrinks_after_open(void **state)
{
	struct fixture *f = *state;
	struct boot_kernel k = { .load_end = 0x200000, .initrd_addr_max = 0x37ffffff };
	char path[] = "/tmp/cvmm-test-initrd-XXXXXX";
	struct boot_initrd rd;
	uint8_t data[8192] = { 1 };
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, sizeof(data)), (ssize_t)sizeof(data));
	error_clear(&f->e);
	assert_int_equal(boot_initrd_open(&rd, path, &k, &f->gm, &f->e), 0);
	assert_int_equal(ftruncate(fd, 100), 0);
	close(fd);
	assert_true(boot_initrd_load(&rd, &f->gm, &f->e) < 0);
	assert_non_null(strstr(f->err, "shrank"));
	boot_initrd_close(&rd);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_elf_vmlinux, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elf_pvh_note, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elf_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elf32_pvh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elf32_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bzimage_good, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bzimage_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_initrd_placement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_shrinks_after_open, setup, teardown),
	};

	return cmocka_run_group_tests_name("boot loaders", tests, NULL, NULL);
}
