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

#include <stddef.h>
#include <net/if.h>

#define TAP_VNET_HDR_SIZE 12

struct tap_caps {
	unsigned rx_offloads;
	unsigned tx_offloads;
};

/*
 * Opens (or creates, with CAP_NET_ADMIN) the tap interface name: returns the fd, or -errno with
 * one line in err.
 */
int tap_open(const char *name, char *err, size_t errlen);
/*
 * Takes an fd opened elsewhere (inherited, or passed over a socket): checks with TUNGETIFF that it
 * is a tap with IFF_NO_PI and IFF_VNET_HDR, makes it non-blocking and sets the header size.
 * Fills ifname (IFNAMSIZ bytes).  0, or -errno with one line in err; the fd stays open either way.
 */
int tap_adopt_fd(int fd, char *ifname, char *err, size_t errlen);
/* Which offloads the tap can do; leaves TUNSETOFFLOAD at 0 (none). */
void tap_probe(int fd, struct tap_caps *caps);
/* TUNSETOFFLOAD: the TUN_F_* bits the reader (the guest) accepts.  0 or -errno. */
int tap_set_offloads(int fd, unsigned tun_flags);

#endif
