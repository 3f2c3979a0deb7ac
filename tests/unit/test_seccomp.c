// SPDX-License-Identifier: MIT
/*
 * seccomp: each kind of thread is denied system calls outside its list (exec, ptrace, sockets
 * other than vsock's Unix ones, opening files, fork, ...), which kills the process with SIGSYS
 * after a line naming the thread and the call; what the list allows still works; strict mode
 * refuses executable memory; the features of a VM narrow the lists.  And a whole VM on the
 * recording KVM: by the time vm_start() returns every thread, the caller too, runs with
 * NO_NEW_PRIVS and its filter, and a forbidden call on the loop thread is fatal.
 *
 * Every confinement happens in a child process, which the test then watches from outside.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <seccomp.h>
#include <linux/kvm.h>
#include <linux/sockios.h>

#include "tests/unit/input_files.h"
#include "tests/unit/kvm_recorder.h"
#include "vmm/error.h"
#include "vmm/event_loop.h"
#include "vmm/log.h"
#include "vmm/seccomp.h"
#include "vmm/seccomp_compile.h"
#include "vmm/seccomp_prebuilt.h"
#include "vmm/syscall_names.h"
#include "vmm/vm.h"

/* Every optional part on: the widest list a thread of that kind can have. */
#define ALL_FEATURES                                                                          \
	(SECCOMP_F_BLK | SECCOMP_F_BLK_RW | SECCOMP_F_URING | SECCOMP_F_VSOCK | SECCOMP_F_CVM | \
	 SECCOMP_F_CONSOLE | SECCOMP_F_SPLIT_IRQ)

enum attempt {
	TRY_EXECVE,
	TRY_PTRACE,
	TRY_SOCKET_INET,
	TRY_SOCKET_UNIX,
	TRY_OPENAT,
	TRY_OPENAT_IN_THREAD, /* openat from a thread that confined itself (not the main one) */
	TRY_FORK,
	TRY_MMAP_EXEC,
	TRY_ALLOWED, /* only what every list allows: the child exits 0 */
	TRY_OPENAT_ALLOWED, /* openat where it is allowed: the child exits 0 */
	TRY_API_RELAY, /* an API relay's socketpair and its queue ioctls: the child exits 0 */
	TRY_SOCKETPAIR_INET, /* socketpair of another family */
	TRY_IDLE_SELF, /* the calling thread to SCHED_IDLE */
	TRY_THREAD, /* pthread_create, the thread names itself, joined: the child exits 0 */
	TRY_CLONE_PROCESS, /* clone without CLONE_THREAD: a new process */
	TRY_LOG_FILE, /* a first log line to a log file (Firecracker's logger): the child exits 0 */
	TRY_PRCTL_OTHER, /* prctl other than the thread's name */
};

static void *named_thread(void *arg)
{
	return (void *)(long)pthread_setname_np(pthread_self(), "t");
}

struct outcome {
	int status;
	char err[8192]; /* the child's stderr (its start) */
};

struct thread_try {
	enum seccomp_thread kind;
	unsigned features;
};

/* A thread of the child that confines itself, then opens a file (its own frame, as below). */
__attribute__((noinline)) static void *confined_openat(void *arg)
{
	const struct thread_try *t = arg;
	struct sock_fprog prog;

	if (seccomp_build_one(&prog, t->kind, t->features, NULL) ||
	    seccomp_enter_prog(&prog, seccomp_thread_name(t->kind)))
		_exit(90);
	syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
	_exit(92);
}

/* In a child: confine as kind with features, then make the attempt (its own frame: the report
 * must find the return address into it). */
__attribute__((noinline)) static void run_child(enum seccomp_thread kind, unsigned features,
						enum attempt what)
{
	struct sock_fprog prog;
	char *argv[] = { "/bin/true", NULL };
	void *p;

