// SPDX-License-Identifier: MIT
/*
 * virtio-vsock device adapter: virtqueues <-> multiplexer, the listener, the tick timer.
 *
 * Threads: queue notifications, socket events and the timer run on the loop thread under the
 * device lock; the driver's reset arrives on a vCPU thread, so it only marks the connections
 * for teardown and wakes the loop thread, which closes them (fds are only ever touched there).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <endian.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_vsock.h>

#include "devices/virtio/iov.h"
#include "devices/virtio/virtio.h"
#include "vmm/device_env.h"
#include "vmm/error.h"
#include "vmm/event_loop.h"
#include "vmm/log.h"
#include "vsock/host_socket.h"
#include "vsock/vsock.h"

#define VIRTIO_VSOCK_F_STREAM 0 /* virtio 1.2; older uapi headers lack it */
#define ACCEPT_BATCH 64

struct vsock_dev {
	char name[32];
	struct virtio_dev *vdev;
	struct vsock_mux *mux;
	struct ev_loop *loop;
	char *uds_path;
	int listen_fd;
	int wake_fd;
	int timer_fd;
	bool teardown;         /* the driver reset the device: drop every connection */
	bool event_pending;    /* TRANSPORT_RESET owed to the driver */
	bool listen_paused;    /* accept failed for want of fds: retried at the next tick */
	bool timer_armed;
	struct virtio_vsock_config config;
	struct iovec rx_iov[VSOCK_QUEUE_SIZE];
	struct iovec tx_iov[VSOCK_QUEUE_SIZE];
	struct vsock_dev_counters counters;
};

static uint64_t now_ms(void *opaque)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct virtq *queue(struct vsock_dev *d, unsigned qi)
{
	return &d->vdev->queues[qi].vq;
}

/*
 * The next chain of vq: > 0 when one was popped; 0 when the ring is empty, with notifications
 * back on; < 0 when the ring is broken (the device is failed).
 */
static int pop_or_rearm(struct vsock_dev *d, struct virtq *vq, struct virtq_chain *chain)
{
	int r;

	while ((r = virtq_pop(vq, chain)) == 0) {
		if (!virtq_enable_notify(vq))
			return 0;
	}
	if (r < 0)
		virtio_dev_fail(d->vdev, virtq_error_name(-r));
	return r;
}

static void process_tx(struct vsock_dev *d)
{
	struct virtq *vq = queue(d, VSOCK_TX_QUEUE);
	struct virtq_chain chain = { .iov = d->tx_iov, .iov_cap = VSOCK_QUEUE_SIZE };
	int r;

	if (!virtio_queue_usable(d->vdev, vq))
		return;
	for (;;) {
		virtq_disable_notify(vq);
		while ((r = virtq_pop(vq, &chain)) > 0) {
			vsock_mux_guest_tx(d->mux, chain.iov, chain.nr_out);
			virtq_push(vq, chain.head, 0);
		}
		if (r < 0) {
			virtio_dev_fail(d->vdev, virtq_error_name(-r));
			return;
		}
		if (!virtq_enable_notify(vq))
			break;
	}
	virtio_dev_signal_used(d->vdev, vq);
}

/*
 * Fills receive buffers while the multiplexer has packets.  Notifications for new buffers are
 * only wanted while packets wait for one.  Every round either fills a buffer, hands one back
 * empty (too small for anything waiting) or ends, so the pass never waits on the guest.
 */
