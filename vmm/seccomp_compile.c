// SPDX-License-Identifier: MIT
/*
 * Compiling an allowlist of vmm/seccomp_lists.c with libseccomp (see seccomp_compile.h): the
 * rows a kind of thread and a VM's features select, added in the lists' order, so that the same
 * inputs always give the same program.
 */
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/filter.h>

#include "vmm/seccomp_compile.h"

/* An argument comparison (libseccomp's SCMP_A* macros leave fields out, which clang flags). */
static struct scmp_arg_cmp arg_cmp(unsigned arg, enum scmp_compare op, scmp_datum_t a,
				   scmp_datum_t b)
{
	return (struct scmp_arg_cmp){ .arg = arg, .op = op, .datum_a = a, .datum_b = b };
}

static bool wanted(unsigned threads, unsigned need, enum seccomp_thread kind, unsigned features)
{
	return (threads & (1u << kind)) && (need & features) == need;
}

static int add_ioctls(scmp_filter_ctx ctx, enum seccomp_thread kind, unsigned features)
{
	int ret = 0;

	for (size_t i = 0; i < seccomp_nr_ioctls && !ret; i++) {
		const struct seccomp_ioctl *io = &seccomp_ioctls[i];

		/* The command is an unsigned int to the kernel: compare the low 32 bits. */
		if (wanted(io->threads, io->features, kind, features))
			ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
					       arg_cmp(1, SCMP_CMP_MASKED_EQ, 0xffffffffULL,
						       (scmp_datum_t)io->cmd));
	}
	return ret;
}

/* Allows the call when argument arg is a or b. */
static int allow_either(scmp_filter_ctx ctx, int nr, unsigned arg, scmp_datum_t a, scmp_datum_t b)
{
	int ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, arg_cmp(arg, SCMP_CMP_EQ, a, 0));

	if (!ret)
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1, arg_cmp(arg, SCMP_CMP_EQ, b, 0));
	return ret;
}

static int add_rule(scmp_filter_ctx ctx, const struct seccomp_rule *r, enum seccomp_thread kind,
		    unsigned features)
{
	switch (r->args) {
	case SC_ARGS_ANY:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 0);
	case SC_ARGS_IOCTL:
		return add_ioctls(ctx, kind, features);
	case SC_ARGS_UNIX_SOCKET:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 1,
					arg_cmp(0, SCMP_CMP_EQ, AF_UNIX, 0));
	case SC_ARGS_VSOCK_SOCKET:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 1,
					arg_cmp(0, SCMP_CMP_EQ, AF_VSOCK, 0));
	case SC_ARGS_KICK_SIGNAL:
		return allow_either(ctx, r->nr, 2, SIGUSR1, SIGABRT);
	case SC_ARGS_NAME:
		return allow_either(ctx, r->nr, 0, PR_SET_NAME, PR_GET_NAME);
	case SC_ARGS_NO_EXEC:
		if (!(features & SECCOMP_F_STRICT))
			return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 0);
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 1,
					arg_cmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	}
	return -EINVAL;
}

/* The program as the kernel takes it: libseccomp writes it to a memfd, read back here. */
static int export_prog(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	int fd = memfd_create("cvmm-seccomp", MFD_CLOEXEC);
	off_t len;
	int ret;

	if (fd < 0)
		return -errno;
	ret = seccomp_export_bpf(ctx, fd);
	if (ret)
		goto out;
	len = lseek(fd, 0, SEEK_END);
	if (len <= 0 || len % (off_t)sizeof(struct sock_filter) ||
	    len / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
		ret = -E2BIG;
		goto out;
	}
	prog->filter = malloc((size_t)len);
	if (!prog->filter) {
		ret = -ENOMEM;
		goto out;
	}
	if (pread(fd, prog->filter, (size_t)len, 0) != len) {
		free(prog->filter);
		prog->filter = NULL;
		ret = -EIO;
		goto out;
	}
	prog->len = (unsigned short)(len / (off_t)sizeof(struct sock_filter));
out:
	close(fd);
	return ret;
}

int seccomp_compile(struct sock_fprog *prog, enum seccomp_thread kind, unsigned features)
{
	scmp_filter_ctx ctx;
	int ret = 0;

	memset(prog, 0, sizeof(*prog));
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; i < seccomp_nr_rules && !ret; i++)
		if (wanted(seccomp_rules[i].threads, seccomp_rules[i].features, kind, features))
			ret = add_rule(ctx, &seccomp_rules[i], kind, features);
	if (!ret)
		ret = export_prog(ctx, prog);
	seccomp_release(ctx);
	return ret;
}
