/* SPDX-License-Identifier: MIT */
/*
 * Application processor start-up.  smp.c copies the real-mode trampoline to GUEST_AP_TRAMPOLINE
 * and sends INIT-SIPI-SIPI; the AP goes straight from real mode to long mode (PE and PG in one
 * CR0 write), records its APIC ID and halts.  About 25 ring-0 instructions per AP.
 */
#include "tests/guest/layout.h"

	.section .rodata, "a"
	.code16
	.globl	ap_trampoline, ap_trampoline_end
ap_trampoline:
	cli
	movw	%cs, %ax
	movw	%ax, %ds
	lgdtl	ap_gdt_desc - ap_trampoline
	LONG_MODE_PREPARE
	movl	$(CR0_PG | CR0_PE), %eax
	movl	%eax, %cr0
	ljmpl	$SEL_KERNEL_CS, $ap_entry64
	.balign	8
ap_gdt_desc:
	.word	GUEST_GDT_SIZE - 1
	.long	GUEST_GDT_ADDR
ap_trampoline_end:

	.text
	.code64
ap_entry64:
	movq	ap_lapic_base(%rip), %rax
	movl	0x20(%rax), %eax	/* LAPIC ID register, ID in bits 31:24 */
	shrl	$24, %eax
	leaq	ap_arrived(%rip), %rdx
	movb	$1, (%rdx, %rax)
	lock incl ap_count(%rip)
1:	cli
	hlt
	jmp	1b

	.data
	.balign	8
	.globl	ap_lapic_base, ap_count, ap_arrived
ap_lapic_base:
	.quad	0xfee00000
ap_count:
	.long	0
ap_arrived:
	.fill	256, 1, 0

	.section .note.GNU-stack, "", @progbits
