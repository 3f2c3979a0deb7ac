// SPDX-License-Identifier: MIT
/*
 * ELF kernel loader: PT_LOAD segments go to their physical addresses.  An ELF note
 * XEN_ELFNOTE_PHYS32_ENTRY makes it a PVH kernel (32-bit entry, hvm_start_info); otherwise the ELF
 * entry is a 64-bit entry that takes a Linux zero page in RSI (vmlinux).
 *
 * ELF64 images must be x86-64.  ELF32 images are accepted only as PVH kernels, since cvmm has no
 * 32-bit Linux entry: they must carry the PVH note, and may be i386 or x86-64 (x32-style, e.g. from
 * `objcopy -O elf32-x86-64`) because the PVH entry is 32-bit protected mode either way.  Both
 * classes are read into one form (struct elf_hdr, struct elf_seg) and go through the same checks.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot.h"
#include "vmm/error.h"
#include "vmm/layout.h"
#include "vmm/memory.h"
#include "vmm/util.h"

#define MAX_PHDRS              128
#define MAX_NOTE_SEGMENT       (64 * 1024)
#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* Every problem of the image is the input file's. */
#define ERR(code, ...) (error_set(e, ERROR_INPUT, code, __VA_ARGS__), (code))

/* The ELF header fields the loader uses, whatever the class of the file. */
struct elf_hdr {
	unsigned int class; /* ELFCLASS32 or ELFCLASS64 */
	uint16_t type, machine;
	uint16_t phentsize, phnum;
	uint64_t entry, phoff;
};

/* One program header, widened to 64 bits. */
struct elf_seg {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

/* Walks one PT_NOTE segment looking for the PVH entry; returns 1 when found. */
static int find_pvh_note(const uint8_t *notes, uint64_t len, uint64_t *entry)
{
	uint64_t off = 0;

	while (len - off >= 12) {
		uint32_t namesz, descsz, type;
		uint64_t name_off, desc_off, next;

		memcpy(&namesz, notes + off, 4);
		memcpy(&descsz, notes + off + 4, 4);
		memcpy(&type, notes + off + 8, 4);
		name_off = off + 12;
		desc_off = name_off + ALIGN_UP((uint64_t)namesz, 4);
		next = desc_off + ALIGN_UP((uint64_t)descsz, 4);
		if (desc_off > len || next > len)
			return 0; /* truncated note: ignore the rest */
		if (type == XEN_ELFNOTE_PHYS32_ENTRY && namesz == 4 &&
		    !memcmp(notes + name_off, "Xen", 4)) {
			if (descsz == 4) {
				uint32_t e;

				memcpy(&e, notes + desc_off, 4);
				*entry = e;
				return 1;
			}
			if (descsz == 8) {
				memcpy(entry, notes + desc_off, 8);
				return 1;
			}
			return -1;
		}
		off = next;
	}
	return 0;
}

static bool entry_in_segments(const struct elf_seg *seg, unsigned n, uint64_t entry)
{
	for (unsigned i = 0; i < n; i++)
		if (seg[i].type == PT_LOAD && entry >= seg[i].paddr &&
		    entry - seg[i].paddr < seg[i].memsz)
			return true;
	return false;
}

/* Reads and checks the ELF header of either class; the bytes are copied out of the file first. */
static int read_elf_header(int fd, uint64_t file_size, struct elf_hdr *h, struct error *e)
{
	uint8_t buf[sizeof(Elf64_Ehdr)];
	size_t need;
	int ret;

	if (file_size < EI_NIDENT)
		return ERR(-EINVAL, "ELF image is truncated: %llu bytes",
			   (unsigned long long)file_size);
	ret = pread_exact(fd, buf, EI_NIDENT, 0);
	if (ret)
		return ERR(ret, "cannot read the ELF header: %s", strerror(-ret));
	if ((buf[EI_CLASS] != ELFCLASS32 && buf[EI_CLASS] != ELFCLASS64) ||
	    buf[EI_DATA] != ELFDATA2LSB)
		return ERR(-ENOEXEC,
			   "ELF image is not 32- or 64-bit little-endian (class %u, data %u)",
			   buf[EI_CLASS], buf[EI_DATA]);
	need = buf[EI_CLASS] == ELFCLASS32 ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr);
	if (file_size < need)
		return ERR(-EINVAL, "ELF image is truncated: %llu bytes",
			   (unsigned long long)file_size);
	ret = pread_exact(fd, buf, need, 0);
	if (ret)
		return ERR(ret, "cannot read the ELF header: %s", strerror(-ret));
	if (buf[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr eh;

		memcpy(&eh, buf, sizeof(eh));
		*h = (struct elf_hdr){ .class = ELFCLASS32, .type = eh.e_type,
				       .machine = eh.e_machine, .phentsize = eh.e_phentsize,
				       .phnum = eh.e_phnum, .entry = eh.e_entry, .phoff = eh.e_phoff };
	} else {
		Elf64_Ehdr eh;

		memcpy(&eh, buf, sizeof(eh));
		*h = (struct elf_hdr){ .class = ELFCLASS64, .type = eh.e_type,
				       .machine = eh.e_machine, .phentsize = eh.e_phentsize,
				       .phnum = eh.e_phnum, .entry = eh.e_entry, .phoff = eh.e_phoff };
	}

	if (h->class == ELFCLASS64 && (h->machine != EM_X86_64 || h->type != ET_EXEC))
		return ERR(-ENOEXEC, "ELF image is not an x86-64 executable (machine %u, type %u)",
			   h->machine, h->type);
	if (h->class == ELFCLASS32 &&
	    ((h->machine != EM_386 && h->machine != EM_X86_64) || h->type != ET_EXEC))
		return ERR(
		    -ENOEXEC,
		    "32-bit ELF image is not an i386 or x86-64 executable (machine %u, type %u)",
		    h->machine, h->type);
	return 0;
}

/* Reads the program header table into seg[], widening ELF32 entries. */
static int read_elf_segments(int fd, uint64_t file_size, const struct elf_hdr *h,
			     struct elf_seg *seg, struct error *e)
{
	size_t entsize = h->class == ELFCLASS32 ? sizeof(Elf32_Phdr) : sizeof(Elf64_Phdr);
	uint8_t table[MAX_PHDRS * sizeof(Elf64_Phdr)];
	int ret;

