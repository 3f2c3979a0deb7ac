/* SPDX-License-Identifier: MIT */
/* The Unix sockets of the hybrid vsock host side: the listener at PATH and PATH_<port>. */
#ifndef CVMM_VSOCK_HOST_SOCKET_H
#define CVMM_VSOCK_HOST_SOCKET_H

#include <stdint.h>

/*
 * Listens on a non-blocking Unix stream socket at path.  A socket file left there by a process
 * that is gone is replaced; a live listener (-EADDRINUSE) or any other file (-EEXIST) is not.
 * Returns the fd or -errno.
 */
int vsock_listen_unix(const char *path);
/*
 * Connects a non-blocking Unix stream socket to "<path>_<port>".  Returns the fd or -errno:
 * -ENOENT / -ECONNREFUSED when nobody listens there, -EAGAIN when its backlog is full,
 * -ENAMETOOLONG when the name does not fit a socket address.
 */
int vsock_connect_unix(const char *path, uint32_t port);

#endif
