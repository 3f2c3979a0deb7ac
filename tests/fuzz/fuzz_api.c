// SPDX-License-Identifier: MIT
/*
 * The management API's parsers: the first byte picks what the rest is.
 *   bit 0 set:   a --config-file document, applied to a fresh pre-boot state;
 *   bit 0 clear: raw bytes a client sends to an API socket (HTTP request line, headers, bodies,
 *                pipelined requests), served by the real HTTP layer until the answer is out or
 *                the connection closes: bit 1 picks the route table, Firecracker's (clear) or
 *                Cloud Hypervisor's (set: relayed connections, vm.create's VmConfig, vm.add-net);
 *                bit 2 attaches two descriptors (eventfds) to the first bytes, as a vm.add-net
 *                passes its tap with SCM_RIGHTS.
 * KVM is the recording fake, set to fail opening: an InstanceStart or vm.boot that gets past
 * validation ends there, so no input starts a VM.  The servers and their sockets live for the
 * whole run; every input leaves them without connections and the process with the descriptors it
 * had (both checked), and a fresh API state.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/unit/kvm_recorder.h"
#include "vmm/api_ch.h"
#include "vmm/api_fc.h"
#include "vmm/api_http.h"
#include "vmm/api_state.h"
#include "vmm/error.h"
#include "vmm/log.h"
#include "vmm/metrics.h"

#define RUNS_PER_INPUT 200

static struct api_server *servers[2];
static struct api_vmm state;
static struct api_routes routes[2];
static char socks[2][64];
static int fds_before;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fresh_state(void)
{
	struct vm_config cfg;

	config_init(&cfg);
	api_vmm_init(&state, "fuzz", &cfg);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct error e = ERROR_INIT;

	log_threshold = LOG_ERROR;
	rec_reset();
	rec_set_result("kvm_open", -ENOENT);
	fresh_state();
	api_fc_routes(&state, &routes[0]);
	api_ch_routes(&state, &routes[1]);
	for (int i = 0; i < 2; i++) {
		snprintf(socks[i], sizeof(socks[i]), "/tmp/cvmm-fuzz-api-%d-%d.sock", (int)getpid(),
			 i);
		if (api_server_open(socks[i], &routes[i], &servers[i], &e)) {
			fprintf(stderr, "fuzz_api: %s\n", e.msg);
			abort();
		}
	}
	return 0;
}

/*
 * The process's descriptors, but pipes: the sanitizers' symbolizer (libFuzzer's NEW_FUNC lines)
 * starts with pipes that stay; nothing under test makes one.  out: list them there.
 */
static int open_fds(FILE *out)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d))) {
		char link[300], target[256];
		ssize_t len;

		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		target[len > 0 ? len : 0] = 0;
		if (!strncmp(target, "pipe:", 5))
			continue;
		if (out)
			fprintf(out, "fuzz_api: descriptor %s: %s\n", de->d_name, target);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* The first send, with two eventfds attached when with_fds (closed here after sending). */
static ssize_t send_first(int fd, const uint8_t *data, size_t size, bool with_fds)
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = { .iov_base = (void *)data, .iov_len = size };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fds[2] = { eventfd(0, EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC) };
	ssize_t n;

	if (with_fds && fds[0] >= 0 && fds[1] >= 0) {
		struct cmsghdr *cm;

		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(fds));
		memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	}
	n = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return n;
}

static void http_input(struct api_server *server, const char *sock, const uint8_t *data,
		       size_t size, bool with_fds)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	size_t sent = 0;
	char buf[4096];
	bool eof = false;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		abort();
	for (int i = 0; i < RUNS_PER_INPUT && !eof; i++) {
		if (sent < size) {
			ssize_t n = sent ? send(fd, data + sent, size - sent,
						MSG_NOSIGNAL | MSG_DONTWAIT) :
					   send_first(fd, data, size, with_fds);

			if (n > 0)
				sent += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				sent = size;
			if (sent == size)
				shutdown(fd, SHUT_WR);
		}
		api_server_run(server);
		for (;;) {
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

			if (n == 0)
				eof = true;
			if (n <= 0)
				break;
		}
	}
	close(fd);
	/* The server's end goes on its next runs. */
	for (int i = 0; i < RUNS_PER_INPUT && api_server_connections(server); i++)
		api_server_run(server);
	/* libmicrohttpd closes the sockets of ended connections on its next runs. */
	for (int i = 0; i < 3; i++)
		api_server_run(server);
	if (api_server_connections(server))
		abort(); /* a client that has gone must not hold a connection */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct error e = ERROR_INIT;

	if (!size)
		return 0;
	fds_before = open_fds(NULL);
	if (data[0] & 1) {
		api_fc_load_config(&state, (const char *)data + 1, size - 1, &e);
	} else {
		int t = (data[0] >> 1) & 1;

		http_input(servers[t], socks[t], data + 1, size - 1, data[0] & 4);
	}
	/* Each input starts from a fresh pre-boot state (the routes keep pointing at it). */
	api_vmm_free(&state);
	fresh_state();
	/* An input's logger and metrics outputs (PUT /logger, /metrics) are closed with it. */
	log_close_file();
	metrics_close();
	log_threshold = LOG_ERROR;
	/* Nothing of the input holds a descriptor. */
	if (open_fds(NULL) != fds_before) {
		open_fds(stderr);
		abort();
	}
	return 0;
}
