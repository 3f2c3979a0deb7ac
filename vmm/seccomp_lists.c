// SPDX-License-Identifier: MIT
/*
 * What each kind of cvmm thread may do once the VM runs.  One row per system call and the
 * threads that make it, with the device that needs it (SECCOMP_F_*, all of them; 0: any VM).
 * Whatever is not here is a violation: no exec, fork, ptrace, open, network sockets, mounts,
 * keyrings, BPF, io_uring set-up, namespaces, module loading, ...  Everything a thread opens, it
 * opened before the filters were installed.
 */
#include <seccomp.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <asm-generic/ioctls.h>

#include "vmm/kvm_uapi_ext.h"
#include "vmm/seccomp_lists.h"

#define ROW(name, threads, features) { SCMP_SYS(name), threads, features, SC_ARGS_ANY }
#define ROW_ARGS(name, threads, features, args) { SCMP_SYS(name), threads, features, args }

const struct seccomp_rule seccomp_rules[] = {
	/* Every thread: logging, locks, memory (malloc, thread stacks), time, signals, exit. */
	ROW(read, SC_ALL, 0),               /* eventfds, timerfds, signalfd, stdin */
	ROW(write, SC_ALL, 0),              /* log lines, eventfds, console output */
	ROW(close, SC_ALL, 0),
	ROW(futex, SC_ALL, 0),
	ROW(brk, SC_ALL, 0),
	ROW_ARGS(mmap, SC_ALL, 0, SC_ARGS_NO_EXEC),
	ROW_ARGS(mprotect, SC_ALL, 0, SC_ARGS_NO_EXEC), /* malloc arenas; device views (cvm) */
	ROW(munmap, SC_ALL, 0),
	ROW(mremap, SC_ALL, 0),             /* realloc of large blocks */
	ROW(madvise, SC_ALL, 0),            /* free(), thread exit, populate */
	ROW(clock_gettime, SC_ALL, 0),      /* when the vDSO cannot answer */
	ROW(clock_nanosleep, SC_ALL, 0),
	ROW(nanosleep, SC_ALL, 0),
	ROW(sched_yield, SC_ALL, 0),        /* blk polling */
	ROW(getpid, SC_ALL, 0),             /* pthread_kill */
	ROW(gettid, SC_ALL, 0),
	ROW_ARGS(tgkill, SC_ALL, 0, SC_ARGS_KICK_SIGNAL), /* vCPU kicks (vm_stop from any thread) */
	ROW(rt_sigprocmask, SC_ALL, 0),
	ROW(rt_sigreturn, SC_ALL, 0),       /* the vCPU kick handler */
	ROW(restart_syscall, SC_ALL, 0),
	ROW(exit, SC_ALL, 0),
	ROW(exit_group, SC_ALL, 0),
	ROW_ARGS(ioctl, SC_ALL, 0, SC_ARGS_IOCTL),
	ROW_ARGS(prctl, SC_ALL, 0, SC_ARGS_NAME), /* log lines with the thread's name */

	/* vCPU threads: confidential-memory conversions punch out the memory given up. */
	ROW(fallocate, SC_VCPU | SC_SUP, SECCOMP_F_CVM), /* ... and the last at tear-down */
	/* A driver resetting a drive waits for its io_uring requests. */
	ROW(io_uring_enter, SC_VCPU, SECCOMP_F_URING),

	/* The event loop. */
	ROW(epoll_wait, SC_LOOP, 0),
	ROW(epoll_pwait, SC_LOOP, 0),
	ROW(epoll_ctl, SC_LOOP | SC_SUP, 0),
	ROW(timerfd_create, SC_LOOP, 0),
	ROW(timerfd_settime, SC_LOOP, 0),
	ROW(readv, SC_LOOP, 0),  /* virtio-net's frames from and to the tap */
	ROW(writev, SC_LOOP, 0),
	/* ... drives (sync engine, discard / write-zeroes, flushes) */
	ROW(pread64, SC_LOOP, SECCOMP_F_BLK),
	ROW(preadv, SC_LOOP, SECCOMP_F_BLK),
	ROW(preadv2, SC_LOOP, SECCOMP_F_BLK),
	ROW(pwrite64, SC_LOOP, SECCOMP_F_BLK_RW),
	ROW(pwritev, SC_LOOP, SECCOMP_F_BLK_RW),
	ROW(pwritev2, SC_LOOP, SECCOMP_F_BLK_RW),
	ROW(fdatasync, SC_LOOP | SC_SUP, SECCOMP_F_BLK), /* FLUSH also on read-only drives */
	ROW(fallocate, SC_LOOP, SECCOMP_F_BLK_RW),
	ROW(io_uring_enter, SC_LOOP | SC_SUP, SECCOMP_F_URING),
	/* ... vsock: host clients, and connections the guest opens to host listeners */
	ROW(accept4, SC_LOOP, SECCOMP_F_VSOCK),
	ROW_ARGS(socket, SC_LOOP, SECCOMP_F_VSOCK, SC_ARGS_UNIX_SOCKET),
	ROW(connect, SC_LOOP, SECCOMP_F_VSOCK),
	ROW(recvfrom, SC_LOOP, SECCOMP_F_VSOCK),
	ROW(recvmsg, SC_LOOP, SECCOMP_F_VSOCK),
	ROW(sendto, SC_LOOP, SECCOMP_F_VSOCK),
	ROW(sendmsg, SC_LOOP, SECCOMP_F_VSOCK),
	ROW(shutdown, SC_LOOP, SECCOMP_F_VSOCK),

	/* TDX GetQuote: the loop talks to the quote generation service (Unix or vsock socket). */
	ROW_ARGS(socket, SC_LOOP, SECCOMP_F_QGS, SC_ARGS_UNIX_SOCKET),
	ROW_ARGS(socket, SC_LOOP, SECCOMP_F_QGS, SC_ARGS_VSOCK_SOCKET),
	ROW(connect, SC_LOOP, SECCOMP_F_QGS),
	ROW(recvfrom, SC_LOOP, SECCOMP_F_QGS),
	ROW(sendto, SC_LOOP, SECCOMP_F_QGS),
	ROW(getsockopt, SC_LOOP, SECCOMP_F_QGS), /* the result of a non-blocking connect */

	/* The supervisor: waits for signals or the VM's end, stops it, tears it down. */
	ROW(poll, SC_SUP, 0),
	ROW(ppoll, SC_SUP, 0),
	ROW(unlink, SC_SUP, SECCOMP_F_VSOCK), /* the vsock socket file */
	/*
	 * ... and, with the API, serves it while the VM runs: its connections (libmicrohttpd in
	 * external-epoll mode), the metrics timer and file, drives swapped by PATCH /drives (the new
	 * image opened, checked and locked here), Ctrl+Alt+Del, pause and resume.
	 */
	ROW(accept4, SC_SUP, SECCOMP_F_API),
	/* Each connection of a table that takes descriptors is relayed through a socketpair. */
	ROW_ARGS(socketpair, SC_SUP, SECCOMP_F_API, SC_ARGS_UNIX_SOCKET),
	ROW(recvfrom, SC_SUP, SECCOMP_F_API),
	ROW(recvmsg, SC_SUP, SECCOMP_F_API),
	ROW(sendto, SC_SUP, SECCOMP_F_API),
	ROW(sendmsg, SC_SUP, SECCOMP_F_API),
	ROW(writev, SC_SUP, SECCOMP_F_API),
	ROW(shutdown, SC_SUP, SECCOMP_F_API),
	ROW(setsockopt, SC_SUP, SECCOMP_F_API),
	ROW(getsockopt, SC_SUP, SECCOMP_F_API),
	ROW(fcntl, SC_SUP, SECCOMP_F_API),
	ROW(epoll_wait, SC_SUP, SECCOMP_F_API),
	ROW(epoll_pwait, SC_SUP, SECCOMP_F_API),
	ROW(timerfd_create, SC_SUP, SECCOMP_F_API),
	ROW(timerfd_settime, SC_SUP, SECCOMP_F_API),
	ROW(openat, SC_SUP, SECCOMP_F_API),
	ROW(newfstatat, SC_SUP, SECCOMP_F_API),
	ROW(fstat, SC_SUP, SECCOMP_F_API),
	ROW(statx, SC_SUP, SECCOMP_F_API),
	ROW(lseek, SC_SUP, SECCOMP_F_API),
	ROW(unlink, SC_SUP, SECCOMP_F_API),
};

