// SPDX-License-Identifier: MIT
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "vmm/event_loop.h"

#define EV_BATCH 64

enum { CALL_QUEUED, CALL_RUNNING, CALL_DONE, CALL_CANCELED };

/* Runs the calls queued so far (each once), then tells their callers. */
static void run_calls(struct ev_loop *loop)
{
	struct ev_call *list, *c;

	pthread_mutex_lock(&loop->calls_lock);
	list = loop->calls;
	loop->calls = NULL;
	for (c = list; c; c = c->next)
		c->state = CALL_RUNNING;
	pthread_mutex_unlock(&loop->calls_lock);
	if (!list)
		return;
	for (c = list; c; c = c->next)
		c->fn(c->arg);
	pthread_mutex_lock(&loop->calls_lock);
	for (c = list; c;) {
		struct ev_call *next = c->next;

		c->state = CALL_DONE; /* c may be gone as soon as the lock drops */
		c = next;
	}
	pthread_cond_broadcast(&loop->calls_done);
	pthread_mutex_unlock(&loop->calls_lock);
}

/* The loop has ended: calls still queued will never run. */
static void close_calls(struct ev_loop *loop)
{
	pthread_mutex_lock(&loop->calls_lock);
	loop->calls_closed = true;
	for (struct ev_call *c = loop->calls; c; c = c->next)
		c->state = CALL_CANCELED;
	loop->calls = NULL;
	pthread_cond_broadcast(&loop->calls_done);
	pthread_mutex_unlock(&loop->calls_lock);
}

static void wake_handler(void *opaque, int fd, uint32_t events)
{
	struct ev_loop *loop = opaque;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	if (__atomic_load_n(&loop->stop, __ATOMIC_ACQUIRE))
		return;
	run_calls(loop);
}

int ev_loop_call(struct ev_loop *loop, void (*fn)(void *arg), void *arg, int timeout_ms)
{
	struct ev_call call = { .fn = fn, .arg = arg, .state = CALL_QUEUED };
	struct timespec deadline;
	uint64_t one = 1;
	int ret = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&loop->calls_lock);
	if (loop->calls_closed || __atomic_load_n(&loop->stop, __ATOMIC_ACQUIRE)) {
		pthread_mutex_unlock(&loop->calls_lock);
		return -ECANCELED;
	}
	call.next = loop->calls;
	loop->calls = &call;
	pthread_mutex_unlock(&loop->calls_lock);
	if (write(loop->wake_fd, &one, sizeof(one)) < 0) {
		/* Counter saturated: a wake-up is already pending. */
	}
	pthread_mutex_lock(&loop->calls_lock);
	while (call.state == CALL_QUEUED && !ret)
		ret = pthread_cond_timedwait(&loop->calls_done, &loop->calls_lock, &deadline);
	if (call.state == CALL_QUEUED) {
		/* Not started in time: take it back so that it never runs. */
		for (struct ev_call **pp = &loop->calls; *pp; pp = &(*pp)->next) {
			if (*pp == &call) {
				*pp = call.next;
				break;
			}
		}
		pthread_mutex_unlock(&loop->calls_lock);
		return -ETIMEDOUT;
	}
	/* Started: it finishes whatever the deadline said. */
	while (call.state == CALL_RUNNING)
		pthread_cond_wait(&loop->calls_done, &loop->calls_lock);
	ret = call.state == CALL_CANCELED ? -ECANCELED : 0;
	pthread_mutex_unlock(&loop->calls_lock);
	return ret;
}

int ev_loop_init(struct ev_loop *loop)
{
	int err;

	pthread_condattr_t ca;

	memset(loop, 0, sizeof(*loop));
	loop->clock = &clock_monotonic;
	pthread_mutex_init(&loop->calls_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&loop->calls_done, &ca);
	pthread_condattr_destroy(&ca);
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0)
		return -errno;
	loop->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop->wake_fd < 0) {
		err = -errno;
		close(loop->epfd);
		return err;
	}
	err = ev_loop_add(loop, loop->wake_fd, EPOLLIN, wake_handler, loop);
	if (err) {
		close(loop->wake_fd);
		close(loop->epfd);
	}
	return err;
}

void ev_loop_destroy(struct ev_loop *loop)
{
	if (loop->epfd >= 0)
		close(loop->epfd);
	if (loop->wake_fd >= 0)
		close(loop->wake_fd);
	free(loop->sources);
	loop->sources = NULL;
	pthread_mutex_destroy(&loop->calls_lock);
	pthread_cond_destroy(&loop->calls_done);
	loop->nr_sources = 0;
	loop->epfd = loop->wake_fd = -1;
}

static int ensure_slot(struct ev_loop *loop, int fd)
{
	unsigned n;
	struct ev_source *s;

	if ((unsigned)fd < loop->nr_sources)
		return 0;
	n = loop->nr_sources ? loop->nr_sources : 64;
	while (n <= (unsigned)fd)
		n *= 2;
	s = realloc(loop->sources, n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s + loop->nr_sources, 0, (n - loop->nr_sources) * sizeof(*s));
	loop->sources = s;
	loop->nr_sources = n;
	return 0;
}

static uint64_t ev_key(int fd, uint32_t gen)
{
	return (uint64_t)(uint32_t)fd | ((uint64_t)gen << 32);
}

