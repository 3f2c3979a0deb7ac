/* SPDX-License-Identifier: MIT */
/*
 * A recording stand-in for vmm/kvm_api.c, linked into every unit-test binary.  Each call is
 * appended to a log (operation name, fd, and up to six integer arguments) and returns the value
 * scripted for that operation (0 by default).  Tests inspect the log to check call order and
 * arguments, e.g. the KVM_SET_MEMORY_ATTRIBUTES / punch-hole pairs of a conversion.
 */
#ifndef CVMM_TEST_KVM_RECORDER_H
#define CVMM_TEST_KVM_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REC_MAX_CALLS 4096
#define REC_MAX_ARGS  6
#define REC_MAX_BLOB  512 /* struct kvm_sregs and kvm_fpu whole */

struct rec_call {
	const char *op;      /* the kvm_api.h function name, e.g. "kvm_set_memory_attributes" */
	int fd;
	uint64_t args[REC_MAX_ARGS];
	uint8_t blob[REC_MAX_BLOB]; /* copy of the struct argument, when there is one */
	size_t blob_len;
};

struct kvm_recorder {
	struct rec_call calls[REC_MAX_CALLS];
	size_t nr_calls;
	size_t dropped;
};

extern struct kvm_recorder kvm_rec;

void rec_reset(void);
/* Every later call of op returns ret (0 restores success). */
void rec_set_result(const char *op, int ret);
/* The next call of op (only) returns ret. */
void rec_fail_next(const char *op, int ret);
/* The call of op after the next n (only) returns ret. */
void rec_fail_nth(const char *op, unsigned n, int ret);
/* Index of the n-th (0-based) call of op in the log, or -1. */
long rec_find(const char *op, unsigned n);
size_t rec_count(const char *op);
/* host_punch_hole() also really punches the hole (real memfds in tests); off after rec_reset(). */
void rec_punch_passthrough(bool on);
/*
 * A hook plays the kernel's part of op: it runs after the call is recorded, unless a failure is
 * scripted for that call, gets the call's argument and returns the call's result.  Ops with hooks:
 * kvm_memory_encrypt_op for SEV commands (arg: the command struct, e.g. a fake SEV firmware that
 * advances a LAUNCH_UPDATE in place; TDX commands go to the TDX block below instead) and
 * kvm_get_device_attr (arg: the uint64_t to fill).  fn NULL removes it; rec_reset() removes all.
 */
typedef int (*rec_hook_fn)(void *ctx, int fd, void *arg);
void rec_set_hook(const char *op, rec_hook_fn fn, void *ctx);
/*
 * kvm_run() behaves like KVM with a guest that never exits: it sleeps until the vCPU is kicked
 * (immediate_exit, SIGUSR1) and returns -EINTR, unrecorded.  Off after rec_reset().
 */
void rec_run_blocks(bool on);

/*
 * Per-capability answers of kvm_check_extension() (they win over rec_set_result for that op);
 * cleared by rec_reset().  For bit-mask capabilities such as KVM_CAP_VM_TYPES.
 */
void rec_set_cap(long cap, int value);
/* What kvm_get_supported_cpuid() reports (copied; none after rec_reset()). */
struct kvm_cpuid_entry2;
void rec_set_supported_cpuid(const struct kvm_cpuid_entry2 *entries, unsigned nent);

/* ---- TDX: KVM_MEMORY_ENCRYPT_OP with a struct cvmm_kvm_tdx_cmd (ids 0..5) ---- */

#define REC_TDX_MAX_CPUID 64
#define REC_TDX_MAX_MEM   256

struct rec_tdx_mem_call {
	long call;           /* index in kvm_rec.calls */
	uint64_t gpa, nr_pages, source;
	uint32_t flags;
	uint64_t pages_done; /* how many pages this call added before returning */
};

struct rec_tdx {
	/* KVM_TDX_CAPABILITIES answers with these (set by rec_tdx_set_caps) */
	bool have_caps;
	uint64_t supported_attrs, supported_xfam, user_r11, user_r12;
	struct kvm_cpuid_entry2 *caps_cpuid;
	unsigned caps_nent;
	/* the last KVM_TDX_INIT_VM argument: the 256-byte head and its CPUID entries */
	uint8_t init_vm[256];
	uint32_t init_vm_nent, init_vm_padding;
	struct kvm_cpuid_entry2 *init_vm_cpuid; /* REC_TDX_MAX_CPUID entries */
	/* KVM_TDX_INIT_MEM_REGION calls, in order */
	struct rec_tdx_mem_call mem[REC_TDX_MAX_MEM];
	unsigned nr_mem;
};

extern struct rec_tdx rec_tdx;

/*
 * KVM_TDX_CAPABILITIES reports these; -E2BIG (the struct untouched, as the kernel does) while the
 * caller's cpuid.nent is smaller than nent.  Without a call, CAPABILITIES fails with -EINVAL.
 */
void rec_tdx_set_caps(uint64_t attrs, uint64_t xfam, uint64_t user_r11,
		      const struct kvm_cpuid_entry2 *entries, unsigned nent);

/*
 * Called for every page KVM_TDX_INIT_MEM_REGION adds, with the source page as it is at the time
 * of the call.  A scripted -EINTR/-EAGAIN result makes the call add half of the remaining pages
 * first and advance the struct in place, as KVM does when interrupted.
 */
typedef void (*rec_tdx_page_fn)(void *ctx, uint64_t gpa, const uint8_t *page, bool measure);
void rec_tdx_on_page(rec_tdx_page_fn fn, void *ctx);

#endif
