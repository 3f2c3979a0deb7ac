/* SPDX-License-Identifier: MIT */
/* What the virtio-blk checks (blk, blk-malformed, blkbench) share. */
#ifndef GUEST_BLK_CHECK_H
#define GUEST_BLK_CHECK_H

#include <stdbool.h>

#include "tests/guest/guest.h"
#include "tests/guest/virtio_mmio.h"

/* The virtio-blk device cvmmtest.blk_dev=N names (default 0); false with the reason in res. */
bool blk_pick_device(struct virtio_mmio_dev *dev, struct check_result *res);
/* True when the command line lists at least one virtio-blk device. */
bool blk_present(void);

#endif
