// SPDX-License-Identifier: MIT
/*
 * cvmm-jailer's command line: Firecracker's jailer arguments (docs/sandbox.md), and what the VM
 * will be (from the VMM's own arguments or its --config-file) for the cgroup defaults and the
 * device nodes.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jailer/jailer.h"
#include "vmm/error.h"
#include "vmm/util.h"

#define BAD(...) error_set(e, ERROR_USAGE, EINVAL, __VA_ARGS__)

const char *jail_exec_name(const struct jail_args *a)
{
	const char *slash = strrchr(a->exec_file, '/');

	return slash ? slash + 1 : a->exec_file;
}

static bool valid_id(const char *id)
{
	size_t n = strlen(id);

	if (!n || n > JAIL_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= 'A' && id[i] <= 'Z') ||
		      (id[i] >= '0' && id[i] <= '9') || id[i] == '-'))
			return false;
	return true;
}

/* A relative path without "." or ".." components (a cgroup below the parent). */
static bool valid_relative(const char *p)
{
	const char *c = p;

	if (!*p || *p == '/' || strlen(p) >= 256)
		return false;
	while (*c) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n;
		if (*c == '/')
			c++;
	}
	return true;
}

/* "controller.knob" with letters, digits and '_' only: nothing that walks out of the cgroup. */
static bool valid_cgroup_file(const char *f, size_t n)
{
	bool dot = false;

	if (!n || n >= sizeof(((struct jail_cgroup_value *)0)->file))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = f[i];

		if (c == '.' && i > 0 && i + 1 < n)
			dot = true;
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return dot;
}

static int parse_cgroup(struct jail_args *a, const char *v, struct error *e)
{
	const char *eq = strchr(v, '=');
	struct jail_cgroup_value *c;

	if (a->nr_cgroups == JAIL_MAX_CGROUPS)
		return BAD("--cgroup: at most %d values", JAIL_MAX_CGROUPS);
	if (!eq || !valid_cgroup_file(v, (size_t)(eq - v)))
		return BAD("--cgroup %s: expected FILE=VALUE with FILE like memory.max", v);
	if (strlen(eq + 1) >= sizeof(c->value) || strpbrk(eq + 1, "\n"))
		return BAD("--cgroup %s: bad value", v);
	c = &a->cgroups[a->nr_cgroups++];
	snprintf(c->file, sizeof(c->file), "%.*s", (int)(eq - v), v);
	snprintf(c->value, sizeof(c->value), "%s", eq + 1);
	return 0;
}

static int parse_rlimit(struct jail_args *a, const char *v, struct error *e)
{
	const char *eq = strchr(v, '=');
	uint64_t n;

	if (!eq || parse_u64(eq + 1, &n, false) || n > (uint64_t)INT64_MAX)
		return BAD("--resource-limit %s: expected fsize=N or no-file=N", v);
	if (!strncmp(v, "fsize=", 6))
		a->rlimit_fsize = (long long)n;
	else if (!strncmp(v, "no-file=", 8))
		a->rlimit_nofile = (long long)n;
	else
		return BAD("--resource-limit %s: unknown resource (fsize, no-file)", v);
	return 0;
}

static int parse_id_number(const char *opt, const char *v, unsigned *out, struct error *e)
{
	uint64_t n;

	if (parse_u64(v, &n, false) || n >= UINT32_MAX)
		return BAD("%s %s: not a number", opt, v);
	*out = (unsigned)n;
	return 0;
}

/* One option with a value: the value, from "--opt=value" or the next word. */
static const char *value_of(int argc, char **argv, int *i, const char *eq)
{
	if (eq)
		return eq + 1;
	return *i + 1 < argc ? argv[++*i] : NULL;
}

static int parse_one(struct jail_args *a, const char *name, const char *v, struct error *e)
{
	unsigned n = 0;

	if (!strcmp(name, "--id"))
		a->id = v;
	else if (!strcmp(name, "--exec-file"))
		a->exec_file = v;
	else if (!strcmp(name, "--uid")) {
		if (parse_id_number(name, v, &n, e))
			return -EINVAL;
		a->uid = n;
		a->uid_set = true;
	} else if (!strcmp(name, "--gid")) {
		if (parse_id_number(name, v, &n, e))
			return -EINVAL;
		a->gid = n;
		a->gid_set = true;
	} else if (!strcmp(name, "--chroot-base-dir"))
		a->chroot_base = v;
	else if (!strcmp(name, "--netns"))
		a->netns = v;
	else if (!strcmp(name, "--cgroup"))
		return parse_cgroup(a, v, e);
	else if (!strcmp(name, "--cgroup-version")) {
		if (strcmp(v, "1") && strcmp(v, "2"))
			return BAD("--cgroup-version %s: expected 1 or 2", v);
		a->cgroup_version = v[0] - '0';
	} else if (!strcmp(name, "--parent-cgroup"))
		a->parent_cgroup = v;
	else if (!strcmp(name, "--resource-limit"))
		return parse_rlimit(a, v, e);
	else if (!strcmp(name, "--node")) {
		if (parse_id_number(name, v, &n, e))
			return -EINVAL;
		a->node = (int)n;
	} else if (!strcmp(name, "--memory-overhead-mib")) {
		if (parse_id_number(name, v, &n, e) || n > 1024 * 1024)
			return BAD("--memory-overhead-mib %s: expected 0 to 1048576", v);
		a->overhead_mib = n;
	} else if (!strcmp(name, "--seccomp-level")) {
		/* Firecracker's old option: cvmm installs its own filters (--no-seccomp to debug). */
	} else {
		return BAD("unknown option '%s'", name);
	}
	return 0;
}

