// SPDX-License-Identifier: MIT
/*
 * virtio-net device model: features, configuration space, activation and reset, and the event
 * handlers (backend readiness, rate-limit timers, continuation of long transmit passes) that feed
 * the receive and transmit paths (net_rx.c, net_tx.c).
 *
 * Threads: every handler runs on the loop thread under the device lock; activate and reset arrive
 * on a vCPU thread (lock held) and touch no event-loop registration: the next pass on the loop
 * thread sees the new state and registers what it needs.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/virtio_ids.h>

#include "devices/net_priv.h"
#include "devices/tap.h"
#include "vmm/device_env.h"
#include "vmm/error.h"
#include "vmm/event_loop.h"
#include "vmm/log.h"

#define BIT64(n) (1ULL << (n))
#define NET_CONFIG_SIZE offsetof(struct virtio_net_config, speed)

static void lock(struct net_dev *net)
{
	if (net->vdev)
		virtio_dev_lock(net->vdev);
}

static void unlock(struct net_dev *net)
{
	if (net->vdev)
		virtio_dev_unlock(net->vdev);
}

void net_arm_timer(struct net_dev *net, int tfd, uint64_t wait_ns)
{
	int err = ev_timer_arm_ns(tfd, wait_ns);

	if (err < 0)
		log_warn("%s: cannot arm a timer: %s", net->name, strerror(-err));
}

void net_update_backend_events(struct net_dev *net)
{
	uint32_t want = (net->rx_reading ? EPOLLIN : 0) | (net->tx_blocked ? EPOLLOUT : 0);

	if (!net->backend_watched || want == net->backend_events)
		return;
	if (ev_loop_mod(net->loop, net->be.fd, want) == 0)
		net->backend_events = want;
}

static void unwatch_backend(struct net_dev *net)
{
	if (net->backend_watched)
		ev_loop_del(net->loop, net->be.fd);
	net->backend_watched = false;
	net->rx_reading = false;
}

/* The backend hung up or failed for good (a deleted tap, a closed socket): stop watching it. */
static void backend_lost(struct net_dev *net, uint32_t events)
{
	if (!net->backend_watched)
		return;
	unwatch_backend(net);
	log_warn("%s: backend %s %s; the device no longer receives", net->name, net->be.ifname,
		 events & EPOLLHUP ? "hung up" : "failed");
}

/*
 * Before a pass no notification started: re-resolves queue qi's rings as a notification would
 * (a ring that is gone fails the device, and the pass then finds the queue dead and stops
 * reading or writing the backend).
 */
static void recheck_queue(struct net_dev *net, unsigned qi)
{
	virtio_queue_usable(net->vdev, net_vq(net, qi));
}

static void backend_handler(void *opaque, int fd, uint32_t events)
{
	struct net_dev *net = opaque;

	lock(net);
	if (events & (EPOLLHUP | EPOLLERR)) {
		backend_lost(net, events);
	} else if (net->vdev) {
		if (events & EPOLLOUT) {
			net->tx_blocked = false;
			recheck_queue(net, NET_TX_QUEUE);
			net_tx_process(net);
		}
		if (events & EPOLLIN) {
			recheck_queue(net, NET_RX_QUEUE);
			net_rx_process(net);
		}
		net_update_backend_events(net);
	}
	unlock(net);
}

/* The receive rate timer, the transmit rate timer and the transmit continuation: each resumes
 * its side, which re-checks everything (limiter, buffers, liveness) itself. */
static void resume_handler(void *opaque, int fd, uint32_t events)
{
	struct net_dev *net = opaque;
	bool rx = fd == net->rx_timer_fd;

	ev_fd_drain(fd);
	lock(net);
	if (rx)
		net->rx_paused = false;
	else if (fd == net->tx_timer_fd)
		net->tx_throttled = false;
	else
		net->tx_wake_pending = false;
	if (net->vdev) {
		recheck_queue(net, rx ? NET_RX_QUEUE : NET_TX_QUEUE);
		if (rx)
			net_rx_process(net);
		else
			net_tx_process(net);
	}
	unlock(net);
}

static void net_config_read(struct virtio_dev *vdev, uint32_t offset, uint8_t *data, uint32_t len)
{
	struct net_dev *net = vdev->opaque;

	memcpy(data, (const uint8_t *)&net->config + offset, len);
}

/*
 * Segmentation offloads: the TUN_F_ bit, the feature for frames from the guest (host side) and
 * the one for frames to it (guest side; UFO is never handed to guests).  Each needs the
 * checksum offload of its side.
 */
