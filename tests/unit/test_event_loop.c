// SPDX-License-Identifier: MIT
/* The epoll event loop: dispatch, removal from inside a handler, timers, stop from a thread. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/event_loop.h"

struct counter {
	struct ev_loop *loop;
	int fd;
	int other_fd; /* removed by this handler, if >= 0 */
	unsigned hits;
};

static void count_handler(void *opaque, int fd, uint32_t events)
{
	struct counter *c = opaque;
	uint64_t v;

	c->hits++;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		fail();
	if (c->other_fd >= 0) {
		assert_int_equal(ev_loop_del(c->loop, c->other_fd), 0);
		c->other_fd = -1;
	}
}

static void test_dispatch_and_removal(void **state)
{
	struct ev_loop loop;
	struct counter a = { .loop = &loop, .other_fd = -1 }, b = { .loop = &loop, .other_fd = -1 };
	uint64_t one = 1;

	assert_int_equal(ev_loop_init(&loop), 0);
	a.fd = eventfd(0, EFD_NONBLOCK);
	b.fd = eventfd(0, EFD_NONBLOCK);
	assert_int_equal(ev_loop_add(&loop, a.fd, EPOLLIN, count_handler, &a), 0);
	assert_int_equal(ev_loop_add(&loop, b.fd, EPOLLIN, count_handler, &b), 0);
	assert_int_equal(ev_loop_add(&loop, a.fd, EPOLLIN, count_handler, &a), -EEXIST);

	/* Both ready in the same batch; whichever runs first removes the other. */
	a.other_fd = b.fd;
	b.other_fd = a.fd;
	assert_int_equal(write(a.fd, &one, 8), 8);
	assert_int_equal(write(b.fd, &one, 8), 8);
	assert_int_equal(ev_loop_run_once(&loop, 1000), 2);
	assert_int_equal(a.hits + b.hits, 1);

	assert_int_equal(ev_loop_del(&loop, a.fd), a.hits ? 0 : -ENOENT);
	assert_int_equal(ev_loop_del(&loop, 12345), -ENOENT);
	close(a.fd);
	close(b.fd);
	ev_loop_destroy(&loop);
}

static void timer_handler(void *opaque, int fd, uint32_t events)
{
	unsigned *n = opaque;
	uint64_t v;

	if (read(fd, &v, sizeof(v)) == sizeof(v))
		*n += (unsigned)v;
}

static void test_timers(void **state)
{
	struct ev_loop loop;
	unsigned once = 0, periodic = 0;
	int t1, t2;

	assert_int_equal(ev_loop_init(&loop), 0);
	t1 = ev_timer_add(&loop, 1, 0, timer_handler, &once);
	t2 = ev_timer_add(&loop, 1, 1, timer_handler, &periodic);
	assert_true(t1 >= 0 && t2 >= 0);
	while (periodic < 5)
		assert_true(ev_loop_run_once(&loop, 1000) > 0);
	assert_int_equal(once, 1);
	assert_int_equal(ev_timer_del(&loop, t1), 0);
	assert_int_equal(ev_timer_del(&loop, t2), 0);
	ev_loop_destroy(&loop);
}

static void drain_handler(void *opaque, int fd, uint32_t events)
{
	unsigned *n = opaque;

	ev_fd_drain(fd);
	(*n)++;
}

/* A one-shot timer created disarmed, armed on demand (0 ns: at once), quiet once drained. */
static void test_one_shot_timer(void **state)
{
	struct ev_loop loop;
	unsigned fired = 0;
	int t;

	assert_int_equal(ev_loop_init(&loop), 0);
	t = ev_timer_open(&loop, drain_handler, &fired);
	assert_true(t >= 0);
	assert_int_equal(ev_loop_run_once(&loop, 20), 0); /* not armed */
	assert_int_equal(ev_timer_arm_ns(t, 0), 0);
	assert_int_equal(ev_loop_run_once(&loop, 1000), 1);
	assert_int_equal(fired, 1);
	assert_int_equal(ev_loop_run_once(&loop, 20), 0); /* drained, one-shot */
	assert_int_equal(ev_timer_arm_ns(t, 2000000), 0);
	assert_int_equal(ev_timer_arm_ns(t, 1000), 0); /* re-arming replaces the expiry */
	assert_int_equal(ev_loop_run_once(&loop, 1000), 1);
	assert_int_equal(fired, 2);
	ev_fd_drain(t); /* nothing pending: fine */
	assert_int_equal(ev_timer_del(&loop, t), 0);
	ev_loop_destroy(&loop);
}