const size_t seccomp_nr_rules = sizeof(seccomp_rules) / sizeof(seccomp_rules[0]);

const struct seccomp_ioctl seccomp_ioctls[] = {
	{ KVM_RUN, SC_VCPU, 0 },
	{ KVM_GET_REGS, SC_VCPU, 0 },  /* the line of a fatal guest error */
	{ KVM_GET_SREGS, SC_VCPU, 0 },
	/* Interrupt lines of port devices (vCPU) and of console input (loop). */
	{ KVM_IRQ_LINE, SC_VCPU | SC_LOOP, 0 },
	{ KVM_SIGNAL_MSI, SC_VCPU | SC_LOOP, SECCOMP_F_SPLIT_IRQ },
	{ KVM_SET_GSI_ROUTING, SC_VCPU, SECCOMP_F_SPLIT_IRQ }, /* IOAPIC redirection writes */
	{ CVMM_KVM_SET_MEMORY_ATTRIBUTES, SC_VCPU, SECCOMP_F_CVM },
	{ CVMM_KVM_MEMORY_ENCRYPT_OP, SC_VCPU, SECCOMP_F_CVM }, /* TDX/SNP exits */
	/* A tap's offloads: the guest's at DRIVER_OK, none at a reset (also the one at tear-down). */
	{ TUNSETOFFLOAD, SC_VCPU | SC_SUP, SECCOMP_F_NET },
	{ BLKDISCARD, SC_LOOP, SECCOMP_F_BLK_RW },
	{ BLKZEROOUT, SC_LOOP, SECCOMP_F_BLK_RW },
	/* Tear-down: notifiers and interrupt eventfds unregistered, the terminal restored. */
	{ KVM_IOEVENTFD, SC_SUP, 0 },
	{ KVM_IRQFD, SC_SUP, 0 },
	{ TCSETS, SC_SUP, SECCOMP_F_CONSOLE },
	/* The API: a swapped drive's size; the keyboard's interrupt for Ctrl+Alt+Del. */
	{ BLKGETSIZE64, SC_SUP, SECCOMP_F_API },
	/* ... a relayed connection: what libmicrohttpd's end still holds (vmm/api_relay.c). */
	{ FIONREAD, SC_SUP, SECCOMP_F_API },
	{ TIOCOUTQ, SC_SUP, SECCOMP_F_API }, /* SIOCOUTQ */
	{ KVM_IRQ_LINE, SC_SUP, SECCOMP_F_API },
	{ KVM_SIGNAL_MSI, SC_SUP, SECCOMP_F_API | SECCOMP_F_SPLIT_IRQ },
};

const size_t seccomp_nr_ioctls = sizeof(seccomp_ioctls) / sizeof(seccomp_ioctls[0]);
