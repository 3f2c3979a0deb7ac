// SPDX-License-Identifier: MIT
/*
 * virtio-blk when the backend fails.  The guest gets IOERR; besides that, cvmm
 *  - counts the failure by kind (read, write, flush, discard);
 *  - logs it, at most LOG_RATELIMIT_BURST lines per window, so a failing disk cannot flood the log;
 *  - keeps a failed flush failed: Linux reports a writeback error to one fsync and then forgets
 *    it, so a later flush would succeed although the data of the first never reached the disk.
 *    Every FLUSH after a failed one completes with IOERR (the backend is still flushed);
 *  - reports possible data loss to the VM once for a failed write, write-zeroes or flush, so
 *    cvmm does not exit 0 (vmm/run_control.h).  Read and discard failures lose nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/virtio_blk.h>

#include "devices/blk_priv.h"
#include "vmm/clock.h"
#include "vmm/device_env.h"
#include "vmm/log.h"

void blk_dev_attach_env(struct blk_dev *blk, const struct device_env *env)
{
	blk->env = env;
}

static uint64_t now_ns(const struct blk_dev *blk)
{
	return clock_now_ns(blk->clock ? blk->clock : &clock_monotonic);
}

static const char *op_name(uint32_t type)
{
	switch (type) {
	case VIRTIO_BLK_T_IN:
		return "read";
	case VIRTIO_BLK_T_OUT:
		return "write";
	case VIRTIO_BLK_T_FLUSH:
		return "flush";
	case VIRTIO_BLK_T_DISCARD:
		return "discard";
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return "write-zeroes";
	}
	return "request";
}

static void count(struct blk_dev *blk, uint32_t type)
{
	switch (type) {
	case VIRTIO_BLK_T_IN:
		blk->counters.read_errors++;
		break;
	case VIRTIO_BLK_T_FLUSH:
		blk->counters.flush_errors++;
		break;
	case VIRTIO_BLK_T_DISCARD:
		blk->counters.discard_errors++;
		break;
	default:
		blk->counters.write_errors++;
		break;
	}
}

static void log_failure(struct blk_dev *blk, uint32_t type, uint64_t offset, uint64_t len,
			int err, bool sticky)
{
	char where[64] = "", dropped_note[64] = "";
	uint64_t dropped;

	if (!log_ratelimit_allow(&blk->err_log, now_ns(blk), &dropped)) {
		blk->counters.errors_not_logged++;
		return;
	}
	if (dropped)
		snprintf(dropped_note, sizeof(dropped_note), " (%llu earlier failures not logged)",
			 (unsigned long long)dropped);
	if (type != VIRTIO_BLK_T_FLUSH)
		snprintf(where, sizeof(where), " of %llu bytes at offset %llu",
			 (unsigned long long)len, (unsigned long long)offset);
	if (sticky)
		log_error("%s: %s: flush refused: an earlier flush failed (%s), so data written before "
			  "it may be lost%s",
			  blk->name, blk->path, strerror(-err), dropped_note);
	else
		log_error("%s: %s: %s%s failed: %s; the guest gets an I/O error%s", blk->name,
			  blk->path, op_name(type), where, strerror(-err), dropped_note);
}

int blk_io_result(struct blk_dev *blk, uint32_t type, uint64_t offset, uint64_t len, int err)
{
	bool sticky = false;

	if (type == VIRTIO_BLK_T_FLUSH) {
		if (err && !blk->flush_error)
			blk->flush_error = -err;
		else if (!err && blk->flush_error) {
			err = -blk->flush_error;
			sticky = true;
		}
	}
	if (!err)
		return 0;
	count(blk, type);
	log_failure(blk, type, offset, len, err, sticky);
	if (type != VIRTIO_BLK_T_IN && type != VIRTIO_BLK_T_DISCARD && !blk->data_lost) {
		blk->data_lost = true;
		device_report_data_loss(blk->env);
	}
	return err;
}

void blk_req_finish(struct blk_dev *blk, struct blk_req *req, int err)
{
	err = blk_io_result(blk, req->type, req->offset, req->data_len, err);
	blk_req_done(blk, req, err ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
}