static void process_rx(struct vsock_dev *d)
{
	struct virtq *vq = queue(d, VSOCK_RX_QUEUE);
	struct virtq_chain chain = { .iov = d->rx_iov, .iov_cap = VSOCK_QUEUE_SIZE };
	bool used = false;
	size_t len;
	int r;

	if (!virtio_queue_usable(d->vdev, vq))
		return;
	virtq_disable_notify(vq);
	while (vsock_mux_rx_pending(d->mux)) {
		r = pop_or_rearm(d, vq, &chain);
		if (r < 0)
			return;
		if (r == 0)
			break;
		if (chain.in_bytes < VSOCK_HDR_SIZE) {
			d->counters.rx_buffers_small++;
			virtq_push(vq, chain.head, 0);
			used = true;
			continue;
		}
		len = vsock_mux_guest_rx(d->mux, chain.iov + chain.nr_out, chain.nr_in);
		if (!len && vsock_mux_rx_pending(d->mux)) {
			/* Room for a header only, and only data waits: back empty, try the next. */
			d->counters.rx_buffers_small++;
			virtq_push(vq, chain.head, 0);
			used = true;
			continue;
		}
		if (!len) {
			/* Nothing to say after all: the buffer stays the driver's, unused. */
			virtq_unpop(vq);
			break;
		}
		virtq_push(vq, chain.head, (uint32_t)len);
		used = true;
	}
	if (used)
		virtio_dev_signal_used(d->vdev, vq);
}

static void process_event(struct vsock_dev *d)
{
	struct virtq *vq = queue(d, VSOCK_EVENT_QUEUE);
	struct iovec iov[VSOCK_QUEUE_SIZE];
	struct virtq_chain chain = { .iov = iov, .iov_cap = VSOCK_QUEUE_SIZE };
	uint32_t id = htole32(VIRTIO_VSOCK_EVENT_TRANSPORT_RESET);

	if (!d->event_pending || !virtio_queue_usable(d->vdev, vq))
		return;
	while (d->event_pending) {
		/* No buffer: delivered when the driver posts one, which it now notifies. */
		if (pop_or_rearm(d, vq, &chain) <= 0)
			return;
		if (chain.in_bytes < sizeof(id)) {
			virtq_push(vq, chain.head, 0);
			continue;
		}
		iov_from_buf(iov + chain.nr_out, chain.nr_in, 0, &id, sizeof(id));
		virtq_push(vq, chain.head, sizeof(id));
		d->event_pending = false;
		d->counters.transport_resets++;
	}
	virtio_dev_signal_used(d->vdev, vq);
}

/* The tick runs only while some connection has a deadline or the listener is paused. */
static void update_timer(struct vsock_dev *d)
{
	bool want = vsock_mux_has_deadlines(d->mux) || d->listen_paused;
	struct itimerspec its = { 0 };

	if (want == d->timer_armed)
		return;
	if (want) {
		its.it_value.tv_nsec = VSOCK_TICK_MS * 1000000L;
		its.it_interval.tv_nsec = VSOCK_TICK_MS * 1000000L;
	}
	if (timerfd_settime(d->timer_fd, 0, &its, NULL) == 0)
		d->timer_armed = want;
}

static void drop_connections(struct vsock_dev *d)
{
	vsock_mux_reset(d->mux);
}

/* After every event: pending teardown first, then packets for the guest.  Lock held. */
static bool begin(struct vsock_dev *d)
{
	if (!d->teardown)
		return true;
	d->teardown = false;
	drop_connections(d);
	update_timer(d);
	return false;
}

static void finish(struct vsock_dev *d)
{
	if (d->vdev && virtio_dev_live(d->vdev)) {
		process_rx(d);
		process_event(d);
	}
	update_timer(d);
}

static void lock(struct vsock_dev *d)
{
	if (d->vdev)
		virtio_dev_lock(d->vdev);
}

static void unlock(struct vsock_dev *d)
{
	if (d->vdev)
		virtio_dev_unlock(d->vdev);
}

static void sock_handler(void *opaque, int fd, uint32_t events)
{
	struct vsock_conn *c = opaque;
	struct vsock_dev *d = vsock_conn_owner(c);

	lock(d);
	if (begin(d))
		vsock_mux_sock_event(d->mux, c, events);
	/* else c went with the teardown */
	finish(d);
	unlock(d);
}

/*
 * Out of fds (or memory): the pending client would make the listener fire forever, so stop
 * watching it until the next tick.
 */
