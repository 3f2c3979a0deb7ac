/* SPDX-License-Identifier: MIT */
/*
 * Real-mode setup code of cvmm-test.bzImage, for loaders that enter a bzImage the traditional
 * way (at the setup segment + 0x20, e.g. QEMU's option ROMs).  It does what Linux's setup does
 * for this guest: the BIOS E820 map into the zero page at the start of the setup segment
 * (whose setup header the loader already filled in), then long mode with the guest's own page
 * tables and GDT and a jump to the 64-bit entry with RSI = zero page.  Loaders implementing the
 * 64-bit boot protocol never run it.
 *
 * Linked at offset SETUP_STUB_OFFSET of the setup area: the loader sets DS = ES = SS = setup
 * segment, so data references are DS-relative offsets from the start of the setup area.
 */
#include "tests/guest/layout.h"

#define SMAP 0x534d4150

	.code16
	.section .text, "ax"
	.globl	_start
_start:
	cli
	cld
	movw	%ds, %ax
	movw	%ax, %es
	xorl	%ebx, %ebx
	movw	$BP_E820_TABLE, %di
	xorw	%bp, %bp
1:	movl	$0xe820, %eax
	movl	$20, %ecx
	movl	$SMAP, %edx
	int	$0x15
	jc	2f
	cmpl	$SMAP, %eax
	jne	2f
	cmpl	$20, %ecx
	jb	2f
	incw	%bp
	addw	$20, %di
	cmpw	$BP_E820_MAX, %bp
	jae	2f
	testl	%ebx, %ebx
	jnz	1b
2:	movw	%bp, %ax
	movb	%al, BP_E820_ENTRIES

	lgdtl	gdt_desc
	LONG_MODE_PREPARE
	xorl	%esi, %esi
	movw	%ds, %si
	shll	$4, %esi
	movl	$(CR0_PG | CR0_PE), %eax
	movl	%eax, %cr0
	ljmpl	$SEL_KERNEL_CS, $GUEST_ENTRY64_ADDR

	.balign	8
gdt_desc:
	.word	GUEST_GDT_SIZE - 1
	.long	GUEST_GDT_ADDR

	.section .note.GNU-stack, "", @progbits
