/* SPDX-License-Identifier: MIT */
/* What the net and netbench checks share. */
#ifndef GUEST_NET_CHECK_H
#define GUEST_NET_CHECK_H

#include <stdint.h>

#include "tests/guest/virtio_mmio.h"

#define NET_TEST_ETHERTYPE  0x88b5 /* IEEE local experimental 1: the echo check */
#define NET_BENCH_ETHERTYPE 0x88b6 /* local experimental 2: benchmark traffic */

/* The virtio-net device cvmmtest.net_dev names (default: the first); NULL when there is none. */
struct virtio_mmio_dev *net_find_device(void);
/* The 14-byte Ethernet header of frame f. */
void net_frame_header(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type);

#endif
