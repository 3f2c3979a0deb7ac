// SPDX-License-Identifier: MIT
/*
 * netpeer: the host side of the test guest's virtio-net checks (tests/guest/net_check.c,
 * net_bench.c), on the interface of the tap the VMM serves, through an AF_PACKET socket:
 *
 *   netpeer echo IFNAME [SECONDS]
 *       sends every frame of ethertype 0x88b5 the guest sends back to it, unchanged, until
 *       SECONDS passed (default: until SIGTERM/SIGINT); prints `netpeer: echo ready` once bound,
 *       then `netpeer: echo frames=N bytes=N` when it ends.
 *   netpeer fill IFNAME SIZE COUNT PHASE
 *       sends COUNT frames of ethertype 0x88b6 (byte 14: 0, byte 15: PHASE) as fast as it can,
 *       then the phase's end marker (byte 14: 0xff) three times, and prints `netpeer: fill
 *       frames=N bytes=N seconds=S`.  SIZE "stream" means 65535 bytes (the interface's MTU must
 *       be 65521, a tap's largest: frames with an offload header from a packet socket are
 *       segmented by the kernel before they reach a tap, so 64 KiB arrive as one frame only this
 *       way).  Frames go straight to the tap's queue (PACKET_QDISC_BYPASS), which drops what it
 *       has no room for: its txqueuelen must hold COUNT frames when nobody reads meanwhile.
 *
 * Exit status 0, or 1 with `netpeer: FAIL why`.  No Python in the nested L1: hence C.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ECHO_ETHERTYPE  0x88b5
#define BENCH_ETHERTYPE 0x88b6
#define STREAM_FRAME    65535 /* 14 + 65521, the largest MTU a tap takes */
#define MAX_FRAME       (65536 + 64)
#define BATCH           64

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int fail(const char *why)
{
	printf("netpeer: FAIL %s%s%s\n", why, errno ? ": " : "", errno ? strerror(errno) : "");
	return 1;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* An AF_PACKET socket on ifname for ethertype, bound; -1 with errno. */
static int packet_socket(const char *ifname, uint16_t ethertype, struct sockaddr_ll *sll)
{
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ethertype));

	if (s < 0)
		return -1;
	*sll = (struct sockaddr_ll){ .sll_family = AF_PACKET, .sll_protocol = htons(ethertype),
				     .sll_ifindex = (int)if_nametoindex(ifname), .sll_halen = 6 };
	if (!sll->sll_ifindex || bind(s, (struct sockaddr *)sll, sizeof(*sll)) < 0) {
		close(s);
		return -1;
	}
	return s;
}

static int echo(const char *ifname, double seconds)
{
	static uint8_t buf[MAX_FRAME];
	struct sockaddr_ll sll;
	uint64_t frames = 0, bytes = 0;
	double end = seconds > 0 ? now_s() + seconds : 0;
	int s = packet_socket(ifname, ECHO_ETHERTYPE, &sll);

	if (s < 0)
		return fail("packet socket");
	printf("netpeer: echo ready\n");
	fflush(stdout);
	while (!stop && (!end || now_s() < end)) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		struct sockaddr_ll from;
		socklen_t from_len = sizeof(from);
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recvfrom(s, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &from_len);
		/* What the socket itself sent comes back as PACKET_OUTGOING: not the guest's. */
		if (n <= 0 || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&sll, sizeof(sll)) != n)
			return fail("sendto");
		frames++;
		bytes += (uint64_t)n;
	}
	printf("netpeer: echo frames=%llu bytes=%llu\n", (unsigned long long)frames,
	       (unsigned long long)bytes);
	return 0;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A benchmark frame, broadcast: ethertype 0x88b6, kind in byte 14, phase in byte 15. */
static size_t build(uint8_t *f, size_t size, uint8_t kind, uint8_t phase)
{
	memset(f, 0, size);
	memset(f, 0xff, 6);
	memcpy(f + 6, (const uint8_t[]){ 0x02, 0, 0, 0, 0, 0x01 }, 6);
	put16(f + 12, BENCH_ETHERTYPE);
	f[14] = kind;
	f[15] = phase;
	for (size_t i = 16; i < size; i++)
		f[i] = (uint8_t)i;
	return size;
}

static int fill(const char *ifname, const char *size_arg, unsigned long count, unsigned phase)
{
	static uint8_t frame[MAX_FRAME];
	size_t size = !strcmp(size_arg, "stream") ? STREAM_FRAME : strtoul(size_arg, NULL, 0);
	struct mmsghdr msgs[BATCH];
	struct iovec iov;
	struct sockaddr_ll sll;
	unsigned long frames = 0;
	int s, one = 1;
	double t0;

	if (size < 16 || size > MAX_FRAME)
		return fail("bad size");
	s = packet_socket(ifname, BENCH_ETHERTYPE, &sll);
	if (s < 0)
		return fail("packet socket");
	setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &(int){ 16 << 20 }, sizeof(int));
	iov = (struct iovec){ frame, build(frame, size, 0, (uint8_t)phase) };
	for (unsigned i = 0; i < BATCH; i++)
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &sll,
							 .msg_namelen = sizeof(sll),
							 .msg_iov = &iov, .msg_iovlen = 1 } };
	t0 = now_s();
	while (!stop && frames < count) {
		unsigned batch = count - frames < BATCH ? (unsigned)(count - frames) : BATCH;
		int n = sendmmsg(s, msgs, batch, 0);

		if (n < 0 && errno != ENOBUFS && errno != EAGAIN)
			return fail("sendmmsg");
		if (n > 0)
			frames += (unsigned long)n;
	}
	iov.iov_len = build(frame, 64, 0xff, (uint8_t)phase);
	for (unsigned i = 0; i < 3; i++)
		if (sendmsg(s, &msgs[0].msg_hdr, 0) < 0)
			return fail("sendmsg");
	printf("netpeer: fill frames=%lu bytes=%llu seconds=%.3f\n", frames,
	       (unsigned long long)frames * size, now_s() - t0);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "echo"))
		return echo(argv[2], argc > 3 ? atof(argv[3]) : 0);
	if (argc == 6 && !strcmp(argv[1], "fill"))
		return fill(argv[2], argv[3], strtoul(argv[4], NULL, 0), (unsigned)atoi(argv[5]));
	fprintf(stderr, "usage: netpeer echo IFNAME [SECONDS]\n"
			"       netpeer fill IFNAME SIZE|stream COUNT PHASE\n");
	return 2;
}
