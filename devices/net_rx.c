// SPDX-License-Identifier: MIT
/*
 * virtio-net receive path: frames from the backend read straight into the guest's receive
 * buffers, one readv per frame.
 *
 * With VIRTIO_NET_F_MRG_RXBUF a frame may span several chains: the pass pops chains until they
 * hold the largest frame the negotiated features allow (rx_need), reads into all of them, and
 * returns the ones the frame filled (num_buffers of them, all but the last full).  Without it each
 * frame goes into one chain.  A probe buffer after the guest's catches frames larger than the
 * buffers: those are dropped and counted, never delivered cut short.
 *
 * Backpressure: when the ring runs dry before rx_need bytes are at hand, the pass gives the
 * chains back, turns guest notifications on (with EVENT_IDX for the number of chains still
 * missing, and some slack) and stops reading the backend (EPOLLIN off) until the driver's next
 * kick on the receive queue; frames wait in the backend meanwhile.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "devices/net_priv.h"
#include "devices/virtio/iov.h"
#include "vmm/log.h"

enum fill_result { FILL_READY, FILL_WAIT, FILL_FAILED };

static unsigned stash_count(const struct net_rx_stash *s)
{
	return s->end - s->first;
}

static void stash_clear(struct net_rx_stash *s)
{
	s->first = s->end = s->iov_first = s->iov_end = 0;
	s->bytes = 0;
}

/* Room for one more chain of up to vq->size buffers; false when the stash cannot take one. */
static bool stash_make_room(struct net_rx_stash *s, uint16_t qsize)
{
	unsigned n = stash_count(s), nr_iov = s->iov_end - s->iov_first;

	if (s->end < NET_QUEUE_SIZE && s->iov_end + qsize <= NET_RX_IOV_MAX)
		return true;
	if (s->first) {
		memmove(s->slots, s->slots + s->first, n * sizeof(s->slots[0]));
		memmove(s->iov, s->iov + s->iov_first, nr_iov * sizeof(s->iov[0]));
		s->first = 0;
		s->end = n;
		s->iov_first = 0;
		s->iov_end = nr_iov;
	}
	return s->end < NET_QUEUE_SIZE && s->iov_end + qsize <= NET_RX_IOV_MAX;
}

/* Hands every stashed chain back to the ring, unused (they are the most recent pops). */
static void stash_unpop(struct net_dev *net, struct virtq *vq)
{
	for (unsigned i = stash_count(&net->rx); i; i--)
		virtq_unpop(vq);
	stash_clear(&net->rx);
}

/*
 * A receive chain the device cannot write a frame into (device-readable buffers, or shorter than
 * the header).  It goes back with length 0, and so does every chain stashed before it: the stash
 * must stay the most recent pops, and returning them keeps the used ring in order.
 */
static void reject_chain(struct net_dev *net, struct virtq *vq, uint16_t head)
{
	struct net_rx_stash *s = &net->rx;

	for (unsigned i = s->first; i < s->end; i++)
		virtq_push(vq, s->slots[i].head, 0);
	net->counters.rx_buffers_returned += stash_count(s);
	stash_clear(s);
	virtq_push(vq, head, 0);
	net->counters.rx_bad_buffers++;
}

static bool stash_ready(const struct net_dev *net)
{
	return net->mrg_rxbuf ? net->rx.bytes >= net->rx_need : stash_count(&net->rx) > 0;
}

/* Pops receive chains until a frame can be read (FILL_READY) or the ring runs dry (FILL_WAIT). */
static enum fill_result fill(struct net_dev *net, struct virtq *vq, bool *pushed)
{
	struct net_rx_stash *s = &net->rx;
	struct virtq_chain c;
	int r;

