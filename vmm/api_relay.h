/* SPDX-License-Identifier: MIT */
/*
 * The byte relay of an API connection whose requests carry descriptors (SCM_RIGHTS), e.g. the tap
 * fds of Cloud Hypervisor's vm.add-net.  libmicrohttpd reads its sockets with recv(), which drops
 * passed descriptors, so such a client's socket is never handed to it: cvmm reads the client with
 * recvmsg() (each descriptor arrives with the bytes it was sent with) and writes the bytes into
 * one end of a socketpair ("near"), whose other end libmicrohttpd serves; answers flow back the
 * same way.  Non-blocking, bounded buffers, no thread: the caller's epoll loop drives it.
 *
 * End of a relay: the client's end of stream is passed on (shutdown of near's write side); a
 * client that has gone (hang-up, error) cuts near both ways so that libmicrohttpd ends the
 * connection; when libmicrohttpd closes its end, what it wrote is delivered, then the relay is
 * done.
 */
#ifndef CVMM_API_RELAY_H
#define CVMM_API_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#define API_RELAY_BUF (16 * 1024) /* per direction */

struct api_relay;

/*
 * Takes client_fd over (non-blocking) and returns in *mhd_fd the socketpair end to hand to
 * libmicrohttpd (which then owns it).  On failure client_fd is untouched.
 */
int api_relay_open(int client_fd, struct api_relay **out, int *mhd_fd);
/* Closes the client's socket and the near end. */
void api_relay_close(struct api_relay *r);

int api_relay_client_fd(const struct api_relay *r);
int api_relay_near_fd(const struct api_relay *r);

/* What api_relay_pump() saw. */
enum {
	API_RELAY_CLIENT_BYTES = 1 << 0, /* the client sent bytes */
	API_RELAY_DONE = 1 << 1,         /* nothing left to move: both sides have ended */
};

/*
 * Moves whatever can move without blocking, in both directions.  client_events are the epoll
 * events of the client's socket (EPOLLHUP/EPOLLERR: it has gone), 0 when the call is not for it.
 * Descriptors that arrive are appended to fds while *nr_fds < max_fds and closed beyond.
 */
unsigned api_relay_pump(struct api_relay *r, uint32_t client_events, int *fds, unsigned *nr_fds,
			unsigned max_fds);
/*
 * The epoll events each socket is to be watched for now (0: only its hang-up, which epoll always
 * reports), and whether it is to be watched at all: the client until it has gone, near until
 * libmicrohttpd's end has closed.
 */
uint32_t api_relay_client_events(const struct api_relay *r);
uint32_t api_relay_near_events(const struct api_relay *r);
bool api_relay_client_watched(const struct api_relay *r);
bool api_relay_near_watched(const struct api_relay *r);
/*
 * The client's end of stream waits until libmicrohttpd has read the bytes before it; the caller
 * pumps again after libmicrohttpd ran, soon.
 */
bool api_relay_eof_pending(const struct api_relay *r);
/* Answer bytes that have not reached the client yet (buffered or still in near). */
bool api_relay_pending(const struct api_relay *r);
/* Cuts the client off: its socket is shut down both ways, near too, buffers dropped. */
void api_relay_abort(struct api_relay *r);

#endif
