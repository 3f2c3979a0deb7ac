/* SPDX-License-Identifier: MIT */
/*
 * TAP backend for virtio-net: a /dev/net/tun queue in IFF_TAP | IFF_NO_PI | IFF_VNET_HDR mode,
 * non-blocking, whose every read and write is one Ethernet frame preceded by a 12-byte
 * struct virtio_net_hdr_v1 (TUNSETVNETHDRSZ), the header of VIRTIO_F_VERSION_1 devices.
 *
 * Offloads (TUN_F_* bits, <linux/if_tun.h>):
 *   rx  what the kernel may hand us (partial checksums, TSO/UFO super-frames); set with
 *       TUNSETOFFLOAD to what the guest acked, probed by trying each bit;
 *   tx  what the kernel accepts in frames we write: partial checksums and TCP segmentation always
 *       with a vnet header; UDP fragmentation only on kernels whose TUNSETOFFLOAD takes TUN_F_UFO.
 */
#ifndef CVMM_TAP_H
#define CVMM_TAP_H

#include <net/if.h>

#define TAP_VNET_HDR_SIZE 12

struct error;

struct tap_caps {
	unsigned rx_offloads;
	unsigned tx_offloads;
};

/*
 * Opens (or creates, with CAP_NET_ADMIN) the tap interface name, non-blocking, with the header
 * size set: returns the fd, or -errno with the error in e (input: the interface cannot be
 * attached; host: /dev/net/tun or an ioctl failed).
 */
int tap_open(const char *name, struct error *e);
/*
 * Checks with TUNGETIFF that fd is a tap queue with IFF_NO_PI and IFF_VNET_HDR and fills ifname
 * (IFNAMSIZ bytes); changes nothing.  0, or -errno with an input error in e.
 */
int tap_check_fd(int fd, char *ifname, struct error *e);
/* Whether /dev/net/tun can be opened (opened and closed again).  0, or -errno with an error. */
int tap_check_tun(struct error *e);
/*
 * Takes an fd opened elsewhere (inherited, or passed over a socket): tap_check_fd(), then makes it
 * non-blocking and sets the header size.  0, or -errno with the error in e; the fd stays open
 * either way.
 */
int tap_adopt_fd(int fd, char *ifname, struct error *e);
/* Which offloads the tap can do; leaves TUNSETOFFLOAD at 0 (none). */
void tap_probe(int fd, struct tap_caps *caps);
/* TUNSETOFFLOAD: the TUN_F_* bits the reader (the guest) accepts.  0 or -errno. */
int tap_set_offloads(int fd, unsigned tun_flags);

#endif