static void pause_listener(struct vsock_dev *d, int err)
{
	if (d->listen_paused || ev_loop_mod(d->loop, d->listen_fd, 0) < 0)
		return;
	d->listen_paused = true;
	d->counters.accept_paused++;
	if (d->counters.accept_paused == 1)
		log_warn("%s: cannot accept clients: %s; retrying every %d ms", d->name,
			 strerror(err), VSOCK_TICK_MS);
}

static void resume_listener(struct vsock_dev *d)
{
	if (d->listen_paused && ev_loop_mod(d->loop, d->listen_fd, EPOLLIN) == 0)
		d->listen_paused = false;
}

static void listen_handler(void *opaque, int fd, uint32_t events)
{
	struct vsock_dev *d = opaque;

	lock(d);
	begin(d);
	for (int i = 0; i < ACCEPT_BATCH; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
			    errno == ENOBUFS)
				pause_listener(d, errno);
			else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn("%s: accept: %s", d->name, strerror(errno));
			break;
		}
		d->counters.accepted++;
		vsock_mux_host_accept(d->mux, cfd);
	}
	finish(d);
	unlock(d);
}

/* Reads a timerfd's or eventfd's counter; nothing to read (EAGAIN) is fine. */
static void drain_counter(int fd)
{
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0) {
		/* nothing pending */
	}
}

static void timer_handler(void *opaque, int fd, uint32_t events)
{
	struct vsock_dev *d = opaque;

	drain_counter(fd);
	lock(d);
	if (begin(d))
		vsock_mux_tick(d->mux);
	resume_listener(d);
	finish(d);
	unlock(d);
}

static void wake_handler(void *opaque, int fd, uint32_t events)
{
	struct vsock_dev *d = opaque;

	drain_counter(fd);
	lock(d);
	begin(d);
	finish(d);
	unlock(d);
}

static int host_connect(void *opaque, uint32_t port)
{
	struct vsock_dev *d = opaque;

	return vsock_connect_unix(d->uds_path, port);
}

static int host_watch(void *opaque, int fd, struct vsock_conn *c)
{
	struct vsock_dev *d = opaque;

	return ev_loop_add(d->loop, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, sock_handler, c);
}

static void host_unwatch(void *opaque, int fd)
{
	struct vsock_dev *d = opaque;

	ev_loop_del(d->loop, fd);
}

static const struct vsock_host_ops host_ops = {
	.connect = host_connect,
	.watch = host_watch,
	.unwatch = host_unwatch,
	.now_ms = now_ms,
};

static void vsock_config_read(struct virtio_dev *vdev, uint32_t offset, uint8_t *data,
			      uint32_t len)
{
	struct vsock_dev *d = vdev->opaque;

	memcpy(data, (const uint8_t *)&d->config + offset, len);
}

static int vsock_activate(struct virtio_dev *vdev)
{
	return 0;
}

static void vsock_reset(struct virtio_dev *vdev)
{
	struct vsock_dev *d = vdev->opaque;
	uint64_t one = 1;

	d->teardown = true;
	d->counters.driver_resets++;
	if (write(d->wake_fd, &one, sizeof(one)) < 0) {
		/* counter saturated: a wake-up is already pending */
	}
}

static void vsock_queue_notify(struct virtio_dev *vdev, struct virtq *vq, unsigned qi)
{
	struct vsock_dev *d = vdev->opaque;

	begin(d);
	if (qi == VSOCK_TX_QUEUE)
		process_tx(d);
	finish(d);
}

static const struct virtio_dev_ops vsock_ops = {
	.config_read = vsock_config_read,
	.activate = vsock_activate,
	.reset = vsock_reset,
	.queue_notify = vsock_queue_notify,
};

void vsock_dev_reset_transport(struct vsock_dev *d)
{
	lock(d);
	drop_connections(d);
	d->event_pending = true;
	finish(d);
	unlock(d);
}

