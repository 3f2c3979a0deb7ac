// SPDX-License-Identifier: MIT
/*
 * cvmm entry point: subcommand dispatch; then parse the command line into a config, create the
 * VM, run it until it stops or SIGINT/SIGTERM arrives, and exit with a status that follows from
 * how it ended (README.md, vmm/error.h).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "vmm/cli.h"
#include "vmm/cmd_measure.h"
#include "vmm/error.h"
#include "vmm/log.h"
#include "vmm/vm.h"

/* Waits for the VM to stop by itself or for a signal that stops it. */
static void supervise(struct vm *vm, int sig_fd)
{
	struct pollfd pfd[2] = {
		{ .fd = sig_fd, .events = POLLIN },
		{ .fd = vm_stopping_fd(vm), .events = POLLIN },
	};

	for (;;) {
		struct signalfd_siginfo si;
		char reason[64];

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			vm_stop(vm, VM_EXIT_HOST_ERROR, "poll failed");
			return;
		}
		if (pfd[1].revents)
			return;
		if (pfd[0].revents && read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
			snprintf(reason, sizeof(reason), "received %s, stopping",
				 strsignal((int)si.ssi_signo));
			vm_stop(vm, VM_EXIT_OK, reason);
			return;
		}
	}
}

static int run(struct vm_config *cfg)
{
	struct error e = ERROR_INIT;
	sigset_t sigs;
	struct vm *vm;
	int sig_fd, status;

	/* SIGINT/SIGTERM arrive through a signalfd; every thread inherits them blocked. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sig_fd < 0) {
		log_error("cannot set up signal handling: %s", strerror(errno));
		return VM_EXIT_HOST_ERROR;
	}
	log_startup("parsed");
	if (vm_create(cfg, &vm, &e) || vm_start(vm, &e)) {
		log_error("%s", e.msg);
		if (vm)
			vm_destroy(vm);
		close(sig_fd);
		return error_exit_status(&e);
	}
	supervise(vm, sig_fd);
	status = vm_wait(vm);
	vm_destroy(vm);
	close(sig_fd);
	return status;
}

int main(int argc, char **argv)
{
	struct error e = ERROR_INIT;
	struct cli_extra extra;
	struct vm_config cfg;
	int status;

	log_startup_begin();
	if (argc > 1 && !strcmp(argv[1], "measure"))
		return cmd_measure(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("cvmm v%s\n", CVMM_VERSION);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "-h")) {
		cli_print_usage(stdout, CLI_RUN);
		return 0;
	}
	if (cli_parse(argc, argv, CLI_RUN, &cfg, &extra, &e)) {
		log_error("%s", e.msg);
		config_free(&cfg);
		return error_exit_status(&e);
	}
	if (extra.help) {
		cli_print_usage(stdout, CLI_RUN);
		config_free(&cfg);
		return 0;
	}
	if (cfg.verbose)
		log_threshold = cfg.verbose > 1 ? LOG_DEBUG : LOG_INFO;
	status = run(&cfg);
	config_free(&cfg);
	return status;
}
