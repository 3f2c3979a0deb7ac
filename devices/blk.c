// SPDX-License-Identifier: MIT
/* virtio-blk device model: configuration, request parsing and checks, completion. */
#include <endian.h>
#include <errno.h>
#include <libgen.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/virtio_ids.h>

#include "devices/blk_priv.h"
#include "devices/virtio/iov.h"
#include "vmm/device_env.h"
#include "vmm/error.h"
#include "vmm/log.h"
#include "vmm/memory.h"
#include "vmm/util.h"

#define SECTOR 512ULL
#define BIT64(n) (1ULL << (n))

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

static size_t req_stride(void)
{
	return ALIGN_UP(sizeof(struct blk_req) + BLK_QUEUE_SIZE * sizeof(struct iovec), 64);
}

static size_t pool_bytes(void)
{
	return BLK_QUEUE_SIZE * req_stride();
}

struct virtq *blk_vq(struct blk_dev *blk)
{
	return &blk->vdev->queues[0].vq;
}

uint64_t blk_dev_capacity(const struct blk_dev *blk)
{
	return blk->size / SECTOR;
}

/*
 * A slot comes from the free list, else is carved from the part of the pool never used yet: the
 * pool (about 1 MiB) is only touched, and so only resident, as deep as the guest's queue has
 * ever been, a few KiB for most guests instead of all of it per drive.
 */
static struct blk_req *req_get(struct blk_dev *blk)
{
	struct blk_req *req = blk->free_reqs;

	if (req)
		blk->free_reqs = req->next_free;
	else if (blk->pool_carved < BLK_QUEUE_SIZE)
		req = (struct blk_req *)(blk->pool + blk->pool_carved++ * req_stride());
	else
		return NULL;
	blk->in_flight++;
	return req;
}

static void req_put(struct blk_dev *blk, struct blk_req *req)
{
	req->next_free = blk->free_reqs;
	blk->free_reqs = req;
	blk->in_flight--;
}

void blk_req_drop(struct blk_dev *blk, struct blk_req *req)
{
	req_put(blk, req);
}

void blk_remap_queue(struct blk_dev *blk)
{
	struct virtq *vq = blk_vq(blk);

	if (vq->ready && virtq_map(vq) < 0) {
		vq->errors[VIRTQ_ERR_RING_ADDR]++;
		virtio_dev_fail(blk->vdev, virtq_error_name(VIRTQ_ERR_RING_ADDR));
	}
}

bool blk_req_memory_ok(struct blk_dev *blk, const struct blk_req *req)
{
	const struct guest_mem *gm = blk->vdev->env.mem;

	if (!gm || !guest_mem_is_confidential(gm))
		return true;
	if (req->status && !guest_mem_dma_still_shared(gm, req->status, 1))
		return false;
	for (unsigned i = 0; i < req->nr_data; i++)
		if (!guest_mem_dma_still_shared(gm, req->data[i].iov_base, req->data[i].iov_len))
			return false;
	return true;
}

void blk_req_done(struct blk_dev *blk, struct blk_req *req, uint8_t status)
{
	struct virtq *vq = blk_vq(blk);
	uint32_t used = 0;

	if (!blk_req_memory_ok(blk, req)) {
		/* Whatever the I/O did, the guest took the memory back: say nothing there. */
		blk->counters.memory_lost++;
		virtio_dev_fail(blk->vdev, "request memory made private while in flight");
		req->status = NULL;
	}
	if (status == VIRTIO_BLK_S_IOERR)
		blk->counters.ioerr++;
	if (req->status) {
		__atomic_store_n(req->status, status, __ATOMIC_RELAXED);
		used = status == VIRTIO_BLK_S_OK ? req->ok_used_len : 1;
	}
	/* A queue the driver disabled (or a device reset) must not be touched any more. */
	if (vq->ready && vq->used)
		virtq_push(vq, req->head, used);
	req_put(blk, req);
}

static bool sectors_ok(struct blk_dev *blk, uint64_t sector, uint64_t nr)
{
	uint64_t cap = blk_dev_capacity(blk);

	return sector <= cap && nr <= cap - sector;
}

