// SPDX-License-Identifier: MIT
/*
 * cvmm entry point: subcommand dispatch; then parse the command line into a config and hand it to
 * the supervisor (vmm/supervisor.c), which runs the VM (and the API) until it stops or SIGINT/
 * SIGTERM arrives; the exit status follows from how it ended (README.md, vmm/error.h).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/cli.h"
#include "vmm/cmd_measure.h"
#include "vmm/cmd_snp_id_block.h"
#include "vmm/error.h"
#include "vmm/log.h"
#include "vmm/supervisor.h"

/*
 * Sanitizer builds: LeakSanitizer finds the threads through /proc at exit, which a jail
 * (cvmm-jailer) has none of; there it would end cvmm with a fatal error of its own instead.
 */
#if defined(__SANITIZE_ADDRESS__)
#define CVMM_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CVMM_LSAN 1
#endif
#endif
#ifdef CVMM_LSAN
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return access("/proc/self/task", R_OK) ? "detect_leaks=0" : "";
}
#endif

int main(int argc, char **argv)
{
	struct error e = ERROR_INIT;
	struct cli_extra extra;
	struct vm_config cfg;
	struct timespec start;
	int status;

	clock_gettime(CLOCK_MONOTONIC, &start);
	log_startup_begin();
	if (argc > 1 && !strcmp(argv[1], "measure"))
		return cmd_measure(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "snp-id-block"))
		return cmd_snp_id_block(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		/* Kata's fc driver reads the second word of the first line as a semantic version. */
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
	status = supervisor_run(&cfg, &extra,
				(uint64_t)start.tv_sec * 1000000000ULL + (uint64_t)start.tv_nsec);
	config_free(&cfg);
	return status;
}
