// SPDX-License-Identifier: MIT
/*
 * The VM's cgroup (v2): <mount>/<parent>/<id>, with the controllers its values need enabled in
 * every ancestor's cgroup.subtree_control, the values written, and the jailer moved in (the VMM
 * it starts inherits it).  Without explicit values the VM still gets limits:
 *   memory.max  guest RAM + --memory-overhead-mib (when the RAM is known), memory.swap.max 0
 *   pids.max    vCPUs + JAIL_PIDS_PER_VM
 *   cpu.max     (vCPUs + JAIL_CPU_EXTRA) CPUs' worth per period (when the vCPUs are known)
 * Anything else only when given with --cgroup.  The file-system work is vmm/cgroup.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jailer/jailer.h"
#include "vmm/cgroup.h"
#include "vmm/error.h"

static bool given(const struct jail_args *a, const char *file)
{
	for (unsigned i = 0; i < a->nr_cgroups; i++)
		if (!strcmp(a->cgroups[i].file, file))
			return true;
	return false;
}

unsigned jail_cgroup_values(const struct jail_args *a, const struct jail_vm_shape *shape,
			    struct jail_cgroup_value *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < a->nr_cgroups && n < max; i++)
		out[n++] = a->cgroups[i];
	if (shape->mem_mib && !given(a, "memory.max") && n < max) {
		snprintf(out[n].file, sizeof(out[n].file), "memory.max");
		snprintf(out[n++].value, sizeof(out[0].value), "%llu",
			 (unsigned long long)(shape->mem_mib + a->overhead_mib) << 20);
	}
	if (shape->mem_mib && !given(a, "memory.swap.max") && n < max) {
		snprintf(out[n].file, sizeof(out[n].file), "memory.swap.max");
		snprintf(out[n++].value, sizeof(out[0].value), "0");
	}
	if (shape->vcpus && !given(a, "cpu.max") && n < max) {
		snprintf(out[n].file, sizeof(out[n].file), "cpu.max");
		snprintf(out[n++].value, sizeof(out[0].value), "%llu %u",
			 (unsigned long long)(shape->vcpus + JAIL_CPU_EXTRA) * JAIL_CPU_PERIOD_US,
			 JAIL_CPU_PERIOD_US);
	}
	if (!given(a, "pids.max") && n < max) {
		snprintf(out[n].file, sizeof(out[n].file), "pids.max");
		snprintf(out[n++].value, sizeof(out[0].value), "%u",
			 (shape->vcpus ? shape->vcpus : 1) + JAIL_PIDS_PER_VM);
	}
	return n;
}

/* One value: its controller enabled above the VM's cgroup, then written there. */
static int apply(const char *mount, const char *dir, const struct jail_cgroup_value *v,
		 struct error *e)
{
	char ctl[64];
	int err;

	snprintf(ctl, sizeof(ctl), "%.*s", (int)strcspn(v->file, "."), v->file);
	err = cgroup_enable_down_to(mount, dir, ctl, e);
	if (err)
		return err;
	err = cgroup_write(dir, v->file, v->value);
	if (err)
		return error_set(e, ERROR_HOST, err, "cgroup %s: %s=%s: %s", dir, v->file, v->value,
				 strerror(-err));
	return 0;
}

int jail_cgroup_setup(const struct jail_args *a, const struct jail_vm_shape *shape,
		      const char *mount_point, struct jail_cgroup *out, struct error *e)
{
	struct jail_cgroup_value values[JAIL_MAX_CGROUPS + 4];
	unsigned n = jail_cgroup_values(a, shape, values, JAIL_MAX_CGROUPS + 4);
	char mnt[512];
	int err;

	if (!mount_point)
		mount_point = cgroup2_mount(mnt, sizeof(mnt));
	if (!mount_point && a->nr_cgroups)
		return error_set(e, ERROR_HOST, ENOENT, "--cgroup: no cgroup v2 file system is mounted");
	if (!mount_point) {
		fprintf(stderr, "cvmm-jailer: warning: no cgroup v2 file system is mounted: the VM gets "
				"no cgroup limits\n");
		out->path[0] = 0;
		return 0;
	}
	if (strlen(mount_point) + strlen(a->id) + 300 > sizeof(out->path))
		return error_set(e, ERROR_USAGE, ENAMETOOLONG, "cgroup path too long");
	snprintf(out->path, sizeof(out->path), "%.*s/%s/%s", 512, mount_point,
		 a->parent_cgroup ? a->parent_cgroup : jail_exec_name(a), a->id);
	err = cgroup_mkdirs(out->path);
	if (err)
		return error_set(e, ERROR_HOST, err, "cgroup %s: %s", out->path, strerror(-err));
	for (unsigned i = 0; i < n; i++) {
		struct error why = ERROR_INIT;

		if (!apply(mount_point, out->path, &values[i], &why))
			continue;
		/* What was asked for must hold; a default the host cannot give is only a warning. */
		if (i < a->nr_cgroups)
			return error_set(e, why.cls, why.errnum, "%s", why.msg);
		fprintf(stderr, "cvmm-jailer: warning: %s (default limit not set)\n", why.msg);
	}
	return cgroup_join(out->path, e);
}
