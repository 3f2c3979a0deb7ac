// SPDX-License-Identifier: MIT
/*
 * The process's main loop: one poll() over SIGINT/SIGTERM, the API socket, the VM's end and the
 * metrics timer.  The VM comes from the command line or --config-file (booted at once) or from the
 * API (booted on InstanceStart, or vm.boot); cvmm exits when the VM ends, on a signal, or on
 * vmm.shutdown, with the status the VM's end gives (README.md).  API handlers run here, one at a
 * time; each does bounded work.  The API is Firecracker's (--api-sock) or the Cloud Hypervisor
 * subset (--api-socket).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "vmm/api_ch.h"
#include "vmm/api_fc.h"
#include "vmm/api_http.h"
#include "vmm/api_state.h"
#include "vmm/error.h"
#include "vmm/log.h"
#include "vmm/metrics.h"
#include "vmm/seccomp.h"
#include "vmm/supervisor.h"
#include "vmm/util.h"
#include "vmm/vm.h"

#define CONFIG_FILE_MAX (1024 * 1024)
#define DRAIN_MS        2000 /* at the end, answers still on their way get this long */

struct supervisor {
	struct api_vmm a;
	struct api_routes routes;
	struct api_server *api;
	int sig_fd;
	int timer_fd;
	bool signalled;
};

static uint64_t clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int load_config_file(struct api_vmm *a, const char *path, struct error *e)
{
	uint8_t *text = NULL;
	size_t len = 0;
	int ret = read_whole_file(path, &text, &len);

	if (ret)
		return error_set(e, ERROR_INPUT, ret, "--config-file %s: %s", path,
				 ret == -EINVAL ? "not a regular file" : strerror(-ret));
	if (len > CONFIG_FILE_MAX)
		ret = error_set(e, ERROR_INPUT, EFBIG, "--config-file %s: larger than %d bytes", path,
				CONFIG_FILE_MAX);
	else
		ret = api_fc_load_config(a, (const char *)text, len, e);
	free(text);
	if (ret)
		error_prefix(e, "--config-file %s: ", path);
	return ret;
}

/* Everything the command line asks for before the loop: outputs, config file, socket. */
static int prepare(struct supervisor *s, const struct cli_extra *x, uint64_t start_us,
		   struct error *e)
{
	struct api_vmm *a = &s->a;
	int ret = 0;

	if (x->log_path || x->level)
		ret = api_set_logger(a, x->log_path, x->level, true, false, e);
	if (!ret && x->metrics_path)
		ret = api_set_metrics(a, x->metrics_path, e);
	if (!ret && x->config_file)
		ret = load_config_file(a, x->config_file, e);
	if (ret || (!x->api_sock && !x->api_socket))
		return ret;
	if (x->api_socket)
		api_ch_routes(a, &s->routes);
	else
		api_fc_routes(a, &s->routes);
	ret = api_server_open(x->api_socket ? x->api_socket : x->api_sock, &s->routes, &s->api, e);
	if (!ret) {
		a->api_ready_us = clock_us(CLOCK_MONOTONIC) - start_us;
		a->api_ready_cpu_us = clock_us(CLOCK_PROCESS_CPUTIME_ID);
		log_info("API listening on %s after %llu us",
			 x->api_socket ? x->api_socket : x->api_sock,
			 (unsigned long long)a->api_ready_us);
	}
	return ret;
}

static void arm_metrics_timer(struct supervisor *s)
{
	struct itimerspec its = {
		.it_value = { .tv_sec = METRICS_PERIOD_S },
		.it_interval = { .tv_sec = METRICS_PERIOD_S },
	};

	if (s->timer_fd >= 0 || !metrics_enabled())
		return;
	s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (s->timer_fd >= 0 && timerfd_settime(s->timer_fd, 0, &its, NULL) < 0) {
		close(s->timer_fd);
		s->timer_fd = -1;
	}
}