	/* As in cvmm, whose threads all start after some thread did (glibc's set-up then). */
	if (what == TRY_THREAD) {
		pthread_t t;

		if (pthread_create(&t, NULL, named_thread, NULL) || pthread_join(t, NULL))
			_exit(93);
	}
	if (what == TRY_LOG_FILE && log_open_file("/dev/null", NULL))
		_exit(94);
	if (what == TRY_OPENAT_IN_THREAD) {
		struct thread_try t = { kind, features };
		pthread_t th;

		if (pthread_create(&th, NULL, confined_openat, &t) || pthread_join(th, NULL))
			_exit(95);
		_exit(92);
	}
	if (seccomp_build_one(&prog, kind, features, NULL) ||
	    seccomp_enter_prog(&prog, seccomp_thread_name(kind)))
		_exit(90);
	switch (what) {
	case TRY_EXECVE:
		execve(argv[0], argv, NULL);
		break;
	case TRY_PTRACE:
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		break;
	case TRY_SOCKET_INET:
		socket(AF_INET, SOCK_STREAM, 0);
		break;
	case TRY_SOCKET_UNIX:
		if (socket(AF_UNIX, SOCK_STREAM, 0) >= 0)
			_exit(0);
		break;
	case TRY_OPENAT:
		syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
		break;
	case TRY_OPENAT_IN_THREAD:
		break;
	case TRY_FORK:
		syscall(SYS_fork);
		break;
	case TRY_MMAP_EXEC:
		p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED)
			_exit(0);
		break;
	case TRY_API_RELAY: {
		int sv[2], n;

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0 &&
		    ioctl(sv[0], FIONREAD, &n) == 0 && ioctl(sv[0], SIOCOUTQ, &n) == 0)
			_exit(0);
		break;
	}
	case TRY_SOCKETPAIR_INET: {
		int sv[2];

		syscall(SYS_socketpair, AF_INET, SOCK_STREAM, 0, sv);
		break;
	}
	case TRY_IDLE_SELF: {
		struct sched_param sp = { 0 };

		if (sched_setscheduler(0, SCHED_IDLE, &sp) == 0)
			_exit(0);
		break;
	}
	case TRY_THREAD: {
		pthread_t t;
		void *ret = (void *)1L;

		if (!pthread_create(&t, NULL, named_thread, NULL) && !pthread_join(t, &ret) && !ret)
			_exit(0);
		break;
	}
	case TRY_LOG_FILE:
		/* The line names the thread: glibc asks the kernel (prctl) the first time. */
		log_error("first line of this thread");
		_exit(0);
	case TRY_PRCTL_OTHER:
		prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		break;
	case TRY_CLONE_PROCESS:
		syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
		break;
	case TRY_OPENAT_ALLOWED:
		if (syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY) >= 0)
			_exit(0);
		break;
	case TRY_ALLOWED:
		/* An ioctl the thread may make (the fd is no KVM fd: ENOTTY), a write, memory. */
		p = malloc(1 << 20);
		free(p);
		if (write(STDERR_FILENO, "alive\n", 6) != 6)
			_exit(91);
		_exit(0);
	}
	_exit(92); /* the attempt returned: not killed */
}

static struct outcome attempt(enum seccomp_thread kind, unsigned features, enum attempt what)
{
	struct outcome o = { 0 };
	int pipefd[2];
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pipefd[0]);
		dup2(pipefd[1], STDERR_FILENO);
		run_child(kind, features, what);
	}
	close(pipefd[1]);
	/* Everything is read, whatever fits is kept: the child must never block or get EPIPE. */
	for (;;) {
		char sink[512];
		size_t room = sizeof(o.err) - 1 - got;

		n = room ? read(pipefd[0], o.err + got, room) : read(pipefd[0], sink, sizeof(sink));
		if (n <= 0)
			break;
		if (room)
			got += (size_t)n;
	}
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &o.status, 0), pid);
	return o;
}

/* Whether one of the report's "?" frames (stack words into the code) lies in [fn, fn + len). */
static bool reports_caller(const char *err, uintptr_t fn, uintptr_t len)
{
	static const char tag[] = "cvmm:   ? 0x";

	for (const char *p = strstr(err, tag); p; p = strstr(p + 1, tag)) {
		uintptr_t a = (uintptr_t)strtoull(p + strlen(tag), NULL, 16);

		if (a > fn && a < fn + len)
			return true;
	}
	return false;
}