static const char *const valued[] = {
	"--id", "--exec-file", "--uid", "--gid", "--chroot-base-dir", "--netns", "--cgroup",
	"--cgroup-version", "--parent-cgroup", "--resource-limit", "--node",
	"--memory-overhead-mib", "--seccomp-level",
};

int jail_parse_args(int argc, char **argv, struct jail_args *a, struct error *e)
{
	memset(a, 0, sizeof(*a));
	a->chroot_base = JAIL_DEFAULT_BASE;
	a->cgroup_version = 2;
	a->rlimit_nofile = -1;
	a->rlimit_fsize = -1;
	a->overhead_mib = JAIL_DEFAULT_OVERHEAD_MIB;
	a->node = -1;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *eq = strchr(arg, '='), *v;
		char name[32];
		bool takes_value = false;

		if (!strcmp(arg, "--")) {
			a->vmm_argv = argv + i + 1;
			a->vmm_argc = argc - i - 1;
			if (a->vmm_argc > JAIL_MAX_VMM_ARGS)
				return BAD("at most %d VMM arguments", JAIL_MAX_VMM_ARGS);
			break;
		}
		if (!strcmp(arg, "--daemonize")) {
			a->daemonize = true;
			continue;
		}
		if (!strcmp(arg, "--new-pid-ns"))
			continue; /* the VMM always gets a PID namespace of its own */
		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
		for (size_t k = 0; k < ARRAY_SIZE(valued); k++)
			takes_value |= !strcmp(name, valued[k]);
		if (!takes_value)
			return BAD("unknown option '%s' (see cvmm-jailer --help)", arg);
		v = value_of(argc, argv, &i, eq);
		if (!v)
			return BAD("%s needs a value", name);
		if (parse_one(a, name, v, e))
			return -EINVAL;
	}
	if (!a->id || !a->exec_file || !a->uid_set || !a->gid_set)
		return BAD("--id, --exec-file, --uid and --gid are required");
	if (!valid_id(a->id))
		return BAD("--id %s: 1 to %d letters, digits and hyphens", a->id, JAIL_ID_MAX);
	if (a->exec_file[0] != '/' || strlen(a->exec_file) >= JAIL_PATH_MAX - 256 ||
	    !*jail_exec_name(a))
		return BAD("--exec-file %s: an absolute path to the VMM", a->exec_file);
	if (a->chroot_base[0] != '/' || strlen(a->chroot_base) >= JAIL_PATH_MAX - 512)
		return BAD("--chroot-base-dir %s: an absolute path", a->chroot_base);
	if (a->cgroup_version != 2)
		return BAD("--cgroup-version 1: cvmm-jailer supports cgroup v2 only");
	if (a->parent_cgroup && !valid_relative(a->parent_cgroup))
		return BAD("--parent-cgroup %s: a relative path without '.' or '..'",
			   a->parent_cgroup);
	if (a->netns && a->netns[0] != '/')
		return BAD("--netns %s: an absolute path", a->netns);
	return 0;
}

/* The value of a VMM option given as "--opt V" or "--opt=V". */
static const char *vmm_option(const struct jail_args *a, const char *opt)
{
	size_t n = strlen(opt);

	for (int i = 0; i < a->vmm_argc; i++) {
		const char *w = a->vmm_argv[i];

		if (!strncmp(w, opt, n) && w[n] == '=')
			return w + n + 1;
		if (!strcmp(w, opt) && i + 1 < a->vmm_argc)
			return a->vmm_argv[i + 1];
	}
	return NULL;
}

/* Firecracker's config file: machine-config.mem_size_mib / vcpu_count, network-interfaces. */
static void shape_from_config(const char *path, struct jail_vm_shape *s)
{
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	json_t *mc, *v, *nets;

	if (!root)
		return;
	mc = json_object_get(root, "machine-config");
	v = json_object_get(mc, "mem_size_mib");
	if (json_is_integer(v) && json_integer_value(v) > 0)
		s->mem_mib = (uint64_t)json_integer_value(v);
	v = json_object_get(mc, "vcpu_count");
	if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) < 1024)
		s->vcpus = (unsigned)json_integer_value(v);
	nets = json_object_get(root, "network-interfaces");
	if (json_is_array(nets) && json_array_size(nets) > 0)
		s->tap = true;
	json_decref(root);
}

void jail_vm_shape(const struct jail_args *a, const char *root, struct jail_vm_shape *out)
{
	const char *v;
	uint64_t n;

	memset(out, 0, sizeof(*out));
	v = vmm_option(a, "--config-file");
	if (v && root) {
		char path[JAIL_PATH_MAX];

		/* The jailed VMM sees the jail's directory as /: relative paths start there too. */
		snprintf(path, sizeof(path), "%s/%s", root, v);
		shape_from_config(path, out);
	}
	v = vmm_option(a, "--mem-mib");
	if (v && !parse_u64(v, &n, false) && n)
		out->mem_mib = n;
	v = vmm_option(a, "--vcpus");
	if (v && !parse_u64(v, &n, false) && n && n < 1024)
		out->vcpus = (unsigned)n;
	for (int i = 0; i < a->vmm_argc; i++)
		if (!strncmp(a->vmm_argv[i], "--net", 5) &&
		    (a->vmm_argv[i][5] == 0 || a->vmm_argv[i][5] == '='))
			out->tap = true;
}