	while (!stash_ready(net)) {
		/*
		 * Every buffer the driver can have out is here, or no more fit: read with what
		 * there is (a frame that does not fit is dropped as NO_ROOM).
		 */
		if (stash_count(s) && (stash_count(s) >= vq->size || !stash_make_room(s, vq->size)))
			return FILL_READY;
		if (!stash_make_room(s, vq->size))
			return FILL_WAIT;
		c.iov = s->iov + s->iov_end;
		c.iov_cap = NET_RX_IOV_MAX - s->iov_end;
		r = virtq_pop(vq, &c);
		if (r < 0) {
			virtio_dev_fail(net->vdev, virtq_error_name(-r));
			return FILL_FAILED;
		}
		if (r == 0)
			return FILL_WAIT;
		if (c.nr_out || c.in_bytes < NET_HDR_SIZE) {
			reject_chain(net, vq, c.head);
			*pushed = true;
			continue;
		}
		s->slots[s->end++] = (struct net_rx_slot){ c.head, c.nr_in, c.in_bytes };
		s->iov_end += c.nr_in;
		s->bytes += c.in_bytes;
	}
	return FILL_READY;
}

/* Returns the first k slots, filled with len bytes in all: every one full but the last. */
static void use_slots(struct net_dev *net, struct virtq *vq, unsigned k, uint32_t len)
{
	struct net_rx_stash *s = &net->rx;

	for (unsigned i = 0; i < k; i++) {
		struct net_rx_slot *slot = &s->slots[s->first];
		uint32_t part = len < slot->len ? len : slot->len;

		virtq_push(vq, slot->head, part);
		len -= part;
		s->first++;
		s->iov_first += slot->nr_iov;
		s->bytes -= slot->len;
	}
	if (s->first == s->end)
		stash_clear(s);
}

/* How many slots from the first hold n bytes. */
static unsigned slots_for(const struct net_rx_stash *s, uint32_t n)
{
	uint64_t have = 0;
	unsigned k = 0;

	while (have < n)
		have += s->slots[s->first + k++].len;
	return k;
}

static void drop(struct net_dev *net, enum net_rx_drop why)
{
	net->counters.rx_dropped[why]++;
}

/* The backend failed: reading pauses for NET_RX_RETRY_MS (no busy loop on a broken fd). */
static void backend_read_error(struct net_dev *net, int err)
{
	net->counters.rx_backend_errors++;
	net->rx_reading = false;
	net->rx_paused = true;
	net_arm_timer(net, net->rx_timer_fd, NET_RX_RETRY_MS * 1000000ULL);
	if (!net->warned_backend) {
		log_warn("%s: reading %s: %s; retrying every %d ms", net->name, net->be.ifname,
			 err ? strerror(err) : "end of file", NET_RX_RETRY_MS);
		net->warned_backend = true;
	}
}

/*
 * Reads one frame into the stash.  1: a frame was handled (delivered or dropped), 0: nothing to
 * read, -1: the backend failed.
 */
static int read_frame(struct net_dev *net, struct virtq *vq, bool *pushed)
{
	struct net_rx_stash *s = &net->rx;
	struct virtio_net_hdr_v1 hdr;
	enum net_rx_drop why;
	unsigned nr_iov, k;
	uint64_t cap;
	uint32_t frame_len;
	ssize_t n;

	if (net->mrg_rxbuf) {
		nr_iov = s->iov_end - s->iov_first;
		cap = s->bytes;
	} else {
		nr_iov = s->slots[s->first].nr_iov;
		cap = s->slots[s->first].len;
	}
	/* Without mergeable buffers the stash holds one slot, so the probe follows it too. */
	s->iov[s->iov_first + nr_iov] = (struct iovec){ net->rx_probe, sizeof(net->rx_probe) };
	n = readv(net->be.fd, s->iov + s->iov_first, (int)nr_iov + 1);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		backend_read_error(net, errno);
		return -1;
	}
	if (n == 0) {
		backend_read_error(net, 0);
		return -1;
	}
	if ((size_t)n < NET_HDR_SIZE + NET_ETH_HLEN) {
		drop(net, NET_RX_DROP_RUNT);
		return 1;
	}
	frame_len = (uint32_t)((size_t)n - NET_HDR_SIZE);
	/* Copy before checking: the header sits in memory the guest can write. */
	iov_to_buf(s->iov + s->iov_first, nr_iov, 0, &hdr, sizeof(hdr));
	if ((uint64_t)n > cap) {
		bool plain_too_long = hdr.gso_type == VIRTIO_NET_HDR_GSO_NONE &&
				      frame_len > net->mtu + NET_ETH_OVERHEAD;

		drop(net, plain_too_long ? NET_RX_DROP_OVER_MTU : NET_RX_DROP_NO_ROOM);
		return 1;
	}
	if (!net_rx_header_fixup(&hdr, frame_len, net->vdev->features, net->mtu, &why)) {
		drop(net, why);
		return 1;
	}
	k = net->mrg_rxbuf ? slots_for(s, (uint32_t)n) : 1;
	hdr.num_buffers = htole16((uint16_t)k);
	iov_from_buf(s->iov + s->iov_first, nr_iov, 0, &hdr, sizeof(hdr));
	use_slots(net, vq, k, (uint32_t)n);
	*pushed = true;
	net->rx_slack_used = false;
	net->counters.rx_frames++;
	net->counters.rx_bytes += frame_len;
	rate_limiter_charge(&net->rx_limit, frame_len);
	return 1;
}

