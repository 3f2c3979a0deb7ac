// SPDX-License-Identifier: MIT
/* Test support: a private network namespace for real TAP devices; see tap_env.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>

#include "tests/unit/tap_env.h"

bool tap_env_enter(char *why, size_t len)
{
	static int state; /* 0: not tried, 1: in, -1: impossible (why kept) */
	static char reason[160];
	int fd;

	if (state == 0) {
		state = -1;
		if (geteuid() != 0) {
			snprintf(reason, sizeof(reason), "needs root to create a tap");
		} else if ((fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)) < 0) {
			snprintf(reason, sizeof(reason), "/dev/net/tun: %s", strerror(errno));
		} else {
			close(fd);
			if (unshare(CLONE_NEWNET) < 0)
				snprintf(reason, sizeof(reason),
					 "cannot enter a private network namespace: %s",
					 strerror(errno));
			else
				state = 1;
		}
	}
	if (state < 0)
		snprintf(why, len, "%s", reason);
	return state > 0;
}

static void disable_ipv6(const char *ifname)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return; /* no IPv6: nothing to silence */
	if (write(fd, "1", 1) < 0) {
		/* best effort */
	}
	close(fd);
}

int tap_env_if_up(const char *ifname, unsigned mtu)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (s < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	disable_ipv6(ifname);
	ifr.ifr_mtu = (int)mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		err = -errno;
	} else {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			err = -errno;
	}
	close(s);
	return err;
}

int tap_env_packet_socket(const char *ifname, unsigned short ethertype)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ethertype) };
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ethertype)), err;

	if (s < 0)
		return -errno;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex || bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		err = -errno;
		close(s);
		return err ? err : -ENODEV;
	}
	return s;
}

int tap_env_open_queue(const char *ifname, short flags)
{
	struct ifreq ifr = { .ifr_flags = flags };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}
