// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vsock/host_socket.h"

static int make_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path))
		return -ENAMETOOLONG;
	memcpy(a->sun_path, path, strlen(path));
	return 0;
}

static int connect_addr(const struct sockaddr_un *a)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err;

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)a, sizeof(*a)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* A socket file nobody listens on is what a crashed cvmm leaves behind. */
static int remove_stale(const char *path, const struct sockaddr_un *a)
{
	struct stat st;
	int fd;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = connect_addr(a);
	if (fd >= 0) {
		close(fd);
		return -EADDRINUSE;
	}
	if (fd != -ECONNREFUSED)
		return fd == -EAGAIN ? -EADDRINUSE : fd;
	return unlink(path) < 0 ? -errno : 0;
}

int vsock_listen_unix(const char *path)
{
	struct sockaddr_un a;
	int fd, err;

	err = make_addr(&a, path);
	if (!err)
		err = remove_stale(path, &a);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, SOMAXCONN) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

int vsock_connect_unix(const char *path, uint32_t port)
{
	char name[sizeof(((struct sockaddr_un *)0)->sun_path) + 16];
	struct sockaddr_un a;
	int err;

	snprintf(name, sizeof(name), "%s_%u", path, port);
	err = make_addr(&a, name);
	return err ? err : connect_addr(&a);
}
