/* SPDX-License-Identifier: MIT */
/* Preprocessed with -DPVH for the PVH image (adds the PT_NOTE carrying the Xen entry note). */
#include "tests/guest/layout.h"

OUTPUT_FORMAT("elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)
ENTRY(entry64)

PHDRS
{
	image PT_LOAD FLAGS(7);
#ifdef PVH
	note PT_NOTE FLAGS(4);
#endif
}

SECTIONS
{
	. = GUEST_LOAD_ADDR;
	.text.head : { KEEP(*(.text.head)) } :image
	. = GUEST_VECTORS_ADDR;
	.boot.fixed : { KEEP(*(.boot.fixed)) } :image
	. = GUEST_FIXED_END;
	.text : { *(.text .text.*) } :image
	.rodata : { *(.rodata .rodata.*) } :image
	.data : { *(.data .data.*) } :image
#ifdef PVH
	.note.Xen : { KEEP(*(.note.Xen)) } :image :note
#endif
	.bss : {
		__bss_start = .;
		*(.bss .bss.* COMMON)
		. = ALIGN(16);
		__bss_end = .;
	} :image
	.stacks (NOLOAD) : { *(.stacks) } :image
	_end = .;
	/DISCARD/ : { *(.comment) *(.note.GNU-stack) *(.note.gnu.*) *(.eh_frame) }
}

ASSERT(entry64 == GUEST_ENTRY64_ADDR, "64-bit entry must sit at load address + 0x200")
ASSERT(ADDR(.boot.fixed) == GUEST_VECTORS_ADDR, "fixed boot data misplaced")
ASSERT(SIZEOF(.boot.fixed) <= GUEST_FIXED_END - GUEST_VECTORS_ADDR, "fixed boot data too big")
