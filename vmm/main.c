// SPDX-License-Identifier: MIT
/* cvmm entry point: subcommand dispatch, then parse the command line and run the VM. */
#include <stdio.h>
#include <string.h>

#include "vmm/cli.h"
#include "vmm/cmd_measure.h"
#include "vmm/log.h"
#include "vmm/vm.h"

int main(int argc, char **argv)
{
	struct vm_config cfg;
	char err[512];

	if (argc > 1 && !strcmp(argv[1], "measure"))
		return cmd_measure(argc - 1, argv + 1);
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cli_print_usage(stdout);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("cvmm v%s\n", CVMM_VERSION);
		return 0;
	}
	if (cli_parse(argc, argv, &cfg, err, sizeof(err))) {
		log_error("%s", err);
		return VM_EXIT_USAGE;
	}
	if (cfg.verbose)
		log_threshold = cfg.verbose > 1 ? LOG_DEBUG : LOG_INFO;
	return vm_run(&cfg);
}
