/* SPDX-License-Identifier: MIT */
/*
 * The event loop: one epoll instance, run by cvmm's main thread, that serves every fd cvmm
 * watches (ioeventfds, sockets, serial input, timers, signals).  Handlers run on the loop thread.
 * Sources are keyed by fd; removing a source (even from inside a handler) is safe: events already
 * fetched for it in the same batch are dropped.
 */
#ifndef CVMM_EVENT_LOOP_H
#define CVMM_EVENT_LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "vmm/clock.h"

typedef void (*ev_handler_fn)(void *opaque, int fd, uint32_t events);

struct ev_source {
	ev_handler_fn handler;
	void *opaque;
	uint32_t gen;
	bool active;
};

/*
 * Busy polling, for devices whose guests would otherwise exit to notify them: while a poller is
 * armed the loop does not sleep; it calls poll() over and over (checking its fds every
 * EV_POLL_FD_CHECK_NS in between) until window_ns pass without poll() finding work, then disarms
 * it and calls stop() (where the device turns guest notifications back on).
 */
struct ev_poller {
	bool (*poll)(void *opaque);   /* handles what it finds; true when it found work */
	void (*stop)(void *opaque);
	void *opaque;
	uint64_t window_ns;
	/* The loop's. */
	uint64_t deadline_ns;
	bool armed;
	struct ev_poller *next;
};

#define EV_POLL_FD_CHECK_NS 20000

/* A function another thread asks the loop thread to run (ev_loop_call). */
struct ev_call {
	void (*fn)(void *arg);
	void *arg;
	int state; /* the loop's */
	struct ev_call *next;
};

struct ev_loop {
	int epfd;
	int wake_fd;   /* eventfd: ev_loop_stop() from any thread */
	bool stop;
	struct ev_source *sources; /* indexed by fd */
	unsigned nr_sources;
	uint32_t gen;
	struct ev_poller *pollers; /* armed ones */
	uint64_t last_fd_check_ns;
	const struct clock *clock; /* busy-poll windows; CLOCK_MONOTONIC unless a test replaces it */
	pthread_mutex_t calls_lock;
	pthread_cond_t calls_done;
	struct ev_call *calls; /* queued by ev_loop_call, run by the loop thread */
	bool calls_closed;     /* the loop has ended: no call will run any more */
};

int ev_loop_init(struct ev_loop *loop);
void ev_loop_destroy(struct ev_loop *loop);
/* events: EPOLLIN / EPOLLOUT / EPOLLET ... */
int ev_loop_add(struct ev_loop *loop, int fd, uint32_t events, ev_handler_fn handler, void *opaque);
int ev_loop_mod(struct ev_loop *loop, int fd, uint32_t events);
int ev_loop_del(struct ev_loop *loop, int fd);
/* Runs handlers until ev_loop_stop(); returns 0, or -errno if epoll fails. */
int ev_loop_run(struct ev_loop *loop);
/*
 * Serves ready events once, waiting at most timeout_ms (-1: forever); for tests.  With a poller
 * armed it does not wait: one round of polling (and of the fds, when due).
 */
int ev_loop_run_once(struct ev_loop *loop, int timeout_ms);
/* Loop thread only.  Arming an armed poller restarts its window. */
void ev_poller_arm(struct ev_loop *loop, struct ev_poller *p);
/* Loop thread only (or with the loop not running); stop() is not called. */
void ev_poller_disarm(struct ev_loop *loop, struct ev_poller *p);
/* Thread-safe and async-signal-safe. */
void ev_loop_stop(struct ev_loop *loop);

/*
 * Runs fn(arg) on the loop thread, between handlers, and waits for it to finish (any thread but
 * the loop's).  -ETIMEDOUT if it has not started within timeout_ms (it then never runs),
 * -ECANCELED if the loop has ended.
 */
int ev_loop_call(struct ev_loop *loop, void (*fn)(void *arg), void *arg, int timeout_ms);

/* A timerfd registered with the loop; first expiry after ms, then every period_ms (0: once).
 * Returns the timer's fd (remove it with ev_timer_del) or -errno. */
int ev_timer_add(struct ev_loop *loop, uint64_t ms, uint64_t period_ms, ev_handler_fn handler,
		 void *opaque);
int ev_timer_del(struct ev_loop *loop, int tfd);
/* A one-shot timerfd registered with the loop, not armed yet; its fd or -errno. */
int ev_timer_open(struct ev_loop *loop, ev_handler_fn handler, void *opaque);
/* Arms (or re-arms) a timerfd to expire once after ns (0: at once).  0 or -errno. */
int ev_timer_arm_ns(int tfd, uint64_t ns);
/* Reads a timerfd's or eventfd's counter, so a level-triggered source goes quiet; nothing
 * pending is fine. */
void ev_fd_drain(int fd);

#endif
