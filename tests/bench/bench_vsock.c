// SPDX-License-Identifier: MIT
/*
 * In-process benchmark of cvmm's vsock relay path, no VM: a Unix socket on one side, the
 * multiplexer and a fake guest in plain memory on the other (tests/unit/vsock_fake.c).  A thread
 * plays the host application; the main thread is cvmm's loop thread, whose CPU time is measured.
 * Printed as a table (never pass/fail):
 *   host->guest  socket data read straight into receive buffers (64 KiB and 4 KiB payloads)
 *   guest->host  64 KiB RW packets written to the socket
 *   set-up       host-initiated connect, handshake, REQUEST/RESPONSE, OK, close, SHUTDOWN, RST
 * and the same byte streams through socat (UNIX-LISTEN -> UNIX-CONNECT), the peer relay.
 *
 *   make bench-vsock    (or build/bench/bench-vsock [GiB])
 * With --connect-rate PATH PORT N INFLIGHT it is instead the client of the set-up rate against a
 * running cvmm (scripts/bench_vsock.py).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/virtio_vsock.h>

#include "tests/unit/vsock_fake.h"
#include "vmm/log.h"

#define CHUNK (1 << 20)

static uint64_t total_bytes = 2ULL << 30;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct stream {
	int fd;
	uint64_t bytes;
};

static void *writer(void *arg)
{
	struct stream *s = arg;
	char *buf = malloc(CHUNK);
	uint64_t done = 0;

	memset(buf, 0x42, CHUNK);
	while (done < s->bytes) {
		size_t n = s->bytes - done < CHUNK ? s->bytes - done : CHUNK;
		ssize_t w = write(s->fd, buf, n);

		if (w <= 0)
			break;
		done += (uint64_t)w;
	}
	shutdown(s->fd, SHUT_WR);
	free(buf);
	return NULL;
}

static void *reader(void *arg)
{
	struct stream *s = arg;
	char *buf = malloc(CHUNK);
	ssize_t r;

	while ((r = read(s->fd, buf, CHUNK)) > 0)
		s->bytes += (uint64_t)r;
	free(buf);
	return NULL;
}

/* The application's end of the socketpair blocks, as an ordinary client's would. */
static void set_blocking(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
}

/* A host-initiated connection through the mux; the fake guest answers with credit buf_alloc. */
static int open_conn(struct vf *f, uint32_t buf_alloc, uint32_t *hp)
{
	struct vsock_hdr h;
	char ok[32];
	int c = vf_client(f);

	if (write(c, "CONNECT 1024\n", 13) != 13)
		abort();
	vf_pump(f);
	if (!vf_recv(f, &h, NULL, 0) || h.op != VIRTIO_VSOCK_OP_REQUEST)
		abort();
	vf_send(f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_RESPONSE, .src_port = 1024,
				     .dst_port = h.src_port, .buf_alloc = buf_alloc, .len = -1 });
	if (!vf_read_exact(f, c, ok, 14))
		abort();
	*hp = h.src_port;
	return c;
}

struct result {
	double mb_s;
	double cpu_ms_per_mb;
};

static struct result bench_h2g(uint32_t payload)
{
	struct vf f;
	struct stream s;
	pthread_t t;
	uint32_t hp, update_every = 4 << 20;
	uint64_t got = 0, last_update = 0;
	size_t buf_len = VSOCK_HDR_SIZE + payload;
	uint8_t *bufs = malloc(64 * buf_len);
	unsigned next = 0;
	double t0, c0;
	bool eof = false;

	vf_init(&f);
	s.fd = open_conn(&f, 16 << 20, &hp);
	s.bytes = total_bytes;
	set_blocking(s.fd);
	t0 = now_s();
	c0 = cpu_s();
	pthread_create(&t, NULL, writer, &s);
	while (!eof) {
		while (vsock_mux_rx_pending(f.mux)) {
			struct iovec iov = { bufs + (size_t)(next++ % 64) * buf_len, buf_len };
			struct vsock_hdr h;
			size_t len = vsock_mux_guest_rx(f.mux, &iov, 1);

			if (!len)
				break;
			vsock_hdr_decode(iov.iov_base, &h);
			if (h.op == VIRTIO_VSOCK_OP_SHUTDOWN)
				eof = true;
			got += h.len;
			if (got - last_update >= update_every) {
				vf_send(&f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_CREDIT_UPDATE,
							     .src_port = 1024, .dst_port = hp,
							     .buf_alloc = 16 << 20,
							     .fwd_cnt = (uint32_t)got, .len = -1 });
				last_update = got;
			}
		}
		if (!eof)
			ev_loop_run_once(&f.loop, 100);
	}
	double dt = now_s() - t0, cpu = cpu_s() - c0;

	pthread_join(t, NULL);
	close(s.fd);
	vf_destroy(&f);
	free(bufs);
	if (got != total_bytes)
		fprintf(stderr, "bench-vsock: host->guest moved %lu of %lu bytes\n", got,
			total_bytes);
	return (struct result){ got / dt / 1e6, cpu * 1e3 / (got / 1e6) };
}