/* The attempt killed the child with SIGSYS after a line naming the thread and the call. */
static void expect_killed(enum seccomp_thread kind, unsigned features, enum attempt what,
			  const char *call)
{
	struct outcome o = attempt(kind, features, what);
	char want[128];

	if (!WIFSIGNALED(o.status) || WTERMSIG(o.status) != SIGSYS)
		fail_msg("%s thread, %s: not killed by SIGSYS (status 0x%x): %s",
			 seccomp_thread_name(kind), call, o.status, o.err);
	snprintf(want, sizeof(want), "seccomp: the %s thread made system call %s (",
		 seccomp_thread_name(kind), call);
	if (!strstr(o.err, want))
		fail_msg("no line '%s...' in: %s", want, o.err);
	/* ... and where it came from, written with what every thread may use. */
	if (!strstr(o.err, "cvmm:   at 0x"))
		fail_msg("%s thread, %s: no address after the line: %s",
			 seccomp_thread_name(kind), call, o.err);
	if (!reports_caller(o.err, what == TRY_OPENAT_IN_THREAD ? (uintptr_t)confined_openat :
				(uintptr_t)run_child, 8192))
		fail_msg("%s thread, %s: the return address into the caller is not reported: %s",
			 seccomp_thread_name(kind), call, o.err);
}

/* Killed by SIGSYS where the call is made with every signal blocked (no line then). */
static void expect_sigsys(enum seccomp_thread kind, unsigned features, enum attempt what)
{
	struct outcome o = attempt(kind, features, what);

	if (!WIFSIGNALED(o.status) || WTERMSIG(o.status) != SIGSYS)
		fail_msg("%s thread: not killed by SIGSYS (status 0x%x): %s",
			 seccomp_thread_name(kind), o.status, o.err);
}

static void expect_survives(enum seccomp_thread kind, unsigned features, enum attempt what)
{
	struct outcome o = attempt(kind, features, what);

	if (!WIFEXITED(o.status) || WEXITSTATUS(o.status) != 0)
		fail_msg("%s thread: status 0x%x: %s", seccomp_thread_name(kind), o.status, o.err);
}

static void test_vcpu_thread(void **state)
{
	expect_killed(SECCOMP_VCPU, ALL_FEATURES, TRY_EXECVE, "execve");
	expect_killed(SECCOMP_VCPU, ALL_FEATURES, TRY_PTRACE, "ptrace");
	/* No socket at all on a vCPU thread, not even vsock's kind. */
	expect_killed(SECCOMP_VCPU, ALL_FEATURES, TRY_SOCKET_UNIX, "socket");
	expect_killed(SECCOMP_VCPU, ALL_FEATURES, TRY_OPENAT, "openat");
	/* (the report reads a thread's stack as well as the main thread's) */
	expect_killed(SECCOMP_VCPU, ALL_FEATURES, TRY_OPENAT_IN_THREAD, "openat");
	expect_killed(SECCOMP_VCPU, ALL_FEATURES, TRY_FORK, "fork");
	expect_survives(SECCOMP_VCPU, ALL_FEATURES, TRY_ALLOWED);
}

static void test_loop_thread(void **state)
{
	expect_killed(SECCOMP_LOOP, ALL_FEATURES, TRY_EXECVE, "execve");
	expect_killed(SECCOMP_LOOP, ALL_FEATURES, TRY_PTRACE, "ptrace");
	expect_killed(SECCOMP_LOOP, ALL_FEATURES, TRY_SOCKET_INET, "socket");
	expect_killed(SECCOMP_LOOP, ALL_FEATURES, TRY_OPENAT, "openat");
	expect_survives(SECCOMP_LOOP, ALL_FEATURES, TRY_ALLOWED);
	/* Unix sockets only for vsock, and only with a vsock device. */
	expect_survives(SECCOMP_LOOP, ALL_FEATURES, TRY_SOCKET_UNIX);
	expect_killed(SECCOMP_LOOP, ALL_FEATURES & ~SECCOMP_F_VSOCK, TRY_SOCKET_UNIX, "socket");
}

static void test_supervisor_thread(void **state)
{
	expect_killed(SECCOMP_SUPERVISOR, ALL_FEATURES, TRY_EXECVE, "execve");
	expect_killed(SECCOMP_SUPERVISOR, ALL_FEATURES, TRY_PTRACE, "ptrace");
	expect_killed(SECCOMP_SUPERVISOR, ALL_FEATURES, TRY_SOCKET_UNIX, "socket");
	expect_killed(SECCOMP_SUPERVISOR, ALL_FEATURES, TRY_OPENAT, "openat");
	expect_killed(SECCOMP_SUPERVISOR, ALL_FEATURES, TRY_FORK, "fork");
	expect_survives(SECCOMP_SUPERVISOR, ALL_FEATURES, TRY_ALLOWED);
}

