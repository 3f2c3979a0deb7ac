// SPDX-License-Identifier: MIT
/*
 * The io_uring engine: a queue pass prepares one SQE per IN / OUT / FLUSH straight on the guest's
 * iovecs and submits them with a single io_uring_submit(); completions wake the event loop through
 * an eventfd registered with the ring and are reaped there in one go.
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/virtio_blk.h>

#include "devices/blk_priv.h"
#include "devices/virtio/iov.h"
#include "vmm/event_loop.h"
#include "vmm/log.h"

struct uring_state {
	struct io_uring ring;
	int efd;
	struct ev_loop *loop;
	unsigned queued;    /* prepared, not yet submitted */
	unsigned in_flight; /* prepared or submitted, not yet reaped */
	bool warned;
};

static struct uring_state *state(struct blk_dev *blk)
{
	return blk->engine_state;
}

static void finish(struct blk_dev *blk, struct blk_req *req, int res)
{
	struct iovec *rest;
	uint64_t done;
	unsigned nr;
	int err = res < 0 ? res : 0;

	/* The guest may have taken the buffers back meanwhile: blk_req_done() says so. */
	if (!err && req->type != VIRTIO_BLK_T_FLUSH && blk_req_memory_ok(blk, req)) {
		done = (uint64_t)res;
		/* Short transfers are rare (signals, odd filesystems): finish them in line. */
		if (done < req->data_len) {
			nr = req->nr_data;
			rest = iov_drop_front(req->data, &nr, (size_t)done);

			err = blk_backend_rw(blk, rest, nr, req->offset + done,
					     req->type == VIRTIO_BLK_T_OUT);
		}
		if (!err && req->type == VIRTIO_BLK_T_IN)
			blk->counters.bytes_read += req->data_len;
		else if (!err)
			blk->counters.bytes_written += req->data_len;
	}
	blk_req_done(blk, req, err ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK);
}

static void handle_cqe(struct blk_dev *blk, struct io_uring_cqe *cqe, bool complete)
{
	struct uring_state *st = state(blk);
	struct blk_req *req = io_uring_cqe_get_data(cqe);
	int res = cqe->res;

	io_uring_cqe_seen(&st->ring, cqe);
	st->in_flight--;
	if (complete)
		finish(blk, req, res);
	else
		blk_req_drop(blk, req);
}

static void submit_queued(struct blk_dev *blk)
{
	struct uring_state *st = state(blk);
	int r;

	while (st->queued) {
		r = io_uring_submit(&st->ring);
		if (r == -EINTR)
			continue;
		if (r < 0) {
			/* The SQEs stay in the ring; the next pass or the drain retries. */
			if (!st->warned)
				log_warn("%s: io_uring_submit failed: %s", blk->name, strerror(-r));
			st->warned = true;
			return;
		}
		st->queued -= (unsigned)r < st->queued ? (unsigned)r : st->queued;
		if (r == 0)
			return;
	}
}

static void uring_submit(struct blk_dev *blk, struct blk_req *req)
{
	struct uring_state *st = state(blk);
	struct io_uring_sqe *sqe = io_uring_get_sqe(&st->ring);

	if (!sqe) {
		submit_queued(blk);
		sqe = io_uring_get_sqe(&st->ring);
		if (!sqe) {
			blk_req_done(blk, req, VIRTIO_BLK_S_IOERR);
			return;
		}
	}
	switch (req->type) {
	case VIRTIO_BLK_T_IN:
		io_uring_prep_readv(sqe, blk->fd, req->data, req->nr_data, req->offset);
		break;
	case VIRTIO_BLK_T_OUT:
		io_uring_prep_writev(sqe, blk->fd, req->data, req->nr_data, req->offset);
		if (blk->writethrough)
			sqe->rw_flags = RWF_DSYNC;
		break;
	default:
		io_uring_prep_fsync(sqe, blk->fd, IORING_FSYNC_DATASYNC);
		break;
	}
	io_uring_sqe_set_data(sqe, req);
	st->queued++;
	st->in_flight++;
}

static void uring_flush_batch(struct blk_dev *blk)
{
	submit_queued(blk);
}

/* Lock held: pushes every finished request, one interrupt decision, resumes a stalled queue. */
static unsigned uring_reap(struct blk_dev *blk)
{
	struct uring_state *st = state(blk);
	struct virtio_dev *vdev = blk->vdev;
	struct virtq *vq = blk_vq(blk);
	struct io_uring_cqe *cqe;
	unsigned n = 0;

	if (!io_uring_cq_ready(&st->ring))
		return 0;
	/* Completions land in memory that may have changed hands since submission. */
	blk_remap_queue(blk);
	while (io_uring_peek_cqe(&st->ring, &cqe) == 0) {
		handle_cqe(blk, cqe, true);
		n++;
	}
	if (virtio_queue_live(vdev, vq)) {
		virtio_dev_signal_used(vdev, vq);
		if (blk->stalled)
			blk_process_queue(blk);
	}
	return n;
}

static void completion_handler(void *opaque, int fd, uint32_t events)
{
	struct blk_dev *blk = opaque;
	eventfd_t v;

	if (eventfd_read(fd, &v) < 0)
		return;
	virtio_dev_lock(blk->vdev);
	uring_reap(blk);
	virtio_dev_unlock(blk->vdev);
}

static void uring_drain(struct blk_dev *blk, bool complete)
{
	struct uring_state *st = state(blk);
	struct io_uring_cqe *cqe;
	int r;

	submit_queued(blk);
	while (st->in_flight) {
		if (st->queued) {
			/* Prepared but never accepted by the kernel: nothing will complete them. */
			log_warn("%s: %u requests could not be submitted", blk->name, st->queued);
			return;
		}
		r = io_uring_wait_cqe(&st->ring, &cqe);
		if (r == -EINTR || r == -EAGAIN)
			continue;
		if (r < 0) {
			log_warn("%s: waiting for in-flight I/O failed: %s", blk->name,
				 strerror(-r));
			return;
		}
		handle_cqe(blk, cqe, complete);
	}
}

static int uring_init(struct blk_dev *blk, struct ev_loop *loop)
{
	struct uring_state *st = calloc(1, sizeof(*st));
	int err;

	if (!st)
		return -ENOMEM;
	st->efd = -1;
	st->loop = loop;
	err = io_uring_queue_init(BLK_QUEUE_SIZE, &st->ring, 0);
	if (err < 0) {
		free(st);
		return err;
	}
	st->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (st->efd < 0) {
		err = -errno;
		goto fail;
	}
	err = io_uring_register_eventfd(&st->ring, st->efd);
	if (err < 0)
		goto fail;
	err = ev_loop_add(loop, st->efd, EPOLLIN, completion_handler, blk);
	if (err < 0)
		goto fail;
	blk->engine_state = st;
	return 0;
fail:
	if (st->efd >= 0)
		close(st->efd);
	io_uring_queue_exit(&st->ring);
	free(st);
	return err;
}

static void uring_fini(struct blk_dev *blk)
{
	struct uring_state *st = state(blk);

	if (!st)
		return;
	ev_loop_del(st->loop, st->efd);
	io_uring_queue_exit(&st->ring);
	close(st->efd);
	free(st);
	blk->engine_state = NULL;
}

const struct blk_io_engine blk_engine_uring = {
	.name = "uring",
	.init = uring_init,
	.submit = uring_submit,
	.flush_batch = uring_flush_batch,
	.reap = uring_reap,
	.drain = uring_drain,
	.fini = uring_fini,
};
