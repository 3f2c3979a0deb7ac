/* SPDX-License-Identifier: MIT */
/*
 * The agent-sandbox policy (--sandbox-policy FILE): for untrusted code such as AI agents running
 * tools.  A JSON file:
 *
 *   { "network": false,                      network devices (default: refused)
 *     "output_drives": ["out"],              drive ids that stay writable; every other drive
 *                                            is made read-only
 *     "memory_max_mib": 1024,                everything the sandbox may use, guest RAM and cvmm,
 *                                            enforced by a cgroup's memory.max
 *     "cgroup": "/sys/fs/cgroup/agents",     a delegated cgroup v2 directory to make cvmm's
 *                                            cgroup in (default: beside cvmm's current cgroup)
 *     "vsock_host_ports": [1024],            host ports the guest may connect to over vsock
 *                                            (default: none)
 *     "limits": { "vsock_conns": 16, ... } } tighter --limits (vmm/limits.h)
 *
 * and always the strictest seccomp filters (no executable memory; --no-seccomp refused).  See
 * docs/sandbox.md for what each rule defends against.
 */
#ifndef CVMM_SANDBOX_H
#define CVMM_SANDBOX_H

#include "vmm/config.h"

struct error;

/* Reads and checks the file (unknown keys, wrong types and values refused, one usage line). */
int sandbox_load(struct vm_config *cfg, const char *path, struct error *e);
/* Makes the config follow the policy: drives read-only unless listed, strict seccomp. */
void sandbox_apply(struct vm_config *cfg);
/* Whether the config keeps the policy (config_validate() calls it): one usage line if not. */
int sandbox_check(const struct vm_config *cfg, struct error *e);
/*
 * Before guest memory exists: moves cvmm into a cgroup of its own whose memory.max is the cap
 * (and pids.max, memory.swap.max 0).  Fails (host error) rather than run without the cap.
 */
int sandbox_enforce(const struct vm_config *cfg, struct error *e);

#endif