static struct result bench_g2h(void)
{
	struct vf f;
	struct stream s = { 0 };
	pthread_t t;
	uint32_t hp, fwd_seen = 0;
	uint8_t hdr[VSOCK_HDR_SIZE];
	uint8_t *payload = malloc(65536);
	uint64_t sent = 0;
	double t0, c0;

	memset(payload, 0x17, 65536);
	vf_init(&f);
	s.fd = open_conn(&f, 1 << 20, &hp);
	set_blocking(s.fd);
	vsock_hdr_encode(&(struct vsock_hdr){ .src_cid = VF_GUEST_CID, .dst_cid = VSOCK_HOST_CID,
					      .src_port = 1024, .dst_port = hp, .len = 65536,
					      .type = VIRTIO_VSOCK_TYPE_STREAM,
					      .op = VIRTIO_VSOCK_OP_RW, .buf_alloc = 1 << 20 },
			 hdr);
	t0 = now_s();
	c0 = cpu_s();
	pthread_create(&t, NULL, reader, &s);
	while (sent < total_bytes) {
		/* The guest's view of cvmm's credit, from the packets cvmm sent it. */
		while (vsock_mux_rx_pending(f.mux)) {
			struct vsock_hdr h;

			if (!vf_recv(&f, &h, NULL, 0))
				break;
			fwd_seen = h.fwd_cnt;
		}
		if ((uint32_t)sent - fwd_seen + 65536 > VSOCK_CONN_BUF) {
			ev_loop_run_once(&f.loop, 100);
			continue;
		}
		struct iovec iov[2] = { { hdr, VSOCK_HDR_SIZE }, { payload, 65536 } };

		vsock_mux_guest_tx(f.mux, iov, 2);
		sent += 65536;
	}
	/* Until the last byte left cvmm. */
	while (vsock_mux_nr_conns(f.mux) && fwd_seen != (uint32_t)sent) {
		struct vsock_hdr h;

		ev_loop_run_once(&f.loop, 100);
		while (vf_recv(&f, &h, NULL, 0))
			fwd_seen = h.fwd_cnt;
		vf_send(&f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_CREDIT_REQUEST,
					     .src_port = 1024, .dst_port = hp, .buf_alloc = 1 << 20,
					     .len = -1 });
	}
	double cpu = cpu_s() - c0;

	vf_send(&f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_SHUTDOWN, .src_port = 1024,
				     .dst_port = hp, .flags = 3, .buf_alloc = 1 << 20, .len = -1 });
	vf_pump(&f);
	pthread_join(t, NULL);
	double dt = now_s() - t0;

	if (s.bytes != total_bytes)
		fprintf(stderr, "bench-vsock: guest->host moved %lu of %lu bytes\n", s.bytes,
			total_bytes);
	close(s.fd);
	vf_destroy(&f);
	free(payload);
	return (struct result){ s.bytes / dt / 1e6, cpu * 1e3 / (s.bytes / 1e6) };
}

static double bench_setup(unsigned n)
{
	struct vf f;
	double t0;

	vf_init(&f);
	t0 = now_s();
	for (unsigned i = 0; i < n; i++) {
		struct vsock_hdr h;
		uint32_t hp;
		int c = open_conn(&f, 65536, &hp);

		close(c);
		vf_pump(&f);
		if (!vf_recv(&f, &h, NULL, 0) || h.op != VIRTIO_VSOCK_OP_SHUTDOWN)
			abort();
		vf_send(&f, &(struct vf_pkt){ .op = VIRTIO_VSOCK_OP_SHUTDOWN, .src_port = 1024,
					     .dst_port = hp, .flags = 3, .len = -1 });
		if (!vf_recv(&f, &h, NULL, 0) || h.op != VIRTIO_VSOCK_OP_RST)
			abort();
	}
	double dt = now_s() - t0;

	vf_destroy(&f);
	return n / dt;
}