void vsock_dev_params(struct vsock_dev *d, struct virtio_dev_params *p)
{
	*p = (struct virtio_dev_params){
		.name = d->name,
		.device_id = VIRTIO_ID_VSOCK,
		.features = 1ULL << VIRTIO_VSOCK_F_STREAM,
		.nr_queues = 3,
		.queue_size_max = VSOCK_QUEUE_SIZE,
		.config_size = sizeof(d->config),
		.ops = &vsock_ops,
		.opaque = d,
		.dev_ref = &d->vdev,
	};
}

static void close_listener(struct vsock_dev *d)
{
	if (d->listen_fd < 0)
		return;
	ev_loop_del(d->loop, d->listen_fd);
	close(d->listen_fd);
	d->listen_fd = -1;
	unlink(d->uds_path);
}

static void free_dev(struct vsock_dev *d)
{
	close_listener(d);
	if (d->timer_fd >= 0) {
		ev_loop_del(d->loop, d->timer_fd);
		close(d->timer_fd);
	}
	if (d->wake_fd >= 0) {
		ev_loop_del(d->loop, d->wake_fd);
		close(d->wake_fd);
	}
	vsock_mux_free(d->mux);
	free(d->uds_path);
	free(d);
}

int vsock_dev_open(const struct vsock_config *cfg, struct ev_loop *loop, struct vsock_dev **out)
{
	struct vsock_dev *d = calloc(1, sizeof(*d));
	int err;

	if (!d)
		return -ENOMEM;
	d->loop = loop;
	d->listen_fd = d->wake_fd = d->timer_fd = -1;
	snprintf(d->name, sizeof(d->name), "virtio-vsock cid %u", cfg->guest_cid);
	d->config.guest_cid = htole64(cfg->guest_cid);
	d->uds_path = strdup(cfg->uds_path);
	d->mux = vsock_mux_new(cfg->guest_cid, &host_ops, d);
	if (!d->uds_path || !d->mux) {
		err = -ENOMEM;
		goto fail;
	}
	d->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->wake_fd < 0) {
		err = -errno;
		goto fail;
	}
	err = ev_loop_add(loop, d->wake_fd, EPOLLIN, wake_handler, d);
	if (err < 0) {
		close(d->wake_fd);
		d->wake_fd = -1;
		goto fail;
	}
	/* Created now, armed on demand: a tick must never depend on a free fd later. */
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->timer_fd < 0) {
		err = -errno;
		goto fail;
	}
	err = ev_loop_add(loop, d->timer_fd, EPOLLIN, timer_handler, d);
	if (err < 0) {
		close(d->timer_fd);
		d->timer_fd = -1;
		goto fail;
	}
	d->listen_fd = vsock_listen_unix(cfg->uds_path);
	if (d->listen_fd < 0) {
		err = d->listen_fd;
		goto fail;
	}
	err = ev_loop_add(loop, d->listen_fd, EPOLLIN, listen_handler, d);
	if (err < 0) {
		close(d->listen_fd);
		d->listen_fd = -1;
		unlink(d->uds_path);
		goto fail;
	}
	*out = d;
	return 0;
fail:
	free_dev(d);
	return err;
}

void vsock_dev_stop(void *opaque)
{
	struct vsock_dev *d = opaque;

	lock(d);
	close_listener(d);
	unlock(d);
}

void vsock_dev_destroy(void *opaque)
{
	struct vsock_dev *d = opaque;

	/* The transport's destroy resets the device; the loop is no longer running. */
	if (d->vdev)
		virtio_dev_destroy(d->vdev);
	d->vdev = NULL;
	free_dev(d);
}

void vsock_dev_counters(struct vsock_dev *d, struct vsock_dev_counters *out)
{
	lock(d);
	*out = d->counters;
	vsock_mux_counters(d->mux, &out->mux);
	unlock(d);
}

unsigned vsock_dev_nr_conns(struct vsock_dev *d)
{
	unsigned n;

	lock(d);
	n = vsock_mux_nr_conns(d->mux);
	unlock(d);
	return n;
}

