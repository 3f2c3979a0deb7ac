// SPDX-License-Identifier: MIT
/* Opening, checking and configuring TAP queues through /dev/net/tun. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "devices/tap.h"
#include "vmm/error.h"

#define TUN_PATH "/dev/net/tun"
#define TAP_FLAGS (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)

static int set_vnet_hdr_size(int fd)
{
	int size = TAP_VNET_HDR_SIZE;

	return ioctl(fd, TUNSETVNETHDRSZ, &size) < 0 ? -errno : 0;
}

/*
 * No send-buffer limit on writes (as QEMU sets it): with the default, a few 64 KiB frames the
 * host stack has not processed yet fill it and writes fail with EAGAIN, every few frames.  The
 * host's backlog limit bounds what the guest can queue either way.
 */
static int set_unlimited_sndbuf(int fd)
{
	int size = INT_MAX;

	return ioctl(fd, TUNSETSNDBUF, &size) < 0 ? -errno : 0;
}

static int set_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0))
		return -errno;
	return 0;
}

int tap_check_tun(struct error *e)
{
	int fd = open(TUN_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return error_set(e, ERROR_HOST, errno, "cannot open %s: %s", TUN_PATH,
				 strerror(errno));
	close(fd);
	return 0;
}

int tap_open(const char *name, struct error *e)
{
	struct ifreq ifr = { .ifr_flags = TAP_FLAGS };
	int fd, err;

	if (!name || !*name || strlen(name) >= IFNAMSIZ)
		return error_set(e, ERROR_USAGE, EINVAL, "tap name must be 1 to %d characters",
				 IFNAMSIZ - 1);
	memcpy(ifr.ifr_name, name, strlen(name));
	fd = open(TUN_PATH, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return error_set(e, ERROR_HOST, errno, "cannot open %s: %s", TUN_PATH,
				 strerror(errno));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = errno;
		close(fd);
		return error_set(e, ERROR_INPUT, err, "cannot attach to tap %s: %s%s", name,
				 strerror(err),
				 err == EPERM ? " (create it with 'ip tuntap add' for this user, or "
						"run with CAP_NET_ADMIN)"
					      : "");
	}
	err = set_vnet_hdr_size(fd);
	if (!err)
		err = set_unlimited_sndbuf(fd);
	if (err < 0) {
		close(fd);
		return error_set(e, ERROR_HOST, err, "tap %s: TUNSETVNETHDRSZ/TUNSETSNDBUF: %s",
				 name, strerror(-err));
	}
	return fd;
}

int tap_check_fd(int fd, char *ifname, struct error *e)
{
	struct ifreq ifr = { 0 };
	int err;

	if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
		err = errno;
		if (err == EBADF)
			return error_set(e, ERROR_INPUT, EBADF, "fd %d is not open", fd);
		return error_set(e, ERROR_INPUT, EINVAL, "fd %d is not a tap queue (TUNGETIFF: %s)",
				 fd, strerror(err));
	}
	memcpy(ifname, ifr.ifr_name, IFNAMSIZ);
	ifname[IFNAMSIZ - 1] = 0;
	if ((ifr.ifr_flags & TAP_FLAGS) != TAP_FLAGS)
		return error_set(e, ERROR_INPUT, EINVAL,
				 "fd %d (%s) is not a tap opened with IFF_TAP | IFF_NO_PI | "
				 "IFF_VNET_HDR", fd, ifname);
	return 0;
}

int tap_adopt_fd(int fd, char *ifname, struct error *e)
{
	int err = tap_check_fd(fd, ifname, e);

	if (err)
		return err;
	err = set_nonblocking(fd);
	if (!err)
		err = set_vnet_hdr_size(fd);
	if (!err)
		err = set_unlimited_sndbuf(fd);
	if (err < 0)
		return error_set(e, ERROR_HOST, err, "fd %d (%s): %s", fd, ifname, strerror(-err));
	return 0;
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
