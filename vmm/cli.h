/* SPDX-License-Identifier: MIT */
/*
 * The command line of `cvmm [OPTIONS]` and `cvmm measure [OPTIONS]`: both take the VM's options,
 * so the command that runs a VM also measures it; measure adds a few of its own.  Parsing only
 * turns words into the config (numbers, names, key=value lists); config_validate() judges the
 * values.
 */
#ifndef CVMM_CLI_H
#define CVMM_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "vmm/config.h"

struct error;

enum cli_command {
	CLI_RUN,     /* cvmm [OPTIONS] */
	CLI_MEASURE, /* cvmm measure [OPTIONS] */
};

/* Options that are not part of the VM's description (strings point into argv). */
struct cli_extra {
	bool help;
	bool json; /* measure: print inputs, plan and measurement as JSON */
	const char *api_sock;     /* serve the Firecracker API on this Unix socket */
	const char *api_socket;   /* serve the Cloud Hypervisor API subset on this Unix socket */
	const char *config_file;  /* the API's JSON, applied at start; the VM boots at once */
	bool no_api;
	const char *id;           /* instance id (default: a fresh UUID) */
	const char *log_path;     /* log file or FIFO */
	const char *level;        /* its level */
	const char *metrics_path; /* metrics file or FIFO */
	const char *vm_option;    /* the first option that describes the VM (--vcpus ...), or NULL */
};

#define CLI_ID_MAX 64

/* Fills cfg (config_init()ed here) from argv; argv[0] is the program or the subcommand. */
int cli_parse(int argc, char **argv, enum cli_command cmd, struct vm_config *cfg,
	      struct cli_extra *extra, struct error *e);
void cli_print_usage(FILE *out, enum cli_command cmd);

#endif
