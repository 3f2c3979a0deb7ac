// SPDX-License-Identifier: MIT
/*
 * ELF64 kernel loader: PT_LOAD segments go to their physical addresses.  An ELF note
 * XEN_ELFNOTE_PHYS32_ENTRY makes it a PVH kernel (32-bit entry, hvm_start_info); otherwise the ELF
 * entry is a 64-bit entry that takes a Linux zero page in RSI (vmlinux).
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

static bool entry_in_segments(const Elf64_Phdr *ph, unsigned n, uint64_t entry)
{
	for (unsigned i = 0; i < n; i++)
		if (ph[i].p_type == PT_LOAD && entry >= ph[i].p_paddr &&
		    entry - ph[i].p_paddr < ph[i].p_memsz)
			return true;
	return false;
}

int boot_load_elf(struct guest_mem *gm, int fd, uint64_t file_size, struct boot_kernel *k,
		  char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[MAX_PHDRS];
	uint64_t lo = UINT64_MAX, hi = 0, pvh_entry = 0;
	bool pvh = false;
	unsigned nr_load = 0;
	int ret;

	if (file_size < sizeof(eh)) {
		ERR("ELF image is truncated: %llu bytes", (unsigned long long)file_size);
		return -EINVAL;
	}
	ret = pread_exact(fd, &eh, sizeof(eh), 0);
	if (ret) {
		ERR("cannot read the ELF header: %s", strerror(-ret));
		return ret;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		ERR("ELF image is not 64-bit little-endian");
		return -ENOEXEC;
	}
	if (eh.e_machine != EM_X86_64 || eh.e_type != ET_EXEC) {
		ERR("ELF image is not an x86-64 executable (machine %u, type %u)", eh.e_machine,
		    eh.e_type);
		return -ENOEXEC;
	}
	if (eh.e_phnum == 0 || eh.e_phnum > MAX_PHDRS || eh.e_phentsize != sizeof(Elf64_Phdr)) {
		ERR("ELF image has a bad program header table (%u entries of %u bytes)", eh.e_phnum,
		    eh.e_phentsize);
		return -ENOEXEC;
	}
	if (!range_within(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), file_size)) {
		ERR("ELF image is truncated: program headers lie past the end of the file");
		return -EINVAL;
	}
	ret = pread_exact(fd, ph, eh.e_phnum * sizeof(Elf64_Phdr), eh.e_phoff);
	if (ret) {
		ERR("cannot read ELF program headers: %s", strerror(-ret));
		return ret;
	}

	/* Validate every segment before writing anything. */
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];

		if (p->p_type == PT_NOTE && !pvh) {
			uint8_t *notes;
			int found;

			if (!range_within(p->p_offset, p->p_filesz, file_size)) {
				ERR("ELF image is truncated: note segment %u lies past the end", i);
				return -EINVAL;
			}
			if (p->p_filesz == 0 || p->p_filesz > MAX_NOTE_SEGMENT)
				continue;
			notes = malloc(p->p_filesz);
			if (!notes)
				return -ENOMEM;
			ret = pread_exact(fd, notes, p->p_filesz, p->p_offset);
			found = ret ? 0 : find_pvh_note(notes, p->p_filesz, &pvh_entry);
			free(notes);
			if (found < 0) {
				ERR("ELF image has a malformed PVH entry note");
				return -ENOEXEC;
			}
			pvh = found == 1;
			continue;
		}
		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		if (p->p_filesz > p->p_memsz) {
			ERR("ELF segment %u is malformed: file size 0x%llx exceeds memory size 0x%llx",
			    i, (unsigned long long)p->p_filesz, (unsigned long long)p->p_memsz);
			return -ENOEXEC;
		}
		if (!range_within(p->p_offset, p->p_filesz, file_size)) {
			ERR("ELF image is truncated: segment %u needs bytes up to 0x%llx, the file "
			    "has 0x%llx", i, (unsigned long long)(p->p_offset + p->p_filesz),
			    (unsigned long long)file_size);
			return -EINVAL;
		}
		if (p->p_paddr < LAYOUT_KERNEL_ADDR) {
			ERR("ELF segment %u at 0x%llx overlaps cvmm's boot area below 1 MiB", i,
			    (unsigned long long)p->p_paddr);
			return -ENOEXEC;
		}
		if (!guest_mem_is_ram(gm, p->p_paddr, p->p_memsz)) {
			ERR("ELF segment %u [0x%llx, +0x%llx) lies outside guest RAM", i,
			    (unsigned long long)p->p_paddr, (unsigned long long)p->p_memsz);
			return -ENOSPC;
		}
		for (unsigned j = 0; j < i; j++) {
			if (ph[j].p_type != PT_LOAD || ph[j].p_memsz == 0)
				continue;
			if (p->p_paddr < ph[j].p_paddr + ph[j].p_memsz &&
			    ph[j].p_paddr < p->p_paddr + p->p_memsz) {
				ERR("ELF segments %u and %u overlap", j, i);
				return -ENOEXEC;
			}
		}
		lo = MIN(lo, p->p_paddr);
		hi = MAX(hi, p->p_paddr + p->p_memsz);
		nr_load++;
	}
	if (!nr_load) {
		ERR("ELF image has no loadable segment");
		return -ENOEXEC;
	}

	memset(k, 0, sizeof(*k));
	if (pvh) {
		if (pvh_entry >= (1ULL << 32) || !entry_in_segments(ph, eh.e_phnum, pvh_entry)) {
			ERR("PVH entry 0x%llx is not inside a loaded segment below 4 GiB",
			    (unsigned long long)pvh_entry);
			return -ENOEXEC;
		}
		k->kind = BOOT_IMAGE_PVH;
		k->entry = pvh_entry;
	} else {
		if (!entry_in_segments(ph, eh.e_phnum, eh.e_entry)) {
			ERR("ELF entry 0x%llx is not inside a loaded segment (it must be a physical "
			    "address)", (unsigned long long)eh.e_entry);
			return -ENOEXEC;
		}
		k->kind = BOOT_IMAGE_ELF;
		k->entry = eh.e_entry;
	}

	for (unsigned i = 0; i < eh.e_phnum; i++) {
		const Elf64_Phdr *p = &ph[i];
		uint8_t *dst;

		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		dst = guest_mem_ptr(gm, p->p_paddr, p->p_memsz);
		guest_mem_populate(gm, p->p_paddr, p->p_memsz);
		ret = pread_exact(fd, dst, p->p_filesz, p->p_offset);
		if (ret) {
			ERR("cannot read ELF segment %u: %s", i, strerror(-ret));
			return ret;
		}
		memset(dst + p->p_filesz, 0, p->p_memsz - p->p_filesz);
	}
	k->load_start = lo;
	k->load_end = hi;
	k->initrd_addr_max = 0xffffffff;
	k->cmdline_max = LAYOUT_CMDLINE_MAX - 1;
	return 0;
}
