// SPDX-License-Identifier: MIT
/*
 * The jail: inherited file descriptors closed, resource limits, the per-VM directory with a copy
 * of the VMM, a mount of its own as the new root (pivot_root) holding only the VMM, the libraries
 * it loads (read-only), its device nodes and /run, and a process without privileges.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/securebits.h>

#include "jailer/jailer.h"
#include "vmm/error.h"

int jail_close_fds(void)
{
	/* Everything but stdin, stdout and stderr: the VMM starts with nothing it did not open. */
	if (syscall(SYS_close_range, 3U, ~0U, 0) == 0)
		return 0;
	for (int fd = 3; fd < 65536; fd++)
		close(fd);
	return 0;
}

static int set_limit(int res, rlim_t v, const char *name, struct error *e)
{
	struct rlimit r = { v, v };

	if (setrlimit(res, &r) < 0)
		return error_set(e, ERROR_HOST, errno, "cannot set the %s limit to %llu: %s", name,
				 (unsigned long long)v, strerror(errno));
	return 0;
}

int jail_set_rlimits(const struct jail_args *a, struct error *e)
{
	rlim_t nofile = a->rlimit_nofile >= 0 ? (rlim_t)a->rlimit_nofile : JAIL_DEFAULT_NOFILE;
	int ret = set_limit(RLIMIT_NOFILE, nofile, "no-file", e);

	if (!ret && a->rlimit_fsize >= 0)
		ret = set_limit(RLIMIT_FSIZE, (rlim_t)a->rlimit_fsize, "fsize", e);
	/* A core dump would hold what the guest had in its registers and device buffers. */
	if (!ret)
		ret = set_limit(RLIMIT_CORE, 0, "core", e);
	return ret;
}

