/* SPDX-License-Identifier: MIT */
/*
 * cgroup v2, the file-system side: where the hierarchy is mounted, the cgroup a process is in,
 * making a cgroup with limits, joining it.  Used by cvmm's sandbox policy (vmm/sandbox.c) and
 * cvmm-jailer (jailer/cgroup.c).
 */
#ifndef CVMM_CGROUP_H
#define CVMM_CGROUP_H

#include <stddef.h>

struct error;

#define CGROUP_PATH_MAX 1024

struct cgroup_value {
	char file[64];   /* controller.knob, e.g. memory.max */
	char value[128];
};

/* The cgroup2 mount point (from /proc/self/mountinfo); NULL when there is none. */
const char *cgroup2_mount(char *buf, size_t len);
/* The calling process's cgroup as a path under the mount ("/" for the root); NULL if unknown. */
const char *cgroup_self(char *buf, size_t len);
/* Writes value to dir/file: 0 or -errno. */
int cgroup_write(const char *dir, const char *file, const char *value);
/*
 * Enables controller ctl ("memory") for the children of every cgroup from top (included) down to
 * dir's parent (both under the same mount; dir below top).  A host error naming the cgroup.
 */
int cgroup_enable_down_to(const char *top, const char *dir, const char *ctl, struct error *e);
/* Creates dir and its missing parents: 0 or -errno. */
int cgroup_mkdirs(const char *dir);
/* Moves the calling process into dir. */
int cgroup_join(const char *dir, struct error *e);

#endif
