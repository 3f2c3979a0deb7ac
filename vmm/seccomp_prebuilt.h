/* SPDX-License-Identifier: MIT */
/*
 * Every seccomp program cvmm can need, compiled by libseccomp when cvmm is built: the build runs
 * scripts/gen-seccomp-prebuilt.c, which writes the table below (seccomp_prebuilt.c in the build
 * directory) for each kind of thread and each combination of SECCOMP_F_* features, identical
 * programs stored once.  Start-up then installs filters without compiling them (milliseconds
 * where user space is slow), and the unit tests check the table against libseccomp itself.
 */
#ifndef CVMM_SECCOMP_PREBUILT_H
#define CVMM_SECCOMP_PREBUILT_H

#include <stdint.h>
#include <linux/filter.h>

#include "vmm/seccomp_lists.h"

struct seccomp_prebuilt_ref {
	uint32_t start; /* index into seccomp_prebuilt_insns */
	uint16_t len;   /* instructions */
};

extern const struct sock_filter seccomp_prebuilt_insns[];
extern const struct seccomp_prebuilt_ref seccomp_prebuilt[SECCOMP__THREADS][SECCOMP_F__COMBOS];

#endif
