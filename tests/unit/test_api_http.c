// SPDX-License-Identifier: MIT
/*
 * The API's HTTP layer against hostile clients, on a real Unix socket with the server running in a
 * thread: routing, a 0600 socket, huge bodies (by Content-Length and chunked), malformed requests,
 * a client sending one byte at a time, idle connections, more connections than the limit, and
 * descriptors passed with SCM_RIGHTS.  After each, the server still answers and no descriptor
 * leaked.  Every test runs twice: with a route table that takes descriptors (its connections are
 * relayed through cvmm) and with one that does not (libmicrohttpd reads the client directly).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/api_fc.h"
#include "vmm/api_http.h"
#include "vmm/error.h"
#include "vmm/log.h"

static char dir[64], sock[96];
static struct api_server *server;
static pthread_t thread;
static int stop_fd;
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static bool relayed; /* the group being run: a table that takes descriptors */
static unsigned last_fds_seen, fds_requests;
static int passed_fd_kept = -1;
static int fd_seen_tag[4];

static void h_ping(void *ctx, const struct api_request *req, struct api_response *resp)
{
	resp->status = 200;
	resp->body = strdup("{\"pong\":true}");
}

static void h_echo(void *ctx, const struct api_request *req, struct api_response *resp)
{
	resp->status = 200;
	resp->body = strdup(req->body);
}

static void h_item(void *ctx, const struct api_request *req, struct api_response *resp)
{
	resp->status = 200;
	if (asprintf(&resp->body, "{\"item\":\"%s\"}", req->param) < 0)
		resp->status = 500;
}

/* Which eventfd a descriptor is: its counter's value (each test fd holds a distinct one). */
static int fd_tag(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return -1;
	if (write(fd, &v, sizeof(v)) != sizeof(v))
		return -1;
	return (int)v;
}

static void h_fds(void *ctx, const struct api_request *req, struct api_response *resp)
{
	last_fds_seen = req->nr_fds;
	if (fds_requests < ARRAY_LEN(fd_seen_tag))
		fd_seen_tag[fds_requests++] = req->nr_fds ? fd_tag(req->fds[0]) : 0;
	/* The handler keeps the first; the layer closes the others. */
	if (req->nr_fds) {
		passed_fd_kept = req->fds[0];
		req->fds[0] = -1;
	}
	resp->status = 204;
}

static const struct api_route test_routes[] = {
	{ "GET", "/ping", h_ping },
	{ "PUT", "/echo", h_echo },
	{ "PUT", "/items/{}", h_item },
	{ "PUT", "/fds", h_fds },
};

static struct api_routes routes = {
	.routes = test_routes,
	.nr = sizeof(test_routes) / sizeof(test_routes[0]),
	.error_body = api_fc_error_body,
	.max_fds = 2,
};

static void *serve(void *arg)
{
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = api_server_fd(server), .events = POLLIN },
			{ .fd = stop_fd, .events = POLLIN },
		};

		poll(p, 2, api_server_timeout_ms(server));
		if (p[1].revents)
			return NULL;
		api_server_run(server);
	}
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

/* The descriptor count once the server has closed its ends of finished connections. */
static int settled_fds(void)
{
	int n = count_fds(), m;

	for (int i = 0; i < 40; i++) {
		usleep(50 * 1000);
		m = count_fds();
		if (m == n)
			return m;
		n = m;
	}
	return n;
}

static int start_server(void **state)
{
	struct error e = ERROR_INIT;

	/* The relayed table takes 2 descriptors per request, the direct one none. */
	routes.max_fds = relayed ? 2 : 0;
	log_threshold = LOG_ERROR;
	snprintf(dir, sizeof(dir), "/tmp/cvmm-http-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/api.sock", dir);
	assert_int_equal(api_server_open(sock, &routes, &server, &e), 0);
	api_server_set_timeouts(server, 300, 600);
	stop_fd = eventfd(0, EFD_CLOEXEC);
	assert_int_equal(pthread_create(&thread, NULL, serve, NULL), 0);
	return 0;
}

