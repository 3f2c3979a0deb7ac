// SPDX-License-Identifier: MIT
/* The virtio-mmio transport (version 2): register file, negotiation, status, queues, interrupts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "devices/virtio/virtio.h"
#include "vmm/event_loop.h"
#include "vmm/kvm_api.h"
#include "vmm/log.h"
#include "vmm/memory.h"
#include "vmm/util.h"

#define BIT64(n) (1ULL << (n))

/* Bits a driver may set; NEEDS_RESET belongs to the device. */
#define DRIVER_STATUS_BITS                                                                    \
	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |  \
	 VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_FAILED)

uint64_t virtio_transport_features(const struct virtio_env *env)
{
	uint64_t f = BIT64(VIRTIO_F_VERSION_1) | BIT64(VIRTIO_RING_F_EVENT_IDX) |
		     BIT64(VIRTIO_RING_F_INDIRECT_DESC);

	/* Confidential guests must bounce DMA through shared memory and order it for real. */
	if (env->confidential || env->access_platform)
		f |= BIT64(VIRTIO_F_ACCESS_PLATFORM) | BIT64(VIRTIO_F_ORDER_PLATFORM);
	return f;
}

void virtio_dev_lock(struct virtio_dev *vdev)
{
	pthread_mutex_lock(&vdev->lock);
	/* Guest memory the device reached stays shared until the unlock. */
	guest_mem_dev_enter(vdev->env.mem);
}

void virtio_dev_unlock(struct virtio_dev *vdev)
{
	guest_mem_dev_exit(vdev->env.mem);
	pthread_mutex_unlock(&vdev->lock);
}

bool virtio_dev_live(const struct virtio_dev *vdev)
{
	return (vdev->status & (VIRTIO_CONFIG_S_DRIVER_OK | VIRTIO_CONFIG_S_NEEDS_RESET |
				VIRTIO_CONFIG_S_FAILED)) == VIRTIO_CONFIG_S_DRIVER_OK;
}

bool virtio_queue_live(const struct virtio_dev *vdev, const struct virtq *vq)
{
	return virtio_dev_live(vdev) && vq->ready;
}

bool virtio_queue_usable(struct virtio_dev *vdev, struct virtq *vq)
{
	if (!virtio_queue_live(vdev, vq))
		return false;
	/* Re-resolve the rings: the guest may have made their pages private since. */
	if (virtq_map(vq) < 0) {
		vq->errors[VIRTQ_ERR_RING_ADDR]++;
		virtio_dev_fail(vdev, virtq_error_name(VIRTQ_ERR_RING_ADDR));
		return false;
	}
	return true;
}

static void raise_irq(struct virtio_dev *vdev, uint32_t isr_bit)
{
	__atomic_fetch_or(&vdev->interrupt_status, isr_bit, __ATOMIC_SEQ_CST);
	if (eventfd_write(vdev->irq_fd, 1) < 0)
		log_warn("%s: cannot signal interrupt: %s", vdev->name, strerror(errno));
}

void virtio_dev_signal_used(struct virtio_dev *vdev, struct virtq *vq)
{
	if (!virtq_should_notify(vq)) {
		vdev->counters.interrupts_suppressed++;
		return;
	}
	vdev->counters.interrupts++;
	raise_irq(vdev, VIRTIO_MMIO_INT_VRING);
}