static void *stopper(void *arg)
{
	usleep(10000);
	ev_loop_stop(arg);
	return NULL;
}

static void test_stop_from_thread(void **state)
{
	struct ev_loop loop;
	pthread_t t;

	assert_int_equal(ev_loop_init(&loop), 0);
	assert_int_equal(pthread_create(&t, NULL, stopper, &loop), 0);
	assert_int_equal(ev_loop_run(&loop), 0); /* returns only because of the stop */
	pthread_join(t, NULL);
	ev_loop_destroy(&loop);
}

struct poll_state {
	struct ev_loop *loop;
	struct ev_poller p;
	unsigned polls, stops;
	unsigned busy;    /* the next this many polls find work */
	bool rearm;       /* stop() arms again (a request raced with the switch) */
};

static bool poll_fn(void *opaque)
{
	struct poll_state *ps = opaque;

	ps->polls++;
	if (!ps->busy)
		return false;
	ps->busy--;
	return true;
}

static void stop_fn(void *opaque)
{
	struct poll_state *ps = opaque;

	ps->stops++;
	if (ps->rearm) {
		ps->rearm = false;
		ev_poller_arm(ps->loop, &ps->p);
	}
}

/*
 * An armed poller runs until its window passes without work, then stop() runs once.  The loop's
 * clock is a manual one: the window passes when the test says so, not when a machine is slow.
 */
static void test_poller_window(void **state)
{
	struct ev_loop loop;
	struct manual_clock clk;
	struct poll_state ps = { .loop = &loop, .busy = 1000 };
	struct counter c = { .loop = &loop, .other_fd = -1 };
	const uint64_t window = 20 * 1000 * 1000;
	uint64_t one = 1;

	assert_int_equal(ev_loop_init(&loop), 0);
	manual_clock_init(&clk, 1000);
	loop.clock = &clk.clock;
	c.fd = eventfd(0, EFD_NONBLOCK);
	assert_int_equal(ev_loop_add(&loop, c.fd, EPOLLIN, count_handler, &c), 0);
	ps.p = (struct ev_poller){ .poll = poll_fn, .stop = stop_fn, .opaque = &ps,
				   .window_ns = window };
	ev_poller_arm(&loop, &ps.p);
	ev_poller_arm(&loop, &ps.p); /* arming twice is harmless */

	/* While it finds work the window keeps restarting, and fds are still served. */
	assert_int_equal(write(c.fd, &one, 8), 8);
	while (ps.busy) {
		assert_true(ev_loop_run_once(&loop, -1) >= 0);
		manual_clock_advance(&clk, window / 2); /* never a whole window without work */
	}
	assert_int_equal(ps.polls, 1000);
	assert_true(ps.p.armed);
	assert_int_equal(ps.stops, 0);
	/* The fds were checked along the way: every pass moved the clock past the interval. */
	assert_int_equal(c.hits, 1);

	/* Idle but within the window (the last work was half a window ago): no stop(). */
	manual_clock_advance(&clk, window / 2 - 1);
	ev_loop_run_once(&loop, -1);
	assert_true(ps.p.armed);
	assert_int_equal(ps.stops, 0);
	/* The window has passed: stop() once, and the loop sleeps again (no more polls). */
	manual_clock_advance(&clk, 1);
	ev_loop_run_once(&loop, -1);
	assert_false(ps.p.armed);
	assert_int_equal(ps.stops, 1);
	ps.polls = 0;
	assert_int_equal(ev_loop_run_once(&loop, 0), 0);
	assert_int_equal(ps.polls, 0);

	/* stop() may arm again; disarm never calls stop(). */
	ps.rearm = true;
	ev_poller_arm(&loop, &ps.p);
	manual_clock_advance(&clk, window + 1);
	ev_loop_run_once(&loop, -1);
	assert_int_equal(ps.stops, 2);
	assert_true(ps.p.armed);
	ev_poller_disarm(&loop, &ps.p);
	ev_poller_disarm(&loop, &ps.p);
	assert_false(ps.p.armed);
	assert_int_equal(ps.stops, 2);
	assert_null(loop.pollers);
	close(c.fd);
	ev_loop_destroy(&loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch_and_removal),
		cmocka_unit_test(test_timers),
		cmocka_unit_test(test_one_shot_timer),
		cmocka_unit_test(test_stop_from_thread),
		cmocka_unit_test(test_poller_window),
	};

	return cmocka_run_group_tests_name("event loop", tests, NULL, NULL);
}
