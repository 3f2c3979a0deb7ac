// SPDX-License-Identifier: MIT
/*
 * virtio-net transmit path: each chain is one frame, written to the backend with one writev of
 * the header (a copy, checked against the negotiated offloads, so the kernel sees what was
 * checked) and the payload iovecs in guest memory.  A chain the limiter holds back, or one the
 * backend has no room for, goes back to the ring untouched and the pass stops until the rate
 * timer or EPOLLOUT; notifications stay off meanwhile.  Every other chain is returned, sent or
 * dropped and counted.
 */
#include <errno.h>
#include <sys/eventfd.h>
#include <sys/uio.h>

#include "devices/net_priv.h"
#include "devices/virtio/iov.h"

enum tx_result { TX_DONE, TX_HELD };

static enum tx_result drop(struct net_dev *net, enum net_tx_drop why)
{
	net->counters.tx_dropped[why]++;
	return TX_DONE;
}

static enum tx_result send_chain(struct net_dev *net, struct virtq_chain *c)
{
	struct virtio_net_hdr_v1 hdr;
	enum net_tx_drop why;
	uint32_t frame_len;
	unsigned nr = c->nr_out;
	struct iovec *payload;
	ssize_t n;

	if (c->nr_in)
		return drop(net, NET_TX_DROP_BAD_CHAIN);
	if (c->out_bytes < NET_HDR_SIZE)
		return drop(net, NET_TX_DROP_SHORT_CHAIN);
	frame_len = c->out_bytes - NET_HDR_SIZE;
	iov_to_buf(c->iov, nr, 0, &hdr, sizeof(hdr));
	if (!net_tx_header_ok(&hdr, frame_len, net->vdev->features, net->mtu, &why))
		return drop(net, why);
	if (!rate_limiter_may(&net->tx_limit, frame_len)) {
		net->tx_throttled = true;
		net_arm_timer(net, net->tx_timer_fd,
			      rate_limiter_wait_ns(&net->tx_limit, frame_len));
		return TX_HELD;
	}
	hdr.num_buffers = 0;
	/* c->iov starts at tx_iov + 1, so the slot before the payload is always ours. */
	payload = iov_drop_front(c->iov, &nr, NET_HDR_SIZE);
	payload[-1] = (struct iovec){ &hdr, sizeof(hdr) };
	n = writev(net->be.fd, payload - 1, (int)nr + 1);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		net->tx_blocked = true;
		net->counters.tx_backend_full++;
		return TX_HELD;
	}
	if (n != (ssize_t)c->out_bytes)
		return drop(net, NET_TX_DROP_BACKEND);
	rate_limiter_charge(&net->tx_limit, frame_len);
	net->counters.tx_frames++;
	net->counters.tx_bytes += frame_len;
	return TX_DONE;
}

/* A long pass yields to the other fds and continues from the wake-up eventfd. */
static void continue_later(struct net_dev *net)
{
	if (net->tx_wake_pending)
		return;
	if (eventfd_write(net->wake_fd, 1) == 0)
		net->tx_wake_pending = true;
}

void net_tx_process(struct net_dev *net)
{
	struct virtq *vq = net_vq(net, NET_TX_QUEUE);
	struct virtq_chain c = { .iov = net->tx_iov + 1, .iov_cap = NET_QUEUE_SIZE };
	unsigned done = 0;
	int r;

	if (!virtio_queue_live(net->vdev, vq) || net->tx_throttled || net->tx_blocked)
		return;
	for (;;) {
		virtq_disable_notify(vq);
		while ((r = virtq_pop(vq, &c)) > 0) {
			if (send_chain(net, &c) == TX_HELD) {
				virtq_unpop(vq);
				goto out;
			}
			virtq_push(vq, c.head, 0);
			if (++done == NET_TX_BUDGET) {
				continue_later(net);
				goto out;
			}
		}
		if (r < 0) {
			virtio_dev_fail(net->vdev, virtq_error_name(-r));
			goto out;
		}
		if (!virtq_enable_notify(vq))
			break;
	}
out:
	net_update_backend_events(net);
	if (done)
		virtio_dev_signal_used(net->vdev, vq);
}