/* Every connection holds an fd; the usual soft limit of 1024 would cap them below the mux's. */
static void raise_fd_limit(unsigned max_conns)
{
	struct rlimit r;
	rlim_t want = (rlim_t)max_conns + 512;

	if (getrlimit(RLIMIT_NOFILE, &r) < 0 || r.rlim_cur >= want)
		return;
	r.rlim_cur = r.rlim_max < want ? r.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &r) < 0 || r.rlim_cur < want)
		log_warn("--vsock: open-file limit %lu allows fewer than %u connections",
			 (unsigned long)r.rlim_cur, max_conns);
}

void vsock_dev_set_limits(struct vsock_dev *d, const struct vsock_limits *l)
{
	vsock_mux_set_limits(d->mux, l);
}

/* The multiplexer's limits from the VM's (vmm/limits.h). */
static void limits_from_config(const struct vm_config *cfg, struct vsock_limits *l)
{
	vsock_limits_default(l);
	l->max_conns = cfg->limits.vsock_conns;
	l->max_handshakes = cfg->limits.vsock_handshakes;
	l->handshake_ms = cfg->limits.vsock_handshake_ms;
	l->conn_buf = cfg->limits.vsock_buf_kib * 1024U;
	l->buf_budget = (uint64_t)cfg->limits.vsock_mem_mib << 20;
	/* A sandbox policy lists the host ports its guest may reach (none when it lists none). */
	if (cfg->sandbox.on) {
		l->guest_ports = cfg->sandbox.vsock_host_ports;
		l->nr_guest_ports = cfg->sandbox.nr_vsock_host_ports;
	}
}

/* The device table's row: one device when --vsock is given. */
static unsigned vsock_count(const struct vm_config *cfg)
{
	return cfg->vsock.enabled ? 1 : 0;
}

static int vsock_model_open(const struct device_env *env, const struct vm_config *cfg,
			    unsigned i, void **model, struct virtio_dev_params *params,
			    struct error *e)
{
	struct vsock_limits limits;
	struct vsock_dev *d;
	int err;

	limits_from_config(cfg, &limits);
	raise_fd_limit(limits.max_conns);
	err = vsock_dev_open(&cfg->vsock, env->loop, &d);
	if (err < 0)
		return error_set(e, err == -ENOMEM ? ERROR_HOST : ERROR_INPUT, err,
				 "--vsock: cannot listen on %s: %s", cfg->vsock.uds_path,
				 strerror(-err));
	vsock_dev_set_limits(d, &limits);
	vsock_dev_params(d, params);
	*model = d;
	return 0;
}

static void vsock_model_counters(void *opaque, struct device_counters *out)
{
	struct vsock_dev_counters c;

	vsock_dev_counters(opaque, &c);
#define PUT(field) device_counters_add(out, #field, c.field)
#define PUT_MUX(field) device_counters_add(out, #field, c.mux.field)
	PUT(accepted);
	PUT(rx_buffers_small);
	PUT(transport_resets);
	PUT(driver_resets);
	PUT(accept_paused);
	PUT_MUX(host_connects);
	PUT_MUX(guest_connects);
	PUT_MUX(established);
	PUT_MUX(closed);
	PUT_MUX(handshake_rejected);
	PUT_MUX(connect_refused);
	PUT_MUX(timeouts);
	PUT_MUX(credit_violations);
	PUT_MUX(protocol_errors);
	PUT_MUX(rst_to_guest);
	PUT_MUX(rst_from_guest);
	PUT_MUX(rst_dropped);
	PUT_MUX(refused_conns);
	PUT_MUX(refused_handshakes);
	PUT_MUX(refused_memory);
	PUT_MUX(refused_port);
	PUT_MUX(pkts_from_guest);
	PUT_MUX(pkts_to_guest);
	PUT_MUX(bytes_to_host);
	PUT_MUX(bytes_to_guest);
#undef PUT_MUX
#undef PUT
}

const struct device_kind virtio_vsock_device = {
	.name = "virtio-vsock",
	.count = vsock_count,
	.open_virtio = vsock_model_open,
	.stop = vsock_dev_stop,
	.destroy = vsock_dev_destroy,
	.counters = vsock_model_counters,
};
