// SPDX-License-Identifier: MIT
/*
 * The VM's cgroup (v2): <mount>/<parent>/<id>, with the controllers its values need enabled in
 * every ancestor's cgroup.subtree_control, the values written, and the jailer moved in (the VMM
 * it starts inherits it).  Without explicit values the VM still gets limits:
 *   memory.max  guest RAM + --memory-overhead-mib (when the RAM is known), memory.swap.max 0
 *   pids.max    vCPUs + JAIL_PIDS_PER_VM
 * cpu.max and anything else only when given with --cgroup.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jailer/jailer.h"
#include "vmm/error.h"

const char *jail_cgroup2_mount(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024];
	const char *found = NULL;

	if (!f)
		return NULL;
	/* id parent major:minor root mount-point options [optional...] - fstype source super */
	while (!found && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		char mnt[512];

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %511s", mnt) == 1 && strlen(mnt) < len) {
			snprintf(buf, len, "%s", mnt);
			found = buf;
		}
	}
	fclose(f);
	return found;
}

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
	if (!given(a, "pids.max") && n < max) {
		snprintf(out[n].file, sizeof(out[n].file), "pids.max");
		snprintf(out[n++].value, sizeof(out[0].value), "%u",
			 (shape->vcpus ? shape->vcpus : 1) + JAIL_PIDS_PER_VM);
	}
	return n;
}

static int write_file(const char *dir, const char *name, const char *value)
{
	char path[JAIL_PATH_MAX + 80];
	size_t len = strlen(value);
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, value, len) != (ssize_t)len)
		err = -errno;
	close(fd);
	return err;
}

/* "+memory", "+pids", ... in the ancestors of the VM's cgroup, from the mount down. */
static int enable_controllers(const char *mount, const char *rel, const char *ctl,
			      struct error *e)
{
	char dir[JAIL_PATH_MAX], want[80];
	const char *c = rel;
	int err;

	snprintf(dir, sizeof(dir), "%s", mount);
	snprintf(want, sizeof(want), "+%s", ctl);
	for (;;) {
		err = write_file(dir, "cgroup.subtree_control", want);
		if (err)
			return error_set(e, ERROR_HOST, err,
					 "cgroup %s: cannot enable the %s controller for its children: "
					 "%s", dir, ctl, strerror(-err));
		if (!*c)
			return 0;
		/* Down one level: the next component of rel (the last is the VM's own). */
		{
			size_t n = strcspn(c, "/");
			size_t len = strlen(dir);

			if (!c[n])
				return 0;
			snprintf(dir + len, sizeof(dir) - len, "/%.*s", (int)n, c);
			c += n + 1;
		}
	}
}

static int mkdirs(const char *path)
{
	char tmp[JAIL_PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(tmp, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

int jail_cgroup_setup(const struct jail_args *a, const struct jail_vm_shape *shape,
		      const char *mount_point, struct jail_cgroup *out, struct error *e)
{
	struct jail_cgroup_value values[JAIL_MAX_CGROUPS + 4];
	char rel[1024], mnt[512], pid[24];
	unsigned n = jail_cgroup_values(a, shape, values, JAIL_MAX_CGROUPS + 4);
	int err;

	if (!mount_point)
		mount_point = jail_cgroup2_mount(mnt, sizeof(mnt));
	if (!mount_point)
		return error_set(e, ERROR_HOST, ENOENT, "no cgroup v2 file system is mounted");
	snprintf(rel, sizeof(rel), "%s/%s", a->parent_cgroup ? a->parent_cgroup : jail_exec_name(a),
		 a->id);
	if (strlen(mount_point) + strlen(rel) + 2 > sizeof(out->path))
		return error_set(e, ERROR_USAGE, ENAMETOOLONG, "cgroup path too long");
	snprintf(out->path, sizeof(out->path), "%.*s/%s", 512, mount_point, rel);
	err = mkdirs(out->path);
	if (err)
		return error_set(e, ERROR_HOST, err, "cgroup %s: %s", out->path, strerror(-err));
	for (unsigned i = 0; i < n; i++) {
		struct error why = ERROR_INIT;
		char ctl[64];

		snprintf(ctl, sizeof(ctl), "%.*s", (int)strcspn(values[i].file, "."),
			 values[i].file);
		err = enable_controllers(mount_point, rel, ctl, &why);
		if (!err) {
			err = write_file(out->path, values[i].file, values[i].value);
			if (err)
				error_set(&why, ERROR_HOST, err, "cgroup %s: %s=%s: %s", out->path,
					  values[i].file, values[i].value, strerror(-err));
		}
		if (!err)
			continue;
		/* What was asked for must hold; a default the host cannot give is only a warning. */
		if (i < a->nr_cgroups)
			return error_set(e, why.cls, why.errnum, "%s", why.msg);
		fprintf(stderr, "cvmm-jailer: warning: %s (default limit not set)\n", why.msg);
	}
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	err = write_file(out->path, "cgroup.procs", pid);
	if (err)
		return error_set(e, ERROR_HOST, err, "cgroup %s: cannot move into it: %s", out->path,
				 strerror(-err));
	return 0;
}