/*
 * No thread starts threads (clone3 is refused with every signal blocked by glibc, so the kernel
 * kills without the handler's line), processes, or changes its scheduling.
 */
static void test_no_thread_starts_threads_or_reschedules(void **state)
{
	for (int k = 0; k < SECCOMP__THREADS; k++) {
		enum seccomp_thread kind = (enum seccomp_thread)k;

		expect_sigsys(kind, ALL_FEATURES, TRY_THREAD);
		expect_sigsys(kind, ALL_FEATURES | SECCOMP_F_STRICT, TRY_THREAD);
		expect_killed(kind, ALL_FEATURES, TRY_CLONE_PROCESS, "clone");
		expect_killed(kind, ALL_FEATURES, TRY_IDLE_SELF, "sched_setscheduler");
	}
}

/* Every thread may log through Firecracker's logger, whose lines carry the thread's name. */
static void test_every_thread_may_log_its_name(void **state)
{
	for (int k = 0; k < SECCOMP__THREADS; k++) {
		expect_survives((enum seccomp_thread)k, ALL_FEATURES, TRY_LOG_FILE);
		expect_survives((enum seccomp_thread)k, 0, TRY_LOG_FILE);
		expect_killed((enum seccomp_thread)k, ALL_FEATURES, TRY_PRCTL_OTHER, "prctl");
	}
}

/* Strict (the sandbox policy): no new executable memory; the default allows it (dlopen). */
static void test_strict_refuses_exec_memory(void **state)
{
	expect_survives(SECCOMP_LOOP, ALL_FEATURES, TRY_MMAP_EXEC);
	expect_killed(SECCOMP_LOOP, ALL_FEATURES | SECCOMP_F_STRICT, TRY_MMAP_EXEC, "mmap");
	expect_killed(SECCOMP_VCPU, SECCOMP_F_STRICT, TRY_MMAP_EXEC, "mmap");
}

/* Every combination of the optional parts builds (rows shared by features included). */
/* The compiled-in names (scripts/gen-syscall-names.sh) are the ones libseccomp knows. */
static void test_syscall_names_match_libseccomp(void **state)
{
	unsigned named = 0;

	(void)state;
	for (int nr = 0; nr < SYSCALL_NAMES_MAX; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		if (syscall_names[nr] && name) {
			if (strcmp(syscall_names[nr], name))
				fail_msg("system call %d: table says %s, libseccomp %s", nr,
					 syscall_names[nr], name);
			named++;
		}
		free(name);
	}
	assert_string_equal(syscall_names[SYS_read], "read");
	assert_string_equal(syscall_names[SYS_ioctl], "ioctl");
	assert_string_equal(syscall_names[SYS_socketpair], "socketpair");
	assert_true(named > 300);
}

static void test_every_feature_builds(void **state)
{
	struct sock_fprog p;

	for (int k = 0; k < SECCOMP__THREADS; k++)
		for (unsigned f = 0; f < (SECCOMP_F_QGS << 1); f += 7) {
			assert_int_equal(seccomp_build_one(&p, (enum seccomp_thread)k, f, NULL), 0);
			assert_true(p.len > 0);
			seccomp_prog_free(&p);
		}
}

/*
 * The build's table (vmm/seccomp_prebuilt.h) holds, for every kind of thread and every
 * combination of features, exactly the program libseccomp compiles from the lists now; and a VM's
 * filters come from it.
 */
