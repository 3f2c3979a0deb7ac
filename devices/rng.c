// SPDX-License-Identifier: MIT
/* virtio-rng: guest buffers filled with the host's getrandom(). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <linux/virtio_ids.h>

#include "devices/rng.h"
#include "devices/virtio/virtio.h"
#include "vmm/config.h"
#include "vmm/device_env.h"
#include "vmm/error.h"

struct rng_dev {
	struct virtio_dev *vdev;
	struct iovec iov[RNG_QUEUE_SIZE];
	struct rng_counters counters;
};

/* Fills the chain's device-writable buffers, at most RNG_CHAIN_BYTES; returns the bytes written. */
static uint32_t fill(struct rng_dev *rng, const struct virtq_chain *c)
{
	uint32_t done = 0;

	for (unsigned i = c->nr_out; i < (unsigned)c->nr_out + c->nr_in && done < RNG_CHAIN_BYTES;
	     i++) {
		size_t want = c->iov[i].iov_len;
		size_t got = 0;

		if (want > RNG_CHAIN_BYTES - done)
			want = RNG_CHAIN_BYTES - done;
		while (got < want) {
			ssize_t n = getrandom((uint8_t *)c->iov[i].iov_base + got, want - got, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return done + (uint32_t)got;
			got += (size_t)n;
		}
		done += (uint32_t)got;
	}
	return done;
}

static void rng_queue_notify(struct virtio_dev *vdev, struct virtq *vq, unsigned qi)
{
	struct rng_dev *rng = vdev->opaque;
	struct virtq_chain c = { .iov = rng->iov, .iov_cap = RNG_QUEUE_SIZE };
	int r = 0;

	do {
		virtq_disable_notify(vq);
		/* At most one ring's worth per pass: the ring is bounded by its size. */
		for (unsigned n = 0; n < vq->size && (r = virtq_pop(vq, &c)) > 0; n++) {
			uint32_t len = 0;

			rng->counters.requests++;
			if (c.nr_out || !c.nr_in)
				rng->counters.bad_requests++; /* nothing to fill, or a readable buffer */
			else
				len = fill(rng, &c);
			rng->counters.bytes += len;
			virtq_push(vq, c.head, len);
		}
		if (r < 0) {
			virtio_dev_fail(vdev, virtq_error_name(-r));
			return;
		}
	} while (virtq_enable_notify(vq));
	virtio_dev_signal_used(vdev, vq);
}

static void rng_config_read(struct virtio_dev *vdev, uint32_t offset, uint8_t *data, uint32_t len)
{
	memset(data, 0, len);
}

static void rng_reset(struct virtio_dev *vdev)
{
}

static const struct virtio_dev_ops rng_ops = {
	.config_read = rng_config_read,
	.reset = rng_reset,
	.queue_notify = rng_queue_notify,
};

struct rng_dev *rng_dev_new(void)
{
	return calloc(1, sizeof(struct rng_dev));
}

void rng_dev_params(struct rng_dev *rng, struct virtio_dev_params *p)
{
	*p = (struct virtio_dev_params){
		.name = "virtio-rng",
		.device_id = VIRTIO_ID_RNG,
		.features = 0,
		.nr_queues = 1,
		.queue_size_max = RNG_QUEUE_SIZE,
		.config_size = 0,
		.ops = &rng_ops,
		.opaque = rng,
		.dev_ref = &rng->vdev,
	};
}

void rng_dev_destroy(void *opaque)
{
	struct rng_dev *rng = opaque;

	virtio_dev_destroy(rng->vdev);
	free(rng);
}

void rng_dev_counters(struct rng_dev *rng, struct rng_counters *out)
{
	virtio_dev_lock(rng->vdev);
	*out = rng->counters;
	virtio_dev_unlock(rng->vdev);
}

static unsigned rng_count(const struct vm_config *cfg)
{
	return cfg->rng ? 1 : 0;
}

static int rng_open(const struct device_env *env, const struct vm_config *cfg, unsigned i,
		    void **model, struct virtio_dev_params *params, struct error *e)
{
	struct rng_dev *rng = rng_dev_new();

	if (!rng)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	rng_dev_params(rng, params);
	*model = rng;
	return 0;
}

const struct device_kind virtio_rng_device = {
	.name = "virtio-rng",
	.count = rng_count,
	.open_virtio = rng_open,
	.destroy = rng_dev_destroy,
};
