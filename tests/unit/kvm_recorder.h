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
 * kvm_memory_encrypt_op (arg: the command struct, e.g. a fake SEV firmware that advances a
 * LAUNCH_UPDATE in place) and kvm_get_device_attr (arg: the uint64_t to fill).  fn NULL removes
 * it; rec_reset() removes all.
 */
typedef int (*rec_hook_fn)(void *ctx, int fd, void *arg);
void rec_set_hook(const char *op, rec_hook_fn fn, void *ctx);
/*
 * kvm_run() behaves like KVM with a guest that never exits: it sleeps until the vCPU is kicked
 * (immediate_exit, SIGUSR1) and returns -EINTR, unrecorded.  Off after rec_reset().
 */
void rec_run_blocks(bool on);

#endif