static int stop_server(void **state)
{
	uint64_t one = 1;

	assert_int_equal(write(stop_fd, &one, sizeof(one)), sizeof(one));
	pthread_join(thread, NULL);
	api_server_close(server);
	close(stop_fd);
	assert_int_equal(access(sock, F_OK), -1); /* the path is removed */
	rmdir(dir);
	return 0;
}

static int connect_api(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void send_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = send(fd, s, n, MSG_NOSIGNAL);

		if (w <= 0)
			return; /* the server may close first */
		s += w;
		n -= (size_t)w;
	}
}

/* Reads what arrives within ms (until the peer closes); returns the byte count, buf NUL-ended. */
static size_t read_for(int fd, char *buf, size_t cap, int ms, bool *closed)
{
	size_t got = 0;

	*closed = false;
	while (got + 1 < cap) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, ms) <= 0)
			break;
		n = recv(fd, buf + got, cap - 1 - got, 0);
		if (n <= 0) {
			*closed = true;
			break;
		}
		got += (size_t)n;
		/* A complete answer without a body, or with one that ended: stop waiting long. */
		ms = 100;
	}
	buf[got] = 0;
	return got;
}

/* One request on a fresh connection; returns the status, body copied out. */
static int request(const char *raw, char *body, size_t cap)
{
	char buf[8192];
	bool closed;
	int fd = connect_api(), status = 0;
	const char *b;

	send_all(fd, raw, strlen(raw));
	read_for(fd, buf, sizeof(buf), 3000, &closed);
	close(fd);
	sscanf(buf, "HTTP/1.1 %d", &status);
	b = strstr(buf, "\r\n\r\n");
	if (body)
		snprintf(body, cap, "%s", b ? b + 4 : "");
	return status;
}