static void test_prebuilt_programs_are_libseccomp_s(void **state)
{
	struct seccomp_filters f;
	struct vm_config cfg;
	struct sock_fprog p;

	for (int k = 0; k < SECCOMP__THREADS; k++)
		for (unsigned feat = 0; feat < SECCOMP_F__COMBOS; feat++) {
			const struct seccomp_prebuilt_ref *r = &seccomp_prebuilt[k][feat];

			assert_int_equal(seccomp_compile(&p, (enum seccomp_thread)k, feat), 0);
			if (p.len != r->len ||
			    memcmp(p.filter, &seccomp_prebuilt_insns[r->start], p.len * sizeof(*p.filter)))
				fail_msg("thread kind %d, features 0x%x: the table's program (%u "
					 "instructions) is not libseccomp's (%u)", k, feat, r->len, p.len);
			seccomp_prog_free(&p);
		}
	config_init(&cfg);
	cfg.vsock.enabled = true;
	assert_int_equal(seccomp_build(&f, &cfg, NULL), 0);
	if (f.on) { /* (not in a sanitizer build) */
		assert_true(f.prebuilt);
		for (int k = 0; k < SECCOMP__THREADS; k++)
			assert_ptr_equal(f.prog[k].filter,
					 &seccomp_prebuilt_insns[seccomp_prebuilt[k][f.features].start]);
	}
	seccomp_free(&f);
	assert_false(f.on);
	config_free(&cfg);
}

/* With the API, the supervisor may serve it (a socket's traffic, open a swapped drive). */
static void test_supervisor_with_api(void **state)
{
	expect_killed(SECCOMP_SUPERVISOR, ALL_FEATURES, TRY_OPENAT, "openat");
	expect_survives(SECCOMP_SUPERVISOR, ALL_FEATURES | SECCOMP_F_API, TRY_OPENAT_ALLOWED);
	expect_killed(SECCOMP_SUPERVISOR, ALL_FEATURES | SECCOMP_F_API, TRY_EXECVE, "execve");
	/* The Cloud Hypervisor table's connections are relayed through a Unix socketpair. */
	expect_survives(SECCOMP_SUPERVISOR, ALL_FEATURES | SECCOMP_F_API, TRY_API_RELAY);
	expect_killed(SECCOMP_SUPERVISOR, ALL_FEATURES | SECCOMP_F_API, TRY_SOCKETPAIR_INET,
		      "socketpair");
	expect_killed(SECCOMP_SUPERVISOR, ALL_FEATURES, TRY_API_RELAY, "socketpair");
}

static void test_features_of_config(void **state)
{
	struct vm_config cfg;
	struct drive_config d = { .path = (char *)"/x", .engine = BLK_ENGINE_URING };

	config_init(&cfg);
	assert_int_equal(seccomp_features(&cfg), SECCOMP_F_CONSOLE);
	cfg.serial = SERIAL_NONE;
	assert_int_equal(config_add_drive(&cfg, &d, NULL), 0);
	assert_int_equal(seccomp_features(&cfg),
			 SECCOMP_F_BLK | SECCOMP_F_BLK_RW | SECCOMP_F_URING);
	cfg.drives[0].read_only = true;
	cfg.drives[0].engine = BLK_ENGINE_SYNC;
	cfg.vsock.enabled = true;
	cfg.tee = TEE_EMULATED;
	cfg.irqchip = IRQCHIP_SPLIT;
	cfg.seccomp = SECCOMP_LEVEL_STRICT;
	assert_int_equal(seccomp_features(&cfg), SECCOMP_F_BLK | SECCOMP_F_VSOCK | SECCOMP_F_CVM |
							 SECCOMP_F_SPLIT_IRQ | SECCOMP_F_STRICT);
	config_free(&cfg);
}

/*
 * The threads of pid, when every one has "Seccomp:\t2" and "NoNewPrivs:\t1" (their names in
 * names); -1 (why in names) when one has not.
 */
static int confined_threads(pid_t pid, char *names, size_t cap)
{
	char path[320], line[256];
	struct dirent *de;
	unsigned n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	assert_non_null(d);
	names[0] = 0;
	while ((de = readdir(d))) {
		bool sc = false, nnp = false;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)pid, de->d_name);
		f = fopen(path, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "Name:", 5)) {
				strncat(names, line + 6, cap - strlen(names) - 1);
				names[strlen(names) - 1] = ' ';
			}
			sc |= !strcmp(line, "Seccomp:\t2\n");
			nnp |= !strcmp(line, "NoNewPrivs:\t1\n");
		}
		fclose(f);
		if (!sc || !nnp) {
			snprintf(names, cap, "thread %.32s: seccomp filter %d, NoNewPrivs %d",
				 de->d_name, sc, nnp);
			closedir(d);
			return -1;
		}
		n++;
	}
	closedir(d);
	return (int)n;
}