	if (h->phnum == 0 || h->phnum > MAX_PHDRS || h->phentsize != entsize)
		return ERR(-ENOEXEC,
			   "ELF image has a bad program header table (%u entries of %u bytes)",
			   h->phnum, h->phentsize);
	if (!range_within(h->phoff, (uint64_t)h->phnum * entsize, file_size))
		return ERR(-EINVAL,
			   "ELF image is truncated: program headers lie past the end of the file");
	ret = pread_exact(fd, table, h->phnum * entsize, h->phoff);
	if (ret)
		return ERR(ret, "cannot read ELF program headers: %s", strerror(-ret));
	for (unsigned i = 0; i < h->phnum; i++) {
		const uint8_t *raw = table + i * entsize;

		if (h->class == ELFCLASS32) {
			Elf32_Phdr p;

			memcpy(&p, raw, sizeof(p));
			seg[i] = (struct elf_seg){ .type = p.p_type, .offset = p.p_offset,
						   .paddr = p.p_paddr, .filesz = p.p_filesz,
						   .memsz = p.p_memsz };
		} else {
			Elf64_Phdr p;

			memcpy(&p, raw, sizeof(p));
			seg[i] = (struct elf_seg){ .type = p.p_type, .offset = p.p_offset,
						   .paddr = p.p_paddr, .filesz = p.p_filesz,
						   .memsz = p.p_memsz };
		}
	}
	return 0;
}

int boot_parse_elf(int fd, uint64_t file_size, const struct guest_mem *layout,
		   struct boot_kernel *k, struct error *e)
{
	struct elf_hdr h = { 0 };
	struct elf_seg seg[MAX_PHDRS];
	uint64_t lo = UINT64_MAX, hi = 0, pvh_entry = 0;
	bool pvh = false;
	unsigned nr_load = 0;
	int ret;

	memset(k, 0, sizeof(*k));
	ret = read_elf_header(fd, file_size, &h, e);
	if (ret)
		return ret;
	ret = read_elf_segments(fd, file_size, &h, seg, e);
	if (ret)
		return ret;

