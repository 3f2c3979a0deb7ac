// SPDX-License-Identifier: MIT
/*
 * The byte relay between a client that passes descriptors and libmicrohttpd (vmm/api_relay.h).
 * Two bounded buffers: "in" (client to near) and "out" (near to client).  Reading stops while a
 * buffer is full, so a client that does not read its answers, or a flood of requests, costs at
 * most API_RELAY_BUF per direction.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vmm/api_relay.h"

#define CMSG_FDS 16 /* descriptors read per message; the kernel closes what does not fit */

struct api_relay {
	int client, near;
	uint8_t in[API_RELAY_BUF];
	size_t in_len;
	uint8_t out[API_RELAY_BUF];
	size_t out_len;
	bool client_eof;   /* the client's end of stream arrived */
	bool client_gone;  /* the client cannot take answers any more */
	bool near_wr_shut; /* libmicrohttpd was given the end of stream */
	bool near_eof;     /* libmicrohttpd closed its end and all it wrote was read */
};

int api_relay_open(int client_fd, struct api_relay **out, int *mhd_fd)
{
	struct api_relay *r = calloc(1, sizeof(*r));
	int sv[2];

	if (!r)
		return -ENOMEM;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
		int err = -errno;

		free(r);
		return err;
	}
	r->client = client_fd;
	r->near = sv[0];
	*mhd_fd = sv[1];
	*out = r;
	return 0;
}

void api_relay_close(struct api_relay *r)
{
	if (!r)
		return;
	close(r->client);
	close(r->near);
	free(r);
}

int api_relay_client_fd(const struct api_relay *r)
{
	return r->client;
}

int api_relay_near_fd(const struct api_relay *r)
{
	return r->near;
}

/* The client is gone: nothing more goes either way; libmicrohttpd sees the end and lets go. */
static void client_gone(struct api_relay *r)
{
	if (r->client_gone)
		return;
	r->client_gone = r->client_eof = true;
	r->in_len = r->out_len = 0;
	shutdown(r->near, SHUT_RDWR);
	r->near_wr_shut = true;
}

void api_relay_abort(struct api_relay *r)
{
	shutdown(r->client, SHUT_RDWR);
	client_gone(r);
}

static void take_fds(struct msghdr *msg, int *fds, unsigned *nr_fds, unsigned max_fds)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		unsigned nr;
		int *p;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		nr = (unsigned)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		p = (int *)(void *)CMSG_DATA(cm);
		for (unsigned i = 0; i < nr; i++) {
			int fd;

			memcpy(&fd, &p[i], sizeof(fd));
			if (*nr_fds < max_fds)
				fds[(*nr_fds)++] = fd;
			else
				close(fd);
		}
	}
}

/* Client to the in buffer; true when bytes came. */
static bool read_client(struct api_relay *r, int *fds, unsigned *nr_fds, unsigned max_fds)
{
	bool got = false;

	while (!r->client_eof && r->in_len < sizeof(r->in)) {
		char cbuf[CMSG_SPACE(sizeof(int) * CMSG_FDS)];
		struct iovec iov = { .iov_base = r->in + r->in_len,
				     .iov_len = sizeof(r->in) - r->in_len };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				      .msg_controllen = sizeof(cbuf) };
		ssize_t n = recvmsg(r->client, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) {
			client_gone(r);
			break;
		}
		/* Descriptors may come with a message whose bytes were all read before. */
		take_fds(&msg, fds, nr_fds, max_fds);
		if (n == 0) {
			r->client_eof = true;
			break;
		}
		r->in_len += (size_t)n;
		got = true;
	}
	return got;
}

/* Writes from buf to fd what fd takes; false when fd refused for good (its peer went). */
static bool flush(int fd, uint8_t *buf, size_t *len)
{
	while (*len) {
		ssize_t n = send(fd, buf, *len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN;
		memmove(buf, buf + n, *len - (size_t)n);
		*len -= (size_t)n;
	}
	return true;
}

static void read_near(struct api_relay *r)
{
	while (!r->near_eof && r->out_len < sizeof(r->out)) {
		ssize_t n = recv(r->near, r->out + r->out_len, sizeof(r->out) - r->out_len,
				 MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			r->near_eof = true;
			break;
		}
		r->out_len += (size_t)n;
	}
}

/*
 * Bytes libmicrohttpd has not read yet.  The client's end of stream goes to it only once it has
 * read everything before: in edge-triggered epoll, the end arriving with the last bytes would be
 * seen with them and, after a short read, never looked for again.
 */
static int unread_by_mhd(const struct api_relay *r)
{
	int n = 0;

	return ioctl(r->near, SIOCOUTQ, &n) < 0 ? 0 : n;
}

bool api_relay_eof_pending(const struct api_relay *r)
{
	return r->client_eof && !r->in_len && !r->near_wr_shut;
}

unsigned api_relay_pump(struct api_relay *r, uint32_t client_events, int *fds, unsigned *nr_fds,
			unsigned max_fds)
{
	unsigned flags = 0;

	if (client_events & (EPOLLHUP | EPOLLERR))
		client_gone(r);
	/* Each round moves at most a buffer each way; a few rounds cover a request and its answer. */
	for (int round = 0; round < 4; round++) {
		size_t before_in = r->in_len, before_out = r->out_len;
		bool got = !r->client_gone && read_client(r, fds, nr_fds, max_fds);

		if (got)
			flags |= API_RELAY_CLIENT_BYTES;
		if (!r->near_wr_shut && !flush(r->near, r->in, &r->in_len)) {
			/* libmicrohttpd has closed: what the client sends goes nowhere. */
			r->near_wr_shut = true;
		}
		if (r->near_wr_shut)
			r->in_len = 0;
		if (api_relay_eof_pending(r) && unread_by_mhd(r) == 0) {
			shutdown(r->near, SHUT_WR);
			r->near_wr_shut = true;
		}
		read_near(r);
		if (!r->client_gone && !flush(r->client, r->out, &r->out_len))
			client_gone(r);
		if (!got && r->in_len == before_in && r->out_len == before_out)
			break;
	}
	if (r->near_eof && !r->out_len)
		flags |= API_RELAY_DONE;
	return flags;
}

uint32_t api_relay_client_events(const struct api_relay *r)
{
	uint32_t ev = 0;

	if (!r->client_eof && r->in_len < sizeof(r->in))
		ev |= EPOLLIN;
	if (r->out_len)
		ev |= EPOLLOUT;
	return ev;
}

uint32_t api_relay_near_events(const struct api_relay *r)
{
	uint32_t ev = 0;

	if (r->out_len < sizeof(r->out))
		ev |= EPOLLIN;
	if (r->in_len && !r->near_wr_shut)
		ev |= EPOLLOUT;
	return ev;
}

bool api_relay_client_watched(const struct api_relay *r)
{
	return !r->client_gone;
}

bool api_relay_near_watched(const struct api_relay *r)
{
	return !r->near_eof;
}

bool api_relay_pending(const struct api_relay *r)
{
	int queued = 0;

	if (r->client_gone)
		return false;
	if (r->out_len)
		return true;
	return !r->near_eof && ioctl(r->near, FIONREAD, &queued) == 0 && queued > 0;
}