/*
 * Receive chains to ask for before the driver notifies: enough for the room still missing if
 * they are as large as the largest at hand, at least one, and no more than the ring can still
 * take, so a driver that refills its ring always reaches the mark.  A driver that posts one
 * buffer at a time then exits once per batch, not once per buffer.
 */
static uint16_t chains_wanted(const struct net_dev *net, const struct virtq *vq)
{
	const struct net_rx_stash *s = &net->rx;
	uint32_t largest = 0;
	uint64_t n;

	for (unsigned i = s->first; i < s->end; i++)
		if (s->slots[i].len > largest)
			largest = s->slots[i].len;
	if (!net->mrg_rxbuf || !largest || s->bytes >= net->rx_need)
		return 1;
	n = (net->rx_need - s->bytes + largest - 1) / largest;
	if (n > vq->size - stash_count(s))
		n = vq->size - stash_count(s);
	return n ? (uint16_t)n : 1;
}

/*
 * The ring ran dry: true if the chains a frame needs arrived meanwhile (go on), else sleep until
 * the RX kick.  A starved device that asked for exactly what one frame needs would have the
 * driver exit for nearly every buffer it reposts; so with EVENT_IDX the mark includes some slack
 * (a quarter ring, as far as the ring can take it), and since a driver may post fewer buffers
 * than that and stop, the rx timer looks once more a little later, without slack this time.
 * Each such look follows a wait, so nothing polls while the driver posts nothing.
 */
static bool wait_for_buffers(struct net_dev *net, struct virtq *vq)
{
	uint16_t need = chains_wanted(net, vq), mark = need;
	unsigned room = vq->size - stash_count(&net->rx);

	if (vq->event_idx && !net->rx_slack_used && room > need) {
		unsigned slack = vq->size / NET_RX_SLACK_DIV;

		mark = (uint16_t)(need + (slack < room - need ? slack : room - need));
	}
	if (virtq_enable_notify_after(vq, mark) || virtq_pending(vq) >= need)
		return true;
	if (mark > need) {
		net->rx_slack_used = true;
		net_arm_timer(net, net->rx_timer_fd, net->rx_slack_ns);
	}
	net->rx_reading = false;
	net->counters.rx_waits++;
	return false;
}

static void throttle(struct net_dev *net)
{
	net->rx_reading = false;
	net->rx_paused = true;
	net_arm_timer(net, net->rx_timer_fd, rate_limiter_wait_ns(&net->rx_limit, 1));
}

void net_rx_process(struct net_dev *net)
{
	struct virtq *vq = net_vq(net, NET_RX_QUEUE);
	bool pushed = false;

	net->rx_reading = net->backend_watched && !net->rx_paused &&
			  virtio_queue_live(net->vdev, vq);
	if (net->rx_reading)
		virtq_disable_notify(vq);
	for (unsigned frames = 0; net->rx_reading && frames < NET_RX_BUDGET; frames++) {
		enum fill_result fr;

		if (!rate_limiter_may(&net->rx_limit, 1)) {
			throttle(net);
			break;
		}
		fr = fill(net, vq, &pushed);
		if (fr == FILL_FAILED) {
			net->rx_reading = false;
			break;
		}
		if (fr == FILL_WAIT) {
			if (!wait_for_buffers(net, vq))
				break;
			continue;
		}
		if (read_frame(net, vq, &pushed) <= 0)
			break;
	}
	stash_unpop(net, vq);
	net_update_backend_events(net);
	if (pushed)
		virtio_dev_signal_used(net->vdev, vq);
}