/* socat relaying a Unix socket to a Unix listener: the same byte stream through a peer. */
static double bench_socat(const char *dir)
{
	char in[108], out[108], a1[140], a2[140];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stream w, r = { 0 };
	pthread_t tw, tr;
	int l, fd = -1;
	pid_t pid;
	double t0, dt;

	snprintf(in, sizeof(in), "%s/in", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, out);
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) || listen(l, 1))
		return -1;
	snprintf(a1, sizeof(a1), "UNIX-LISTEN:%s", in);
	snprintf(a2, sizeof(a2), "UNIX-CONNECT:%s", out);
	pid = fork();
	if (pid == 0) {
		execlp("socat", "socat", "-b", "65536", a1, a2, (char *)NULL);
		_exit(127);
	}
	strcpy(sa.sun_path, in);
	for (int i = 0; i < 200 && fd < 0; i++) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			close(fd);
			fd = -1;
			usleep(10000);
		}
	}
	if (fd < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(l);
		unlink(out);
		return -1;
	}
	w = (struct stream){ fd, total_bytes };
	t0 = now_s();
	pthread_create(&tw, NULL, writer, &w);
	r.fd = accept(l, NULL, NULL);
	pthread_create(&tr, NULL, reader, &r);
	pthread_join(tw, NULL);
	pthread_join(tr, NULL);
	dt = now_s() - t0;
	close(fd);
	close(r.fd);
	close(l);
	waitpid(pid, NULL, 0);
	unlink(out);
	unlink(in);
	return r.bytes / dt / 1e6;
}

/*
 * Client side of the connection set-up rate against a running cvmm: n connections to PATH, each
 * "CONNECT port", wait for OK, close; `inflight` at once.  Prints connections/s.
 */
static int connect_rate(const char *path, unsigned port, unsigned n, unsigned inflight)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct epoll_event evs[64];
	char line[32];
	unsigned started = 0, done = 0;
	int ep = epoll_create1(0), len;
	double t0 = now_s();

	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	len = snprintf(line, sizeof(line), "CONNECT %u\n", port);
	while (done < n) {
		while (started < n && started - done < inflight) {
			int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

			if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
			    write(fd, line, (size_t)len) != len) {
				perror("bench-vsock: connect");
				return 1;
			}
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &(struct epoll_event){
				.events = EPOLLIN, .data.fd = fd });
			started++;
		}
		int k = epoll_wait(ep, evs, 64, 10000);

		if (k <= 0) {
			fprintf(stderr, "bench-vsock: no answer from the guest\n");
			return 1;
		}
		for (int i = 0; i < k; i++) {
			char buf[64];
			ssize_t r = read(evs[i].data.fd, buf, sizeof(buf));

			/* "OK <port>\n" comes in one piece from a fresh socket. */
			if (r < 3 || memcmp(buf, "OK ", 3)) {
				fprintf(stderr, "bench-vsock: connection refused\n");
				return 1;
			}
			close(evs[i].data.fd);
			done++;
		}
	}
	printf("%.0f\n", n / (now_s() - t0));
	close(ep);
	return 0;
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/cvmm-bench-vsock-XXXXXX";
	struct result a, b, c;
	double setup, socat;

	log_threshold = LOG_ERROR;
	signal(SIGPIPE, SIG_IGN);
	if (argc == 6 && !strcmp(argv[1], "--connect-rate"))
		return connect_rate(argv[2], (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]),
				    (unsigned)atoi(argv[5]));
	if (argc > 1)
		total_bytes = (uint64_t)(atof(argv[1]) * (1 << 30));
	a = bench_h2g(65536);
	b = bench_h2g(4096);
	c = bench_g2h();
	setup = bench_setup(20000);
	socat = mkdtemp(dir) ? bench_socat(dir) : -1;
	rmdir(dir);

	printf("vsock relay, in process (no VM), %.1f GiB per stream, one connection\n",
	       total_bytes / (double)(1 << 30));
	printf("| path | MB/s | cvmm loop CPU ms/MB |\n| --- | --- | --- |\n");
	printf("| host->guest, 64 KiB receive buffers | %.0f | %.3f |\n", a.mb_s, a.cpu_ms_per_mb);
	printf("| host->guest, 4 KiB receive buffers | %.0f | %.3f |\n", b.mb_s, b.cpu_ms_per_mb);
	printf("| guest->host, 64 KiB packets | %.0f | %.3f |\n", c.mb_s, c.cpu_ms_per_mb);
	if (socat > 0)
		printf("| peer: socat Unix->Unix relay (-b 65536) | %.0f | - |\n", socat);
	else
		printf("| peer: socat Unix->Unix relay | not installed | - |\n");
	printf("\n| connection set-up (connect, CONNECT, REQUEST/RESPONSE, OK, close) "
	       "| %.0f /s |\n", setup);
	return 0;
}
