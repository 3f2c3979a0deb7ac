// SPDX-License-Identifier: MIT
/*
 * The virtio-vsock device end to end without a VM: real split rings in fake guest memory, the
 * real Unix listener at PATH and listeners at PATH_<port>, the event loop.  Covers the adapter
 * (queues, receive buffers given back unused, event queue TRANSPORT_RESET, driver reset, the
 * listener out of fds) and the host socket helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_vsock.h>

#include "tests/unit/spin_guard.h"
#include "tests/unit/virtio_harness.h"
#include "vmm/layout.h"
#include "vmm/log.h"
#include "vmm/memory.h"
#include "vmm/util.h"
#include "vsock/host_socket.h"
#include "vsock/vsock.h"

#define RAM      (8ULL << 20)
#define QSIZE    64
#define RING_GPA 0x10000ULL /* three rings, 0x4000 apart */
#define RX_GPA   0x100000ULL
#define TX_GPA   0x300000ULL
#define EV_GPA   0x500000ULL
#define RX_LEN   (VSOCK_HDR_SIZE + 4096)
#define CID      42

struct fx {
	struct vh_vm v;
	char dir[64];
	char path[96];
	struct vsock_dev *d;
	struct virtio_dev *vdev;
	struct vh_ring ring[3];
	uint16_t tx_next;
	uint16_t rx_next;
};

static void *gp(struct fx *f, uint64_t gpa, uint64_t len)
{
	return guest_mem_ptr(&f->v.mem, gpa, len);
}

