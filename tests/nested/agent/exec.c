// SPDX-License-Identifier: MIT
/*
 * vsock-exec: the agent end of a command channel, as a container agent provides one.  Listens
 * on AF_VSOCK port nested.vsock_port (default 1024), prints `L2: vsock: serving on port N`,
 * accepts one connection, reads one command line (at most EXEC_MAX_CMD bytes, ended by a
 * newline), runs it with /bin/sh -c, its stdout and stderr going to the connection, and closes
 * the connection when the command ends.  Exits with the command's status (125 when no command
 * came, 126 when it could not be started).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#include "tests/nested/agent/agent.h"

#define EXEC_MAX_CMD  4096
#define EXEC_WAIT_MS  120000

/* Reads up to the first newline; false on EOF, error, timeout or an over-long line. */
static bool read_command(int c, char *cmd, size_t cap)
{
	size_t len = 0;

	while (len + 1 < cap) {
		struct pollfd p = { .fd = c, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, EXEC_WAIT_MS) <= 0)
			return false;
		n = read(c, cmd + len, 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		if (cmd[len] == '\n') {
			cmd[len] = '\0';
			return true;
		}
		len++;
	}
	return false;
}

int cmd_vsock_exec(int argc, char **argv)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY };
	uint64_t port = 1024;
	static char cmd[EXEC_MAX_CMD];
	int s, c, status;
	pid_t pid;

	(void)argc;
	(void)argv;
	agent_param_u64("vsock_port", &port);
	a.svm_port = (unsigned int)port;
	s = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 1)) {
		printf(AGENT_PREFIX "vsock: cannot listen on port %lu: %s\n", (unsigned long)port,
		       strerror(errno));
		return 126;
	}
	printf(AGENT_PREFIX "vsock: serving on port %lu\n", (unsigned long)port);
	c = accept(s, NULL, NULL);
	close(s);
	if (c < 0 || !read_command(c, cmd, sizeof(cmd))) {
		printf(AGENT_PREFIX "vsock: no command came\n");
		if (c >= 0)
			close(c);
		return 125;
	}
	printf(AGENT_PREFIX "vsock: running: %s\n", cmd);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(c, STDOUT_FILENO);
		dup2(c, STDERR_FILENO);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(126);
	}
	close(c);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 126;
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	printf(AGENT_PREFIX "vsock: command exited with %d\n", status);
	return status;
}