static void test_routes_and_socket(void **state)
{
	char body[512];
	struct stat st;

	assert_int_equal(stat(sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(request("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n", body, sizeof(body)), 200);
	assert_string_equal(body, "{\"pong\":true}");
	assert_int_equal(request("PUT /items/drive_3 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
				 body, sizeof(body)), 200);
	assert_string_equal(body, "{\"item\":\"drive_3\"}");
	/* Unknown path, wrong method, a parameter with a slash, an empty one: 400 and a message. */
	assert_int_equal(request("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", body, sizeof(body)), 400);
	assert_non_null(strstr(body, "Invalid request method and/or path: GET /nope"));
	assert_int_equal(request("PUT /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", body,
				 sizeof(body)), 400);
	assert_non_null(strstr(body, "Invalid request method PUT for /ping"));
	assert_int_equal(request("PUT /items/a/b HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
				 body, sizeof(body)), 400);
	assert_int_equal(request("PUT /items/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
				 body, sizeof(body)), 400);
	/* Client bytes quoted back are sanitised: the answer stays valid JSON. */
	assert_int_equal(request("GET /\"\\\x01 HTTP/1.1\r\nHost: x\r\n\r\n", body, sizeof(body)),
			 400);
	assert_null(strchr(body + 1, '\x01'));
}

static void test_keep_alive(void **state)
{
	const char *two = "PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
			  "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n";
	char buf[4096];
	bool closed;
	int fd = connect_api();

	send_all(fd, two, strlen(two));
	read_for(fd, buf, sizeof(buf), 2000, &closed);
	assert_non_null(strstr(buf, "hello"));
	assert_non_null(strstr(buf, "{\"pong\":true}"));
	close(fd);
}

static void test_huge_bodies(void **state)
{
	static char big[API_HTTP_BODY_MAX + 100];
	char body[512], hdr[256], chunk[64];
	int before = settled_fds(), fd;
	bool closed;

	/* Announced: refused before the body is read, and the connection closes. */
	assert_int_equal(request("PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n",
				 body, sizeof(body)), 400);
	assert_non_null(strstr(body, "larger than"));
	/* Just over the cap, sent in full. */
	memset(big, 'a', sizeof(big) - 1);
	fd = connect_api();
	snprintf(hdr, sizeof(hdr), "PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n",
		 sizeof(big) - 1);
	send_all(fd, hdr, strlen(hdr));
	send_all(fd, big, sizeof(big) - 1);
	read_for(fd, body, sizeof(body), 3000, &closed);
	assert_non_null(strstr(body, "HTTP/1.1 400"));
	close(fd);
	/* Chunked, no length announced: cut off at the cap. */
	fd = connect_api();
	send_all(fd, "PUT /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 60);
	snprintf(chunk, sizeof(chunk), "%x\r\n", 4096);
	for (unsigned i = 0; i < (API_HTTP_BODY_MAX / 4096) + 2; i++) {
		send_all(fd, chunk, strlen(chunk));
		send_all(fd, big, 4096);
		send_all(fd, "\r\n", 2);
	}
	send_all(fd, "0\r\n\r\n", 5);
	read_for(fd, body, sizeof(body), 3000, &closed);
	assert_non_null(strstr(body, "HTTP/1.1 400"));
	close(fd);
	/* A negative or non-numeric length. */
	assert_true(request("PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", body,
			    sizeof(body)) != 200);
	assert_int_equal(request("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n", NULL, 0), 200);
	assert_int_equal(settled_fds(), before);
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"\r\n\r\n",
		"GARBAGE\r\n\r\n",
		"GET\r\n\r\n",
		"GET /ping HTTP/9.9\r\n\r\n",
		"GET /ping HTTP/1.1\r\nNo-Colon-Header\r\n\r\n",
		"PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
		"PUT /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"\x00\x01\x02\x03\xff\xfe\r\n\r\n",
	};
	int before = settled_fds();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char buf[1024];
		bool closed;
		int fd = connect_api(), status = 0;

		send_all(fd, bad[i], strlen(bad[i]) + (i == 7 ? 10 : 0));
		read_for(fd, buf, sizeof(buf), 1000, &closed);
		sscanf(buf, "HTTP/1.1 %d", &status);
		/* Refused (HTTP/9.9: 505) or closed; never a success, never a hang. */
		assert_true(status == 0 || (status >= 400 && status != 500));
		close(fd);
	}
	/* A header block larger than the connection's memory. */
	{
		static char hdr[API_HTTP_MEMORY_LIMIT * 2];
		char buf[1024];
		bool closed;
		int fd = connect_api(), status = 0;

		snprintf(hdr, sizeof(hdr), "GET /ping HTTP/1.1\r\nX: ");
		memset(hdr + strlen(hdr), 'x', sizeof(hdr) - strlen(hdr) - 5);
		memcpy(hdr + sizeof(hdr) - 5, "\r\n\r\n", 5);
		send_all(fd, hdr, strlen(hdr));
		read_for(fd, buf, sizeof(buf), 2000, &closed);
		sscanf(buf, "HTTP/1.1 %d", &status);
		assert_true(status == 0 || status >= 400);
		close(fd);
	}
	assert_int_equal(request("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n", NULL, 0), 200);
	assert_int_equal(settled_fds(), before);
}

static uint64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One byte every 20 ms never completes the request: closed at the request deadline (300 ms). */
static void test_slow_client(void **state)
{
	const char *req = "PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 200\r\n\r\n";
	int fd = connect_api(), before;
	uint64_t t0 = ms_now();
	bool closed = false;

	for (size_t i = 0; !closed && ms_now() - t0 < 3000; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char c;

		send_all(fd, i < strlen(req) ? &req[i] : "a", 1);
		/* Meanwhile others are served. */
		if (i == 5)
			assert_int_equal(request("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n", NULL, 0),
					 200);
		if (poll(&p, 1, 20) > 0 && recv(fd, &c, 1, MSG_DONTWAIT) <= 0)
			closed = true;
	}
	assert_true(closed);
	assert_true(ms_now() - t0 < 1500);
	close(fd);
	/* A silent connection goes too. */
	before = settled_fds();
	fd = connect_api();
	{
		char buf[16];

		t0 = ms_now();
		read_for(fd, buf, sizeof(buf), 3000, &closed);
		assert_true(closed);
		/* Relayed, a silent new connection has the request deadline, else the idle one. */
		assert_true(ms_now() - t0 >= (relayed ? 250 : 550) && ms_now() - t0 < 2500);
	}
	close(fd);
	assert_int_equal(settled_fds(), before);
}

/* More connections than the limit: the extra ones are closed, the server keeps answering. */
static void test_many_connections(void **state)
{
	enum { N = API_HTTP_MAX_CONNECTIONS * 3 };
	int fds[N], before = settled_fds(), closed_count = 0;

	for (int i = 0; i < N; i++)
		fds[i] = connect_api();
	usleep(200 * 1000);
	for (int i = 0; i < N; i++) {
		char c;
		ssize_t n = recv(fds[i], &c, 1, MSG_DONTWAIT);

		if (n == 0)
			closed_count++;
	}
	assert_true(closed_count >= N - API_HTTP_MAX_CONNECTIONS);
	for (int i = 0; i < N; i++)
		close(fds[i]);
	usleep(200 * 1000);
	assert_int_equal(request("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n", NULL, 0), 200);
	assert_int_equal(settled_fds(), before);
}

/* Sends req on fd with these descriptors attached to its bytes. */
static void send_with_fds(int fd, const char *req, const int *fds, unsigned nr)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = { .iov_base = (void *)req, .iov_len = strlen(req) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = CMSG_SPACE(nr * sizeof(int)) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	assert_true(nr >= 1 && nr <= 4);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nr * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, nr * sizeof(int));
	assert_int_equal(sendmsg(fd, &msg, MSG_NOSIGNAL), (ssize_t)strlen(req));
}

