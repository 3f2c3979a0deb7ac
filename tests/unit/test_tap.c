// SPDX-License-Identifier: MIT
/*
 * The TAP backend against real tap devices in a private network namespace: opening by name,
 * adopting an fd opened elsewhere (and refusing ones without the needed flags, or not taps at
 * all), the vnet header size, and the offload probe.  Skipped, with the reason, where taps cannot
 * be created (not root, no /dev/net/tun).  Frames through a real tap: test_net.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/if_tun.h>

#include "devices/tap.h"
#include "tests/unit/tap_env.h"
#include "vmm/error.h"
#include "vmm/log.h"

static void need_taps(void)
{
	char why[160];

	if (!tap_env_enter(why, sizeof(why))) {
		print_message("skipped: %s\n", why);
		skip();
	}
}

static int open_raw(const char *name, short flags)
{
	int fd = tap_env_open_queue(name, flags);

	assert_true(fd >= 0);
	return fd;
}

static int vnet_hdr_size(int fd)
{
	int size = -1;

	assert_int_equal(ioctl(fd, TUNGETVNETHDRSZ, &size), 0);
	return size;
}

static int sndbuf(int fd)
{
	int size = -1;

	assert_int_equal(ioctl(fd, TUNGETSNDBUF, &size), 0);
	return size;
}

static void test_open_by_name(void **state)
{
	struct ifreq ifr = { 0 };
	struct error e = ERROR_INIT;
	int fd;

	need_taps();
	assert_int_equal(tap_check_tun(&e), 0);
	fd = tap_open("cvmmtap0", &e);
	if (fd < 0)
		fail_msg("tap_open: %s", e.msg);
	assert_int_equal(ioctl(fd, TUNGETIFF, &ifr), 0);
	assert_string_equal(ifr.ifr_name, "cvmmtap0");
	assert_int_equal(ifr.ifr_flags & (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR),
			 IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
	assert_int_equal(vnet_hdr_size(fd), TAP_VNET_HDR_SIZE);
	assert_int_equal(sndbuf(fd), INT_MAX);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

static void test_open_errors(void **state)
{
	struct error e = ERROR_INIT;

	assert_int_equal(tap_open("", &e), -EINVAL);
	error_clear(&e);
	assert_int_equal(tap_open("0123456789abcdefg", &e), -EINVAL);
	assert_non_null(strstr(e.msg, "1 to 15 characters"));
	assert_int_equal(e.cls, ERROR_USAGE);
	need_taps();
	/* An interface of another kind under that name: the user named something unusable. */
	error_clear(&e);
	assert_true(tap_open("lo", &e) < 0);
	assert_non_null(strstr(e.msg, "cannot attach to tap lo"));
	assert_int_equal(e.cls, ERROR_INPUT);
}

static void test_adopt_fd(void **state)
{
	char ifname[IFNAMSIZ] = "";
	struct error e = ERROR_INIT;
	int fd, size = -1;

	need_taps();
	fd = open_raw("cvmmtap1", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
	assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);
	/* The check alone changes nothing. */
	assert_int_equal(tap_check_fd(fd, ifname, &e), 0);
	assert_string_equal(ifname, "cvmmtap1");
	assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(ioctl(fd, TUNGETVNETHDRSZ, &size), 0);
	assert_int_equal(size, 10); /* the kernel's default */
	if (tap_adopt_fd(fd, ifname, &e))
		fail_msg("tap_adopt_fd: %s", e.msg);
	assert_string_equal(ifname, "cvmmtap1");
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(vnet_hdr_size(fd), TAP_VNET_HDR_SIZE);
	assert_int_equal(sndbuf(fd), INT_MAX);
	close(fd);
}

/* Refused with an input error naming the fd; nothing about the fd changes. */
static void refused(int fd, int err, const char *needle)
{
	char ifname[IFNAMSIZ];
	struct error e = ERROR_INIT;

	assert_int_equal(tap_check_fd(fd, ifname, &e), err);
	assert_int_equal(e.cls, ERROR_INPUT);
	if (!strstr(e.msg, needle))
		fail_msg("'%s' lacks '%s'", e.msg, needle);
	error_clear(&e);
	assert_int_equal(tap_adopt_fd(fd, ifname, &e), err);
	assert_non_null(strstr(e.msg, needle));
}

static void test_adopt_refuses(void **state)
{
	int fd, p[2];

	/* Not a tap at all; not open. */
	assert_int_equal(pipe(p), 0);
	refused(p[0], -EINVAL, "is not a tap queue");
	assert_false(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	close(p[0]);
	close(p[1]);
	refused(p[0], -EBADF, "is not open");
	need_taps();
	/* A tap without the vnet header, a tun. */
	fd = open_raw("cvmmtap2", IFF_TAP | IFF_NO_PI);
	refused(fd, -EINVAL, "IFF_VNET_HDR");
	close(fd);
	fd = open_raw("cvmmtun0", IFF_TUN | IFF_NO_PI | IFF_VNET_HDR);
	refused(fd, -EINVAL, "not a tap opened with");
	close(fd);
}

/* Every kernel cvmm supports takes checksum and TCP segmentation offloads on a tap. */
static void test_probe(void **state)
{
	struct tap_caps caps;
	struct error e = ERROR_INIT;
	int fd;

	need_taps();
	fd = tap_open("cvmmtap4", &e);
	assert_true(fd >= 0);
	tap_probe(fd, &caps);
	assert_int_equal(caps.rx_offloads & (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6),
			 TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
	assert_int_equal(caps.tx_offloads & (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6),
			 TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6);
	assert_false(caps.rx_offloads & TUN_F_UFO); /* never handed to guests */
	/* Bits the kernel does not know are refused, as the probe relies on. */
	assert_int_equal(tap_set_offloads(fd, 0x80000000u), -EINVAL);
	assert_int_equal(tap_set_offloads(fd, TUN_F_CSUM | TUN_F_TSO4), 0);
	assert_int_equal(tap_set_offloads(fd, 0), 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_by_name),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_adopt_fd),
		cmocka_unit_test(test_adopt_refuses),
		cmocka_unit_test(test_probe),
	};

	log_threshold = LOG_ERROR;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