int ev_loop_add(struct ev_loop *loop, int fd, uint32_t events, ev_handler_fn handler, void *opaque)
{
	struct epoll_event ev = { .events = events };
	struct ev_source *s;
	int err;

	if (fd < 0 || !handler)
		return -EINVAL;
	err = ensure_slot(loop, fd);
	if (err)
		return err;
	s = &loop->sources[fd];
	if (s->active)
		return -EEXIST;
	s->gen = ++loop->gen;
	ev.data.u64 = ev_key(fd, s->gen);
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	s->handler = handler;
	s->opaque = opaque;
	s->active = true;
	return 0;
}

int ev_loop_mod(struct ev_loop *loop, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };

	if (fd < 0 || (unsigned)fd >= loop->nr_sources || !loop->sources[fd].active)
		return -ENOENT;
	ev.data.u64 = ev_key(fd, loop->sources[fd].gen);
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	return 0;
}

int ev_loop_del(struct ev_loop *loop, int fd)
{
	if (fd < 0 || (unsigned)fd >= loop->nr_sources || !loop->sources[fd].active)
		return -ENOENT;
	loop->sources[fd].active = false;
	/* The fd may already be closed by its owner; epoll forgets closed fds by itself. */
	if (epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 && errno != EBADF && errno != ENOENT)
		return -errno;
	return 0;
}

static uint64_t now_ns(const struct ev_loop *loop)
{
	return clock_now_ns(loop->clock);
}

void ev_poller_arm(struct ev_loop *loop, struct ev_poller *p)
{
	p->deadline_ns = now_ns(loop) + p->window_ns;
	if (p->armed)
		return;
	p->armed = true;
	p->next = loop->pollers;
	loop->pollers = p;
}

void ev_poller_disarm(struct ev_loop *loop, struct ev_poller *p)
{
	struct ev_poller **pp;

	if (!p->armed)
		return;
	for (pp = &loop->pollers; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	p->armed = false;
	p->next = NULL;
}

/* One round over the armed pollers; the callbacks may arm or disarm pollers themselves. */
static void run_pollers(struct ev_loop *loop, uint64_t now)
{
	struct ev_poller *p = loop->pollers, *next;

	for (; p; p = next) {
		next = p->next;
		if (p->poll(p->opaque)) {
			if (p->armed)
				p->deadline_ns = now + p->window_ns;
		} else if (p->armed && now >= p->deadline_ns) {
			ev_poller_disarm(loop, p);
			p->stop(p->opaque);
		}
		/* A callback may have disarmed the next one; start over then, next round. */
		if (next && !next->armed)
			break;
	}
}

int ev_loop_run_once(struct ev_loop *loop, int timeout_ms)
{
	struct epoll_event evs[EV_BATCH];
	int n;

	if (loop->pollers) {
		uint64_t now = now_ns(loop);

		run_pollers(loop, now);
		if (now - loop->last_fd_check_ns < EV_POLL_FD_CHECK_NS && loop->pollers)
			return 0;
		loop->last_fd_check_ns = now;
		timeout_ms = 0;
	}
	n = epoll_wait(loop->epfd, evs, EV_BATCH, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		int fd = (int)(uint32_t)evs[i].data.u64;
		uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
		struct ev_source *s;

		if ((unsigned)fd >= loop->nr_sources)
			continue;
		s = &loop->sources[fd];
		/* Dropped or replaced by an earlier handler of this batch. */
		if (!s->active || s->gen != gen)
			continue;
		s->handler(s->opaque, fd, evs[i].events);
	}
	return n;
}

int ev_loop_run(struct ev_loop *loop)
{
	int ret = 0;

	while (!__atomic_load_n(&loop->stop, __ATOMIC_ACQUIRE) && ret >= 0)
		ret = ev_loop_run_once(loop, -1);
	close_calls(loop);
	return ret < 0 ? ret : 0;
}

void ev_loop_stop(struct ev_loop *loop)
{
	uint64_t one = 1;

	__atomic_store_n(&loop->stop, true, __ATOMIC_RELEASE);
	if (write(loop->wake_fd, &one, sizeof(one)) < 0) {
		/* Counter saturated: a wake-up is already pending. */
	}
}

int ev_timer_add(struct ev_loop *loop, uint64_t ms, uint64_t period_ms, ev_handler_fn handler,
		 void *opaque)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 },
		.it_interval = { .tv_sec = period_ms / 1000,
				 .tv_nsec = (long)(period_ms % 1000) * 1000000 },
	};
	int tfd, err;

	if (ms == 0)
		its.it_value.tv_nsec = 1; /* zero would disarm the timer */
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (tfd < 0)
		return -errno;
	if (timerfd_settime(tfd, 0, &its, NULL) < 0) {
		err = -errno;
		close(tfd);
		return err;
	}
	err = ev_loop_add(loop, tfd, EPOLLIN, handler, opaque);
	if (err) {
		close(tfd);
		return err;
	}
	return tfd;
}

int ev_timer_open(struct ev_loop *loop, ev_handler_fn handler, void *opaque)
{
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	int err;

	if (tfd < 0)
		return -errno;
	err = ev_loop_add(loop, tfd, EPOLLIN, handler, opaque);
	if (err) {
		close(tfd);
		return err;
	}
	return tfd;
}

int ev_timer_arm_ns(int tfd, uint64_t ns)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = (time_t)(ns / 1000000000ULL),
			      .tv_nsec = (long)(ns % 1000000000ULL) },
	};

	if (!ns)
		its.it_value.tv_nsec = 1; /* zero would disarm the timer */
	return timerfd_settime(tfd, 0, &its, NULL) < 0 ? -errno : 0;
}

void ev_fd_drain(int fd)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0) {
		/* nothing pending */
	}
}

int ev_timer_del(struct ev_loop *loop, int tfd)
{
	int err = ev_loop_del(loop, tfd);

	close(tfd);
	return err;
}
