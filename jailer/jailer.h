/* SPDX-License-Identifier: MIT */
/*
 * cvmm-jailer: starts a VMM (cvmm, or whatever --exec-file names) confined the way Firecracker's
 * jailer confines Firecracker, with the same command line, so that Kata's fc driver can use it
 * through jailer_path unchanged.  See docs/sandbox.md.
 *
 *   cvmm-jailer --id ID --exec-file PATH --uid UID --gid GID
 *               [--chroot-base-dir DIR] [--netns PATH] [--daemonize] [--new-pid-ns]
 *               [--cgroup FILE=VALUE]... [--cgroup-version 2] [--parent-cgroup PATH]
 *               [--resource-limit RES=VALUE]... [--node N] [--memory-overhead-mib N]
 *               [-- VMM ARGS...]
 *
 * The parts: args.c (the command line), elf_deps.c (what a dynamically linked VMM needs in its
 * jail), cgroup.c (cgroup v2 limits), jail.c (the directory, namespaces, pivot_root, devices,
 * privileges), main.c (the order of it all, and the process that waits for the VMM).
 */
#ifndef CVMM_JAILER_H
#define CVMM_JAILER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct error;

#define JAIL_ID_MAX        64
#define JAIL_MAX_CGROUPS   32
#define JAIL_MAX_DEPS      64
#define JAIL_PATH_MAX      4096
#define JAIL_MAX_VMM_ARGS  256
#define JAIL_DEFAULT_BASE  "/srv/jailer"
#define JAIL_DEFAULT_NOFILE 2048
#define JAIL_DEFAULT_OVERHEAD_MIB 64 /* memory.max = guest RAM + this, when the RAM is known */
#define JAIL_PIDS_PER_VM   64        /* pids.max = vCPUs + this (threads, io_uring workers) */
/* cpu.max: the vCPUs plus this many CPUs for the device threads and io_uring workers, */
#define JAIL_CPU_EXTRA     1
#define JAIL_CPU_PERIOD_US 100000    /* ... per period of this many microseconds */

struct jail_cgroup_value {
	char file[64];   /* e.g. memory.max */
	char value[128];
};

struct jail_args {
	const char *id;
	const char *exec_file;
	uid_t uid;
	gid_t gid;
	bool uid_set, gid_set;
	const char *chroot_base;
	const char *netns;
	bool daemonize;
	int cgroup_version;
	const char *parent_cgroup; /* NULL: the exec file's name */
	struct jail_cgroup_value cgroups[JAIL_MAX_CGROUPS];
	unsigned nr_cgroups;
	long long rlimit_nofile;   /* -1: default */
	long long rlimit_fsize;    /* -1: none */
	unsigned overhead_mib;
	int node;                  /* --node (accepted; the NUMA placement is left to --cgroup) */
	char **vmm_argv;           /* the arguments after "--" */
	int vmm_argc;
};

/* Parses argv into a (strings point into argv); a usage error line otherwise. */
int jail_parse_args(int argc, char **argv, struct jail_args *a, struct error *e);
/* The exec file's last path component. */
const char *jail_exec_name(const struct jail_args *a);

/*
 * What the VMM will be given, read from its arguments (--mem-mib, --vcpus, --net) or from the
 * Firecracker-style --config-file they name (machine-config, network-interfaces), which is looked
 * up under root (the jail's directory, as the jailed VMM will see it).
 */
struct jail_vm_shape {
	uint64_t mem_mib;  /* 0: unknown */
	unsigned vcpus;    /* 0: unknown */
	bool tap;          /* a network interface: /dev/net/tun is needed */
};

void jail_vm_shape(const struct jail_args *a, const char *root, struct jail_vm_shape *out);

/* The files a dynamically linked ELF needs: its interpreter and libraries, recursively. */
struct jail_deps {
	char *paths[JAIL_MAX_DEPS]; /* host paths, as the loader will look them up */
	unsigned nr;
};

int jail_elf_deps(const char *exe, struct jail_deps *out, struct error *e);
void jail_deps_free(struct jail_deps *d);

/* cgroup v2 (cgroup.c). */
struct jail_cgroup {
	char path[JAIL_PATH_MAX]; /* the VM's cgroup directory */
};

/*
 * Creates <cgroup2 mount>/<parent>/<id> (mount found in mountinfo, or given for tests), enables
 * the controllers the values need in every ancestor, writes the values (defaults from the VM's
 * shape for memory.max and pids.max when not given), and moves the calling process in.
 */
int jail_cgroup_setup(const struct jail_args *a, const struct jail_vm_shape *shape,
		      const char *mount_point, struct jail_cgroup *out, struct error *e);
/* The values the jail writes: the given ones, then defaults for what was not given. */
unsigned jail_cgroup_values(const struct jail_args *a, const struct jail_vm_shape *shape,
			    struct jail_cgroup_value *out, unsigned max);

/* The jail itself (jail.c). */
int jail_close_fds(void);
int jail_set_rlimits(const struct jail_args *a, struct error *e);
/* Creates <base>/<exec name>/<id>/root and copies the exec file into it. */
int jail_prepare_dir(const struct jail_args *a, char *root, size_t len, struct error *e);
/*
 * In the new mount namespace: makes root a mount of its own (exec allowed, no setuid), binds the
 * VMM's libraries read-only, creates the device nodes (/dev/kvm; /dev/net/tun with a tap) and
 * /run owned by the VMM's user, and pivots into it.
 */
int jail_enter_root(const struct jail_args *a, const char *root, const struct jail_deps *deps,
		    bool tap, struct error *e);
/* setgroups, gid, uid; no capabilities left even as uid 0; NO_NEW_PRIVS. */
int jail_drop_privileges(const struct jail_args *a, struct error *e);

#endif
