/* SPDX-License-Identifier: MIT */
/*
 * Entry paths.  Ring-0 code is emulated instruction by instruction on some hosts, so both paths
 * only switch to the guest's own (static) page tables, GDT, IDT and TSS and drop to ring 3 with
 * IOPL=3; everything else runs in ring 3.
 */
#include "tests/guest/layout.h"

	.section .text.head, "ax"

/* Xen PVH: 32-bit protected mode, paging off, EBX = struct hvm_start_info. */
	.code32
	.globl	pvh_entry32
pvh_entry32:
	movl	%ebx, boot_info_addr
	movl	$BOOT_KIND_PVH, boot_kind
	lgdt	gdt_desc
	LONG_MODE_PREPARE
	movl	%cr0, %eax
	orl	$(CR0_PG | CR0_PE), %eax
	movl	%eax, %cr0
	ljmp	$SEL_KERNEL_CS, $common64

/* Linux 64-bit boot protocol: long mode, RSI = struct boot_params, at load address + 0x200. */
	.org	GUEST_ENTRY64_ADDR - GUEST_LOAD_ADDR
	.code64
	.globl	entry64
entry64:
	movq	%rsi, boot_info_addr(%rip)
	movl	$BOOT_KIND_LINUX64, boot_kind(%rip)
	movl	$GUEST_PML4_ADDR, %eax
	movq	%rax, %cr3
common64:
	lgdt	gdt_desc(%rip)
	lidt	idt_desc(%rip)
	movw	$SEL_TSS, %ax
	ltr	%ax
	movq	%cr4, %rax
	andq	$~(CR4_SMEP | CR4_SMAP), %rax
	movq	%rax, %cr4
	movq	$kstack_top, %rsp
	pushq	$SEL_USER_DS
	pushq	$ustack_top
	pushq	$(RFLAGS_IOPL3 | 2)
	pushq	$SEL_USER_CS
	pushq	$ring3_start
	iretq

	.text
/* Ring 3 from here on: mark the boot time, clear .bss, run the checks. */
ring3_start:
	movw	$PORT_BOOT_TIMER, %dx
	movb	$BOOT_TIMER_MAGIC, %al
	outb	%al, %dx
	cld
	movq	$__bss_start, %rdi
	movq	$__bss_end, %rcx
	subq	%rdi, %rcx
	xorl	%eax, %eax
	rep stosb
	call	guest_main
1:	jmp	1b

/*
 * Every vector stub pushes (error code or 0, vector) and lands here.  The frame layout is
 * struct trap_frame in trap.h.
 */
	.globl	isr_common
isr_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi
	call	trap_dispatch
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp
	iretq

	.data
	.balign	8
	.globl	boot_info_addr, boot_kind
boot_info_addr:
	.quad	0
boot_kind:
	.long	0

	.section .stacks, "aw", @nobits
	.globl	kstack_top, ustack_top
	.balign	4096
	.space	16384
kstack_top:
	.space	65536
ustack_top:

	.section .note.GNU-stack, "", @progbits
