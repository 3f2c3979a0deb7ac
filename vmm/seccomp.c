// SPDX-License-Identifier: MIT
/*
 * Building the seccomp programs with libseccomp, installing one per thread, and the SIGSYS
 * handler that names what a thread was not allowed to do (see seccomp.h).
 *
 * A violation traps (SIGSYS) instead of killing at once, so that the line can name the system
 * call; the handler then makes the same call again with the same arguments.  The filter traps it
 * again while SIGSYS is blocked in the handler, and the kernel then kills the process with SIGSYS
 * (as SECCOMP_RET_KILL_PROCESS would have).
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include <linux/seccomp.h>

#include "vmm/error.h"
#include "vmm/log.h"
#include "vmm/seccomp.h"
#include "vmm/seccomp_compile.h"
#include "vmm/seccomp_lists.h"
#include "vmm/seccomp_prebuilt.h"
#include "vmm/syscall_names.h"

#define MAX_FRAMES     24
#define SCAN_BYTES     (64 << 10) /* of the faulting thread's stack, at most */
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp SIGSYS (asm-generic/siginfo.h) */
#endif

static const char *thread_names[SECCOMP__THREADS] = {
	[SECCOMP_VCPU] = "vcpu",
	[SECCOMP_LOOP] = "loop",
	[SECCOMP_SUPERVISOR] = "supervisor",
};

/* For the handler: names of system calls, resolved before any filter exists. */
static __thread const char *confined_as;
/* The top of the confined thread's stack: the report reads its stack below this, never above. */
static __thread uintptr_t stack_top;
static bool supervisor_api; /* the VM's supervisor serves the API while the VM runs */

const char *seccomp_thread_name(enum seccomp_thread kind)
{
	return kind < SECCOMP__THREADS ? thread_names[kind] : "?";
}

bool seccomp_available(const char **why_not)
{
#if defined(__SANITIZE_ADDRESS__)
	*why_not = "sanitizer build (its runtime needs ptrace, /proc and more)";
	return false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
	*why_not = "sanitizer build (its runtime needs ptrace, /proc and more)";
	return false;
#endif
#endif
	*why_not = NULL;
	return true;
}

unsigned seccomp_features(const struct vm_config *cfg)
{
	unsigned f = 0;

	for (unsigned i = 0; i < cfg->nr_drives; i++) {
		f |= SECCOMP_F_BLK;
		if (!cfg->drives[i].read_only)
			f |= SECCOMP_F_BLK_RW;
		if (cfg->drives[i].engine == BLK_ENGINE_URING)
			f |= SECCOMP_F_URING;
	}
	if (cfg->vsock.enabled)
		f |= SECCOMP_F_VSOCK;
	if (cfg->nr_nets)
		f |= SECCOMP_F_NET;
	if (cfg->tee != TEE_NONE)
		f |= SECCOMP_F_CVM;
	if (cfg->serial == SERIAL_STDIO)
		f |= SECCOMP_F_CONSOLE;
	if (cfg->irqchip == IRQCHIP_SPLIT || cfg->tee == TEE_TDX)
		f |= SECCOMP_F_SPLIT_IRQ;
	if (cfg->seccomp == SECCOMP_LEVEL_STRICT || cfg->sandbox.on)
		f |= SECCOMP_F_STRICT;
	if (cfg->tee == TEE_TDX && cfg->tdx.quote_service)
		f |= SECCOMP_F_QGS;
	if (supervisor_api)
		f |= SECCOMP_F_API;
	return f;
}

void seccomp_supervisor_serves_api(bool on)
{
	supervisor_api = on;
}

/* Writes s into buf at *n (async-signal-safe formatting for the handler). */
static void put_str(char *buf, size_t cap, size_t *n, const char *s)
{
	while (*s && *n < cap)
		buf[(*n)++] = *s++;
}

static void put_num(char *buf, size_t cap, size_t *n, long v)
{
	char digits[24];
	int k = 0;

	if (v < 0) {
		put_str(buf, cap, n, "-");
		v = -v;
	}
	do
		digits[k++] = (char)('0' + v % 10);
	while ((v /= 10) && k < (int)sizeof(digits));
	while (k && *n < cap)
		buf[(*n)++] = digits[--k];
}