static void start_driver(struct fx *f)
{
	for (unsigned i = 0; i < 3; i++)
		vh_ring_init(&f->ring[i], &f->v.mem, QSIZE, RING_GPA + i * 0x4000);
	assert_true(vh_driver_start(f->vdev, vh_device_features(f->vdev), f->ring, 3) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	f->tx_next = f->rx_next = 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct vsock_config cfg = { .enabled = true, .guest_cid = CID };
	struct virtio_dev_params p;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	log_threshold = LOG_ERROR;
	assert_non_null(f);
	assert_int_equal(vh_vm_init(&f->v, RAM, TEE_NONE), 0);
	snprintf(f->dir, sizeof(f->dir), "%s/cvmm-vsock-XXXXXX", tmp);
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/v.sock", f->dir);
	cfg.uds_path = f->path;
	assert_int_equal(vsock_dev_open(&cfg, &f->v.loop, &f->d), 0);
	vsock_dev_params(f->d, &p);
	assert_int_equal(virtio_dev_create(&f->v.env, &p, LAYOUT_VIRTIO_MMIO_BASE, 16, &f->vdev),
			 0);
	start_driver(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char p[128];

	vsock_dev_destroy(f->d);
	/* The listener's file goes with the device. */
	assert_int_equal(access(f->path, F_OK), -1);
	snprintf(p, sizeof(p), "%s/v.sock_1025", f->dir);
	unlink(p);
	rmdir(f->dir);
	vh_vm_destroy(&f->v);
	free(f);
	return 0;
}

static void post_rx(struct fx *f, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint16_t d = f->rx_next++ % QSIZE;
		struct vh_buf b = { RX_GPA + (uint64_t)d * RX_LEN, RX_LEN, true };

		vh_publish(&f->ring[VSOCK_RX_QUEUE], vh_chain(&f->ring[VSOCK_RX_QUEUE], d, &b, 1));
	}
	vh_kick(f->vdev, VSOCK_RX_QUEUE);
}

static void send_pkt(struct fx *f, uint16_t op, uint32_t src_port, uint32_t dst_port,
		     const void *data, uint32_t len)
{
	uint16_t d = f->tx_next++ % QSIZE;
	uint64_t gpa = TX_GPA + (uint64_t)d * RX_LEN;
	struct vsock_hdr h = {
		.src_cid = CID, .dst_cid = VSOCK_HOST_CID, .src_port = src_port,
		.dst_port = dst_port, .len = len, .type = VIRTIO_VSOCK_TYPE_STREAM, .op = op,
		.buf_alloc = 65536,
	};
	struct vh_buf b = { gpa, VSOCK_HDR_SIZE + len, false };

	vsock_hdr_encode(&h, gp(f, gpa, VSOCK_HDR_SIZE));
	if (len)
		memcpy(gp(f, gpa + VSOCK_HDR_SIZE, len), data, len);
	vh_publish(&f->ring[VSOCK_TX_QUEUE], vh_chain(&f->ring[VSOCK_TX_QUEUE], d, &b, 1));
	vh_kick(f->vdev, VSOCK_TX_QUEUE);
}

/* Waits for the next receive buffer and decodes it. */
static struct vsock_hdr recv_pkt(struct fx *f, void *payload, size_t cap)
{
	struct vh_ring *r = &f->ring[VSOCK_RX_QUEUE];
	struct vsock_hdr h;
	uint32_t id, len;

	assert_true(vh_run_until_used(&f->v, r, r->last_used));
	assert_true(vh_take_used(r, &id, &len));
	vsock_hdr_decode(gp(f, RX_GPA + (uint64_t)id * RX_LEN, VSOCK_HDR_SIZE), &h);
	assert_int_equal(len, VSOCK_HDR_SIZE + h.len);
	assert_int_equal(h.dst_cid, CID);
	if (payload && h.len)
		memcpy(payload, gp(f, RX_GPA + (uint64_t)id * RX_LEN + VSOCK_HDR_SIZE, h.len),
		       MIN(cap, h.len));
	return h;
}

static int unix_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strncpy(a.sun_path, path, sizeof(a.sun_path) - 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static bool readable(void *arg)
{
	int fd = *(int *)arg;
	char c;

	return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) >= 0 || errno != EAGAIN;
}

/* Reads len bytes (serving the loop while waiting); returns what was read. */
static ssize_t read_host(struct fx *f, int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r;

		if (!vh_run_until(&f->v, readable, &fd))
			break;
		r = recv(fd, (char *)buf + done, len - done, MSG_DONTWAIT);
		if (r <= 0)
			return done ? (ssize_t)done : r;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

/* A host-initiated connection to guest port 1024 through the real listener. */
static int open_host_conn(struct fx *f, uint32_t *host_port)
{
	char ok[32] = { 0 }, want[32];
	struct vsock_hdr h;
	int c = unix_connect(f->path), n;

	assert_int_equal(write(c, "connect 1024\n", 13), 13);
	h = recv_pkt(f, NULL, 0);
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_REQUEST);
	assert_int_equal(h.dst_port, 1024);
	send_pkt(f, VIRTIO_VSOCK_OP_RESPONSE, 1024, h.src_port, NULL, 0);
	n = snprintf(want, sizeof(want), "OK %u\n", h.src_port);
	assert_true(h.src_port >= VSOCK_HOST_PORT_FIRST);
	assert_int_equal(read_host(f, c, ok, (size_t)n), n);
	assert_string_equal(ok, want);
	*host_port = h.src_port;
	return c;
}

static void test_config_and_features(void **state)
{
	struct fx *f = *state;

	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_DEVICE_ID), 19);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_CONFIG), CID);
	assert_int_equal(vh_rd(f->vdev, VIRTIO_MMIO_CONFIG + 4), 0);
	assert_true(vh_device_features(f->vdev) & 1); /* VIRTIO_VSOCK_F_STREAM */
	assert_false(vh_device_features(f->vdev) & 2); /* no SEQPACKET */
}

static void test_host_initiated_roundtrip(void **state)
{
	struct fx *f = *state;
	char buf[64];
	struct vsock_hdr h;
	uint32_t hp;
	int c;

	post_rx(f, 16);
	c = open_host_conn(f, &hp);
	assert_int_equal(write(c, "to guest", 8), 8);
	h = recv_pkt(f, buf, sizeof(buf));
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_RW);
	assert_memory_equal(buf, "to guest", 8);
	send_pkt(f, VIRTIO_VSOCK_OP_RW, 1024, hp, "to host", 7);
	assert_int_equal(read_host(f, c, buf, 7), 7);
	assert_memory_equal(buf, "to host", 7);
	close(c);
	h = recv_pkt(f, NULL, 0);
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_SHUTDOWN);
}