/* An eventfd whose counter is tag: a descriptor the handler can recognise. */
static int tagged_fd(unsigned tag)
{
	return eventfd(tag, EFD_CLOEXEC | EFD_NONBLOCK);
}

static void test_passed_fds(void **state)
{
	const char *req = "PUT /fds HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
	char buf[512];
	int p[3], before, fd;
	bool closed;

	for (int i = 0; i < 3; i++)
		p[i] = tagged_fd(7 + (unsigned)i);
	before = settled_fds();
	passed_fd_kept = -1;
	fd = connect_api();
	send_with_fds(fd, req, p, 3);
	read_for(fd, buf, sizeof(buf), 2000, &closed);
	assert_non_null(strstr(buf, "HTTP/1.1 204"));
	close(fd);
	if (relayed) {
		/* Two of three taken (max_fds), one kept by the handler: one more fd than before. */
		assert_int_equal(last_fds_seen, 2);
		assert_int_equal(fd_tag(passed_fd_kept), 7);
		assert_int_equal(settled_fds(), before + 1);
		close(passed_fd_kept);
	} else {
		/* A table without descriptors: the kernel drops them with the bytes. */
		assert_int_equal(last_fds_seen, 0);
		assert_int_equal(settled_fds(), before);
	}
	for (int i = 0; i < 3; i++)
		close(p[i]);
}

/*
 * Kata's clh driver sends each vm.add-net on one connection, each with its own tap fds: every
 * request gets the descriptors that came with its bytes, on every request of the connection.
 */
static void test_fds_per_request(void **state)
{
	const char *req = "PUT /fds HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
	char buf[512];
	int before = settled_fds(), fd = connect_api(), t[3];
	bool closed;

	fds_requests = 0;
	memset(fd_seen_tag, 0, sizeof(fd_seen_tag));
	for (unsigned i = 0; i < 3; i++) {
		t[i] = tagged_fd(100 + i);
		passed_fd_kept = -1;
		if (i == 1)
			send_all(fd, req, strlen(req)); /* this one carries none */
		else
			send_with_fds(fd, req, &t[i], 1);
		read_for(fd, buf, sizeof(buf), 2000, &closed);
		assert_non_null(strstr(buf, "HTTP/1.1 204"));
		assert_false(closed);
		if (passed_fd_kept >= 0)
			close(passed_fd_kept);
	}
	close(fd);
	for (unsigned i = 0; i < 3; i++)
		close(t[i]);
	assert_int_equal(fds_requests, 3);
	assert_int_equal(fd_seen_tag[0], relayed ? 100 : 0);
	assert_int_equal(fd_seen_tag[1], 0);
	assert_int_equal(fd_seen_tag[2], relayed ? 102 : 0);
	assert_int_equal(settled_fds(), before);
}

