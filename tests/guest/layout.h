/* SPDX-License-Identifier: MIT */
/*
 * Fixed addresses of the test guest, shared by its assembly, C code, linker script and the
 * bzImage setup stub.  The guest is not relocatable: every image form loads it at 1 MiB.
 *
 *   0x100000  32-bit PVH entry
 *   0x100200  64-bit entry (Linux 64-bit boot protocol: load address + 0x200)
 *   0x101000  interrupt stubs, 16 bytes per vector      } statically initialised, so the
 *   0x102000  IDT (256 gates)                           } ring-0 boot path needs only a
 *   0x103000  GDT                                       } few dozen instructions
 *   0x104000  PML4, PDPT, 4 page directories: identity map of 0..4 GiB with 2 MiB pages
 *   0x10a000  TSS with an all-zero I/O permission bitmap (every port allowed to ring 3)
 *   0x10d000  code, data, bss, stacks
 */
#ifndef GUEST_LAYOUT_H
#define GUEST_LAYOUT_H

#define GUEST_LOAD_ADDR    0x100000
#define GUEST_ENTRY64_ADDR 0x100200
#define GUEST_VECTORS_ADDR 0x101000
#define GUEST_VECTOR_SIZE  16
#define GUEST_IDT_ADDR     0x102000
#define GUEST_GDT_ADDR     0x103000
#define GUEST_GDT_SIZE     0x50 /* 8 descriptors + 16-byte TSS descriptor */
#define GUEST_TSS_ADDR     0x10a000
#define GUEST_TSS_IOMAP    104 /* I/O bitmap offset */
#define GUEST_TSS_SIZE     (GUEST_TSS_IOMAP + 8192 + 1) /* bitmap + terminating 0xff byte */
#define GUEST_PML4_ADDR    0x104000
#define GUEST_PDPT_ADDR    0x105000
#define GUEST_PD_ADDR      0x106000 /* 4 pages */
#define GUEST_FIXED_END    0x10d000

/* GDT layout follows Linux's, so selectors mean what a paravirtualising host expects. */
#define SEL_KERNEL32_CS 0x08
#define SEL_KERNEL_CS   0x10
#define SEL_KERNEL_DS   0x18
#define SEL_USER32_CS   0x23
#define SEL_USER_DS     0x2b
#define SEL_USER_CS     0x33
#define SEL_TSS         0x40

/* AP start-up: real-mode trampoline page (SIPI vector = address >> 12). */
#define GUEST_AP_TRAMPOLINE 0x8000

/* Boot kinds recorded by the entry code. */
#define BOOT_KIND_PVH     1
#define BOOT_KIND_LINUX64 2

/* Interrupt vectors.  INT3 (#BP, gate DPL 3) is the system call: see trap.h. */
#define VEC_SYSCALL  3
#define VEC_COM1     0x30
#define VEC_DEVIRQ   0x31
#define VEC_SPURIOUS 0xff

/* Architectural bits the entry code needs. */
#define CR0_PE    0x00000001
#define CR0_PG    0x80000000
#define CR4_PAE   0x00000020
#define CR4_SMEP  0x00100000
#define CR4_SMAP  0x00200000
#define MSR_EFER  0xc0000080
#define EFER_LME  0x00000100
#define RFLAGS_IOPL3 0x3000
#define RFLAGS_IF    0x0200

/* Ports with a meaning to cvmm (and to QEMU's isa-debug-exit). */
#define PORT_DEBUG_EXIT 0x501
#define PORT_BOOT_TIMER 0x502
#define BOOT_TIMER_MAGIC 123

/* Zero-page offsets the bzImage setup stub fills in. */
#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE   0x2d0
#define BP_E820_MAX     128

#ifdef __ASSEMBLER__
/*
 * Everything but the final CR0.PG for long mode: PAE on, CR3 = the identity map, EFER.LME set.
 * Assembles the same in .code16 and .code32; clobbers EAX, ECX and EDX.
 */
.macro LONG_MODE_PREPARE
	movl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$GUEST_PML4_ADDR, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
.endm
#endif

#endif
