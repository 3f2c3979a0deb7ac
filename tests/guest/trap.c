// SPDX-License-Identifier: MIT
#include "tests/guest/guest.h"
#include "tests/guest/io.h"
#include "tests/guest/layout.h"
#include "tests/guest/printf.h"
#include "tests/guest/trap.h"

static trap_handler_t handlers[256];

void trap_set_handler(unsigned int vector, trap_handler_t handler)
{
	if (vector >= 32 && vector < 255)
		handlers[vector] = handler;
}

__attribute__((noreturn)) void halt_forever(void)
{
	for (;;)
		asm volatile("cli; hlt");
}

static uint64_t do_syscall(struct trap_frame *f, uint64_t nr, uint64_t arg)
{
	uint64_t v = 0;
	uint32_t lo, hi;

	switch (nr) {
	case SYS_NOP:
		return arg + 1;
	case SYS_HALT:
		halt_forever();
	case SYS_READ_CR:
		if (arg == 0)
			asm volatile("mov %%cr0, %0" : "=r"(v));
		else if (arg == 3)
			asm volatile("mov %%cr3, %0" : "=r"(v));
		else if (arg == 4)
			asm volatile("mov %%cr4, %0" : "=r"(v));
		return v;
	case SYS_SET_IF:
		f->rflags = (f->rflags & ~(uint64_t)RFLAGS_IF) | (arg ? RFLAGS_IF : 0);
		return 0;
	case SYS_RDMSR:
		asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"((uint32_t)arg));
		return (uint64_t)hi << 32 | lo;
	default:
		return (uint64_t)-1;
	}
}

static const char *const exception_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP",
	"#SS", "#GP", "#PF", "?15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

void trap_dispatch(struct trap_frame *f)
{
	char why[200];
	uint64_t cr2;

	if (f->vector == VEC_SYSCALL) {
		f->rax = do_syscall(f, f->rax, f->rdi);
		return;
	}
	if (f->vector == VEC_SPURIOUS)
		return;
	if (f->vector >= 32 && handlers[f->vector]) {
		handlers[f->vector](f);
		return;
	}
	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	snprintf(why, sizeof(why),
		 "exception %lu %s error 0x%lx rip 0x%lx cs 0x%lx rflags 0x%lx rsp 0x%lx cr2 0x%lx",
		 f->vector,
		 f->vector < 32 && exception_names[f->vector] ? exception_names[f->vector] : "",
		 f->error, f->rip, f->cs, f->rflags, f->rsp, cr2);
	guest_abort(why);
}

/* ring0: the system-call gate round-trips; ring 0 sees the long-mode state the entry code set. */
bool check_ring0(struct check_result *res)
{
	uint64_t cr0, cr4, efer;

	if (syscall1(SYS_NOP, 41) != 42) {
		result_add(res, "SYS_NOP through INT3 returned the wrong value");
		return false;
	}
	cr0 = syscall1(SYS_READ_CR, 0);
	cr4 = syscall1(SYS_READ_CR, 4);
	efer = syscall1(SYS_RDMSR, MSR_EFER);
	result_add(res, "cr0 0x%lx cr4 0x%lx efer 0x%lx", cr0, cr4, efer);
	if (!(cr0 & CR0_PG) || !(cr0 & CR0_PE) || !(cr4 & CR4_PAE) || !(efer & (1u << 10))) {
		result_add(res, "not in long mode with paging");
		return false;
	}
	return true;
}
