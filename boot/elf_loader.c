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
#include "vmm/layout.h"
#include "vmm/memory.h"
#include "vmm/util.h"

#define MAX_PHDRS              128
#define MAX_NOTE_SEGMENT       (64 * 1024)
#define XEN_ELFNOTE_PHYS32_ENTRY 18

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

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
static int read_elf_header(int fd, uint64_t file_size, struct elf_hdr *h, char *err,
			   size_t errlen)
{
	uint8_t buf[sizeof(Elf64_Ehdr)];
	size_t need;
	int ret;

	if (file_size < EI_NIDENT) {
		ERR("ELF image is truncated: %llu bytes", (unsigned long long)file_size);
		return -EINVAL;
	}
	ret = pread_exact(fd, buf, EI_NIDENT, 0);
	if (ret) {
		ERR("cannot read the ELF header: %s", strerror(-ret));
		return ret;
	}
	if ((buf[EI_CLASS] != ELFCLASS32 && buf[EI_CLASS] != ELFCLASS64) ||
	    buf[EI_DATA] != ELFDATA2LSB) {
		ERR("ELF image is not 32- or 64-bit little-endian (class %u, data %u)",
		    buf[EI_CLASS], buf[EI_DATA]);
		return -ENOEXEC;
	}
	need = buf[EI_CLASS] == ELFCLASS32 ? sizeof(Elf32_Ehdr) : sizeof(Elf64_Ehdr);
	if (file_size < need) {
		ERR("ELF image is truncated: %llu bytes", (unsigned long long)file_size);
		return -EINVAL;
	}
	ret = pread_exact(fd, buf, need, 0);
	if (ret) {
		ERR("cannot read the ELF header: %s", strerror(-ret));
		return ret;
	}
	if (buf[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr e;

		memcpy(&e, buf, sizeof(e));
		*h = (struct elf_hdr){ .class = ELFCLASS32, .type = e.e_type,
				       .machine = e.e_machine, .phentsize = e.e_phentsize,
				       .phnum = e.e_phnum, .entry = e.e_entry, .phoff = e.e_phoff };
	} else {
		Elf64_Ehdr e;

		memcpy(&e, buf, sizeof(e));
		*h = (struct elf_hdr){ .class = ELFCLASS64, .type = e.e_type,
				       .machine = e.e_machine, .phentsize = e.e_phentsize,
				       .phnum = e.e_phnum, .entry = e.e_entry, .phoff = e.e_phoff };
	}

	if (h->class == ELFCLASS64 && (h->machine != EM_X86_64 || h->type != ET_EXEC)) {
		ERR("ELF image is not an x86-64 executable (machine %u, type %u)", h->machine,
		    h->type);
		return -ENOEXEC;
	}
	if (h->class == ELFCLASS32 &&
	    ((h->machine != EM_386 && h->machine != EM_X86_64) || h->type != ET_EXEC)) {
		ERR("32-bit ELF image is not an i386 or x86-64 executable (machine %u, type %u)",
		    h->machine, h->type);
		return -ENOEXEC;
	}
	return 0;
}

/* Reads the program header table into seg[], widening ELF32 entries. */
static int read_elf_segments(int fd, uint64_t file_size, const struct elf_hdr *h,
			     struct elf_seg *seg, char *err, size_t errlen)
{
	size_t entsize = h->class == ELFCLASS32 ? sizeof(Elf32_Phdr) : sizeof(Elf64_Phdr);
	uint8_t table[MAX_PHDRS * sizeof(Elf64_Phdr)];
	int ret;

	if (h->phnum == 0 || h->phnum > MAX_PHDRS || h->phentsize != entsize) {
		ERR("ELF image has a bad program header table (%u entries of %u bytes)", h->phnum,
		    h->phentsize);
		return -ENOEXEC;
	}
	if (!range_within(h->phoff, (uint64_t)h->phnum * entsize, file_size)) {
		ERR("ELF image is truncated: program headers lie past the end of the file");
		return -EINVAL;
	}
	ret = pread_exact(fd, table, h->phnum * entsize, h->phoff);
	if (ret) {
		ERR("cannot read ELF program headers: %s", strerror(-ret));
		return ret;
	}
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

int boot_load_elf(struct guest_mem *gm, int fd, uint64_t file_size, struct boot_kernel *k,
		  char *err, size_t errlen)
{
	struct elf_hdr h;
	struct elf_seg seg[MAX_PHDRS];
	uint64_t lo = UINT64_MAX, hi = 0, pvh_entry = 0;
	bool pvh = false;
	unsigned nr_load = 0;
	int ret;

	ret = read_elf_header(fd, file_size, &h, err, errlen);
	if (ret)
		return ret;
	ret = read_elf_segments(fd, file_size, &h, seg, err, errlen);
	if (ret)
		return ret;

	/* Validate every segment before writing anything. */
	for (unsigned i = 0; i < h.phnum; i++) {
		const struct elf_seg *p = &seg[i];

		if (p->type == PT_NOTE && !pvh) {
			uint8_t *notes;
			int found;

			if (!range_within(p->offset, p->filesz, file_size)) {
				ERR("ELF image is truncated: note segment %u lies past the end", i);
				return -EINVAL;
			}
			if (p->filesz == 0 || p->filesz > MAX_NOTE_SEGMENT)
				continue;
			notes = malloc(p->filesz);
			if (!notes)
				return -ENOMEM;
			ret = pread_exact(fd, notes, p->filesz, p->offset);
			found = ret ? 0 : find_pvh_note(notes, p->filesz, &pvh_entry);
			free(notes);
			if (found < 0) {
				ERR("ELF image has a malformed PVH entry note");
				return -ENOEXEC;
			}
			pvh = found == 1;
			continue;
		}
		if (p->type != PT_LOAD || p->memsz == 0)
			continue;
		if (p->filesz > p->memsz) {
			ERR("ELF segment %u is malformed: file size 0x%llx exceeds memory size 0x%llx",
			    i, (unsigned long long)p->filesz, (unsigned long long)p->memsz);
			return -ENOEXEC;
		}
		if (!range_within(p->offset, p->filesz, file_size)) {
			ERR("ELF image is truncated: segment %u needs bytes up to 0x%llx, the file "
			    "has 0x%llx", i, (unsigned long long)(p->offset + p->filesz),
			    (unsigned long long)file_size);
			return -EINVAL;
		}
		if (p->paddr < LAYOUT_KERNEL_ADDR) {
			ERR("ELF segment %u at 0x%llx overlaps cvmm's boot area below 1 MiB", i,
			    (unsigned long long)p->paddr);
			return -ENOEXEC;
		}
		/* A 32-bit image cannot reach past 4 GiB (both fields are 32-bit: no overflow). */
		if (h.class == ELFCLASS32 && p->paddr + p->memsz > (1ULL << 32)) {
			ERR("ELF segment %u [0x%llx, +0x%llx) runs past 4 GiB in a 32-bit image", i,
			    (unsigned long long)p->paddr, (unsigned long long)p->memsz);
			return -ENOEXEC;
		}
		if (!guest_mem_is_ram(gm, p->paddr, p->memsz)) {
			ERR("ELF segment %u [0x%llx, +0x%llx) lies outside guest RAM", i,
			    (unsigned long long)p->paddr, (unsigned long long)p->memsz);
			return -ENOSPC;
		}
		for (unsigned j = 0; j < i; j++) {
			if (seg[j].type != PT_LOAD || seg[j].memsz == 0)
				continue;
			if (p->paddr < seg[j].paddr + seg[j].memsz &&
			    seg[j].paddr < p->paddr + p->memsz) {
				ERR("ELF segments %u and %u overlap", j, i);
				return -ENOEXEC;
			}
		}
		lo = MIN(lo, p->paddr);
		hi = MAX(hi, p->paddr + p->memsz);
		nr_load++;
	}
	if (h.class == ELFCLASS32 && !pvh) {
		ERR("32-bit ELF image has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY); cvmm "
		    "boots 32-bit ELF kernels only through PVH");
		return -ENOEXEC;
	}
	if (!nr_load) {
		ERR("ELF image has no loadable segment");
		return -ENOEXEC;
	}

	memset(k, 0, sizeof(*k));
	if (pvh) {
		if (pvh_entry >= (1ULL << 32) || !entry_in_segments(seg, h.phnum, pvh_entry)) {
			ERR("PVH entry 0x%llx is not inside a loaded segment below 4 GiB",
			    (unsigned long long)pvh_entry);
			return -ENOEXEC;
		}
		k->kind = BOOT_IMAGE_PVH;
		k->entry = pvh_entry;
	} else {
		if (!entry_in_segments(seg, h.phnum, h.entry)) {
			ERR("ELF entry 0x%llx is not inside a loaded segment (it must be a physical "
			    "address)", (unsigned long long)h.entry);
			return -ENOEXEC;
		}
		k->kind = BOOT_IMAGE_ELF;
		k->entry = h.entry;
	}

	for (unsigned i = 0; i < h.phnum; i++) {
		const struct elf_seg *p = &seg[i];
		uint8_t *dst;

		if (p->type != PT_LOAD || p->memsz == 0)
			continue;
		dst = guest_mem_ptr(gm, p->paddr, p->memsz);
		guest_mem_populate(gm, p->paddr, p->memsz);
		ret = pread_exact(fd, dst, p->filesz, p->offset);
		if (ret) {
			ERR("cannot read ELF segment %u: %s", i, strerror(-ret));
			return ret;
		}
		memset(dst + p->filesz, 0, p->memsz - p->filesz);
	}
	k->load_start = lo;
	k->load_end = hi;
	k->initrd_addr_max = 0xffffffff;
	k->cmdline_max = LAYOUT_CMDLINE_MAX - 1;
	return 0;
}
