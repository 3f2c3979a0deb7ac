// SPDX-License-Identifier: MIT
/* The sync engine: each request runs to completion on the loop thread, straight between the
 * backing file and the guest's buffers. */
#include <linux/virtio_blk.h>

#include "devices/blk_priv.h"

static int sync_init(struct blk_dev *blk, struct ev_loop *loop)
{
	return 0;
}

static void sync_submit(struct blk_dev *blk, struct blk_req *req)
{
	int err;

	switch (req->type) {
	case VIRTIO_BLK_T_IN:
		err = blk_backend_rw(blk, req->data, req->nr_data, req->offset, false);
		if (!err)
			blk->counters.bytes_read += req->data_len;
		break;
	case VIRTIO_BLK_T_OUT:
		err = blk_backend_rw(blk, req->data, req->nr_data, req->offset, true);
		if (!err)
			blk->counters.bytes_written += req->data_len;
		break;
	default:
		err = blk_backend_flush(blk);
		break;
	}
	blk_req_finish(blk, req, err);
}

static void sync_flush_batch(struct blk_dev *blk)
{
}

static void sync_drain(struct blk_dev *blk, bool complete)
{
}

static void sync_fini(struct blk_dev *blk)
{
}

const struct blk_io_engine blk_engine_sync = {
	.name = "sync",
	.init = sync_init,
	.submit = sync_submit,
	.flush_batch = sync_flush_batch,
	.drain = sync_drain,
	.fini = sync_fini,
};