static void put_hex(char *buf, size_t cap, size_t *n, uintptr_t v)
{
	static const char hex[] = "0123456789abcdef";
	char digits[2 * sizeof(v)];
	int k = 0;

	do
		digits[k++] = hex[v & 15];
	while ((v >>= 4) && k < (int)sizeof(digits));
	while (k && *n < cap)
		buf[(*n)++] = digits[--k];
}

static void put_frame(const char *what, uintptr_t addr)
{
	char line[64];
	size_t n = 0;

	put_str(line, sizeof(line), &n, what);
	put_hex(line, sizeof(line), &n, addr);
	put_str(line, sizeof(line), &n, "\n");
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nothing left to tell it with */
	}
}

/*
 * Whether the code before v ends with a call instruction, as before a return address: call rel32
 * (e8), or call through a register or memory (ff /2) with no, an 8-bit or a 32-bit displacement,
 * or a SIB byte and a 32-bit one.  Mostly keeps function pointers and data out of the report.
 */
static bool after_call(uintptr_t v, uintptr_t lo)
{
	const uint8_t *c = (const uint8_t *)v;

	if (v - lo < 7)
		return false;
	return c[-5] == 0xe8 || (c[-2] == 0xff && (c[-1] & 0x38) == 0x10) ||
	       (c[-3] == 0xff && (c[-2] & 0x38) == 0x10) ||
	       (c[-6] == 0xff && (c[-5] & 0x38) == 0x10) ||
	       (c[-7] == 0xff && (c[-6] & 0x38) == 0x10);
}

/*
 * Where the call came from, for whoever has to decide whether the list lacks something: the
 * address of the system call, where the code is loaded (a PIE build's addresses less that are
 * what addr2line -e cvmm takes), then the words on the thread's stack that point into cvmm's code
 * just after a call instruction, most recent first.  Like the kernel's "?" entries these are
 * candidates: most are the callers' return addresses, a stale one may slip in.  Reading the
 * stack needs no unwinder, so the report allocates nothing, opens nothing and costs a VM nothing
 * until it is needed; one write() each, since most threads may not use writev.
 */
__attribute__((no_sanitize_address)) static void report_origin(const greg_t *r)
{
	extern const char __executable_start[], etext[];
	uintptr_t lo = (uintptr_t)__executable_start, hi = (uintptr_t)etext;
	uintptr_t sp = (uintptr_t)r[REG_RSP], end;
	unsigned frames = 0;

	put_frame("cvmm:   at 0x", (uintptr_t)r[REG_RIP]);
	put_frame("cvmm:   code loaded at 0x", lo);
	if (!stack_top || sp >= stack_top || sp & 7)
		return;
	end = stack_top - sp > SCAN_BYTES ? sp + SCAN_BYTES : stack_top;
	for (uintptr_t p = sp; p + sizeof(uintptr_t) <= end && frames < MAX_FRAMES; p += 8) {
		uintptr_t v = *(const uintptr_t *)p;

		if (v > lo && v < hi && after_call(v, lo)) {
			put_frame("cvmm:   ? 0x", v);
			frames++;
		}
	}
}

static void sigsys_handler(int sig, siginfo_t *si, void *ctx)
{
	const ucontext_t *uc = ctx;
	const greg_t *r = uc->uc_mcontext.gregs;
	int nr = si->si_syscall;
	char line[256];
	size_t n = 0;

	if (si->si_code != SYS_SECCOMP) {
		/* Someone sent SIGSYS: the handler is gone already (SA_RESETHAND). */
		raise(SIGSYS);
		return;
	}
	put_str(line, sizeof(line), &n, "cvmm: error: seccomp: the ");
	put_str(line, sizeof(line), &n, confined_as ? confined_as : "?");
	put_str(line, sizeof(line), &n, " thread made system call ");
	put_str(line, sizeof(line), &n,
		nr >= 0 && nr < SYSCALL_NAMES_MAX && syscall_names[nr] ? syscall_names[nr] : "?");
	put_str(line, sizeof(line), &n, " (");
	put_num(line, sizeof(line), &n, nr);
	put_str(line, sizeof(line), &n, "), which its list does not allow; cvmm is killed\n");
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nothing left to tell it with */
	}
	report_origin(r);
	/* The same call with the same arguments traps again, now fatally (see the top). */
	syscall(nr, r[REG_RDI], r[REG_RSI], r[REG_RDX], r[REG_R10], r[REG_R8], r[REG_R9]);
	_exit(128 + SIGSYS); /* not reached */
}

