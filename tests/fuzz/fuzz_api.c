// SPDX-License-Identifier: MIT
/*
 * The management API's parsers: the first byte picks what the rest is.
 *   even: raw bytes a client sends to the API socket (HTTP request line, headers, bodies,
 *         pipelined requests), served by the real HTTP layer and Firecracker route table until the
 *         answer is out or the connection closes;
 *   odd:  a --config-file document, applied to a fresh pre-boot state.
 * KVM is the recording fake, set to fail opening: an InstanceStart that gets past validation ends
 * there, so no input starts a VM.  The server and its socket live for the whole run; every input
 * leaves it without connections (checked) and a fresh API state.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/unit/kvm_recorder.h"
#include "vmm/api_fc.h"
#include "vmm/api_http.h"
#include "vmm/api_state.h"
#include "vmm/error.h"
#include "vmm/log.h"

#define RUNS_PER_INPUT 200

static struct api_server *server;
static struct api_vmm state;
static struct api_routes routes;
static char sock[64];

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
	snprintf(sock, sizeof(sock), "/tmp/cvmm-fuzz-api-%d.sock", (int)getpid());
	fresh_state();
	api_fc_routes(&state, &routes);
	if (api_server_open(sock, &routes, &server, &e)) {
		fprintf(stderr, "fuzz_api: %s\n", e.msg);
		abort();
	}
	return 0;
}

static void http_input(const uint8_t *data, size_t size)
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
			ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);

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
	if (api_server_connections(server))
		abort(); /* a client that has gone must not hold a connection */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct error e = ERROR_INIT;

	if (!size)
		return 0;
	if (data[0] & 1)
		api_fc_load_config(&state, (const char *)data + 1, size - 1, &e);
	else
		http_input(data + 1, size - 1);
	/* Each input starts from a fresh pre-boot state (the routes keep pointing at it). */
	api_vmm_free(&state);
	fresh_state();
	return 0;
}
