/* SPDX-License-Identifier: MIT */
/*
 * seccomp confinement of cvmm's threads.  Each kind of thread gets an allowlist of the system
 * calls (and, for ioctl, socket, tgkill, mmap and mprotect, the arguments) it makes while the
 * guest runs, narrowed to the devices the VM has (vmm/seccomp_lists.c); anything else kills
 * the process, after one log line naming the thread and the system call.
 *
 *   vcpu         vCPU threads: KVM_RUN and the exits they handle (port and MMIO devices,
 *                conversions of confidential memory, interrupts)
 *   loop         the event loop thread: device backends (disk I/O, vsock sockets, taps), timers
 *   supervisor   the thread that started the VM (main, or the API): waits, signals, stops, and
 *                tears the VM down
 *
 * io_uring's worker threads are the kernel's and run no filter; the rings are restricted to the
 * operations and the file they need instead (devices/blk_uring_restrict.c).
 *
 * The programs are compiled with libseccomp when cvmm is built (vmm/seccomp_prebuilt.h); at run
 * time it compiles only a combination the table lacks.  vm_start() builds nothing: vm_create()
 * picks the three programs (seccomp_build), each thread
 * installs its own (seccomp_enter) before it does anything for the guest, the supervisor last,
 * and only then may the vCPUs run the guest's first instruction.  NO_NEW_PRIVS is set first.
 */
#ifndef CVMM_SECCOMP_H
#define CVMM_SECCOMP_H

#include <stdbool.h>
#include <linux/filter.h>

#include "vmm/config.h"
#include "vmm/seccomp_lists.h"

struct error;

/* The features (SECCOMP_F_*) that decide the optional parts of the lists: seccomp_lists.h. */

struct seccomp_filters {
	bool on;
	bool prebuilt; /* the programs are the build's table (vmm/seccomp_prebuilt.h), not malloc()ed */
	unsigned features;
	struct sock_fprog prog[SECCOMP__THREADS];
};

/* The features a config implies (the sandbox policy's strict mode included). */
unsigned seccomp_features(const struct vm_config *cfg);
/* Whether this build can confine itself (not under sanitizers, whose runtimes need more). */
bool seccomp_available(const char **why_not);

/*
 * The three programs for cfg, from the build's table or else compiled now (nothing when
 * cfg->seccomp is SECCOMP_OFF, or the build cannot; then f->on is false and a line says why), and
 * the handler that names the system call of a violation.  A host error when libseccomp fails.
 */
int seccomp_build(struct seccomp_filters *f, const struct vm_config *cfg, struct error *e);
/* One program, for tests: kind's list for these features. */
int seccomp_build_one(struct sock_fprog *prog, enum seccomp_thread kind, unsigned features,
		      struct error *e);
/*
 * Confines the calling thread: NO_NEW_PRIVS, then kind's program (a no-op when f is off).
 * name is what a violation's log line calls the thread (a string that outlives it).
 */
int seccomp_enter(const struct seccomp_filters *f, enum seccomp_thread kind, const char *name);

/* The same with a single program (tests). */
int seccomp_enter_prog(const struct sock_fprog *prog, const char *name);
void seccomp_free(struct seccomp_filters *f);
void seccomp_prog_free(struct sock_fprog *prog);

const char *seccomp_thread_name(enum seccomp_thread kind);
/* The supervisor (the thread that starts VMs) will serve the API while they run. */
void seccomp_supervisor_serves_api(bool on);

#endif
