// SPDX-License-Identifier: MIT
/* The agent-sandbox policy: the file, what it changes in the config, its checks, its cgroup. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmm/cgroup.h"
#include "vmm/error.h"
#include "vmm/limits.h"
#include "vmm/log.h"
#include "vmm/sandbox.h"

#define POLICY_MAX_BYTES (64 * 1024)
#define BAD(...) error_set(e, ERROR_USAGE, EINVAL, __VA_ARGS__)

static int load_outputs(struct sandbox_rules *r, json_t *v, struct error *e)
{
	size_t i;
	json_t *id;

	if (!json_is_array(v) || json_array_size(v) > SANDBOX_MAX_OUTPUTS)
		return BAD("output_drives: an array of at most %d drive ids", SANDBOX_MAX_OUTPUTS);
	json_array_foreach(v, i, id) {
		const char *s = json_string_value(id);

		if (!s || !*s || strlen(s) > CONFIG_ID_MAX)
			return BAD("output_drives: drive ids are strings of 1 to %d characters",
				   CONFIG_ID_MAX);
		r->output_drives[r->nr_output_drives] = strdup(s);
		if (!r->output_drives[r->nr_output_drives])
			return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
		r->nr_output_drives++;
	}
	return 0;
}

static int load_ports(struct sandbox_rules *r, json_t *v, struct error *e)
{
	size_t i;
	json_t *p;

	if (!json_is_array(v) || json_array_size(v) > SANDBOX_MAX_PORTS)
		return BAD("vsock_host_ports: an array of at most %d ports", SANDBOX_MAX_PORTS);
	json_array_foreach(v, i, p) {
		if (!json_is_integer(p) || json_integer_value(p) < 0 ||
		    json_integer_value(p) >= 0xffffffffLL)
			return BAD("vsock_host_ports: ports are numbers below 2^32 - 1");
		r->vsock_host_ports[r->nr_vsock_host_ports++] = (uint32_t)json_integer_value(p);
	}
	return 0;
}

/* {"vsock_conns": 16, ...} as "vsock_conns=16,..." for limits_parse(), checked now. */
static int load_limits(struct sandbox_rules *r, json_t *v, struct error *e)
{
	char spec[512] = "";
	const char *key;
	struct vm_limits check;
	size_t len = 0;
	json_t *n;

	if (!json_is_object(v))
		return BAD("limits: an object of --limits keys and numbers");
	json_object_foreach(v, key, n) {
		if (!json_is_integer(n) || json_integer_value(n) < 0)
			return BAD("limits.%s: a number", key);
		len += (size_t)snprintf(spec + len, sizeof(spec) - len, "%s%s=%lld", len ? "," : "",
					key, (long long)json_integer_value(n));
		if (len >= sizeof(spec))
			return BAD("limits: too many");
	}
	limits_init(&check);
	if (limits_parse(&check, spec, e)) {
		error_prefix(e, "limits: ");
		return -EINVAL;
	}
	r->limits = strdup(spec);
	return r->limits ? 0 : error_set(e, ERROR_HOST, ENOMEM, "out of memory");
}

static int load_rule(struct sandbox_rules *r, const char *key, json_t *v, struct error *e)
{
	if (!strcmp(key, "network")) {
		if (!json_is_boolean(v))
			return BAD("network: true or false");
		r->network = json_is_true(v);
	} else if (!strcmp(key, "output_drives")) {
		return load_outputs(r, v, e);
	} else if (!strcmp(key, "memory_max_mib")) {
		if (!json_is_integer(v) || json_integer_value(v) <= SANDBOX_VMM_RESERVE_MIB ||
		    json_integer_value(v) > CONFIG_MAX_MEM_MIB)
			return BAD("memory_max_mib: %d to %d", SANDBOX_VMM_RESERVE_MIB + 1,
				   CONFIG_MAX_MEM_MIB);
		r->memory_max_mib = (uint64_t)json_integer_value(v);
	} else if (!strcmp(key, "cgroup")) {
		const char *s = json_string_value(v);

		if (!s || s[0] != '/' || strlen(s) >= CGROUP_PATH_MAX - 64 || strstr(s, "/.."))
			return BAD("cgroup: an absolute path to a cgroup v2 directory");
		r->cgroup = strdup(s);
		if (!r->cgroup)
			return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	} else if (!strcmp(key, "vsock_host_ports")) {
		return load_ports(r, v, e);
	} else if (!strcmp(key, "limits")) {
		return load_limits(r, v, e);
	} else {
		return BAD("unknown rule '%s' (expected network, output_drives, memory_max_mib, "
			   "cgroup, vsock_host_ports, limits)", key);
	}
	return 0;
}

int sandbox_load(struct vm_config *cfg, const char *path, struct error *e)
{
	struct sandbox_rules *r = &cfg->sandbox;
	json_error_t jerr;
	const char *key;
	json_t *root, *v;
	int ret = 0;

	if (r->on)
		return BAD("only one --sandbox-policy");
	sandbox_rules_free(r);
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return error_set(e, ERROR_INPUT, EINVAL, "%s:%d: %s", path, jerr.line, jerr.text);
	if (!json_is_object(root)) {
		json_decref(root);
		return error_set(e, ERROR_INPUT, EINVAL, "%s: not a JSON object", path);
	}
	json_object_foreach(root, key, v) {
		ret = load_rule(r, key, v, e);
		if (ret)
			break;
	}
	json_decref(root);
	if (!ret) {
		r->path = strdup(path);
		if (!r->path)
			ret = error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	}
	if (ret) {
		error_prefix(e, "%s: ", path);
		sandbox_rules_free(r);
		return ret;
	}
	r->on = true;
	return 0;
}

