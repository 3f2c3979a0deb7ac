// SPDX-License-Identifier: MIT
/*
 * cvmm-jailer: the order of it all (see jailer.h and docs/sandbox.md).  As root:
 *   arguments checked; the VMM's libraries found; inherited fds closed; environment cleared;
 *   resource limits; <base>/<exec name>/<id>/root made and the VMM copied in; the VM's cgroup
 *   made, limited and joined; new mount, PID, IPC, UTS and cgroup namespaces, and a network
 *   namespace unless --netns names one to join; then a child, PID 1 of the new namespace, pivots
 *   into the jail, creates the device nodes, drops every privilege and execs the VMM.
 * The jailer itself waits: it passes on the signals a supervisor sends it (Kata signals the PID
 * it started) and exits as the VMM did, which also writes <root>/<exec name>.pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jailer/jailer.h"
#include "vmm/error.h"

/*
 * Sanitizer builds: no leak check at exit.  LeakSanitizer stops the process's threads from a
 * helper it clones and finds them through /proc, which fails once the jailer has entered a new
 * PID namespace, and in the jail there is no /proc at all.  test_jailer checks the parts with it.
 */
#if defined(__SANITIZE_ADDRESS__)
#define JAIL_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JAIL_LSAN 1
#endif
#endif
#ifdef JAIL_LSAN
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cvmm-jailer --id ID --exec-file PATH --uid UID --gid GID\n"
		"                   [--chroot-base-dir DIR (default %s)] [--netns PATH]\n"
		"                   [--daemonize] [--new-pid-ns] [--cgroup FILE=VALUE]...\n"
		"                   [--cgroup-version 2] [--parent-cgroup PATH]\n"
		"                   [--resource-limit fsize=N|no-file=N]... [--node N]\n"
		"                   [--memory-overhead-mib N (default %d)] [-- VMM ARGS...]\n"
		"Firecracker's jailer arguments; see docs/sandbox.md.\n",
		JAIL_DEFAULT_BASE, JAIL_DEFAULT_OVERHEAD_MIB);
}

static int fail(const struct error *e)
{
	fprintf(stderr, "cvmm-jailer: error: %s\n", e->msg);
	return error_exit_status(e);
}

/* The child: into the jail, privileges gone, the VMM. */
static void jailed_child(const struct jail_args *a, const char *root,
			 const struct jail_deps *deps, bool tap, int devnull)
{
	char exe[JAIL_PATH_MAX], *argv[JAIL_MAX_VMM_ARGS + 2];
	char *envp[] = { NULL };
	struct error e = ERROR_INIT;
	int n = 0;

	if (sethostname(a->id, strlen(a->id)) < 0)
		error_set(&e, ERROR_HOST, errno, "cannot set the host name: %s", strerror(errno));
	if (!error_is_set(&e) && !jail_enter_root(a, root, deps, tap, &e) && a->daemonize) {
		setsid();
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		dup2(devnull, STDERR_FILENO);
	}
	if (devnull >= 0)
		close(devnull);
	if (!error_is_set(&e))
		jail_drop_privileges(a, &e);
	if (error_is_set(&e))
		_exit(fail(&e));
	snprintf(exe, sizeof(exe), "/%s", jail_exec_name(a));
	argv[n++] = (char *)jail_exec_name(a);
	for (int i = 0; i < a->vmm_argc; i++)
		argv[n++] = a->vmm_argv[i];
	argv[n] = NULL;
	execve(exe, argv, envp);
	fprintf(stderr, "cvmm-jailer: error: cannot run %s in the jail: %s\n", exe, strerror(errno));
	_exit(3);
}

static void write_pid_file(const struct jail_args *a, const char *root, pid_t pid)
{
	char path[JAIL_PATH_MAX + 80];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.pid", root, jail_exec_name(a));
	f = fopen(path, "we");
	if (f) {
		fprintf(f, "%d\n", (int)pid);
		fclose(f);
	}
}

/* Passes supervisor signals on to the VMM and exits as it did. */
static int wait_for(pid_t child)
{
	static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
	siginfo_t si;
	sigset_t set;
	int status;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		pid_t r = waitpid(child, &status, WNOHANG);

		if (r == child)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (r < 0 && errno != EINTR)
			return 3;
		if (sigwaitinfo(&set, &si) > 0 && si.si_signo != SIGCHLD)
			kill(child, si.si_signo);
	}
}

int main(int argc, char **argv)
{
	struct error e = ERROR_INIT;
	struct jail_vm_shape shape;
	struct jail_cgroup cg;
	struct jail_deps deps;
	struct jail_args a;
	char root[JAIL_PATH_MAX];
	int devnull = -1, netns = -1, flags;
	sigset_t block;
	pid_t child;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (jail_parse_args(argc, argv, &a, &e))
		return fail(&e);
	if (jail_elf_deps(a.exec_file, &deps, &e))
		return fail(&e);
	jail_close_fds();
	clearenv();
	if (jail_set_rlimits(&a, &e) || jail_prepare_dir(&a, root, sizeof(root), &e))
		return fail(&e);
	jail_vm_shape(&a, root, &shape);
	if (jail_cgroup_setup(&a, &shape, NULL, &cg, &e))
		return fail(&e);
	if (a.daemonize && (devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		return fail(&(struct error){ .cls = ERROR_HOST, .msg = "cannot open /dev/null" });
	if (a.netns && (netns = open(a.netns, O_RDONLY | O_CLOEXEC)) < 0) {
		error_set(&e, ERROR_INPUT, errno, "--netns %s: %s", a.netns, strerror(errno));
		return fail(&e);
	}
	flags = CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID | CLONE_NEWCGROUP;
	if (netns < 0)
		flags |= CLONE_NEWNET;
	if (unshare(flags) < 0 || (netns >= 0 && setns(netns, CLONE_NEWNET) < 0)) {
		error_set(&e, ERROR_HOST, errno, "cannot enter new namespaces: %s", strerror(errno));
		return fail(&e);
	}
	if (netns >= 0)
		close(netns);
	/* Signals wait until the parent passes them on; the child starts with the default mask. */
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, NULL);
	child = fork();
	if (child < 0) {
		error_set(&e, ERROR_HOST, errno, "cannot start the VMM: %s", strerror(errno));
		return fail(&e);
	}
	if (child == 0) {
		sigprocmask(SIG_UNBLOCK, &block, NULL);
		jailed_child(&a, root, &deps, shape.tap, devnull);
	}
	jail_deps_free(&deps);
	write_pid_file(&a, root, child);
	if (a.daemonize) {
		setsid(); /* fails for a process-group leader: still detached from its terminal */
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		dup2(devnull, STDERR_FILENO);
		close(devnull);
	}
	return wait_for(child);
}
