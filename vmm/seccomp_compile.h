/* SPDX-License-Identifier: MIT */
/*
 * The allowlists of vmm/seccomp_lists.c compiled into BPF programs with libseccomp.  The build
 * runs it for every kind of thread and every combination of features
 * (scripts/gen-seccomp-prebuilt.c), and cvmm takes its programs from that table
 * (vmm/seccomp_prebuilt.h); at run time it compiles only what the table lacks.
 */
#ifndef CVMM_SECCOMP_COMPILE_H
#define CVMM_SECCOMP_COMPILE_H

#include <linux/filter.h>

#include "vmm/seccomp_lists.h"

/*
 * kind's list for these features (SECCOMP_F_*) as the kernel takes it: prog->filter is
 * malloc()ed (free it), violations trap (SIGSYS).  0, or -errno when libseccomp fails.
 */
int seccomp_compile(struct sock_fprog *prog, enum seccomp_thread kind, unsigned features);

#endif