static int mkdirs(const char *path, mode_t mode)
{
	char tmp[JAIL_PATH_MAX];

	if (strlen(path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(tmp, mode) < 0 && errno != EEXIST ? -errno : 0;
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out, err = 0;
	ssize_t n;

	if (in < 0)
		return -errno;
	unlink(to);
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (out < 0) {
		err = -errno;
		close(in);
		return err;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			err = -EIO;
			break;
		}
	if (n < 0)
		err = -errno;
	close(in);
	if (close(out) < 0 && !err)
		err = -errno;
	return err;
}

int jail_prepare_dir(const struct jail_args *a, char *root, size_t len, struct error *e)
{
	char exe[JAIL_PATH_MAX];
	struct stat st;
	int err;

	if (stat(a->exec_file, &st) < 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
		return error_set(e, ERROR_INPUT, errno ? errno : EINVAL,
				 "--exec-file %s: not an executable file", a->exec_file);
	snprintf(root, len, "%s/%s/%s/root", a->chroot_base, jail_exec_name(a), a->id);
	err = mkdirs(root, 0755);
	if (err)
		return error_set(e, ERROR_HOST, err, "cannot create %s: %s", root, strerror(-err));
	snprintf(exe, sizeof(exe), "%s/%s", root, jail_exec_name(a));
	err = copy_file(a->exec_file, exe, 0755);
	if (err)
		return error_set(e, ERROR_HOST, err, "cannot copy %s to %s: %s", a->exec_file, exe,
				 strerror(-err));
	return 0;
}

/* Binds host file src read-only at the same path under root (creating what leads there). */
static int bind_ro(const char *root, const char *src, struct error *e)
{
	char dst[JAIL_PATH_MAX], dir[JAIL_PATH_MAX];
	char *slash;
	int fd, err;

	snprintf(dst, sizeof(dst), "%s%s", root, src);
	snprintf(dir, sizeof(dir), "%s", dst);
	slash = strrchr(dir, '/');
	*slash = 0;
	err = mkdirs(dir, 0755);
	if (err)
		return error_set(e, ERROR_HOST, err, "cannot create %s: %s", dir, strerror(-err));
	fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0444);
	if (fd < 0)
		return error_set(e, ERROR_HOST, errno, "cannot create %s: %s", dst, strerror(errno));
	close(fd);
	if (mount(src, dst, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
		return error_set(e, ERROR_HOST, errno, "cannot bind %s into the jail: %s", src,
				 strerror(errno));
	return 0;
}

/* A character device like the host's at path (its numbers), owned by the VMM's user. */
static int make_node(const struct jail_args *a, const char *root, const char *path,
		     struct error *e)
{
	char dst[JAIL_PATH_MAX], dir[JAIL_PATH_MAX];
	struct stat st;
	int err;

	if (stat(path, &st) < 0 || !S_ISCHR(st.st_mode))
		return error_set(e, ERROR_HOST, errno ? errno : ENODEV, "%s: no such device here",
				 path);
	snprintf(dst, sizeof(dst), "%s%s", root, path);
	snprintf(dir, sizeof(dir), "%s", dst);
	*strrchr(dir, '/') = 0;
	err = mkdirs(dir, 0755);
	if (!err && unlink(dst) < 0 && errno != ENOENT)
		err = -errno;
	if (!err && mknod(dst, S_IFCHR | 0600, st.st_rdev) < 0)
		err = -errno;
	if (!err && chown(dst, a->uid, a->gid) < 0)
		err = -errno;
	if (err)
		return error_set(e, ERROR_HOST, err, "cannot create %s: %s", dst, strerror(-err));
	return 0;
}

static int pivot_into(const char *root, struct error *e)
{
	if (chdir(root) < 0 || (mkdir("old_root", 0700) < 0 && errno != EEXIST) ||
	    syscall(SYS_pivot_root, ".", "old_root") < 0 || umount2("/old_root", MNT_DETACH) < 0 ||
	    rmdir("/old_root") < 0 || chroot(".") < 0 || chdir("/") < 0)
		return error_set(e, ERROR_HOST, errno, "cannot pivot into %s: %s", root,
				 strerror(errno));
	return 0;
}

int jail_enter_root(const struct jail_args *a, const char *root, const struct jail_deps *deps,
		    bool tap, struct error *e)
{
	char run[JAIL_PATH_MAX];
	int ret = 0;

	/* Nothing done here may leak to the host's mounts, nor theirs come in later. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return error_set(e, ERROR_HOST, errno, "cannot make the mounts private: %s",
				 strerror(errno));
	/*
	 * The directory as a mount of its own: pivot_root needs one, and it may sit on a file
	 * system mounted noexec or nodev (/run): the bind gets exec and device nodes, no setuid.
	 */
	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    mount(NULL, root, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID, NULL) < 0)
		return error_set(e, ERROR_HOST, errno, "cannot mount %s: %s", root, strerror(errno));
	for (unsigned i = 0; i < deps->nr; i++) {
		ret = bind_ro(root, deps->paths[i], e);
		if (ret)
			return ret;
	}
	/* No KVM here is the VMM's to report (cvmm says what to do about it). */
	if (access("/dev/kvm", F_OK) == 0)
		ret = make_node(a, root, "/dev/kvm", e);
	else
		fprintf(stderr, "cvmm-jailer: warning: this host has no /dev/kvm\n");
	if (!ret && tap)
		ret = make_node(a, root, "/dev/net/tun", e);
	if (ret)
		return ret;
	/* The VMM's own: its sockets (the API's default is /run/firecracker.socket) go there. */
	snprintf(run, sizeof(run), "%s/run", root);
	if ((mkdir(run, 0755) < 0 && errno != EEXIST) || chown(run, a->uid, a->gid) < 0 ||
	    chown(root, a->uid, a->gid) < 0)
		return error_set(e, ERROR_HOST, errno, "cannot give %s to uid %u: %s", root,
				 (unsigned)a->uid, strerror(errno));
	return pivot_into(root, e);
}

/* Nothing can come back: bounding set emptied, uid 0 gets no capabilities on exec. */
static int lock_capabilities(struct error *e)
{
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return error_set(e, ERROR_HOST, errno, "cannot drop capability %d: %s", cap,
					 strerror(errno));
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED |
					     SECBIT_NO_SETUID_FIXUP | SECBIT_NO_SETUID_FIXUP_LOCKED |
					     SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |
					     SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED, 0, 0, 0) < 0)
		return error_set(e, ERROR_HOST, errno, "cannot lock the securebits: %s",
				 strerror(errno));
	return 0;
}

/* The capabilities this process still has: none after this. */
static int clear_capabilities(struct error *e)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0)
		return error_set(e, ERROR_HOST, errno, "cannot clear the capabilities: %s",
				 strerror(errno));
	return 0;
}

int jail_drop_privileges(const struct jail_args *a, struct error *e)
{
	int ret;

	if (setgroups(0, NULL) < 0 || setresgid(a->gid, a->gid, a->gid) < 0)
		return error_set(e, ERROR_HOST, errno, "cannot switch to gid %u: %s",
				 (unsigned)a->gid, strerror(errno));
	ret = lock_capabilities(e);
	if (ret)
		return ret;
	if (setresuid(a->uid, a->uid, a->uid) < 0)
		return error_set(e, ERROR_HOST, errno, "cannot switch to uid %u: %s",
				 (unsigned)a->uid, strerror(errno));
	/* With SECBIT_NO_SETUID_FIXUP the uid change kept them: now they go, also for uid 0. */
	ret = clear_capabilities(e);
	if (ret)
		return ret;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return error_set(e, ERROR_HOST, errno, "cannot set NO_NEW_PRIVS: %s",
				 strerror(errno));
	return 0;
}
