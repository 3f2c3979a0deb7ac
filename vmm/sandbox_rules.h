/* SPDX-License-Identifier: MIT */
/*
 * The agent-sandbox policy as the VM's config holds it (plain data; vmm/sandbox.h loads, applies
 * and enforces it; docs/sandbox.md explains each rule).
 */
#ifndef CVMM_SANDBOX_RULES_H
#define CVMM_SANDBOX_RULES_H

#include <stdbool.h>
#include <stdint.h>

#define SANDBOX_MAX_OUTPUTS 16
#define SANDBOX_MAX_PORTS   64
#define SANDBOX_VMM_RESERVE_MIB 32 /* of memory_max_mib, kept for cvmm itself */

struct sandbox_rules {
	bool on;
	char *path;                 /* the policy file, for messages */
	bool network;               /* network devices allowed */
	char *output_drives[SANDBOX_MAX_OUTPUTS]; /* drive ids that stay writable */
	unsigned nr_output_drives;
	uint64_t memory_max_mib;    /* 0: no cap */
	char *cgroup;               /* delegated cgroup v2 directory to make cvmm's cgroup in */
	uint32_t vsock_host_ports[SANDBOX_MAX_PORTS]; /* guest-initiated vsock: only these */
	unsigned nr_vsock_host_ports;
	char *limits;               /* "key=value,..." for vmm/limits.h: these win over --limits */
};

#include <stdlib.h>

static inline void sandbox_rules_free(struct sandbox_rules *r)
{
	free(r->path);
	free(r->cgroup);
	free(r->limits);
	for (unsigned i = 0; i < r->nr_output_drives; i++)
		free(r->output_drives[i]);
	*r = (struct sandbox_rules){ .on = false };
}

#endif