/*
 * A client that sends requests without reading the answers: the relay's buffers fill and it stops
 * reading that client; others are served, and at the deadline the connection goes, leaving no
 * descriptor behind.  Also descriptors on every message of the flood.
 */
static void test_unread_answers(void **state)
{
	const char *req = "GET /ping HTTP/1.1\r\nHost: x\r\n\r\n";
	int before = settled_fds(), fd = connect_api(), ev = tagged_fd(1);
	uint64_t t0 = ms_now();
	bool closed = false;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 20000; i++) {
		if (i % 100 == 0)
			send_with_fds(fd, req, &ev, 1);
		else if (send(fd, req, strlen(req), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			break;
	}
	assert_int_equal(request("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n", NULL, 0), 200);
	/* The stuck connection ends at its deadline (idle 600 ms, request 300 ms here). */
	while (!closed && ms_now() - t0 < 5000) {
		char b[4096];
		ssize_t n = recv(fd, b, sizeof(b), MSG_DONTWAIT);

		if (n == 0)
			closed = true;
		else if (n < 0)
			usleep(20 * 1000);
	}
	close(fd);
	close(ev);
	assert_true(closed);
	assert_int_equal(settled_fds(), before);
	assert_false(api_server_busy(server));
}

/*
 * A client that sends its request and ends its side of the stream (shutdown SHUT_WR) still gets
 * the answer, then the end; one that ends in the middle of a request and goes gets nothing, and
 * in both cases the connection goes away with nothing left behind.
 */
static void test_half_close(void **state)
{
	const char *req = "PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
	int before = settled_fds(), fd = connect_api();
	char buf[1024];
	bool closed;

	send_all(fd, req, strlen(req));
	shutdown(fd, SHUT_WR);
	read_for(fd, buf, sizeof(buf), 3000, &closed);
	assert_non_null(strstr(buf, "HTTP/1.1 200"));
	assert_non_null(strstr(buf, "hello"));
	close(fd);
	fd = connect_api();
	send_all(fd, req, strlen(req) - 3);
	shutdown(fd, SHUT_WR);
	close(fd);
	assert_int_equal(settled_fds(), before);
	assert_int_equal(api_server_connections(server), 0);
}

static void test_socket_path_rules(void **state)
{
	struct api_server *s = NULL;
	struct error e = ERROR_INIT;
	char path[128];

	/* A regular file is not replaced. */
	snprintf(path, sizeof(path), "%s/file", dir);
	close(open(path, O_CREAT | O_WRONLY, 0600));
	assert_int_equal(api_server_open(path, &routes, &s, &e), -EEXIST);
	assert_int_equal(e.cls, ERROR_INPUT);
	assert_non_null(strstr(e.msg, "not a socket"));
	unlink(path);
	/* Too long for sun_path. */
	error_clear(&e);
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = 0;
	assert_int_equal(api_server_open(path, &routes, &s, &e), -ENAMETOOLONG);
	assert_int_equal(e.cls, ERROR_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes_and_socket),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_huge_bodies),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_slow_client),
		cmocka_unit_test(test_many_connections),
		cmocka_unit_test(test_passed_fds),
		cmocka_unit_test(test_fds_per_request),
		cmocka_unit_test(test_unread_answers),
		cmocka_unit_test(test_half_close),
		cmocka_unit_test(test_socket_path_rules),
	};
	int failed;

	relayed = true;
	failed = cmocka_run_group_tests_name("relayed", tests, start_server, stop_server);
	relayed = false;
	return failed | cmocka_run_group_tests_name("direct", tests, start_server, stop_server);
}
