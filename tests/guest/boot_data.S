/* SPDX-License-Identifier: MIT */
/*
 * Statically initialised descriptor tables and page tables at the fixed addresses of layout.h,
 * so the entry code just loads them.
 */
#include "tests/guest/layout.h"

	.section .boot.fixed, "awx"
	.code64

/* GUEST_VECTORS_ADDR: one 16-byte stub per vector. */
vectors:
	.set	vec, 0
	.rept	256
	/* vectors whose exceptions push an error code */
	.if	vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30
	.else
	pushq	$0
	.endif
	pushq	$vec
	jmp	isr_common
	.org	vectors + (vec + 1) * GUEST_VECTOR_SIZE, 0xcc
	.set	vec, vec + 1
	.endr

/* GUEST_IDT_ADDR: interrupt gates to the kernel code segment; #BP (INT3) callable from ring 3. */
	.org	GUEST_IDT_ADDR - GUEST_VECTORS_ADDR
idt:
	.set	vec, 0
	.rept	256
	.word	(GUEST_VECTORS_ADDR + vec * GUEST_VECTOR_SIZE) & 0xffff
	.word	SEL_KERNEL_CS
	.byte	0
	.if	vec == VEC_SYSCALL
	.byte	0xee
	.else
	.byte	0x8e
	.endif
	.word	(GUEST_VECTORS_ADDR + vec * GUEST_VECTOR_SIZE) >> 16
	.long	0, 0
	.set	vec, vec + 1
	.endr

/* GUEST_GDT_ADDR: Linux's layout. */
	.org	GUEST_GDT_ADDR - GUEST_VECTORS_ADDR
	.globl	gdt
gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08 kernel 32-bit code */
	.quad	0x00af9a000000ffff	/* 0x10 kernel 64-bit code */
	.quad	0x00cf92000000ffff	/* 0x18 kernel data */
	.quad	0x00cffa000000ffff	/* 0x20 user 32-bit code */
	.quad	0x00cff2000000ffff	/* 0x28 user data */
	.quad	0x00affa000000ffff	/* 0x30 user 64-bit code */
	.quad	0
	/* 0x40: available 64-bit TSS */
	.word	GUEST_TSS_SIZE - 1
	.word	GUEST_TSS_ADDR & 0xffff
	.byte	(GUEST_TSS_ADDR >> 16) & 0xff
	.byte	0x89
	.byte	0
	.byte	(GUEST_TSS_ADDR >> 24) & 0xff
	.quad	0

	.balign	8
	.globl	gdt_desc, idt_desc
gdt_desc:
	.word	GUEST_GDT_SIZE - 1
	.quad	GUEST_GDT_ADDR
idt_desc:
	.word	256 * 16 - 1
	.quad	GUEST_IDT_ADDR

/* Page tables: user-accessible identity map of 4 GiB, the top GiB uncached (MMIO). */
	.org	GUEST_PML4_ADDR - GUEST_VECTORS_ADDR
	.quad	GUEST_PDPT_ADDR + 0x7
	.fill	511, 8, 0

	.org	GUEST_PDPT_ADDR - GUEST_VECTORS_ADDR
	.quad	GUEST_PD_ADDR + 0x0007
	.quad	GUEST_PD_ADDR + 0x1007
	.quad	GUEST_PD_ADDR + 0x2007
	.quad	GUEST_PD_ADDR + 0x3007
	.fill	508, 8, 0

	.org	GUEST_PD_ADDR - GUEST_VECTORS_ADDR
	.set	pde, 0
	.rept	1536
	.quad	(pde << 21) | 0x87	/* present, writable, user, 2 MiB */
	.set	pde, pde + 1
	.endr
	.rept	512
	.quad	(pde << 21) | 0x9f	/* ... and PWT|PCD */
	.set	pde, pde + 1
	.endr

	.org	GUEST_TSS_ADDR - GUEST_VECTORS_ADDR
/* GUEST_TSS_ADDR */
tss:
	.long	0
	.quad	kstack_top		/* RSP0 */
	.quad	0, 0			/* RSP1, RSP2 */
	.quad	0
	.fill	7, 8, 0			/* IST1..7 */
	.quad	0
	.word	0
	.word	GUEST_TSS_IOMAP
	/*
	 * All ports open to ring 3.  IOPL=3 would do on hardware, but a host that virtualises
	 * RFLAGS.IOPL for user mode may drop it; the bitmap is honoured either way.
	 */
	.fill	8192, 1, 0
	.byte	0xff


	.section .note.GNU-stack, "", @progbits