static void test_rx_waits_for_buffers(void **state)
{
	struct fx *f = *state;
	char buf[16];
	struct vsock_hdr h;
	uint32_t hp;
	int c;

	/* Only two buffers: REQUEST takes one, data waits for the next ones. */
	post_rx(f, 1);
	c = unix_connect(f->path);
	assert_int_equal(write(c, "CONNECT 1024\n", 13), 13);
	h = recv_pkt(f, NULL, 0);
	hp = h.src_port;
	send_pkt(f, VIRTIO_VSOCK_OP_RESPONSE, 1024, hp, NULL, 0);
	assert_int_equal(read_host(f, c, buf, 14), 14);
	assert_int_equal(write(c, "abc", 3), 3);
	for (int i = 0; i < 10; i++)
		ev_loop_run_once(&f->v.loop, 5);
	assert_int_equal(vh_used_idx(&f->ring[VSOCK_RX_QUEUE]), 1);
	post_rx(f, 1);
	h = recv_pkt(f, buf, sizeof(buf));
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_RW);
	assert_memory_equal(buf, "abc", 3);
	close(c);
}

static void test_guest_initiated_to_listener(void **state)
{
	struct fx *f = *state;
	char lpath[128], buf[16];
	struct vsock_hdr h;
	int l, a;

	snprintf(lpath, sizeof(lpath), "%s_1025", f->path);
	l = vsock_listen_unix(lpath);
	assert_true(l >= 0);
	post_rx(f, 8);
	send_pkt(f, VIRTIO_VSOCK_OP_REQUEST, 5555, 1025, NULL, 0);
	h = recv_pkt(f, NULL, 0);
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_RESPONSE);
	assert_int_equal(h.src_port, 1025);
	assert_int_equal(h.dst_port, 5555);
	a = accept(l, NULL, NULL);
	assert_true(a >= 0);
	send_pkt(f, VIRTIO_VSOCK_OP_RW, 5555, 1025, "hi", 2);
	assert_int_equal(read_host(f, a, buf, 2), 2);
	assert_memory_equal(buf, "hi", 2);
	/* No listener at PATH_1026. */
	send_pkt(f, VIRTIO_VSOCK_OP_REQUEST, 5556, 1026, NULL, 0);
	h = recv_pkt(f, NULL, 0);
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_RST);
	assert_int_equal(h.dst_port, 5556);
	close(a);
	close(l);
}

static bool no_conns(void *arg)
{
	return vsock_dev_nr_conns(arg) == 0;
}

static void test_transport_reset_event(void **state)
{
	struct fx *f = *state;
	struct vh_ring *ev = &f->ring[VSOCK_EVENT_QUEUE];
	struct vsock_dev_counters cnt;
	uint32_t hp, id, len;
	char c1;
	int c;

	post_rx(f, 8);
	c = open_host_conn(f, &hp);
	/* No event buffer yet: the event waits for one. */
	vsock_dev_reset_transport(f->d);
	assert_int_equal(vsock_dev_nr_conns(f->d), 0);
	assert_int_equal(read(c, &c1, 1), 0);
	close(c);
	assert_int_equal(vh_used_idx(ev), 0);
	memset(gp(f, EV_GPA, 8), 0xff, 8);
	vh_publish(ev, vh_chain(ev, 0, &(struct vh_buf){ EV_GPA, 8, true }, 1));
	vh_kick(f->vdev, VSOCK_EVENT_QUEUE);
	assert_true(vh_run_until_used(&f->v, ev, 0));
	assert_true(vh_take_used(ev, &id, &len));
	assert_int_equal(len, 4);
	assert_int_equal(*(uint32_t *)gp(f, EV_GPA, 4), VIRTIO_VSOCK_EVENT_TRANSPORT_RESET);
	/* With a buffer already posted the event goes out at once; only one per reset. */
	vh_publish(ev, vh_chain(ev, 1, &(struct vh_buf){ EV_GPA + 64, 4, true }, 1));
	vh_publish(ev, vh_chain(ev, 2, &(struct vh_buf){ EV_GPA + 128, 4, true }, 1));
	vh_kick(f->vdev, VSOCK_EVENT_QUEUE);
	ev_loop_run_once(&f->v.loop, 10);
	assert_int_equal(vh_used_idx(ev), 1);
	vsock_dev_reset_transport(f->d);
	assert_int_equal(vh_used_idx(ev), 2);
	vsock_dev_counters(f->d, &cnt);
	assert_int_equal(cnt.transport_resets, 2);
	/* The device still works afterwards. */
	c = open_host_conn(f, &hp);
	close(c);
}