/*
 * The loop thread's handler for the trigger pipe: what a device does (allocate memory: the first
 * allocation of a thread gives it a malloc arena, which must not need a file), then something no
 * thread may do.
 */
static void forbidden_on_loop(void *opaque, int fd, uint32_t events)
{
	void *volatile p[32];

	/* Enough freed at once that malloc gives memory back (glibc reads a /proc file there). */
	for (int i = 0; i < 32; i++)
		p[i] = malloc(64 * 1024);
	for (int i = 32; i-- > 0;)
		free(p[i]);
	syscall(SYS_getppid);
}

static void vm_child(int ready_fd, int go_fd, const char *dir)
{
	char kernel[128];
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	int trigger[2];
	struct vm *vm;
	char c = 'r';

	snprintf(kernel, sizeof(kernel), "%s/kernel", dir);
	input_write_pvh_kernel(kernel);
	config_init(&cfg);
	config_set_string(&cfg.kernel, kernel, "--kernel", NULL);
	cfg.serial = SERIAL_NONE;
	cfg.mem_mib = 64;
	cfg.vcpus = 2;
	rec_reset();
	rec_set_result("kvm_check_extension", 1);
	rec_run_blocks(true);
	if (vm_create(&cfg, &vm, &e) || pipe(trigger) ||
	    ev_loop_add(&vm->loop, trigger[0], EPOLLIN, forbidden_on_loop, NULL))
		_exit(80);
	if (vm_start(vm, &e))
		_exit(81);
	/* Confined now: tell the parent, wait for its go, then make the loop thread misbehave. */
	if (write(ready_fd, &c, 1) != 1 || read(go_fd, &c, 1) != 1 || write(trigger[1], &c, 1) != 1)
		_exit(82);
	vm_wait(vm);
	_exit(83); /* not reached: the loop thread's call kills the process */
}

static void test_vm_threads_confined_before_the_guest(void **state)
{
	char dir[64] = "/tmp/cvmm-seccomp-XXXXXX", names[256], err[8192] = { 0 };
	int ready[2], go[2], errp[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;
	char c;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(errp), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(errp[1], STDERR_FILENO);
		vm_child(ready[1], go[0], dir);
	}
	close(errp[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	/* The supervisor, two vCPUs and the loop: all confined once vm_start() returned. */
	if (confined_threads(pid, names, sizeof(names)) != 4) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fail_msg("not every thread is confined: %s", names);
	}
	assert_non_null(strstr(names, "vcpu0 "));
	assert_non_null(strstr(names, "vcpu1 "));
	assert_non_null(strstr(names, "cvmm-loop "));
	assert_int_equal(write(go[1], "g", 1), 1);
	for (;;) {
		char sink[512];
		size_t room = sizeof(err) - 1 - got;

		n = room ? read(errp[0], err + got, room) : read(errp[0], sink, sizeof(sink));
		if (n <= 0)
			break;
		if (room)
			got += (size_t)n;
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
	if (!strstr(err, "seccomp: the cvmm-loop thread made system call getppid ("))
		fail_msg("stderr: %s", err);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	close(errp[0]);
	snprintf(names, sizeof(names), "rm -rf %s", dir);
	assert_int_equal(system(names), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vcpu_thread),
		cmocka_unit_test(test_loop_thread),
		cmocka_unit_test(test_supervisor_thread),
		cmocka_unit_test(test_no_thread_starts_threads_or_reschedules),
		cmocka_unit_test(test_every_thread_may_log_its_name),
		cmocka_unit_test(test_strict_refuses_exec_memory),
		cmocka_unit_test(test_syscall_names_match_libseccomp),
		cmocka_unit_test(test_every_feature_builds),
		cmocka_unit_test(test_prebuilt_programs_are_libseccomp_s),
		cmocka_unit_test(test_supervisor_with_api),
		cmocka_unit_test(test_features_of_config),
		cmocka_unit_test(test_vm_threads_confined_before_the_guest),
	};
	const char *why;

	log_threshold = LOG_ERROR;
	if (!seccomp_available(&why)) {
		printf("test_seccomp: skipped: %s\n", why);
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
