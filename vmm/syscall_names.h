/* SPDX-License-Identifier: MIT */
#ifndef CVMM_SYSCALL_NAMES_H
#define CVMM_SYSCALL_NAMES_H

/* x86-64 system call names by number (NULL where none), from the kernel's uAPI header. */
#define SYSCALL_NAMES_MAX 512
extern const char *const syscall_names[SYSCALL_NAMES_MAX];

#endif
