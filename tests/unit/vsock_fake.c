// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/virtio_vsock.h>

#include "tests/unit/vsock_fake.h"

static int fake_connect(void *opaque, uint32_t port)
{
	struct vf *f = opaque;
	int sv[2];

	for (unsigned i = 0; i < f->nr_listen; i++) {
		if (f->listen_ports[i] != port)
			continue;
		if (f->nr_peers == VF_MAX_PEERS)
			return -EMFILE;
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
			return -errno;
		f->peers[f->nr_peers++] = sv[1];
		return sv[0];
	}
	return -ECONNREFUSED;
}

static void fake_handler(void *opaque, int fd, uint32_t events)
{
	struct vsock_conn *c = opaque;
	struct vf *f = vsock_conn_owner(c);

	vsock_mux_sock_event(f->mux, c, events);
}

static int fake_watch(void *opaque, int fd, struct vsock_conn *c)
{
	struct vf *f = opaque;

	return ev_loop_add(&f->loop, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, fake_handler,
			   c);
}

static void fake_unwatch(void *opaque, int fd)
{
	struct vf *f = opaque;

	ev_loop_del(&f->loop, fd);
}

static uint64_t fake_now(void *opaque)
{
	return ((struct vf *)opaque)->now;
}

static const struct vsock_host_ops fake_ops = {
	.connect = fake_connect,
	.watch = fake_watch,
	.unwatch = fake_unwatch,
	.now_ms = fake_now,
};

int vf_init(struct vf *f)
{
	int err;

	memset(f, 0, sizeof(*f));
	f->now = 1000;
	f->rx_buf_size = VSOCK_HDR_SIZE + 4096;
	err = ev_loop_init(&f->loop);
	if (err)
		return err;
	f->mux = vsock_mux_new(VF_GUEST_CID, &fake_ops, f);
	return f->mux ? 0 : -ENOMEM;
}

void vf_destroy(struct vf *f)
{
	vsock_mux_free(f->mux);
	for (unsigned i = 0; i < f->nr_peers; i++)
		if (f->peers[i] >= 0)
			close(f->peers[i]);
	ev_loop_destroy(&f->loop);
}

void vf_pump(struct vf *f)
{
	/* Edge-triggered sockets only: this ends once every event was served. */
	for (int i = 0; i < 1000; i++)
		if (ev_loop_run_once(&f->loop, 0) <= 0)
			break;
}

int vf_client(struct vf *f)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	if (f->sndbuf > 0)
		setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &f->sndbuf, sizeof(f->sndbuf));
	vsock_mux_host_accept(f->mux, sv[1]);
	return sv[0];
}

int vf_last_peer(struct vf *f)
{
	return f->nr_peers ? f->peers[f->nr_peers - 1] : -1;
}

void vf_send(struct vf *f, const struct vf_pkt *p)
{
	size_t total = VSOCK_HDR_SIZE + p->payload_len;
	uint8_t *buf = malloc(total);
	struct iovec iov[512];
	unsigned n = 0;
	struct vsock_hdr h = {
		.src_cid = p->src_cid ? p->src_cid : VF_GUEST_CID,
		.dst_cid = p->dst_cid ? p->dst_cid : VSOCK_HOST_CID,
		.src_port = p->src_port,
		.dst_port = p->dst_port,
		.len = p->len == -1 ? (uint32_t)p->payload_len : (uint32_t)p->len,
		.type = p->type ? p->type : VIRTIO_VSOCK_TYPE_STREAM,
		.op = p->op,
		.flags = p->flags,
		.buf_alloc = p->buf_alloc,
		.fwd_cnt = p->fwd_cnt,
	};

	if (!buf)
		abort();
	vsock_hdr_encode(&h, buf);
	if (p->payload_len)
		memcpy(buf + VSOCK_HDR_SIZE, p->payload, p->payload_len);
	if (!p->split) {
		iov[n++] = (struct iovec){ buf, total };
	} else {
		for (size_t off = 0; off < total && n < 512; off += p->split) {
			size_t l = total - off < p->split ? total - off : p->split;

			iov[n++] = (struct iovec){ buf + off, l };
		}
	}
	vsock_mux_guest_tx(f->mux, iov, n);
	free(buf);
}

bool vf_recv(struct vf *f, struct vsock_hdr *h, void *payload, size_t cap)
{
	uint8_t *buf = malloc(f->rx_buf_size);
	struct iovec iov = { buf, f->rx_buf_size };
	size_t len;

	if (!buf)
		abort();
	len = vsock_mux_guest_rx(f->mux, &iov, 1);
	if (len) {
		vsock_hdr_decode(buf, h);
		if (payload && h->len)
			memcpy(payload, buf + VSOCK_HDR_SIZE, h->len < cap ? h->len : cap);
		if (len != VSOCK_HDR_SIZE + h->len)
			abort(); /* the returned length must match the header */
	}
	free(buf);
	return len != 0;
}

bool vf_read_exact(struct vf *f, int fd, void *buf, size_t len)
{
	size_t done = 0;

	for (int tries = 0; done < len && tries < 10000; tries++) {
		ssize_t r = read(fd, (uint8_t *)buf + done, len - done);

		if (r == 0)
			return false;
		if (r > 0) {
			done += (size_t)r;
			continue;
		}
		if (errno != EAGAIN)
			return false;
		vf_pump(f);
	}
	return done == len;
}

bool vf_eof(struct vf *f, int fd)
{
	char c;

	for (int tries = 0; tries < 100; tries++) {
		ssize_t r = read(fd, &c, 1);

		if (r == 0 || (r < 0 && errno != EAGAIN))
			return true;
		if (r > 0)
			return false;
		vf_pump(f);
	}
	return false;
}

int vf_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}
