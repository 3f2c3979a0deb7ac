// SPDX-License-Identifier: MIT
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/spin_guard.h"

#define SPIN_GUARD_CPU_SECONDS 20

int spin_guard_run(int (*step)(void *arg), void *arg)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		static const int crash[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGSYS, SIGABRT };
		struct rlimit rl = { SPIN_GUARD_CPU_SECONDS, SPIN_GUARD_CPU_SECONDS + 1 };

		/* A crash must end the child (cmocka's handlers would unwind into its runner). */
		for (unsigned i = 0; i < sizeof(crash) / sizeof(crash[0]); i++)
			signal(crash[i], SIG_DFL);
		setrlimit(RLIMIT_CPU, &rl);
		_exit(step(arg) & 0x7f);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(status))
		return -WTERMSIG(status);
	return WEXITSTATUS(status);
}