/* Until the VM ends, a signal arrives, or (without a VM and an API) nothing is left to do. */
static void loop(struct supervisor *s)
{
	for (;;) {
		struct pollfd pfd[4];
		unsigned n = 0, sig, api = ~0u, stop = ~0u, timer = ~0u;
		int timeout = -1;

		arm_metrics_timer(s);
		sig = n;
		pfd[n++] = (struct pollfd){ .fd = s->sig_fd, .events = POLLIN };
		if (s->a.vm) {
			stop = n;
			pfd[n++] = (struct pollfd){ .fd = vm_stopping_fd(s->a.vm), .events = POLLIN };
		}
		if (s->api) {
			api = n;
			pfd[n++] = (struct pollfd){ .fd = api_server_fd(s->api), .events = POLLIN };
			timeout = api_server_timeout_ms(s->api);
		}
		if (s->timer_fd >= 0) {
			timer = n;
			pfd[n++] = (struct pollfd){ .fd = s->timer_fd, .events = POLLIN };
		}
		if (!s->a.vm && !s->api)
			return;
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll failed: %s", strerror(errno));
			if (s->a.vm)
				vm_stop(s->a.vm, VM_EXIT_HOST_ERROR, NULL);
			return;
		}
		if (pfd[sig].revents) {
			struct signalfd_siginfo si;
			char reason[64];

			if (read(s->sig_fd, &si, sizeof(si)) == sizeof(si)) {
				snprintf(reason, sizeof(reason), "received %s, stopping",
					 strsignal((int)si.ssi_signo));
				if (s->a.vm)
					vm_stop(s->a.vm, VM_EXIT_OK, reason);
				else
					log_info("%s", reason);
				s->signalled = true;
				return;
			}
		}
		if (stop != ~0u && pfd[stop].revents)
			return;
		if (timer != ~0u && pfd[timer].revents) {
			uint64_t ticks;

			if (read(s->timer_fd, &ticks, sizeof(ticks)) == sizeof(ticks))
				api_write_metrics(&s->a);
		}
		if (api != ~0u)
			api_server_run(s->api);
		if (s->a.exit_requested)
			return;
	}
}

/* Answers on their way (vmm.shutdown's own, say) reach their clients before the socket goes. */
static void drain(struct supervisor *s)
{
	uint64_t end = clock_us(CLOCK_MONOTONIC) + DRAIN_MS * 1000;

	while (s->api && api_server_busy(s->api) && clock_us(CLOCK_MONOTONIC) < end) {
		struct pollfd p = { .fd = api_server_fd(s->api), .events = POLLIN };
		int t = api_server_timeout_ms(s->api);

		poll(&p, 1, t < 0 || t > 50 ? 50 : t);
		api_server_run(s->api);
	}
}

static const char *make_id(const struct cli_extra *x, char *buf)
{
	uuid_t u;

	if (x->id)
		return x->id;
	uuid_generate(u);
	uuid_unparse_lower(u, buf);
	return buf;
}

int supervisor_run(struct vm_config *cfg, const struct cli_extra *x, uint64_t start_ns)
{
	struct supervisor s = { .sig_fd = -1, .timer_fd = -1 };
	struct error e = ERROR_INIT;
	char uuid[UUID_STR_LEN];
	const char *id;
	bool boot_now = x->config_file || cfg->kernel || cfg->firmware;
	int status = 0;
	sigset_t sigs;

	if (x->no_api && (x->api_sock || x->api_socket)) {
		log_error("--no-api and --api-sock/--api-socket exclude each other");
		return 2;
	}
	if (x->api_sock && x->api_socket) {
		log_error("--api-sock (Firecracker's API) and --api-socket (Cloud Hypervisor's) "
			  "exclude each other: one API per cvmm");
		return 2;
	}
	if (x->api_socket && (x->vm_option || x->config_file)) {
		log_error("--api-socket: the VM is described with PUT vm.create, not with %s on the "
			  "command line", x->vm_option ? x->vm_option : "--config-file");
		return 2;
	}
	if (x->config_file && (cfg->kernel || cfg->firmware)) {
		log_error("--config-file describes the VM: give its boot source there, not with "
			  "--kernel/--firmware");
		return 2;
	}
	if (!boot_now && !x->api_sock && !x->api_socket) {
		log_error("--kernel PATH is required (or --config-file PATH, or --api-sock PATH to "
			  "describe the VM through the API; see cvmm --help)");
		return 2;
	}
	/* SIGINT/SIGTERM arrive through a signalfd; every thread inherits them blocked. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	s.sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (s.sig_fd < 0) {
		log_error("cannot set up signal handling: %s", strerror(errno));
		return VM_EXIT_HOST_ERROR;
	}
	log_startup("parsed");
	/* The API goes on being served once the VM runs: the supervisor's filter allows it. */
	seccomp_supervisor_serves_api(x->api_sock || x->api_socket);
	id = make_id(x, uuid);
	log_set_instance(id);
	api_vmm_init(&s.a, id, cfg);
	if (prepare(&s, x, start_ns / 1000, &e) || (boot_now && api_instance_start(&s.a, &e))) {
		log_error("%s", e.msg);
		status = error_exit_status(&e);
		goto out;
	}
	loop(&s);
	drain(&s);
	/* No request runs while the VM goes away. */
	api_server_close(s.api);
	s.api = NULL;
	if (s.a.vm) {
		status = vm_wait(s.a.vm);
		vm_log_counters(s.a.vm, LOG_INFO);
		if (metrics_enabled())
			api_write_metrics(&s.a);
	}
out:
	api_server_close(s.api);
	api_vmm_free(&s.a);
	metrics_close();
	log_close_file();
	if (s.timer_fd >= 0)
		close(s.timer_fd);
	close(s.sig_fd);
	return status;
}