	/* Validate every segment before writing anything. */
	for (unsigned i = 0; i < h.phnum; i++) {
		const struct elf_seg *p = &seg[i];

		if (p->type == PT_NOTE && !pvh) {
			uint8_t *notes;
			int found;

			if (!range_within(p->offset, p->filesz, file_size))
				return ERR(
				    -EINVAL,
				    "ELF image is truncated: note segment %u lies past the end", i);
			if (p->filesz == 0 || p->filesz > MAX_NOTE_SEGMENT)
				continue;
			notes = malloc(p->filesz);
			if (!notes)
				return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
			ret = pread_exact(fd, notes, p->filesz, p->offset);
			found = ret ? 0 : find_pvh_note(notes, p->filesz, &pvh_entry);
			free(notes);
			if (found < 0)
				return ERR(-ENOEXEC, "ELF image has a malformed PVH entry note");
			pvh = found == 1;
			continue;
		}
		if (p->type != PT_LOAD || p->memsz == 0)
			continue;
		if (p->filesz > p->memsz)
			return ERR(-ENOEXEC,
				   "ELF segment %u is malformed: file size 0x%llx exceeds memory "
				   "size 0x%llx",
				   i, (unsigned long long)p->filesz, (unsigned long long)p->memsz);
		if (!range_within(p->offset, p->filesz, file_size))
			return ERR(
			    -EINVAL,
			    "ELF image is truncated: segment %u needs bytes up to 0x%llx, the file "
			    "has 0x%llx",
			    i, (unsigned long long)(p->offset + p->filesz),
			    (unsigned long long)file_size);
		if (p->paddr < LAYOUT_KERNEL_ADDR)
			return ERR(-ENOEXEC,
				   "ELF segment %u at 0x%llx overlaps cvmm's boot area below 1 MiB",
				   i, (unsigned long long)p->paddr);
		/* A 32-bit image cannot reach past 4 GiB (both fields are 32-bit: no overflow). */
		if (h.class == ELFCLASS32 && p->paddr + p->memsz > (1ULL << 32))
			return ERR(
			    -ENOEXEC,
			    "ELF segment %u [0x%llx, +0x%llx) runs past 4 GiB in a 32-bit image", i,
			    (unsigned long long)p->paddr, (unsigned long long)p->memsz);
		if (!guest_mem_is_ram(layout, p->paddr, p->memsz))
			return ERR(-ENOSPC,
				   "ELF segment %u [0x%llx, +0x%llx) lies outside guest RAM", i,
				   (unsigned long long)p->paddr, (unsigned long long)p->memsz);
		for (unsigned j = 0; j < i; j++) {
			if (seg[j].type != PT_LOAD || seg[j].memsz == 0)
				continue;
			if (p->paddr < seg[j].paddr + seg[j].memsz &&
			    seg[j].paddr < p->paddr + p->memsz)
				return ERR(-ENOEXEC, "ELF segments %u and %u overlap", j, i);
		}
		if (nr_load == BOOT_MAX_SEGMENTS)
			return ERR(-ENOEXEC, "ELF image has more than %d loadable segments",
				   BOOT_MAX_SEGMENTS);
		k->seg[nr_load++] = (struct boot_segment){
			.file_offset = p->offset, .gpa = p->paddr, .filesz = p->filesz,
			.memsz = p->memsz,
		};
		lo = MIN(lo, p->paddr);
		hi = MAX(hi, p->paddr + p->memsz);
	}
	if (h.class == ELFCLASS32 && !pvh) {
		return ERR(
		    -ENOEXEC,
		    "32-bit ELF image has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); cvmm "
		    "boots 32-bit ELF kernels only through PVH");
	}
	if (!nr_load)
		return ERR(-ENOEXEC, "ELF image has no loadable segment");

	if (pvh) {
		if (pvh_entry >= (1ULL << 32) || !entry_in_segments(seg, h.phnum, pvh_entry))
			return ERR(-ENOEXEC,
				   "PVH entry 0x%llx is not inside a loaded segment below 4 GiB",
				   (unsigned long long)pvh_entry);
		k->kind = BOOT_IMAGE_PVH;
		k->entry = pvh_entry;
	} else {
		if (!entry_in_segments(seg, h.phnum, h.entry))
			return ERR(-ENOEXEC,
				   "ELF entry 0x%llx is not inside a loaded segment (it must be "
				   "a physical address)",
				   (unsigned long long)h.entry);
		k->kind = BOOT_IMAGE_ELF;
		k->entry = h.entry;
	}
	k->fd = fd;
	k->file_size = file_size;
	k->nr_seg = nr_load;
	k->load_start = lo;
	k->load_end = hi;
	k->initrd_addr_max = 0xffffffff;
	k->cmdline_max = LAYOUT_CMDLINE_MAX - 1;
	return 0;
}