static void test_driver_reset_drops_connections(void **state)
{
	struct fx *f = *state;
	struct vsock_dev_counters cnt;
	uint32_t hp;
	char c1;
	int c;

	post_rx(f, 8);
	c = open_host_conn(f, &hp);
	assert_int_equal(vsock_dev_nr_conns(f->d), 1);
	/* Reset arrives on a vCPU thread; the loop thread closes the sockets. */
	vh_wr(f->vdev, VIRTIO_MMIO_STATUS, 0);
	assert_true(vh_run_until(&f->v, no_conns, f->d));
	assert_int_equal(read_host(f, c, &c1, 1), 0);
	close(c);
	/* No TRANSPORT_RESET for a reset the driver made itself. */
	start_driver(f);
	vsock_dev_counters(f->d, &cnt);
	assert_int_equal(cnt.transport_resets, 0);
	assert_true(cnt.driver_resets >= 1);
	post_rx(f, 8);
	c = open_host_conn(f, &hp);
	close(c);
}

static void test_small_rx_buffer(void **state)
{
	struct fx *f = *state;
	struct vh_ring *r = &f->ring[VSOCK_RX_QUEUE];
	struct vsock_dev_counters cnt;
	uint32_t id, len;
	int c;

	/* A buffer smaller than a header is handed back empty; the next one is used. */
	vh_publish(r, vh_chain(r, 0, &(struct vh_buf){ RX_GPA, 20, true }, 1));
	f->rx_next = 1;
	post_rx(f, 1);
	c = unix_connect(f->path);
	assert_int_equal(write(c, "CONNECT 1\n", 10), 10);
	assert_true(vh_run_until_used(&f->v, r, 0));
	assert_true(vh_take_used(r, &id, &len));
	assert_int_equal(id, 0);
	assert_int_equal(len, 0);
	struct vsock_hdr h = recv_pkt(f, NULL, 0);
	assert_int_equal(h.op, VIRTIO_VSOCK_OP_REQUEST);
	vsock_dev_counters(f->d, &cnt);
	assert_int_equal(cnt.rx_buffers_small, 1);
	close(c);
}

/* Serves the loop (at most 50 rounds, no waiting) until two more receive buffers were used. */
static int header_only_dev_step(void *arg)
{
	struct fx *f = arg;
	struct vh_ring *r = &f->ring[VSOCK_RX_QUEUE];
	uint16_t want = (uint16_t)(r->last_used + 2);
	struct vsock_dev_counters cnt;
	struct vsock_hdr h;
	uint32_t id, len;

	for (int i = 0; i < 50 && vh_used_idx(r) != want; i++)
		ev_loop_run_once(&f->v.loop, 0);
	if (vh_used_idx(r) != want)
		return 1;
	/* The header-only buffer comes back empty, the data goes into the next one. */
	if (!vh_take_used(r, &id, &len) || id != 1 || len != 0)
		return 2;
	if (!vh_take_used(r, &id, &len) || id != 2)
		return 3;
	vsock_hdr_decode(gp(f, RX_GPA + (uint64_t)id * RX_LEN, VSOCK_HDR_SIZE), &h);
	if (h.op != VIRTIO_VSOCK_OP_RW || h.len != 5 || len != VSOCK_HDR_SIZE + 5 ||
	    memcmp(gp(f, RX_GPA + (uint64_t)id * RX_LEN + VSOCK_HDR_SIZE, 5), "bytes", 5))
		return 4;
	vsock_dev_counters(f->d, &cnt);
	return cnt.rx_buffers_small == 1 ? 0 : 5;
}