/* DISCARD and WRITE_ZEROES: copy every segment out, check them all, then act. */
static uint8_t do_discard_write_zeroes(struct blk_dev *blk, struct blk_req *req, bool zeroes)
{
	struct virtio_blk_discard_write_zeroes segs[BLK_MAX_DWZ_SEGS];
	uint32_t allowed = zeroes ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0;
	unsigned nr;
	int err = 0;

	if (req->data_len == 0 || req->data_len % sizeof(segs[0]) ||
	    req->data_len / sizeof(segs[0]) > BLK_MAX_DWZ_SEGS) {
		blk->counters.bad_request++;
		return VIRTIO_BLK_S_IOERR;
	}
	nr = (unsigned)(req->data_len / sizeof(segs[0]));
	iov_to_buf(req->data, req->nr_data, 0, segs, req->data_len);
	for (unsigned i = 0; i < nr; i++) {
		uint32_t flags = le32toh(segs[i].flags);

		/* Unknown flags, or unmap on a discard: the spec says UNSUPP. */
		if (flags & ~allowed) {
			blk->counters.unsupported++;
			return VIRTIO_BLK_S_UNSUPP;
		}
		if (le32toh(segs[i].num_sectors) > BLK_MAX_DWZ_SECTORS ||
		    !sectors_ok(blk, le64toh(segs[i].sector), le32toh(segs[i].num_sectors))) {
			blk->counters.bad_request++;
			return VIRTIO_BLK_S_IOERR;
		}
	}
	for (unsigned i = 0; i < nr && !err; i++) {
		uint64_t off = le64toh(segs[i].sector) * SECTOR;
		uint64_t len = le32toh(segs[i].num_sectors) * SECTOR;
		bool unmap = le32toh(segs[i].flags) & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;

		if (!len)
			continue;
		err = zeroes ? blk_backend_write_zeroes(blk, off, len, unmap)
			     : blk_backend_discard(blk, off, len);
		err = blk_io_result(blk, req->type, off, len, err);
	}
	if (!err && blk->writethrough)
		err = blk_io_result(blk, req->type, 0, 0, blk_backend_flush(blk));
	return err ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

/* Checks an IN / OUT; on success the engine takes it. */
static bool rw_ok(struct blk_dev *blk, struct blk_req *req, uint64_t sector)
{
	if (req->data_len % SECTOR || !sectors_ok(blk, sector, req->data_len / SECTOR)) {
		blk->counters.bad_request++;
		return false;
	}
	req->offset = sector * SECTOR;
	return true;
}

/* Parses a popped chain and starts (or immediately completes) the request. */
static void start_request(struct blk_dev *blk, struct blk_req *req, const struct virtq_chain *c)
{
	struct iovec *in = req->iov + c->nr_out;
	unsigned nr_in = c->nr_in, nr_out = c->nr_out;
	struct blk_hdr hdr;
	uint64_t sector;
	uint8_t st;

	req->head = c->head;
	req->status = NULL;
	req->data = NULL;
	req->nr_data = 0;
	req->ok_used_len = 1;
	/* The status is the last device-writable byte, whatever the framing. */
	if (c->in_bytes == 0) {
		blk->counters.bad_request++;
		blk_req_done(blk, req, VIRTIO_BLK_S_IOERR);
		return;
	}
	req->status = iov_last_byte(in, nr_in);
	iov_drop_back(in, &nr_in, 1);
	if (c->out_bytes < sizeof(hdr)) {
		blk->counters.bad_request++;
		blk_req_done(blk, req, VIRTIO_BLK_S_IOERR);
		return;
	}
	iov_to_buf(req->iov, nr_out, 0, &hdr, sizeof(hdr));
	req->type = le32toh(hdr.type);
	sector = le64toh(hdr.sector);

	switch (req->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_GET_ID:
		req->data = in;
		req->nr_data = nr_in;
		req->data_len = c->in_bytes - 1;
		break;
	default:
		req->data = iov_drop_front(req->iov, &nr_out, sizeof(hdr));
		req->nr_data = nr_out;
		req->data_len = c->out_bytes - sizeof(hdr);
		break;
	}

	switch (req->type) {
	case VIRTIO_BLK_T_IN:
		blk->counters.reads++;
		if (!rw_ok(blk, req, sector))
			break;
		req->ok_used_len = (uint32_t)req->data_len + 1;
		blk->engine->submit(blk, req);
		return;
	case VIRTIO_BLK_T_OUT:
		blk->counters.writes++;
		if (blk->read_only || !rw_ok(blk, req, sector))
			break;
		blk->engine->submit(blk, req);
		return;
	case VIRTIO_BLK_T_FLUSH:
		blk->counters.flushes++;
		blk->engine->submit(blk, req);
		return;
	case VIRTIO_BLK_T_GET_ID:
		blk->counters.get_ids++;
		req->ok_used_len = (uint32_t)iov_from_buf(req->data, req->nr_data, 0, blk->id,
							  MIN(req->data_len, BLK_ID_BYTES)) + 1;
		blk_req_done(blk, req, VIRTIO_BLK_S_OK);
		return;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES: {
		bool zeroes = req->type == VIRTIO_BLK_T_WRITE_ZEROES;
		unsigned bit = zeroes ? VIRTIO_BLK_F_WRITE_ZEROES : VIRTIO_BLK_F_DISCARD;

		if (zeroes)
			blk->counters.write_zeroes++;
		else
			blk->counters.discards++;
		if (blk->read_only)
			break;
		if (!virtio_has_feature(blk->vdev, bit)) {
			blk->counters.unsupported++;
			blk_req_done(blk, req, VIRTIO_BLK_S_UNSUPP);
			return;
		}
		st = do_discard_write_zeroes(blk, req, zeroes);
		blk_req_done(blk, req, st);
		return;
	}
	default:
		blk->counters.unsupported++;
		blk_req_done(blk, req, VIRTIO_BLK_S_UNSUPP);
		return;
	}
	/* Read-only refusal or a bad range: nothing was transferred. */
	blk_req_done(blk, req, VIRTIO_BLK_S_IOERR);
}

/*
 * Whether to poll after a pass that found requests.  A window that ends without the driver having
 * added anything (it was descheduled, or is not that busy) was CPU burnt for nothing: each such
 * window doubles the number of passes that skip polling (up to BLK_POLL_BACKOFF_MAX); a window
 * that found requests resets it.  So a busy host or an idle guest soon stops paying for polling.
 */
static bool start_polling(struct blk_dev *blk)
{
	if (!blk->poller.window_ns)
		return false;
	if (blk->poll_skip) {
		blk->poll_skip--;
		return false;
	}
	blk->poll_hits = 0;
	return true;
}

/* Bytes a request moves: what its chain holds beyond the 16-byte header and the status byte. */
static uint64_t request_bytes(const struct virtq_chain *c)
{
	uint64_t total = (uint64_t)c->out_bytes + c->in_bytes;

	return total > sizeof(struct blk_hdr) + 1 ? total - sizeof(struct blk_hdr) - 1 : 0;
}

/*
 * Whether rate= lets the request of chain c start now (it is then charged).  If not, the queue
 * is throttled: the caller gives the chain back to the ring and the rate timer resumes the queue
 * once the limiter allows it; notifications stay off meanwhile.
 */
static bool rate_allows(struct blk_dev *blk, const struct virtq_chain *c)
{
	uint64_t bytes;
	int err;

	if (!rate_limiter_active(&blk->limit))
		return true;
	bytes = request_bytes(c);
	if (rate_limiter_consume(&blk->limit, bytes))
		return true;
	blk->throttled = true;
	err = ev_timer_arm_ns(blk->rate_timer_fd, rate_limiter_wait_ns(&blk->limit, bytes));
	if (err < 0)
		log_warn("%s: cannot arm the rate timer: %s", blk->name, strerror(-err));
	return false;
}

/* The rate timer: the held request may go now (or the limiter says how much longer). */
static void rate_resume(void *opaque, int fd, uint32_t events)
{
	struct blk_dev *blk = opaque;

	ev_fd_drain(fd);
	if (!blk->vdev)
		return;
	virtio_dev_lock(blk->vdev);
	blk->throttled = false;
	if (virtio_queue_usable(blk->vdev, blk_vq(blk)))
		blk_process_queue(blk);
	virtio_dev_unlock(blk->vdev);
}

void blk_process_queue(struct blk_dev *blk)
{
	struct virtq *vq = blk_vq(blk);
	struct virtq_chain chain;
	struct blk_req *req;
	unsigned popped = 0;
	int r;

	/* Throttled: the rate timer resumes the queue; kicks meanwhile change nothing. */
	if (blk->throttled)
		return;
	blk->stalled = false;
	for (;;) {
		virtq_disable_notify(vq);
		for (;;) {
			req = req_get(blk);
			if (!req) {
				/* Notifications stay off; the next completion resumes us. */
				blk->stalled = true;
				goto out;
			}
			chain.iov = req->iov;
			chain.iov_cap = BLK_QUEUE_SIZE;
			r = virtq_pop(vq, &chain);
			if (r <= 0) {
				req_put(blk, req);
				if (r < 0) {
					virtio_dev_fail(blk->vdev, virtq_error_name(-r));
					goto out;
				}
				break;
			}
			if (!rate_allows(blk, &chain)) {
				virtq_unpop(vq);
				req_put(blk, req);
				goto out;
			}
			start_request(blk, req, &chain);
			popped++;
		}
		/*
		 * Polling: notifications stay off and the loop keeps looking at the ring until the
		 * poll window passes without requests (blk_poll_stop() turns them back on).
		 */
		if (blk->poller.armed || (popped && start_polling(blk))) {
			if (popped)
				ev_poller_arm(blk->loop, &blk->poller);
			break;
		}
		if (!virtq_enable_notify(vq))
			break;
	}
out:
	blk->engine->flush_batch(blk);
	virtio_dev_signal_used(blk->vdev, vq);
}

/* Poller: new requests on a live queue are served as a notification would be. */
static bool blk_poll(void *opaque)
{
	struct blk_dev *blk = opaque;
	struct virtio_dev *vdev = blk->vdev;
	struct virtq *vq = blk_vq(blk);
	bool work = false;

	virtio_dev_lock(vdev);
	/* Completions first: they may free the slots a stalled queue waits for. */
	if (blk->engine->reap && blk->engine->reap(blk))
		work = true;
	/* As for a notification: the rings may have stopped being shared meanwhile. */
	if (!blk->stalled && !blk->throttled && virtio_queue_usable(vdev, vq) &&
	    virtq_pending(vq)) {
		work = true;
		blk->poll_hits++;
		blk_process_queue(blk);
	}
	virtio_dev_unlock(vdev);
	/* Requests in the kernel's hands may need a worker thread: leave it the CPU meanwhile. */
	if (!work && blk->in_flight)
		sched_yield();
	return work;
}

/* The poll window passed: back to guest notifications, serving what raced with the switch. */
static void blk_poll_stop(void *opaque)
{
	struct blk_dev *blk = opaque;
	struct virtio_dev *vdev = blk->vdev;
	struct virtq *vq = blk_vq(blk);

	virtio_dev_lock(vdev);
	if (blk->poll_hits) {
		blk->poll_backoff = 0;
	} else {
		blk->poll_backoff = blk->poll_backoff ? 2 * blk->poll_backoff : 1;
		if (blk->poll_backoff > BLK_POLL_BACKOFF_MAX)
			blk->poll_backoff = BLK_POLL_BACKOFF_MAX;
		blk->poll_skip = blk->poll_backoff;
	}
	if (!blk->stalled && !blk->throttled && virtio_queue_usable(vdev, vq) &&
	    virtq_enable_notify(vq))
		blk_process_queue(blk);
	virtio_dev_unlock(vdev);
}

static void blk_config_read(struct virtio_dev *vdev, uint32_t offset, uint8_t *data, uint32_t len)
{
	struct blk_dev *blk = vdev->opaque;

	memcpy(data, (const uint8_t *)&blk->config + offset, len);
}

static int blk_activate(struct virtio_dev *vdev)
{
	struct blk_dev *blk = vdev->opaque;

	/* Without FLUSH negotiated, a completed write must already be stable (spec 5.2.6.2). */
	blk->writethrough = !virtio_has_feature(vdev, VIRTIO_BLK_F_FLUSH);
	return 0;
}

static void blk_reset(struct virtio_dev *vdev)
{
	struct blk_dev *blk = vdev->opaque;

	/* In-flight DMA into guest memory must end before the driver reuses it.  A held request
	 * is forgotten with its ring; the limiter keeps its state (a reset refills nothing). */
	blk->engine->drain(blk, false);
	blk->stalled = false;
	blk->throttled = false;
}

static void blk_queue_notify(struct virtio_dev *vdev, struct virtq *vq, unsigned qi)
{
	blk_process_queue(vdev->opaque);
}

static const struct virtio_dev_ops blk_ops = {
	.config_read = blk_config_read,
	.activate = blk_activate,
	.reset = blk_reset,
	.queue_notify = blk_queue_notify,
};

static void fill_config(struct blk_dev *blk)
{
	struct virtio_blk_config *c = &blk->config;

	memset(c, 0, sizeof(*c));
	c->capacity = htole64(blk_dev_capacity(blk));
	c->size_max = htole32(BLK_SIZE_MAX);
	c->seg_max = htole32(BLK_SEG_MAX);
	c->blk_size = htole32(SECTOR);
	c->num_queues = htole16(1);
	c->max_discard_sectors = htole32(BLK_MAX_DWZ_SECTORS);
	c->max_discard_seg = htole32(BLK_MAX_DWZ_SEGS);
	c->discard_sector_alignment = htole32(4096 / SECTOR);
	c->max_write_zeroes_sectors = htole32(BLK_MAX_DWZ_SECTORS);
	c->max_write_zeroes_seg = htole32(BLK_MAX_DWZ_SEGS);
	c->write_zeroes_may_unmap = !blk->is_blockdev;
}

void blk_dev_params(struct blk_dev *blk, struct virtio_dev_params *p)
{
	uint64_t f = BIT64(VIRTIO_BLK_F_SIZE_MAX) | BIT64(VIRTIO_BLK_F_SEG_MAX) |
		     BIT64(VIRTIO_BLK_F_BLK_SIZE) | BIT64(VIRTIO_BLK_F_FLUSH);

	if (blk->read_only)
		f |= BIT64(VIRTIO_BLK_F_RO);
	else
		f |= BIT64(VIRTIO_BLK_F_DISCARD) | BIT64(VIRTIO_BLK_F_WRITE_ZEROES);
	*p = (struct virtio_dev_params){
		.name = blk->name,
		.device_id = VIRTIO_ID_BLOCK,
		.features = f,
		.nr_queues = 1,
		.queue_size_max = BLK_QUEUE_SIZE,
		.config_size = sizeof(blk->config),
		.ops = &blk_ops,
		.opaque = blk,
		.dev_ref = &blk->vdev,
	};
}

static void set_identity(struct blk_dev *blk, const struct drive_config *cfg)
{
	char *copy = strdup(cfg->path);
	const char *id = cfg->id;

	if (!id && copy)
		id = basename(copy);
	memset(blk->id, 0, sizeof(blk->id));
	if (id)
		memcpy(blk->id, id, MIN(strlen(id), sizeof(blk->id)));
	snprintf(blk->name, sizeof(blk->name), "virtio-blk %.20s", id ? id : "?");
	free(copy);
}

static void free_blk(struct blk_dev *blk)
{
	if (blk->rate_timer_fd >= 0)
		ev_timer_del(blk->loop, blk->rate_timer_fd);
	if (blk->fd >= 0)
		close(blk->fd);
	if (blk->pool)
		munmap(blk->pool, pool_bytes());
	free(blk->path);
	free(blk);
}

int blk_dev_open(const struct drive_config *cfg, struct ev_loop *loop, const struct clock *clock,
		 struct blk_dev **out, struct error *e)
{
	struct blk_dev *blk;
	int err;

	if (!cfg->path)
		return error_set(e, ERROR_USAGE, EINVAL, "drive: no path");
	blk = calloc(1, sizeof(*blk));
	if (!blk)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	blk->fd = -1;
	blk->rate_timer_fd = -1;
	blk->loop = loop;
	blk->path = strdup(cfg->path);
	/* Its own mapping, not the heap's: pages are only touched (resident) when slots are used. */
	blk->pool = mmap(NULL, pool_bytes(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (blk->pool == MAP_FAILED)
		blk->pool = NULL;
	if (!blk->path || !blk->pool) {
		free_blk(blk);
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	}
	set_identity(blk, cfg);
	err = blk_backend_open(blk, cfg->path, cfg->read_only, e);
	if (err < 0) {
		free_blk(blk);
		return err;
	}
	fill_config(blk);
	rate_limiter_init(&blk->limit, &cfg->rate, clock);
	blk->clock = clock;
	if (rate_limiter_active(&blk->limit)) {
		err = ev_timer_open(loop, rate_resume, blk);
		if (err < 0) {
			error_set(e, ERROR_HOST, err, "drive %s: cannot create the rate timer: %s",
				  cfg->path, strerror(-err));
			free_blk(blk);
			return err;
		}
		blk->rate_timer_fd = err;
	}
	blk->poller = (struct ev_poller){
		.poll = blk_poll,
		.stop = blk_poll_stop,
		.opaque = blk,
		.window_ns = (uint64_t)cfg->poll_us * 1000,
	};
	blk->engine = cfg->engine == BLK_ENGINE_URING ? &blk_engine_uring : &blk_engine_sync;
	err = blk->engine->init(blk, loop);
	if (err < 0) {
		error_set(e, ERROR_HOST, err, "drive %s: cannot start the %s engine: %s", cfg->path,
			  blk->engine->name, strerror(-err));
		free_blk(blk);
		return err;
	}
	*out = blk;
	return 0;
}

void blk_dev_stop(void *opaque)
{
	struct blk_dev *blk = opaque;

	if (!blk->vdev)
		return;
	virtio_dev_lock(blk->vdev);
	blk_remap_queue(blk);
	blk->engine->drain(blk, true);
	if (virtio_queue_live(blk->vdev, blk_vq(blk)))
		virtio_dev_signal_used(blk->vdev, blk_vq(blk));
	if (!blk->read_only)
		blk_io_result(blk, VIRTIO_BLK_T_FLUSH, 0, 0, blk_backend_flush(blk));
	if (blk->data_lost)
		log_error("%s: %s: data the guest wrote may be lost: %llu writes and %llu flushes "
			  "failed", blk->name, blk->path,
			  (unsigned long long)blk->counters.write_errors,
			  (unsigned long long)blk->counters.flush_errors);
	virtio_dev_unlock(blk->vdev);
}

void blk_dev_destroy(void *opaque)
{
	struct blk_dev *blk = opaque;

	if (blk->loop)
		ev_poller_disarm(blk->loop, &blk->poller);
	/* Destroying the transport resets the device, which drains the engine. */
	virtio_dev_destroy(blk->vdev);
	blk->engine->fini(blk);
	free_blk(blk);
}

/* A backing file swap, prepared by the caller and carried out on the loop thread. */
struct blk_swap {
	struct blk_dev *blk;
	struct blk_dev next; /* only fd, size, is_blockdev and path are used */
	int flush_err;
};

static void swap_on_loop(void *arg)
{
	struct blk_swap *sw = arg;
	struct blk_dev *blk = sw->blk;
	int fd = blk->fd;
	char *path = blk->path;

	virtio_dev_lock(blk->vdev);
	/* Requests in flight finish on the old file, and what they wrote is made durable. */
	blk->engine->drain(blk, true);
	if (virtio_queue_live(blk->vdev, blk_vq(blk)))
		virtio_dev_signal_used(blk->vdev, blk_vq(blk));
	sw->flush_err = blk->read_only ? 0 : blk_backend_flush(blk);
	blk->fd = sw->next.fd;
	blk->size = sw->next.size;
	blk->is_blockdev = sw->next.is_blockdev;
	blk->path = sw->next.path;
	fill_config(blk);
	blk->counters.updates++;
	/* The guest rereads the configuration: capacity (and write-zeroes unmap) may differ. */
	virtio_dev_config_changed(blk->vdev);
	virtio_dev_unlock(blk->vdev);
	sw->next.fd = fd;
	sw->next.path = path;
}

int blk_dev_swap_backend(struct blk_dev *blk, const char *path, struct ev_loop *loop,
			 struct error *e)
{
	struct blk_swap sw = { .blk = blk };
	int ret;

	sw.next.fd = -1;
	sw.next.path = strdup(path);
	if (!sw.next.path)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	ret = blk_backend_open(&sw.next, path, blk->read_only, e);
	if (ret) {
		free(sw.next.path);
		blk->counters.update_fails++;
		return ret;
	}
	ret = ev_loop_call(loop, swap_on_loop, &sw, BLK_SWAP_TIMEOUT_MS);
	/* After a swap, next holds the old file; otherwise the new one: closed either way. */
	close(sw.next.fd);
	free(sw.next.path);
	if (ret) {
		blk->counters.update_fails++;
		return error_set(e, ERROR_HOST, ret, "drive %s: the device did not take the new file: "
				 "%s", path, ret == -ETIMEDOUT ? "its event loop did not answer"
							       : "the VM is stopping");
	}
	if (sw.flush_err)
		log_warn("%s: flush of the replaced file failed: %s", blk->name,
			 strerror(-sw.flush_err));
	log_info("%s: now backed by %s, %llu sectors; the guest was told", blk->name, path,
		 (unsigned long long)blk_dev_capacity(blk));
	return 0;
}

void blk_dev_counters(struct blk_dev *blk, struct blk_counters *out)
{
	if (blk->vdev)
		virtio_dev_lock(blk->vdev);
	*out = blk->counters;
	out->throttled = blk->limit.counters;
	if (blk->vdev)
		virtio_dev_unlock(blk->vdev);
}

/* The counters as name/value pairs, for vm_get_counters(). */
static void blk_model_counters(void *opaque, struct device_counters *out)
{
	struct blk_counters c;

	blk_dev_counters(opaque, &c);
	device_counters_add(out, "reads", c.reads);
	device_counters_add(out, "writes", c.writes);
	device_counters_add(out, "flushes", c.flushes);
	device_counters_add(out, "discards", c.discards);
	device_counters_add(out, "write_zeroes", c.write_zeroes);
	device_counters_add(out, "get_ids", c.get_ids);
	device_counters_add(out, "unsupported", c.unsupported);
	device_counters_add(out, "bytes_read", c.bytes_read);
	device_counters_add(out, "bytes_written", c.bytes_written);
	device_counters_add(out, "ioerr", c.ioerr);
	device_counters_add(out, "bad_request", c.bad_request);
	device_counters_add(out, "bandwidth_throttled", c.throttled.bandwidth_throttled);
	device_counters_add(out, "ops_throttled", c.throttled.ops_throttled);
	device_counters_add(out, "memory_lost", c.memory_lost);
	device_counters_add(out, "read_errors", c.read_errors);
	device_counters_add(out, "write_errors", c.write_errors);
	device_counters_add(out, "flush_errors", c.flush_errors);
	device_counters_add(out, "discard_errors", c.discard_errors);
	device_counters_add(out, "errors_not_logged", c.errors_not_logged);
}

/* The device table's row: one virtio-blk device per --drive, in command-line order. */
static unsigned blk_count(const struct vm_config *cfg)
{
	return cfg->nr_drives;
}

static int blk_model_open(const struct device_env *env, const struct vm_config *cfg, unsigned i,
			  void **model, struct virtio_dev_params *params, struct error *e)
{
	struct blk_dev *blk;
	int err = blk_dev_open(&cfg->drives[i], env->loop, env->clock, &blk, e);

	if (err)
		return err;
	blk_dev_attach_env(blk, env);
	blk_dev_params(blk, params);
	*model = blk;
	return 0;
}

const struct device_kind virtio_blk_device = {
	.name = "virtio-blk",
	.count = blk_count,
	.open_virtio = blk_model_open,
	.stop = blk_dev_stop,
	.destroy = blk_dev_destroy,
	.counters = blk_model_counters,
};
