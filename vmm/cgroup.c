// SPDX-License-Identifier: MIT
/* cgroup v2 file-system helpers (see cgroup.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/cgroup.h"
#include "vmm/error.h"

const char *cgroup2_mount(char *buf, size_t len)
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

const char *cgroup_self(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[CGROUP_PATH_MAX + 8];
	const char *found = NULL;

	if (!f)
		return NULL;
	/* The v2 line is "0::/path". */
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		if (strlen(line + 3) < len) {
			snprintf(buf, len, "%s", line + 3);
			found = buf;
		}
	}
	fclose(f);
	return found;
}

int cgroup_write(const char *dir, const char *file, const char *value)
{
	char path[CGROUP_PATH_MAX + 80];
	size_t len = strlen(value);
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, value, len) != (ssize_t)len)
		err = -errno;
	close(fd);
	return err;
}

int cgroup_enable_down_to(const char *top, const char *dir, const char *ctl, struct error *e)
{
	char cur[CGROUP_PATH_MAX], want[80];
	size_t top_len = strlen(top);
	const char *rest;
	int err;

	if (strncmp(dir, top, top_len) || dir[top_len] != '/' || strlen(dir) >= sizeof(cur))
		return error_set(e, ERROR_HOST, EINVAL, "cgroup %s is not below %s", dir, top);
	snprintf(want, sizeof(want), "+%.60s", ctl);
	snprintf(cur, sizeof(cur), "%s", top);
	rest = dir + top_len + 1;
	for (;;) {
		size_t n = strcspn(rest, "/");

		err = cgroup_write(cur, "cgroup.subtree_control", want);
		if (err)
			return error_set(e, ERROR_HOST, err,
					 "cgroup %s: cannot enable the %s controller for its children: "
					 "%s", cur, ctl, strerror(-err));
		if (!rest[n])
			return 0; /* the next one is dir itself */
		snprintf(cur + strlen(cur), sizeof(cur) - strlen(cur), "/%.*s", (int)n, rest);
		rest += n + 1;
	}
}

int cgroup_mkdirs(const char *dir)
{
	char tmp[CGROUP_PATH_MAX];

	if (strlen(dir) >= sizeof(tmp))
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s", dir);
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

int cgroup_join(const char *dir, struct error *e)
{
	char pid[24];
	int err;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	err = cgroup_write(dir, "cgroup.procs", pid);
	if (err)
		return error_set(e, ERROR_HOST, err, "cgroup %s: cannot move into it: %s", dir,
				 strerror(-err));
	return 0;
}