static void test_header_only_rx_buffer(void **state)
{
	struct fx *f = *state;
	struct vh_ring *r = &f->ring[VSOCK_RX_QUEUE];
	uint32_t hp;
	int c;

	/* One buffer for the REQUEST, then a header-only one and a normal one. */
	post_rx(f, 1);
	c = open_host_conn(f, &hp);
	vh_publish(r, vh_chain(r, 1, &(struct vh_buf){ RX_GPA + RX_LEN, VSOCK_HDR_SIZE, true }, 1));
	f->rx_next = 2;
	post_rx(f, 1);
	assert_int_equal(write(c, "bytes", 5), 5);
	assert_int_equal(spin_guard_run(header_only_dev_step, f), 0);
	close(c);
}

static bool accepted_one(void *arg)
{
	struct vsock_dev_counters cnt;

	vsock_dev_counters(arg, &cnt);
	return cnt.accepted == 1;
}

static void test_out_of_fds_pauses_listener(void **state)
{
	struct fx *f = *state;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct vsock_dev_counters cnt;
	struct rlimit old, low;
	int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), probe;

	assert_true(c >= 0);
	strncpy(a.sun_path, f->path, sizeof(a.sun_path) - 1);
	probe = dup(0);
	assert_true(probe >= 0);
	close(probe);
	/* No fd left for cvmm's accept(). */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = (rlim_t)probe;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	for (int i = 0; i < 5; i++)
		ev_loop_run_once(&f->v.loop, 5);
	vsock_dev_counters(f->d, &cnt);
	/* Paused once, not spinning on the listener. */
	assert_int_equal(cnt.accept_paused, 1);
	assert_int_equal(cnt.accepted, 0);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	/* The next tick resumes it. */
	assert_true(vh_run_until(&f->v, accepted_one, f->d));
	close(c);
}

static void test_listen_socket_rules(void **state)
{
	struct fx *f = *state;
	char p[128];
	int fd, l;

	/* Someone listens at the path: refused. */
	assert_int_equal(vsock_listen_unix(f->path), -EADDRINUSE);
	/* A regular file: refused, left alone. */
	snprintf(p, sizeof(p), "%s/file", f->dir);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(vsock_listen_unix(p), -EEXIST);
	unlink(p);
	/* A stale socket file (its listener closed without unlinking): replaced. */
	snprintf(p, sizeof(p), "%s/stale", f->dir);
	l = vsock_listen_unix(p);
	assert_true(l >= 0);
	close(l);
	l = vsock_listen_unix(p);
	assert_true(l >= 0);
	close(l);
	unlink(p);
	/* PATH_port that does not fit a socket address. */
	memset(p, 'a', 100);
	p[100] = 0;
	assert_int_equal(vsock_connect_unix(p, 4000000000U), -ENAMETOOLONG);
	assert_int_equal(vsock_connect_unix(f->path, 9), -ENOENT);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_config_and_features),
		T(test_host_initiated_roundtrip),
		T(test_rx_waits_for_buffers),
		T(test_guest_initiated_to_listener),
		T(test_transport_reset_event),
		T(test_driver_reset_drops_connections),
		T(test_small_rx_buffer),
		T(test_header_only_rx_buffer),
		T(test_out_of_fds_pauses_listener),
		T(test_listen_socket_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