/* Every time a filter is built: something may have replaced the handler since the last one. */
static int install_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL) ? -errno : 0;
}

/* kind's program compiled now, with the error that names it. */
static int compile_one(struct sock_fprog *prog, enum seccomp_thread kind, unsigned features,
		       struct error *e)
{
	int ret = seccomp_compile(prog, kind, features);

	if (ret)
		return error_set(e, ERROR_HOST, ret, "seccomp: cannot build the %s filter: %s",
				 thread_names[kind], strerror(-ret));
	return 0;
}

static int handle_sigsys(struct error *e)
{
	int ret = install_handler();

	if (ret)
		return error_set(e, ERROR_HOST, ret, "seccomp: cannot handle SIGSYS: %s",
				 strerror(-ret));
	return 0;
}

int seccomp_build_one(struct sock_fprog *prog, enum seccomp_thread kind, unsigned features,
		      struct error *e)
{
	memset(prog, 0, sizeof(*prog));
	return handle_sigsys(e) ?: compile_one(prog, kind, features, e);
}

int seccomp_build(struct seccomp_filters *f, const struct vm_config *cfg, struct error *e)
{
	const char *why;
	int ret;

	memset(f, 0, sizeof(*f));
	if (cfg->seccomp == SECCOMP_LEVEL_OFF) {
		log_info("seccomp: off (--no-seccomp)");
		return 0;
	}
	if (!seccomp_available(&why)) {
		log_info("seccomp: off: %s", why);
		return 0;
	}
	/*
	 * One malloc arena for every thread: glibc gives a thread arena's memory back only after
	 * reading /proc/sys/vm/overcommit_memory, which a confined thread cannot open (the main
	 * arena uses brk).  cvmm's threads rarely allocate at the same time, and one arena costs
	 * less memory than one per thread.
	 */
	mallopt(M_ARENA_MAX, 1);
	f->features = seccomp_features(cfg);
	ret = handle_sigsys(e);
	if (ret)
		return ret;
	/* Compiled when cvmm was built (vmm/seccomp_prebuilt.h), unless the table lacks them. */
	f->prebuilt = f->features < SECCOMP_F__COMBOS;
	for (int k = 0; k < SECCOMP__THREADS; k++) {
		const struct seccomp_prebuilt_ref *r;

		if (!f->prebuilt) {
			ret = compile_one(&f->prog[k], (enum seccomp_thread)k, f->features, e);
			if (ret) {
				seccomp_free(f);
				return ret;
			}
			continue;
		}
		r = &seccomp_prebuilt[k][f->features];
		f->prog[k].len = r->len;
		f->prog[k].filter = (struct sock_filter *)&seccomp_prebuilt_insns[r->start];
	}
	f->on = true;
	return 0;
}

/* Where the calling thread's stack ends, while it may still ask (glibc reads /proc for it). */
static void note_stack_top(void)
{
	extern void *__libc_stack_end;
	pthread_attr_t attr;
	size_t size;
	void *low;

	stack_top = 0;
	if (getpid() == gettid()) {
		/* The main thread's stack: everything from here up to the start's arguments. */
		stack_top = (uintptr_t)__libc_stack_end;
		return;
	}
	if (pthread_getattr_np(pthread_self(), &attr))
		return;
	if (!pthread_attr_getstack(&attr, &low, &size))
		stack_top = (uintptr_t)low + size;
	pthread_attr_destroy(&attr);
}

int seccomp_enter_prog(const struct sock_fprog *prog, const char *name)
{
	confined_as = name;
	note_stack_top();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog))
		return -errno;
	return 0;
}

int seccomp_enter(const struct seccomp_filters *f, enum seccomp_thread kind, const char *name)
{
	if (!f->on)
		return 0;
	return seccomp_enter_prog(&f->prog[kind], name);
}

void seccomp_prog_free(struct sock_fprog *prog)
{
	free(prog->filter);
	prog->filter = NULL;
	prog->len = 0;
}

void seccomp_free(struct seccomp_filters *f)
{
	for (int k = 0; k < SECCOMP__THREADS; k++) {
		if (!f->prebuilt)
			seccomp_prog_free(&f->prog[k]);
		f->prog[k] = (struct sock_fprog){ 0 };
	}
	f->prebuilt = false;
	f->on = false;
}
