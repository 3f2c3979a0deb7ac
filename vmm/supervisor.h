/* SPDX-License-Identifier: MIT */
/*
 * cvmm's main loop (vmm/supervisor.c): runs the VM the command line, --config-file or the API
 * describes, serves the API, and returns the process's exit status.
 */
#ifndef CVMM_SUPERVISOR_H
#define CVMM_SUPERVISOR_H

#include <stdint.h>

#include "vmm/cli.h"

/* Takes cfg over.  start_ns: CLOCK_MONOTONIC when main() began (the API's startup time). */
int supervisor_run(struct vm_config *cfg, const struct cli_extra *x, uint64_t start_ns);

#endif
