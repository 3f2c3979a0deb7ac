/* SPDX-License-Identifier: MIT */
#ifndef CVMM_CLI_H
#define CVMM_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "vmm/config.h"

/* Fills cfg from argv (argv[0] is the program); on error writes one line to err, returns -1. */
int cli_parse(int argc, char **argv, struct vm_config *cfg, char *err, size_t errlen);
void cli_print_usage(FILE *out);
/* A vCPU count (1..CONFIG_MAX_VCPUS); -1 with one line in err otherwise. */
int cli_parse_vcpu_count(const char *arg, unsigned *out, char *err, size_t errlen);

#endif