static const struct gso_offload {
	unsigned tun_bit;
	int host_feature, guest_feature;
} gso_offloads[] = {
	{ TUN_F_TSO4, VIRTIO_NET_F_HOST_TSO4, VIRTIO_NET_F_GUEST_TSO4 },
	{ TUN_F_TSO6, VIRTIO_NET_F_HOST_TSO6, VIRTIO_NET_F_GUEST_TSO6 },
	{ TUN_F_UFO, VIRTIO_NET_F_HOST_UFO, -1 },
};

#define NR_GSO_OFFLOADS (sizeof(gso_offloads) / sizeof(gso_offloads[0]))

/* The features one side may offer given the TUN_F_ bits the backend takes on that side. */
static uint64_t side_features(unsigned tun_bits, bool host)
{
	uint64_t f;

	if (!(tun_bits & TUN_F_CSUM))
		return 0;
	f = BIT64(host ? VIRTIO_NET_F_CSUM : VIRTIO_NET_F_GUEST_CSUM);
	for (unsigned i = 0; i < NR_GSO_OFFLOADS; i++) {
		int bit = host ? gso_offloads[i].host_feature : gso_offloads[i].guest_feature;

		if (bit >= 0 && (tun_bits & gso_offloads[i].tun_bit))
			f |= BIT64(bit);
	}
	return f;
}

/* What the guest accepts from the backend, as TUNSETOFFLOAD bits. */
static unsigned guest_offloads(const struct virtio_dev *vdev)
{
	unsigned f = TUN_F_CSUM;

	if (!virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_CSUM))
		return 0;
	for (unsigned i = 0; i < NR_GSO_OFFLOADS; i++) {
		int bit = gso_offloads[i].guest_feature;

		if (bit >= 0 && virtio_has_feature(vdev, (unsigned)bit))
			f |= gso_offloads[i].tun_bit;
	}
	return f;
}

static int net_activate(struct virtio_dev *vdev)
{
	struct net_dev *net = vdev->opaque;
	unsigned offloads = guest_offloads(vdev);
	bool guest_gso = offloads & (TUN_F_TSO4 | TUN_F_TSO6);
	int err;

	net->mrg_rxbuf = virtio_has_feature(vdev, VIRTIO_NET_F_MRG_RXBUF);
	net->rx_need = NET_HDR_SIZE + (guest_gso ? NET_GSO_FRAME_MAX : net->mtu + NET_ETH_OVERHEAD);
	if (!net->be.set_offloads)
		return 0;
	err = net->be.set_offloads(net->be.fd, offloads);
	if (err < 0)
		log_warn("%s: cannot set offloads %#x on %s: %s", net->name, offloads,
			 net->be.ifname, strerror(-err));
	return err;
}

static void net_reset(struct virtio_dev *vdev)
{
	struct net_dev *net = vdev->opaque;

	/* Nothing is in flight: every pass completes under the lock.  The limiters are kept, so a
	 * reset does not refill them. */
	net->mrg_rxbuf = false;
	net->rx_slack_used = false;
	if (net->be.set_offloads)
		net->be.set_offloads(net->be.fd, 0);
}

static void net_queue_notify(struct virtio_dev *vdev, struct virtq *vq, unsigned qi)
{
	struct net_dev *net = vdev->opaque;

	if (qi == NET_RX_QUEUE)
		net_rx_process(net);
	else
		net_tx_process(net);
}

static const struct virtio_dev_ops net_ops = {
	.config_read = net_config_read,
	.activate = net_activate,
	.reset = net_reset,
	.queue_notify = net_queue_notify,
};

/* Offer only what the backend can do. */
static uint64_t device_features(const struct net_backend *be)
{
	return BIT64(VIRTIO_NET_F_MAC) | BIT64(VIRTIO_NET_F_MTU) | BIT64(VIRTIO_NET_F_STATUS) |
	       BIT64(VIRTIO_NET_F_MRG_RXBUF) | side_features(be->tx_offloads, true) |
	       side_features(be->rx_offloads, false);
}

void net_dev_params(struct net_dev *net, struct virtio_dev_params *p)
{
	*p = (struct virtio_dev_params){
		.name = net->name,
		.device_id = VIRTIO_ID_NET,
		.features = device_features(&net->be),
		.nr_queues = 2,
		.queue_size_max = NET_QUEUE_SIZE,
		.config_size = NET_CONFIG_SIZE,
		.ops = &net_ops,
		.opaque = net,
		.dev_ref = &net->vdev,
	};
}

static void fill_config(struct net_dev *net, const struct net_config *cfg)
{
	struct virtio_net_config *c = &net->config;

	memset(c, 0, sizeof(*c));
	/* config_validate() checked the address; an unparsable one here gets a random one. */
	if (!cfg->mac || config_parse_mac(cfg->mac, c->mac)) {
		if (getrandom(c->mac, sizeof(c->mac), 0) != sizeof(c->mac))
			memset(c->mac, 0x5a, sizeof(c->mac));
		c->mac[0] = (uint8_t)((c->mac[0] & ~1) | 2); /* unicast, locally administered */
	}
	c->status = htole16(VIRTIO_NET_S_LINK_UP);
	c->max_virtqueue_pairs = htole16(1);
	c->mtu = htole16((uint16_t)net->mtu);
}

