// SPDX-License-Identifier: MIT
/* Opening, checking and configuring TAP queues through /dev/net/tun. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "devices/tap.h"

#define TUN_PATH "/dev/net/tun"
#define TAP_FLAGS (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)

static int set_vnet_hdr_size(int fd)
{
	int size = TAP_VNET_HDR_SIZE;

	return ioctl(fd, TUNSETVNETHDRSZ, &size) < 0 ? -errno : 0;
}

static int set_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0))
		return -errno;
	return 0;
}

int tap_open(const char *name, char *err, size_t errlen)
{
	struct ifreq ifr = { .ifr_flags = TAP_FLAGS };
	int fd, e;

	if (!name || !*name || strlen(name) >= IFNAMSIZ) {
		snprintf(err, errlen, "tap name must be 1 to %d characters", IFNAMSIZ - 1);
		return -EINVAL;
	}
	memcpy(ifr.ifr_name, name, strlen(name));
	fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		e = -errno;
		snprintf(err, errlen, "cannot open %s: %s", TUN_PATH, strerror(-e));
		return e;
	}
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		e = -errno;
		snprintf(err, errlen, "cannot attach to tap %s: %s%s", name, strerror(-e),
			 e == -EPERM ? " (create it with 'ip tuntap add' for this user, or run "
				       "with CAP_NET_ADMIN)"
				     : "");
		close(fd);
		return e;
	}
	e = set_vnet_hdr_size(fd);
	if (e < 0) {
		snprintf(err, errlen, "tap %s: TUNSETVNETHDRSZ: %s", name, strerror(-e));
		close(fd);
		return e;
	}
	return fd;
}

int tap_adopt_fd(int fd, char *ifname, char *err, size_t errlen)
{
	struct ifreq ifr = { 0 };
	int e;

	if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
		e = -errno;
		snprintf(err, errlen, "fd %d is not a tap queue (TUNGETIFF: %s)", fd,
			 strerror(-e));
		return e == -EBADF ? e : -EINVAL;
	}
	memcpy(ifname, ifr.ifr_name, IFNAMSIZ);
	ifname[IFNAMSIZ - 1] = 0;
	if ((ifr.ifr_flags & TAP_FLAGS) != TAP_FLAGS) {
		snprintf(err, errlen,
			 "fd %d (%s) is not a tap opened with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR",
			 fd, ifname);
		return -EINVAL;
	}
	e = set_nonblocking(fd);
	if (!e)
		e = set_vnet_hdr_size(fd);
	if (e < 0)
		snprintf(err, errlen, "fd %d (%s): %s", fd, ifname, strerror(-e));
	return e;
}

int tap_set_offloads(int fd, unsigned tun_flags)
{
	return ioctl(fd, TUNSETOFFLOAD, (unsigned long)tun_flags) < 0 ? -errno : 0;
}

void tap_probe(int fd, struct tap_caps *caps)
{
	static const unsigned gso_bits[] = { TUN_F_TSO4, TUN_F_TSO6 };

	*caps = (struct tap_caps){ 0 };
	/* Writes with a vnet header may always carry partial checksums and TCP GSO. */
	caps->tx_offloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
	if (tap_set_offloads(fd, TUN_F_CSUM) == 0) {
		caps->rx_offloads = TUN_F_CSUM;
		for (unsigned i = 0; i < sizeof(gso_bits) / sizeof(gso_bits[0]); i++)
			if (tap_set_offloads(fd, TUN_F_CSUM | gso_bits[i]) == 0)
				caps->rx_offloads |= gso_bits[i];
		/* Kernels that take TUN_F_UFO here also accept UFO frames from userspace. */
		if (tap_set_offloads(fd, TUN_F_CSUM | TUN_F_UFO) == 0)
			caps->tx_offloads |= TUN_F_UFO;
	}
	tap_set_offloads(fd, 0);
}
