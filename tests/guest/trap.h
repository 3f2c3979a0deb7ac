/* SPDX-License-Identifier: MIT */
/*
 * Ring-0 side of the guest: interrupt/exception dispatch and a tiny system-call interface through
 * which ring-3 code reaches the few privileged operations it needs.  To add one: a SYS_ number
 * here and a case in trap.c's do_syscall().
 *
 * The gate is INT3 (#BP, IDT gate DPL 3; RAX = number, RDI = argument, result in RAX), because
 * it is the one ring-3 -> ring-0 transition that works on every host tried: on a PVM host,
 * "int $0x80" from ring 3 raises #UD and SYSCALL lands at LSTAR still in user mode, while
 * exceptions are delivered through the IDT as on hardware.  That host also ignores RFLAGS.IOPL
 * for ring 3 (ports are granted by the TSS I/O bitmap instead), so CLI/STI go through here too.
 */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

#include <stdint.h>

/* Pushed by entry.S's isr_common below the vector stub's (error, vector) and the CPU frame. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

enum syscall_nr {
	SYS_NOP,	/* returns its argument + 1: proves the gate round trip */
	SYS_HALT,	/* cli; hlt forever */
	SYS_READ_CR,	/* arg 0/3/4 -> CR0/CR3/CR4 */
	SYS_RDMSR,	/* arg = MSR index */
	SYS_SET_IF,	/* arg != 0: ring 3 continues with interrupts enabled, 0: disabled */
	SYS_MAX
};

typedef void (*trap_handler_t)(struct trap_frame *frame);

/* Installs a ring-0 handler for an interrupt vector (32..254); called from ring 3. */
void trap_set_handler(unsigned int vector, trap_handler_t handler);

/* Ring 0 only. */
void trap_dispatch(struct trap_frame *frame);

__attribute__((noreturn)) void halt_forever(void);

static inline uint64_t syscall1(enum syscall_nr nr, uint64_t arg)
{
	uint64_t ret = nr;

	asm volatile("int3" : "+a"(ret) : "D"(arg) : "memory");
	return ret;
}

#endif