void virtio_dev_config_changed(struct virtio_dev *vdev)
{
	vdev->config_generation++;
	if (!(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return;
	vdev->counters.config_interrupts++;
	raise_irq(vdev, VIRTIO_MMIO_INT_CONFIG);
}

void virtio_dev_fail(struct virtio_dev *vdev, const char *why)
{
	if (vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	vdev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	vdev->counters.needs_reset++;
	if (!vdev->warned) {
		log_warn("%s: %s; device needs reset", vdev->name, why);
		vdev->warned = true;
	}
	if (vdev->status & VIRTIO_CONFIG_S_DRIVER_OK) {
		vdev->counters.config_interrupts++;
		raise_irq(vdev, VIRTIO_MMIO_INT_CONFIG);
	}
}

void virtio_dev_counters(struct virtio_dev *vdev, struct virtio_counters *out)
{
	virtio_dev_lock(vdev);
	*out = vdev->counters;
	for (unsigned i = 0; i < vdev->nr_queues; i++) {
		const struct virtq *vq = &vdev->queues[i].vq;

		out->chains += vq->popped;
		out->used += vq->pushed;
		for (unsigned e = 0; e < VIRTQ_ERR__COUNT; e++)
			out->bad_chain[e] += vq->errors[e];
	}
	virtio_dev_unlock(vdev);
}

static void kick_handler(void *opaque, int fd, uint32_t events)
{
	struct virtio_queue *q = opaque;
	struct virtio_dev *vdev = q->vdev;
	eventfd_t v;

	if (eventfd_read(fd, &v) < 0)
		return;
	virtio_dev_lock(vdev);
	vdev->counters.kicks++;
	if (virtio_queue_usable(vdev, &q->vq))
		vdev->ops->queue_notify(vdev, &q->vq, q->index);
	virtio_dev_unlock(vdev);
}

static void kick_queue(struct virtio_queue *q)
{
	if (eventfd_write(q->kick_fd, 1) < 0)
		log_warn("%s: cannot kick queue %u: %s", q->vdev->name, q->index, strerror(errno));
}

static struct virtio_queue *selected_queue(struct virtio_dev *vdev)
{
	return vdev->queue_sel < vdev->nr_queues ? &vdev->queues[vdev->queue_sel] : NULL;
}

static void device_reset(struct virtio_dev *vdev)
{
	vdev->ops->reset(vdev);
	for (unsigned i = 0; i < vdev->nr_queues; i++)
		virtq_reset(&vdev->queues[i].vq);
	vdev->status = 0;
	vdev->driver_features = 0;
	vdev->features = 0;
	vdev->device_features_sel = 0;
	vdev->driver_features_sel = 0;
	vdev->queue_sel = 0;
	/* Edge-triggered line: clearing the status is all there is to deassert. */
	__atomic_store_n(&vdev->interrupt_status, 0, __ATOMIC_SEQ_CST);
	vdev->counters.resets++;
}

static bool features_acceptable(struct virtio_dev *vdev)
{
	uint64_t f = vdev->driver_features;

	if (f & ~vdev->device_features)
		return false;
	if (!(f & BIT64(VIRTIO_F_VERSION_1)))
		return false;
	if (vdev->env.confidential && !(f & BIT64(VIRTIO_F_ACCESS_PLATFORM)))
		return false;
	return true;
}

static void queue_set_ready(struct virtio_dev *vdev, struct virtio_queue *q)
{
	struct virtq *vq = &q->vq;
	char why[96];

	if (!(vdev->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
		vdev->counters.bad_queue_setup++;
		virtio_dev_fail(vdev, "queue enabled before FEATURES_OK");
		return;
	}
	vq->event_idx = virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX);
	vq->indirect = virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC);
	if (virtq_map(vq) < 0) {
		vdev->counters.bad_queue_setup++;
		snprintf(why, sizeof(why), "queue %u: bad size %u or rings not in shared guest RAM",
			 q->index, vq->size);
		virtio_dev_fail(vdev, why);
		return;
	}
	vq->ready = true;
	if (virtio_dev_live(vdev))
		kick_queue(q);
}

static void activate(struct virtio_dev *vdev)
{
	int err = vdev->ops->activate ? vdev->ops->activate(vdev) : 0;
	char why[96];

	if (err < 0) {
		snprintf(why, sizeof(why), "activation failed: %s", strerror(-err));
		virtio_dev_fail(vdev, why);
		return;
	}
	/* Buffers made available before DRIVER_OK are served now. */
	for (unsigned i = 0; i < vdev->nr_queues; i++)
		if (vdev->queues[i].vq.ready)
			kick_queue(&vdev->queues[i]);
}

static void status_write(struct virtio_dev *vdev, uint32_t val)
{
	uint32_t old = vdev->status, st = old, added;

	if (val == 0) {
		device_reset(vdev);
		return;
	}
	val = (val & ~VIRTIO_CONFIG_S_NEEDS_RESET) | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
	added = val & ~old;
	/* A driver never clears bits except by writing 0, and never sets unknown ones. */
	if ((old & ~val) || (added & ~DRIVER_STATUS_BITS)) {
		vdev->counters.bad_status_write++;
		return;
	}
	if (added & VIRTIO_CONFIG_S_ACKNOWLEDGE)
		st |= VIRTIO_CONFIG_S_ACKNOWLEDGE;
	if (added & VIRTIO_CONFIG_S_DRIVER) {
		if (st & VIRTIO_CONFIG_S_ACKNOWLEDGE)
			st |= VIRTIO_CONFIG_S_DRIVER;
		else
			vdev->counters.bad_status_write++;
	}
	if (added & VIRTIO_CONFIG_S_FEATURES_OK) {
		if (!(st & VIRTIO_CONFIG_S_DRIVER)) {
			vdev->counters.bad_status_write++;
		} else if (!features_acceptable(vdev)) {
			/* The driver reads FEATURES_OK back and gives up. */
			vdev->counters.features_refused++;
		} else {
			vdev->features = vdev->driver_features;
			st |= VIRTIO_CONFIG_S_FEATURES_OK;
		}
	}
	if (added & VIRTIO_CONFIG_S_FAILED)
		st |= VIRTIO_CONFIG_S_FAILED;
	if (added & VIRTIO_CONFIG_S_DRIVER_OK) {
		if (!(st & VIRTIO_CONFIG_S_FEATURES_OK)) {
			vdev->counters.bad_status_write++;
		} else {
			st |= VIRTIO_CONFIG_S_DRIVER_OK;
			vdev->status = st;
			activate(vdev);
			return;
		}
	}
	vdev->status = st;
}

static void set_half(uint64_t *v, bool high, uint32_t val)
{
	if (high)
		*v = (*v & 0xffffffffULL) | ((uint64_t)val << 32);
	else
		*v = (*v & ~0xffffffffULL) | val;
}

static uint32_t reg_read(struct virtio_dev *vdev, uint64_t off)
{
	struct virtio_queue *q = selected_queue(vdev);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return vdev->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (vdev->device_features_sel > 1)
			return 0;
		return (uint32_t)(vdev->device_features >> (32 * vdev->device_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? q->vq.size_max : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q ? q->vq.ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(&vdev->interrupt_status, __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_STATUS:
		return vdev->status;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffff; /* no shared memory regions */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return vdev->config_generation;
	default:
		vdev->counters.bad_register_access++;
		return 0;
	}
}

static void queue_reg_write(struct virtio_dev *vdev, uint64_t off, uint32_t val)
{
	struct virtio_queue *q = selected_queue(vdev);

	/* The layout of a live queue is frozen. */
	if (!q || q->vq.ready) {
		vdev->counters.bad_register_access++;
		return;
	}
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		q->vq.size = val > VIRTQ_MAX_SIZE ? 0 : (uint16_t)val;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_half(&q->vq.desc_gpa, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		set_half(&q->vq.avail_gpa, off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, val);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		set_half(&q->vq.used_gpa, off == VIRTIO_MMIO_QUEUE_USED_HIGH, val);
		break;
	}
}

static void reg_write(struct virtio_dev *vdev, uint64_t off, uint32_t val)
{
	struct virtio_queue *q;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		vdev->device_features_sel = val;
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (vdev->driver_features_sel > 1 || (vdev->status & VIRTIO_CONFIG_S_FEATURES_OK)) {
			vdev->counters.bad_register_access++;
			break;
		}
		set_half(&vdev->driver_features, vdev->driver_features_sel == 1, val);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		vdev->driver_features_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_SEL:
		vdev->queue_sel = val;
		break;
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		queue_reg_write(vdev, off, val);
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		q = selected_queue(vdev);
		if (!q) {
			vdev->counters.bad_register_access++;
		} else if (val == 0) {
			/* The device stops touching the queue; it is set up again from scratch. */
			q->vq.ready = false;
		} else if (!q->vq.ready) {
			queue_set_ready(vdev, q);
		}
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/* Only reached when the ioeventfd is missing; the loop thread does the work. */
		if (val < vdev->nr_queues)
			kick_queue(&vdev->queues[val]);
		else
			vdev->counters.bad_register_access++;
		break;
	case VIRTIO_MMIO_STATUS:
		status_write(vdev, val);
		break;
	default:
		vdev->counters.bad_register_access++;
		break;
	}
}

static void config_access(struct virtio_dev *vdev, uint64_t off, uint8_t *data, uint32_t len,
			  bool is_write)
{
	if ((len != 1 && len != 2 && len != 4 && len != 8) ||
	    !range_within(off, len, vdev->config_size)) {
		vdev->counters.bad_register_access++;
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (!is_write)
		vdev->ops->config_read(vdev, (uint32_t)off, data, len);
	else if (vdev->ops->config_write)
		vdev->ops->config_write(vdev, (uint32_t)off, data, len);
}

void virtio_mmio_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			bool is_write)
{
	struct virtio_dev *vdev = opaque;
	uint32_t val;

	if (offset >= VIRTIO_MMIO_CONFIG) {
		virtio_dev_lock(vdev);
		config_access(vdev, offset - VIRTIO_MMIO_CONFIG, data, len, is_write);
		virtio_dev_unlock(vdev);
		return;
	}
	if (len != 4 || offset % 4) {
		virtio_dev_lock(vdev);
		vdev->counters.bad_register_access++;
		virtio_dev_unlock(vdev);
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	/* Interrupt status and ack stay lock-free: the guest's interrupt handler must never wait
	 * for a queue pass running on the loop thread. */
	if (!is_write && offset == VIRTIO_MMIO_INTERRUPT_STATUS) {
		val = __atomic_load_n(&vdev->interrupt_status, __ATOMIC_SEQ_CST);
		memcpy(data, &val, 4);
		return;
	}
	if (is_write && offset == VIRTIO_MMIO_INTERRUPT_ACK) {
		memcpy(&val, data, 4);
		__atomic_fetch_and(&vdev->interrupt_status, ~val, __ATOMIC_SEQ_CST);
		return;
	}
	virtio_dev_lock(vdev);
	if (is_write) {
		memcpy(&val, data, 4);
		reg_write(vdev, offset, val);
	} else {
		val = reg_read(vdev, offset);
		memcpy(data, &val, 4);
	}
	virtio_dev_unlock(vdev);
}

static int register_ioeventfd(struct virtio_dev *vdev, struct virtio_queue *q, bool assign)
{
	struct kvm_ioeventfd io = {
		.datamatch = q->index,
		.addr = vdev->base + VIRTIO_MMIO_QUEUE_NOTIFY,
		.len = 4,
		.fd = q->kick_fd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH | (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	return kvm_ioeventfd(vdev->env.vm_fd, &io);
}

static int setup_queue(struct virtio_dev *vdev, unsigned i, uint16_t size_max)
{
	struct virtio_queue *q = &vdev->queues[i];
	int err;

	q->vdev = vdev;
	q->index = i;
	virtq_init(&q->vq, vdev->env.mem, size_max);
	q->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->kick_fd < 0)
		return -errno;
	err = register_ioeventfd(vdev, q, true);
	if (err == 0) {
		q->ioeventfd = true;
	} else {
		/* Still correct, only slower: every QueueNotify becomes a vCPU exit. */
		log_warn("%s: no ioeventfd for queue %u (%s), notifications take the slow path",
			 vdev->name, i, strerror(-err));
	}
	return ev_loop_add(vdev->env.loop, q->kick_fd, EPOLLIN, kick_handler, q);
}

static void teardown(struct virtio_dev *vdev)
{
	for (unsigned i = 0; i < vdev->nr_queues; i++) {
		struct virtio_queue *q = &vdev->queues[i];

		if (q->kick_fd < 0)
			continue;
		ev_loop_del(vdev->env.loop, q->kick_fd);
		if (q->ioeventfd)
			register_ioeventfd(vdev, q, false);
		close(q->kick_fd);
		q->kick_fd = -1;
	}
	if (vdev->irqfd_attached && vdev->env.detach_irqfd)
		vdev->env.detach_irqfd(vdev->env.irq_opaque, vdev->irq, vdev->irq_fd);
	if (vdev->irq_fd >= 0)
		close(vdev->irq_fd);
	pthread_mutex_destroy(&vdev->lock);
	free(vdev);
}

int virtio_dev_create(const struct virtio_env *env, const struct virtio_dev_params *p,
		      uint64_t base, uint32_t irq, struct virtio_dev **out)
{
	struct virtio_dev *vdev;
	int err;

	if (!p->ops || !p->ops->config_read || !p->ops->reset || !p->ops->queue_notify ||
	    p->nr_queues == 0 || p->nr_queues > VIRTIO_MAX_QUEUES || p->queue_size_max == 0 ||
	    p->queue_size_max > VIRTQ_MAX_SIZE || (p->queue_size_max & (p->queue_size_max - 1)) ||
	    p->config_size > VIRTIO_MAX_CONFIG || !env->attach_irqfd)
		return -EINVAL;
	vdev = calloc(1, sizeof(*vdev));
	if (!vdev)
		return -ENOMEM;
	pthread_mutex_init(&vdev->lock, NULL);
	snprintf(vdev->name, sizeof(vdev->name), "%s", p->name ? p->name : "virtio");
	vdev->ops = p->ops;
	vdev->opaque = p->opaque;
	vdev->env = *env;
	vdev->base = base;
	vdev->irq = irq;
	vdev->device_id = p->device_id;
	vdev->config_size = p->config_size;
	vdev->device_features = p->features | virtio_transport_features(env);
	vdev->nr_queues = p->nr_queues;
	vdev->irq_fd = -1;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		vdev->queues[i].kick_fd = -1;

	vdev->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vdev->irq_fd < 0) {
		err = -errno;
		goto fail;
	}
	err = env->attach_irqfd(env->irq_opaque, irq, vdev->irq_fd);
	if (err < 0)
		goto fail;
	vdev->irqfd_attached = true;
	for (unsigned i = 0; i < p->nr_queues; i++) {
		err = setup_queue(vdev, i, p->queue_size_max);
		if (err < 0)
			goto fail;
	}
	if (p->dev_ref)
		*p->dev_ref = vdev;
	*out = vdev;
	return 0;
fail:
	teardown(vdev);
	return err;
}

void virtio_dev_destroy(struct virtio_dev *vdev)
{
	if (!vdev)
		return;
	virtio_dev_lock(vdev);
	device_reset(vdev);
	virtio_dev_unlock(vdev);
	teardown(vdev);
}