static bool is_output(const struct sandbox_rules *r, const char *id)
{
	for (unsigned i = 0; id && i < r->nr_output_drives; i++)
		if (!strcmp(r->output_drives[i], id))
			return true;
	return false;
}

void sandbox_apply(struct vm_config *cfg)
{
	struct sandbox_rules *r = &cfg->sandbox;

	if (!r->on)
		return;
	for (unsigned i = 0; i < cfg->nr_drives; i++)
		if (!is_output(r, cfg->drives[i].id))
			cfg->drives[i].read_only = true;
	if (cfg->seccomp != SECCOMP_LEVEL_OFF) /* refused by sandbox_check, which says why */
		cfg->seccomp = SECCOMP_LEVEL_STRICT;
	if (r->limits)
		limits_parse(&cfg->limits, r->limits, NULL); /* checked when loaded */
}

int sandbox_check(const struct vm_config *cfg, struct error *e)
{
	const struct sandbox_rules *r = &cfg->sandbox;

	if (!r->on)
		return 0;
	if (cfg->seccomp != SECCOMP_LEVEL_STRICT)
		return BAD("--sandbox-policy %s: the sandbox runs with the strictest seccomp filters "
			   "(no --no-seccomp)", r->path);
	if (!r->network && cfg->nr_nets)
		return BAD("--net: the sandbox policy allows no network device (\"network\": true "
			   "would)");
	for (unsigned i = 0; i < cfg->nr_drives; i++)
		if (!cfg->drives[i].read_only && !is_output(r, cfg->drives[i].id))
			return BAD("--drive %s: the sandbox policy allows writing only to its "
				   "output_drives", cfg->drives[i].path);
	if (r->memory_max_mib && cfg->mem_mib + SANDBOX_VMM_RESERVE_MIB > r->memory_max_mib)
		return BAD("--mem-mib %llu: the sandbox policy caps memory at %llu MiB, of which "
			   "cvmm keeps %d", (unsigned long long)cfg->mem_mib,
			   (unsigned long long)r->memory_max_mib, SANDBOX_VMM_RESERVE_MIB);
	return 0;
}

/* Where cvmm's own cgroup goes: inside the policy's, or beside cvmm's current one. */
static int cgroup_dirs(const struct sandbox_rules *r, char *top, char *dir, size_t len,
		       struct error *e)
{
	char mnt[512], self[CGROUP_PATH_MAX];

	if (r->cgroup) {
		snprintf(top, len, "%s", r->cgroup);
	} else {
		if (!cgroup2_mount(mnt, sizeof(mnt)) || !cgroup_self(self, sizeof(self)))
			return error_set(e, ERROR_HOST, ENOENT,
					 "--sandbox-policy: no cgroup v2 to enforce memory_max_mib "
					 "in (name one with \"cgroup\")");
		if (strlen(mnt) + strlen(self) + 1 >= len)
			return error_set(e, ERROR_USAGE, ENAMETOOLONG, "cgroup path too long");
		snprintf(top, len, "%.*s%.*s", 511, mnt, 511, strcmp(self, "/") ? self : "");
	}
	if (strlen(top) + 32 >= len ||
	    snprintf(dir, len, "%s/cvmm-sandbox-%d", top, (int)getpid()) >= (int)len)
		return error_set(e, ERROR_USAGE, ENAMETOOLONG, "cgroup path too long");
	return 0;
}

int sandbox_enforce(const struct vm_config *cfg, struct error *e)
{
	const struct sandbox_rules *r = &cfg->sandbox;
	char top[CGROUP_PATH_MAX], dir[CGROUP_PATH_MAX], v[32];
	int err;

	if (!r->on || !r->memory_max_mib)
		return 0;
	err = cgroup_dirs(r, top, dir, sizeof(top), e);
	if (err)
		return err;
	err = cgroup_mkdirs(dir);
	if (err)
		return error_set(e, ERROR_HOST, err, "--sandbox-policy: cgroup %s: %s", dir,
				 strerror(-err));
	/* In first: the cgroup cvmm leaves must hold no process when it enables controllers. */
	err = cgroup_join(dir, e);
	if (!err)
		err = cgroup_enable_down_to(top, dir, "memory", e);
	if (!err)
		err = cgroup_enable_down_to(top, dir, "pids", e);
	if (err) {
		error_prefix(e, "--sandbox-policy: cannot enforce memory_max_mib: ");
		return err;
	}
	snprintf(v, sizeof(v), "%llu", (unsigned long long)r->memory_max_mib << 20);
	err = cgroup_write(dir, "memory.max", v);
	if (!err) {
		snprintf(v, sizeof(v), "%u", cfg->vcpus + 64);
		err = cgroup_write(dir, "pids.max", v);
	}
	if (err)
		return error_set(e, ERROR_HOST, err, "--sandbox-policy: cgroup %s: %s", dir,
				 strerror(-err));
	/* No swap to spill into (where the kernel accounts swap at all). */
	err = cgroup_write(dir, "memory.swap.max", "0");
	if (err && err != -ENOENT)
		return error_set(e, ERROR_HOST, err, "--sandbox-policy: cgroup %s: memory.swap.max: "
				 "%s", dir, strerror(-err));
	log_info("sandbox: memory capped at %llu MiB in cgroup %s",
		 (unsigned long long)r->memory_max_mib, dir);
	return 0;
}
