/* SPDX-License-Identifier: MIT */
/* The allowlists behind vmm/seccomp.h: data only, read by vmm/seccomp.c. */
#ifndef CVMM_SECCOMP_LISTS_H
#define CVMM_SECCOMP_LISTS_H

#include <stddef.h>

/* What the VM has, which decides the optional parts of the lists. */
#define SECCOMP_F_BLK       (1u << 0) /* drives */
#define SECCOMP_F_BLK_RW    (1u << 1) /* a read-write drive */
#define SECCOMP_F_URING     (1u << 2) /* a drive on the io_uring engine */
#define SECCOMP_F_VSOCK     (1u << 3)
#define SECCOMP_F_CVM       (1u << 4) /* confidential memory: conversions */
#define SECCOMP_F_CONSOLE   (1u << 5) /* COM1 on stdio: terminal restored at the end */
#define SECCOMP_F_SPLIT_IRQ (1u << 6) /* cvmm's own IOAPIC */
#define SECCOMP_F_STRICT    (1u << 7) /* no executable memory (mmap/mprotect PROT_EXEC) */
#define SECCOMP_F_API       (1u << 8) /* the supervisor serves the API while the VM runs */
#define SECCOMP_F_QGS       (1u << 9) /* TDX: a quote generation service to talk to */
#define SECCOMP_F_NET       (1u << 10) /* virtio-net over a tap */
#define SECCOMP_F__COMBOS   (1u << 11) /* how many combinations of the above there are */

/* The kinds of thread (vmm/seccomp.h says what each one does). */
enum seccomp_thread {
	SECCOMP_VCPU,
	SECCOMP_LOOP,
	SECCOMP_SUPERVISOR,
	SECCOMP__THREADS,
};

#define SC_VCPU (1u << 0) /* 1 << SECCOMP_VCPU */
#define SC_LOOP (1u << 1)
#define SC_SUP  (1u << 2)
#define SC_ALL  (SC_VCPU | SC_LOOP | SC_SUP)

/* What a rule allows of the call's arguments. */
enum seccomp_args {
	SC_ARGS_ANY,
	SC_ARGS_IOCTL,       /* the command is in seccomp_ioctls for this thread and VM */
	SC_ARGS_UNIX_SOCKET, /* socket(AF_UNIX, ...) */
	SC_ARGS_VSOCK_SOCKET, /* socket(AF_VSOCK, ...) */
	SC_ARGS_KICK_SIGNAL, /* tgkill(..., SIGUSR1 or SIGABRT) */
	SC_ARGS_NO_EXEC,     /* mmap / mprotect: PROT_EXEC only when not strict */
	SC_ARGS_NAME,        /* prctl(PR_SET_NAME or PR_GET_NAME, ...): a thread's own name */
};

struct seccomp_rule {
	int nr;             /* system call number (x86-64) */
	unsigned threads;   /* SC_* */
	unsigned features;  /* SECCOMP_F_* the VM must have (all of them); 0: always */
	enum seccomp_args args;
};

struct seccomp_ioctl {
	unsigned long cmd;
	unsigned threads;
	unsigned features;  /* any of them; 0: always */
};

extern const struct seccomp_rule seccomp_rules[];
extern const size_t seccomp_nr_rules;
extern const struct seccomp_ioctl seccomp_ioctls[];
extern const size_t seccomp_nr_ioctls;

#endif