/* Registers a just created eventfd (fd < 0: its creation failed) with the loop. */
static int watch_new_fd(struct net_dev *net, int fd)
{
	int err;

	if (fd < 0)
		return -errno;
	err = ev_loop_add(net->loop, fd, EPOLLIN, resume_handler, net);
	if (err < 0) {
		close(fd);
		return err;
	}
	return fd;
}

static void close_fd(struct net_dev *net, int *fd)
{
	if (*fd < 0)
		return;
	ev_loop_del(net->loop, *fd);
	close(*fd);
	*fd = -1;
}

static void free_net(struct net_dev *net)
{
	close_fd(net, &net->rx_timer_fd);
	close_fd(net, &net->tx_timer_fd);
	close_fd(net, &net->wake_fd);
	unwatch_backend(net);
	free(net);
}

int net_dev_open_backend(const struct net_config *cfg, const struct net_backend *be,
			 struct ev_loop *loop, const struct clock *clock, struct net_dev **out,
			 struct error *e)
{
	struct net_dev *net;
	int err;

	if (be->fd < 0 || cfg->mtu < NET_MTU_MIN || cfg->mtu > NET_MTU_MAX)
		return error_set(e, ERROR_USAGE, EINVAL, "net: no backend, or mtu %u out of range",
				 cfg->mtu);
	net = calloc(1, sizeof(*net));
	if (!net)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	net->be = *be;
	net->be.ifname[IFNAMSIZ - 1] = 0;
	net->loop = loop;
	net->mtu = cfg->mtu;
	net->rx_slack_ns = NET_RX_SLACK_US * 1000ULL;
	net->rx_timer_fd = net->tx_timer_fd = net->wake_fd = -1;
	snprintf(net->name, sizeof(net->name), "virtio-net %s", cfg->id ? cfg->id : net->be.ifname);
	fill_config(net, cfg);
	rate_limiter_init(&net->rx_limit, &cfg->rx_rate, clock);
	rate_limiter_init(&net->tx_limit, &cfg->tx_rate, clock);
	/* Created now, armed on demand: resuming must never depend on a free fd later. */
	net->rx_timer_fd = err = ev_timer_open(loop, resume_handler, net);
	if (err >= 0)
		net->tx_timer_fd = err = ev_timer_open(loop, resume_handler, net);
	if (err >= 0)
		net->wake_fd = err = watch_new_fd(net, eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
	/* Watched for nothing until the driver is ready; hang-ups are reported regardless. */
	if (err >= 0)
		err = ev_loop_add(loop, be->fd, 0, backend_handler, net);
	if (err < 0) {
		free_net(net);
		return error_set(e, ERROR_HOST, err, "%s: cannot set up its event sources: %s",
				 be->ifname, strerror(-err));
	}
	net->backend_watched = true;
	*out = net;
	return 0;
}

/* The tap of cfg: opened by name, or a duplicate of fd=N made ready; its offloads probed. */
static int open_tap(const struct net_config *cfg, struct net_backend *be, struct error *e)
{
	struct tap_caps caps;
	int fd, err;

	*be = (struct net_backend){ .fd = -1, .set_offloads = tap_set_offloads };
	if (cfg->tap) {
		fd = tap_open(cfg->tap, e);
		if (fd < 0)
			return fd;
		snprintf(be->ifname, sizeof(be->ifname), "%s", cfg->tap);
	} else {
		/* The device owns a duplicate: the caller's fd stays the caller's, whatever happens. */
		fd = fcntl(cfg->fd, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			return error_set(e, ERROR_INPUT, errno, "fd %d: %s", cfg->fd,
					 strerror(errno));
		err = tap_adopt_fd(fd, be->ifname, e);
		if (err) {
			close(fd);
			return err;
		}
	}
	be->fd = fd;
	tap_probe(be->fd, &caps);
	be->rx_offloads = caps.rx_offloads;
	be->tx_offloads = caps.tx_offloads;
	return 0;
}

int net_dev_open(const struct net_config *cfg, struct ev_loop *loop, const struct clock *clock,
		 struct net_dev **out, struct error *e)
{
	struct net_backend be;
	int err;

	if (!cfg->tap == (cfg->fd < 0))
		return error_set(e, ERROR_USAGE, EINVAL,
				 "net: exactly one of tap=NAME or fd=N is required");
	err = open_tap(cfg, &be, e);
	if (!err)
		err = net_dev_open_backend(cfg, &be, loop, clock, out, e);
	if (err && be.fd >= 0)
		close(be.fd);
	if (err)
		error_prefix(e, "--net: ");
	return err;
}

void net_dev_stop(void *opaque)
{
	struct net_dev *net = opaque;

	lock(net);
	unwatch_backend(net);
	unlock(net);
}

void net_dev_destroy(void *opaque)
{
	struct net_dev *net = opaque;

	/* The transport's destroy resets the device; the loop is no longer running. */
	if (net->vdev)
		virtio_dev_destroy(net->vdev);
	net->vdev = NULL;
	unwatch_backend(net);
	close(net->be.fd);
	free_net(net);
}

void net_dev_counters(struct net_dev *net, struct net_counters *out)
{
	lock(net);
	*out = net->counters;
	out->rx_throttled = net->rx_limit.counters;
	out->tx_throttled = net->tx_limit.counters;
	unlock(net);
}

const char *net_dev_name(const struct net_dev *net)
{
	return net->name;
}

void net_dev_mac(const struct net_dev *net, uint8_t mac[6])
{
	memcpy(mac, net->config.mac, 6);
}

/* The counters as name/value pairs, for vm_get_counters() and the API's metrics. */
static const char *const rx_drop_counter[NET_RX_DROP__COUNT] = {
	[NET_RX_DROP_NO_ROOM] = "rx_dropped_no_room",
	[NET_RX_DROP_OVER_MTU] = "rx_dropped_over_mtu",
	[NET_RX_DROP_BAD_OFFLOAD] = "rx_dropped_bad_offload",
	[NET_RX_DROP_RUNT] = "rx_dropped_runt",
};

static const char *const tx_drop_counter[NET_TX_DROP__COUNT] = {
	[NET_TX_DROP_SHORT_CHAIN] = "tx_dropped_short_chain",
	[NET_TX_DROP_BAD_CHAIN] = "tx_dropped_bad_chain",
	[NET_TX_DROP_BAD_HEADER] = "tx_dropped_bad_header",
	[NET_TX_DROP_RUNT] = "tx_dropped_runt",
	[NET_TX_DROP_OVER_MTU] = "tx_dropped_over_mtu",
	[NET_TX_DROP_TOO_BIG] = "tx_dropped_too_big",
	[NET_TX_DROP_BACKEND] = "tx_dropped_backend",
};

static void net_model_counters(void *opaque, struct device_counters *out)
{
	struct net_counters c;

	net_dev_counters(opaque, &c);
	device_counters_add(out, "rx_frames", c.rx_frames);
	device_counters_add(out, "rx_bytes", c.rx_bytes);
	device_counters_add(out, "tx_frames", c.tx_frames);
	device_counters_add(out, "tx_bytes", c.tx_bytes);
	for (unsigned i = 0; i < NET_RX_DROP__COUNT; i++)
		device_counters_add(out, rx_drop_counter[i], c.rx_dropped[i]);
	for (unsigned i = 0; i < NET_TX_DROP__COUNT; i++)
		device_counters_add(out, tx_drop_counter[i], c.tx_dropped[i]);
	device_counters_add(out, "rx_bad_buffers", c.rx_bad_buffers);
	device_counters_add(out, "rx_buffers_returned", c.rx_buffers_returned);
	device_counters_add(out, "rx_waits", c.rx_waits);
	device_counters_add(out, "rx_backend_errors", c.rx_backend_errors);
	device_counters_add(out, "tx_backend_full", c.tx_backend_full);
	device_counters_add(out, "rx_bandwidth_throttled", c.rx_throttled.bandwidth_throttled);
	device_counters_add(out, "rx_ops_throttled", c.rx_throttled.ops_throttled);
	device_counters_add(out, "tx_bandwidth_throttled", c.tx_throttled.bandwidth_throttled);
	device_counters_add(out, "tx_ops_throttled", c.tx_throttled.ops_throttled);
}

/* The device table's row: one virtio-net device per --net, in command-line order. */
static unsigned net_count(const struct vm_config *cfg)
{
	return cfg->nr_nets;
}

static int net_model_open(const struct device_env *env, const struct vm_config *cfg, unsigned i,
			  void **model, struct virtio_dev_params *params, struct error *e)
{
	struct net_dev *net;
	int err = net_dev_open(&cfg->nets[i], env->loop, env->clock, &net, e);

	if (err)
		return err;
	net_dev_params(net, params);
	*model = net;
	return 0;
}

const struct device_kind virtio_net_device = {
	.name = "virtio-net",
	.count = net_count,
	.open_virtio = net_model_open,
	.stop = net_dev_stop,
	.destroy = net_dev_destroy,
	.counters = net_model_counters,
};
