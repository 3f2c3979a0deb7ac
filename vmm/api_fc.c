// SPDX-License-Identifier: MIT
/*
 * Firecracker's API on cvmm: routes, JSON bodies and --config-file.  Each body is checked against
 * its schema (fields, types, required ones) before any value is looked at, then its values, then
 * it is applied through vmm/api_state.c.  Answers: 204 without a body, 200 with one, 400
 * {"fault_message": ...} for what the client got wrong, 500 for a host failure
 * (error_http_status()).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/api_fc.h"
#include "vmm/api_json.h"
#include "vmm/api_state.h"
#include "vmm/error.h"
#include "vmm/util.h"

#define BAD(...) error_set(e, ERROR_USAGE, EINVAL, __VA_ARGS__)

/* The id in a body names the same object as the path (NULL path id: --config-file). */
static int check_id(const char *what, const char *field, const char *body_id, const char *path_id,
		    struct error *e)
{
	if (path_id && strcmp(path_id, body_id))
		return BAD("%s: %s '%s' does not match the path's '%s'", what, field, body_id,
			   path_id);
	return 0;
}

/* An interface's two rate limiters. */
static int parse_net_limiters(const json_t *o, struct api_net *n, struct error *e)
{
	return api_parse_limiter(json_object_get(o, "rx_rate_limiter"),
			     "network-interfaces.rx_rate_limiter", &n->rx, e) ?:
	       api_parse_limiter(json_object_get(o, "tx_rate_limiter"),
			     "network-interfaces.tx_rate_limiter", &n->tx, e);
}

/* PUT /boot-source */
static int fc_boot_source(struct api_vmm *a, const json_t *o, const char *param,
			  struct error *e)
{
	static const struct jfield f[] = {
		{ "kernel_image_path", J_STR, false },
		{ "boot_args", J_STR, false },
		{ "initrd_path", J_STR, false },
		{ "firmware_path", J_STR, false }, /* cvmm: TDX/SNP firmware */
	};
	int ret = api_check_fields(o, "boot-source", f, ARRAY_SIZE(f), e);

	if (ret)
		return ret;
	if (!jhas(o, "kernel_image_path") && !jhas(o, "firmware_path"))
		return BAD("boot-source: missing required field 'kernel_image_path'");
	return api_set_boot_source(a, jstr(o, "kernel_image_path"), jstr(o, "initrd_path"),
				   jstr(o, "boot_args"), jstr(o, "firmware_path"), e);
}

static int parse_tee(const char *name, enum tee_kind *out, struct error *e)
{
	static const char *const names[] = { "none", "emulated", "tdx", "snp" };
	static const enum tee_kind kinds[] = { TEE_NONE, TEE_EMULATED, TEE_TDX, TEE_SNP };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		if (!strcmp(name, names[i])) {
			*out = kinds[i];
			return 0;
		}
	}
	return BAD("machine-config: tee '%s' is not one of none, emulated, tdx, snp", name);
}

/* machine-config.tdx: the TD's MR values (48 bytes, hex or base64) and its quote service. */
struct tdx_inputs {
	uint8_t mr[3][CONFIG_TDX_MR_SIZE];
	bool mr_given[3];
	const char *quote_service;
};

static const char *const tdx_mr_names[3] = { "mrconfigid", "mrowner", "mrownerconfig" };

static int parse_tdx_inputs(const json_t *o, struct tdx_inputs *t, struct error *e)
{
	static const struct jfield f[] = {
		{ "mrconfigid", J_STR, false },
		{ "mrowner", J_STR, false },
		{ "mrownerconfig", J_STR, false },
		{ "quote_service", J_STR, false },
	};
	int ret = api_check_fields(o, "machine-config.tdx", f, ARRAY_SIZE(f), e);

	for (int i = 0; !ret && i < 3; i++) {
		if (!jhas(o, tdx_mr_names[i]))
			continue;
		if (parse_bytes(jstr(o, tdx_mr_names[i]), t->mr[i], CONFIG_TDX_MR_SIZE))
			return BAD("machine-config.tdx.%s: expected %d bytes as %d hex digits or base64",
				   tdx_mr_names[i], CONFIG_TDX_MR_SIZE, 2 * CONFIG_TDX_MR_SIZE);
		t->mr_given[i] = true;
	}
	if (!ret)
		t->quote_service = jstr(o, "quote_service");
	return ret;
}

/* Sets what a machine-config request gave; a PUT (full) first clears what it did not. */
static int apply_tdx_inputs(struct tdx_config *c, const struct tdx_inputs *t, bool full,
			    struct error *e)
{
	uint8_t *mrs[3] = { c->mrconfigid, c->mrowner, c->mrownerconfig };
	int ret = 0;

	if (full) {
		for (int i = 0; i < 3; i++)
			memset(mrs[i], 0, CONFIG_TDX_MR_SIZE);
		c->mr_set = false;
		ret = config_set_string(&c->quote_service, NULL, "quote_service", e);
	}
	for (int i = 0; i < 3; i++) {
		if (t->mr_given[i]) {
			memcpy(mrs[i], t->mr[i], CONFIG_TDX_MR_SIZE);
			c->mr_set = true;
		}
	}
	if (!ret && t->quote_service)
		ret = config_set_string(&c->quote_service, t->quote_service,
					"machine-config.tdx.quote_service", e);
	return ret;
}

/* machine-config.snp: the SNP launch inputs, as --snp-policy, --host-data ... give them. */
struct snp_inputs {
	const json_t *o;
	uint8_t host_data[32];
};

static int parse_snp_inputs(const json_t *o, struct snp_inputs *t, struct error *e)
{
	static const struct jfield f[] = {
		{ "policy", J_UINT, false },
		{ "host_data", J_STR, false },
		{ "id_block", J_STR, false },
		{ "id_auth", J_STR, false },
		{ "vcpu_sig", J_UINT, false },
		{ "guest_features", J_UINT, false },
	};
	int ret = api_check_fields(o, "machine-config.snp", f, ARRAY_SIZE(f), e);

	if (ret)
		return ret;
	if (juint(o, "vcpu_sig", 0) > UINT32_MAX)
		return BAD("machine-config.snp.vcpu_sig: a 32-bit CPUID.1.EAX value");
	if (jhas(o, "host_data") &&
	    parse_hex_bytes(jstr(o, "host_data"), t->host_data, sizeof(t->host_data)))
		return BAD("machine-config.snp.host_data: expected %zu bytes as %zu hex digits",
			   sizeof(t->host_data), 2 * sizeof(t->host_data));
	t->o = o;
	return 0;
}

/* Sets what a machine-config request gave; a PUT (full) first restores the defaults. */
static int apply_snp_inputs(struct snp_config *c, const struct snp_inputs *t, bool full,
			    struct error *e)
{
	const json_t *o = t->o;
	int ret = 0;

	if (full) {
		struct vm_config dflt;

		config_init(&dflt);
		ret = config_set_string(&c->id_block, NULL, "id_block", e) ?:
		      config_set_string(&c->id_auth, NULL, "id_auth", e);
		*c = (struct snp_config){ .guest_features = dflt.snp.guest_features,
					  .policy = dflt.snp.policy };
		config_free(&dflt);
	}
	if (ret || !o)
		return ret;
	if (jhas(o, "policy")) {
		c->policy = juint(o, "policy", 0);
		c->policy_set = true;
	}
	if (jhas(o, "vcpu_sig")) {
		c->vcpu_sig = (uint32_t)juint(o, "vcpu_sig", 0);
		c->vcpu_sig_set = true;
	}
	if (jhas(o, "guest_features")) {
		c->guest_features = juint(o, "guest_features", 0);
		c->guest_features_set = true;
	}
	if (jhas(o, "host_data")) {
		memcpy(c->host_data, t->host_data, sizeof(c->host_data));
		c->host_data_set = true;
	}
	if (jhas(o, "id_block"))
		ret = config_set_string(&c->id_block, jstr(o, "id_block"),
					"machine-config.snp.id_block", e);
	if (!ret && jhas(o, "id_auth"))
		ret = config_set_string(&c->id_auth, jstr(o, "id_auth"),
					"machine-config.snp.id_auth", e);
	return ret;
}

/* PUT (full) and PATCH (partial) /machine-config. */
static int machine_config(struct api_vmm *a, const json_t *o, bool full, struct error *e)
{
	static const struct jfield f[] = {
		{ "vcpu_count", J_UINT, false },
		{ "mem_size_mib", J_UINT, false },
		{ "smt", J_BOOL, false },
		{ "ht_enabled", J_BOOL, false }, /* Firecracker before 1.0 */
		{ "cpu_template", J_STR, false },
		{ "track_dirty_pages", J_BOOL, false },
		{ "huge_pages", J_STR, false },
		{ "tee", J_STR, false },  /* cvmm: none, emulated, tdx, snp */
		{ "tdx", J_OBJ, false },  /* cvmm: TDX launch inputs (--mrconfigid ...) */
		{ "snp", J_OBJ, false },  /* cvmm: SNP launch inputs (--snp-policy ...) */
	};
	const char *what = "machine-config";
	uint64_t vcpus = a->cfg.vcpus, mem = a->cfg.mem_mib;
	enum tee_kind tee = full ? TEE_NONE : a->cfg.tee;
	struct tdx_inputs tdx = { 0 };
	struct snp_inputs snp = { 0 };
	const char *s;
	int ret;

	ret = api_check_fields(o, what, f, ARRAY_SIZE(f), e);
	if (!ret && jhas(o, "tdx"))
		ret = parse_tdx_inputs(json_object_get(o, "tdx"), &tdx, e);
	if (!ret && jhas(o, "snp"))
		ret = parse_snp_inputs(json_object_get(o, "snp"), &snp, e);
	if (ret)
		return ret;
	if (full && (!jhas(o, "vcpu_count") || !jhas(o, "mem_size_mib")))
		return BAD("%s: missing required field '%s'", what,
			   jhas(o, "vcpu_count") ? "mem_size_mib" : "vcpu_count");
	if (!full && json_object_size(o) == 0)
		return BAD("%s: empty update", what);
	vcpus = juint(o, "vcpu_count", vcpus);
	mem = juint(o, "mem_size_mib", mem);
	if (vcpus < 1 || vcpus > CONFIG_MAX_VCPUS)
		return BAD("%s: vcpu_count %llu: between 1 and %d are supported", what,
			   (unsigned long long)vcpus, CONFIG_MAX_VCPUS);
	if (mem < CONFIG_MIN_MEM_MIB || mem > CONFIG_MAX_MEM_MIB)
		return BAD("%s: mem_size_mib %llu: between %d and %d are supported", what,
			   (unsigned long long)mem, CONFIG_MIN_MEM_MIB, CONFIG_MAX_MEM_MIB);
	if (jbool(o, "smt", false) || jbool(o, "ht_enabled", false))
		return BAD("%s: smt: cvmm gives every vCPU its own core; only false is supported",
			   what);
	s = jstr(o, "cpu_template");
	if (s && strcmp(s, "None"))
		return BAD("%s: cpu_template '%s': CPU templates are not supported (only \"None\")",
			   what, s);
	if (jbool(o, "track_dirty_pages", false))
		return BAD("%s: track_dirty_pages: cvmm has no snapshots; only false is supported",
			   what);
	s = jstr(o, "huge_pages");
	if (s && strcmp(s, "None"))
		return BAD("%s: huge_pages '%s': only \"None\" is supported", what, s);
	if (jhas(o, "tee") && parse_tee(jstr(o, "tee"), &tee, e))
		return -EINVAL;
	a->cfg.vcpus = (unsigned)vcpus;
	a->cfg.mem_mib = mem;
	a->cfg.tee = tee;
	return apply_tdx_inputs(&a->cfg.tdx, &tdx, full, e) ?:
	       apply_snp_inputs(&a->cfg.snp, &snp, full, e);
}

static int fc_machine_put(struct api_vmm *a, const json_t *o, const char *param, struct error *e)
{
	return api_require_preboot(a, "machine-config", e) ?: machine_config(a, o, true, e);
}

static int fc_machine_patch(struct api_vmm *a, const json_t *o, const char *param,
			    struct error *e)
{
	return api_require_preboot(a, "machine-config", e) ?: machine_config(a, o, false, e);
}

/* A drive body; id: the path's (NULL for --config-file, where the body names it). */
static int fc_drive_put(struct api_vmm *a, const json_t *o, const char *id, struct error *e)
{
	static const struct jfield f[] = {
		{ "drive_id", J_STR, true },
		{ "path_on_host", J_STR, false },
		{ "is_root_device", J_BOOL, true },
		{ "is_read_only", J_BOOL, false },
		{ "partuuid", J_STR, false },
		{ "cache_type", J_STR, false },
		{ "rate_limiter", J_OBJ, false },
		{ "io_engine", J_STR, false },
		{ "socket", J_STR, false },
	};
	struct drive_config d = { .engine = BLK_ENGINE_SYNC, .poll_us = DRIVE_POLL_US_DEFAULT };
	const char *s;
	int ret;

	ret = api_require_preboot(a, "drives", e) ?: api_check_fields(o, "drives", f, ARRAY_SIZE(f), e);
	if (ret)
		return ret;
	d.id = (char *)jstr(o, "drive_id");
	ret = check_id("drives", "drive_id", d.id, id, e);
	if (ret)
		return ret;
	if (jhas(o, "socket"))
		return BAD("drives %s: socket: vhost-user drives are not supported", d.id);
	if (!jhas(o, "path_on_host"))
		return BAD("drives %s: missing required field 'path_on_host'", d.id);
	d.path = (char *)jstr(o, "path_on_host");
	d.read_only = jbool(o, "is_read_only", false);
	s = jstr(o, "cache_type");
	/* cvmm always passes flushes through: both modes are honoured by doing more. */
	if (s && strcmp(s, "Unsafe") && strcmp(s, "Writeback"))
		return BAD("drives %s: cache_type '%s' is not one of Unsafe, Writeback", d.id, s);
	s = jstr(o, "io_engine");
	if (s && !strcmp(s, "Async"))
		d.engine = BLK_ENGINE_URING;
	else if (s && strcmp(s, "Sync"))
		return BAD("drives %s: io_engine '%s' is not one of Sync, Async", d.id, s);
	if (jhas(o, "partuuid") && !jbool(o, "is_root_device", false))
		return BAD("drives %s: partuuid applies to the root device only", d.id);
	ret = api_parse_limiter(json_object_get(o, "rate_limiter"), "drives.rate_limiter", &d.rate, e);
	if (ret)
		return ret;
	return api_put_drive(a, &d, jbool(o, "is_root_device", false), jstr(o, "partuuid"), e);
}

/* PATCH /drives/{id}: a running VM's drive gets another backing file. */
static int fc_drive_patch(struct api_vmm *a, const json_t *o, const char *id, struct error *e)
{
	static const struct jfield f[] = {
		{ "drive_id", J_STR, true },
		{ "path_on_host", J_STR, false },
		{ "rate_limiter", J_OBJ, false },
	};
	int ret = api_check_fields(o, "drives", f, ARRAY_SIZE(f), e);

	if (!ret)
		ret = check_id("drives", "drive_id", jstr(o, "drive_id"), id, e);
	if (ret)
		return ret;
	ret = api_refuse_limits(json_object_get(o, "rate_limiter"), "drives.rate_limiter",
			    "a running drive's rate limit cannot be changed", e);
	if (ret)
		return ret;
	if (!api_vmm_started(a))
		return BAD("drives %s: PATCH changes a running VM's drive; before InstanceStart, "
			   "use PUT", id);
	if (api_find_drive(a, id) < 0)
		return BAD("drives: no drive '%s'", id);
	if (!jhas(o, "path_on_host"))
		return 0;
	return api_patch_drive(a, id, jstr(o, "path_on_host"), e);
}

/* PUT /network-interfaces/{id} */
static int fc_net_put(struct api_vmm *a, const json_t *o, const char *id, struct error *e)
{
	static const struct jfield f[] = {
		{ "iface_id", J_STR, true },
		{ "host_dev_name", J_STR, true },
		{ "guest_mac", J_STR, false },
		{ "rx_rate_limiter", J_OBJ, false },
		{ "tx_rate_limiter", J_OBJ, false },
		{ "allow_mmds_requests", J_BOOL, false },
	};
	struct api_net n = { 0 };
	const char *iface, *dev;
	int ret;

	ret = api_require_preboot(a, "network-interfaces", e) ?:
	      api_check_fields(o, "network-interfaces", f, ARRAY_SIZE(f), e);
	if (ret)
		return ret;
	iface = jstr(o, "iface_id");
	dev = jstr(o, "host_dev_name");
	ret = check_id("network-interfaces", "iface_id", iface, id, e);
	if (ret)
		return ret;
	if (!*iface || strlen(iface) > API_IFACE_ID_MAX)
		return BAD("network-interfaces: iface_id must be 1 to %d characters",
			   API_IFACE_ID_MAX);
	if (!*dev || strlen(dev) > API_IFNAME_MAX || strchr(dev, '/'))
		return BAD("network-interfaces %s: host_dev_name '%s' is not a network interface "
			   "name (1 to %d characters, no '/')", iface, dev, API_IFNAME_MAX);
	if (jhas(o, "guest_mac") && api_parse_mac(jstr(o, "guest_mac"), n.mac))
		return BAD("network-interfaces %s: guest_mac '%s' is not a MAC address "
			   "(xx:xx:xx:xx:xx:xx)", iface, jstr(o, "guest_mac"));
	n.has_mac = jhas(o, "guest_mac");
	if (n.has_mac && (n.mac[0] & 1))
		return BAD("network-interfaces %s: guest_mac '%s' is a multicast address", iface,
			   jstr(o, "guest_mac"));
	if (jbool(o, "allow_mmds_requests", false))
		return BAD("network-interfaces %s: allow_mmds_requests: cvmm has no MMDS", iface);
	ret = parse_net_limiters(o, &n, e);
	if (ret)
		return ret;
	snprintf(n.id, sizeof(n.id), "%s", iface);
	snprintf(n.host_dev_name, sizeof(n.host_dev_name), "%s", dev);
	return api_put_net(a, &n, e);
}

/* PATCH /network-interfaces/{id}: new rate limiters for a running VM's interface. */
static int fc_net_patch(struct api_vmm *a, const json_t *o, const char *id, struct error *e)
{
	static const struct jfield f[] = {
		{ "iface_id", J_STR, true },
		{ "rx_rate_limiter", J_OBJ, false },
		{ "tx_rate_limiter", J_OBJ, false },
	};
	struct api_net n = { 0 };
	int ret = api_check_fields(o, "network-interfaces", f, ARRAY_SIZE(f), e);

	if (!ret)
		ret = check_id("network-interfaces", "iface_id", jstr(o, "iface_id"), id, e);
	if (!ret)
		ret = parse_net_limiters(o, &n, e);
	if (ret)
		return ret;
	snprintf(n.id, sizeof(n.id), "%s", id);
	return api_patch_net(a, &n, e);
}

/* PUT /vsock */
static int fc_vsock(struct api_vmm *a, const json_t *o, const char *param, struct error *e)
{
	static const struct jfield f[] = {
		{ "guest_cid", J_UINT, true },
		{ "uds_path", J_STR, true },
		{ "vsock_id", J_STR, false },
	};
	int ret;

	ret = api_require_preboot(a, "vsock", e) ?: api_check_fields(o, "vsock", f, ARRAY_SIZE(f), e);
	return ret ?: api_set_vsock(&a->cfg, "vsock: guest_cid", juint(o, "guest_cid", 0),
				    "vsock: uds_path", jstr(o, "uds_path"), e);
}

/* PUT /logger */
static int fc_logger(struct api_vmm *a, const json_t *o, const char *param, struct error *e)
{
	static const struct jfield f[] = {
		{ "log_path", J_STR, false },
		{ "level", J_STR, false },
		{ "show_level", J_BOOL, false },
		{ "show_log_origin", J_BOOL, false },
		{ "module", J_STR, false },
	};
	int ret;

	ret = api_require_preboot(a, "logger", e) ?: api_check_fields(o, "logger", f, ARRAY_SIZE(f), e);
	if (ret)
		return ret;
	if (jhas(o, "module"))
		return BAD("logger: module: filtering by module is not supported");
	return api_set_logger(a, jstr(o, "log_path"), jstr(o, "level"),
			      jbool(o, "show_level", false), jbool(o, "show_log_origin", false), e);
}

/* PUT /metrics */
static int fc_metrics(struct api_vmm *a, const json_t *o, const char *param, struct error *e)
{
	static const struct jfield f[] = {
		{ "metrics_path", J_STR, true },
	};
	int ret;

	ret = api_require_preboot(a, "metrics", e) ?:
	      api_check_fields(o, "metrics", f, ARRAY_SIZE(f), e);
	return ret ?: api_set_metrics(a, jstr(o, "metrics_path"), e);
}

/* PUT /entropy: the virtio-rng device. */
static int fc_entropy(struct api_vmm *a, const json_t *o, const char *param, struct error *e)
{
	static const struct jfield f[] = {
		{ "rate_limiter", J_OBJ, false },
	};
	int ret;

	ret = api_require_preboot(a, "entropy", e) ?:
	      api_check_fields(o, "entropy", f, ARRAY_SIZE(f), e) ?:
	      api_refuse_limits(json_object_get(o, "rate_limiter"), "entropy.rate_limiter",
			    "the entropy device has no rate limiter", e);
	if (ret)
		return ret;
	a->cfg.rng = true;
	return 0;
}

/* PUT /actions */
static int fc_actions(struct api_vmm *a, const json_t *o, const char *param, struct error *e)
{
	static const struct jfield f[] = {
		{ "action_type", J_STR, true },
	};
	const char *t;
	int ret = api_check_fields(o, "actions", f, ARRAY_SIZE(f), e);

	if (ret)
		return ret;
	t = jstr(o, "action_type");
	if (!strcmp(t, "InstanceStart"))
		return api_instance_start(a, e);
	if (!strcmp(t, "SendCtrlAltDel"))
		return api_ctrl_alt_del(a, e);
	if (!strcmp(t, "FlushMetrics"))
		return api_flush_metrics(a, e);
	return BAD("actions: action_type '%s' is not one of InstanceStart, SendCtrlAltDel, "
		   "FlushMetrics", t);
}

/* PATCH /vm */
static int fc_vm_state(struct api_vmm *a, const json_t *o, const char *param, struct error *e)
{
	static const struct jfield f[] = {
		{ "state", J_STR, true },
	};
	const char *s;
	int ret = api_check_fields(o, "vm", f, ARRAY_SIZE(f), e);

	if (ret)
		return ret;
	s = jstr(o, "state");
	if (!strcmp(s, "Paused"))
		return api_pause(a, e);
	if (!strcmp(s, "Resumed"))
		return api_resume(a, e);
	return BAD("vm: state '%s' is not one of Paused, Resumed", s);
}

/* Answers. */

char *api_fc_error_body(const char *message)
{
	char clean[ERROR_MSG_MAX];
	json_t *o;
	char *s;

	/* Messages quote client input: keep them printable ASCII, hence valid UTF-8. */
	api_clean_text(clean, sizeof(clean), message);
	o = json_pack("{s:s}", "fault_message", clean);
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return s;
}

static void run_apply(void *ctx, const struct api_request *req, struct api_response *resp,
		      api_apply_fn fn)
{
	api_run_apply(ctx, req, resp, fn, api_fc_error_body);
}

#define FC_HANDLER(name, fn)                                                                   \
	static void name(void *ctx, const struct api_request *req, struct api_response *resp) \
	{                                                                                      \
		run_apply(ctx, req, resp, fn);                                                 \
	}

FC_HANDLER(h_boot_source, fc_boot_source)
FC_HANDLER(h_machine_put, fc_machine_put)
FC_HANDLER(h_machine_patch, fc_machine_patch)
FC_HANDLER(h_drive_put, fc_drive_put)
FC_HANDLER(h_drive_patch, fc_drive_patch)
FC_HANDLER(h_net_put, fc_net_put)
FC_HANDLER(h_net_patch, fc_net_patch)
FC_HANDLER(h_vsock, fc_vsock)
FC_HANDLER(h_logger, fc_logger)
FC_HANDLER(h_metrics, fc_metrics)
FC_HANDLER(h_entropy, fc_entropy)
FC_HANDLER(h_actions, fc_actions)
FC_HANDLER(h_vm_state, fc_vm_state)

static json_t *machine_json(const struct api_vmm *a)
{
	json_t *o = json_pack("{s:I,s:I,s:b,s:b}", "vcpu_count", (json_int_t)a->cfg.vcpus,
			      "mem_size_mib", (json_int_t)a->cfg.mem_mib, "smt", 0,
			      "track_dirty_pages", 0);

	if (o && a->cfg.tee != TEE_NONE)
		json_object_set_new(o, "tee", json_string(config_tee_name(a->cfg.tee)));
	return o;
}

static void h_instance_info(void *ctx, const struct api_request *req, struct api_response *resp)
{
	struct api_vmm *a = ctx;

	/* "started" is what Kata's Go fc driver polls (Firecracker 0.2x's InstanceInfo). */
	api_answer_json(resp, json_pack("{s:s,s:s,s:b,s:s,s:s}", "id", a->id, "state",
				    api_vmm_state(a), "started", api_vmm_started(a), "vmm_version",
				    CVMM_VERSION, "app_name", "cvmm"));
}

static void h_version(void *ctx, const struct api_request *req, struct api_response *resp)
{
	api_answer_json(resp, json_pack("{s:s}", "firecracker_version", CVMM_VERSION));
}

static void h_machine_get(void *ctx, const struct api_request *req, struct api_response *resp)
{
	api_answer_json(resp, machine_json(ctx));
}

static json_t *drive_json(const struct api_vmm *a, unsigned i)
{
	const struct drive_config *d = &a->cfg.drives[i];
	bool root = a->root_set && i == 0;
	json_t *o = json_pack("{s:s?,s:s?,s:b,s:b,s:s}", "drive_id", d->id, "path_on_host",
			      d->path, "is_root_device", root, "is_read_only", d->read_only,
			      "io_engine", d->engine == BLK_ENGINE_URING ? "Async" : "Sync");

	if (o && root && a->root_partuuid)
		json_object_set_new(o, "partuuid", json_string(a->root_partuuid));
	return o;
}

static void h_vm_config(void *ctx, const struct api_request *req, struct api_response *resp)
{
	struct api_vmm *a = ctx;
	json_t *drives = json_array(), *nets = json_array(), *o;

	for (unsigned i = 0; drives && i < a->cfg.nr_drives; i++)
		json_array_append_new(drives, drive_json(a, i));
	for (unsigned i = 0; nets && i < a->nr_nets; i++)
		json_array_append_new(nets, json_pack("{s:s,s:s}", "iface_id", a->nets[i].id,
						      "host_dev_name", a->nets[i].host_dev_name));
	o = json_pack("{s:{s:s?,s:s?,s:s?},s:o,s:o,s:o}", "boot-source", "kernel_image_path",
		      a->cfg.kernel, "initrd_path", a->cfg.initrd, "boot_args", a->cfg.cmdline,
		      "machine-config", machine_json(a), "drives", drives, "network-interfaces",
		      nets);
	if (o && a->cfg.firmware)
		json_object_set_new(json_object_get(o, "boot-source"), "firmware_path",
				    json_string(a->cfg.firmware));
	if (o && a->cfg.vsock.enabled)
		json_object_set_new(o, "vsock", json_pack("{s:I,s:s}", "guest_cid",
							  (json_int_t)a->cfg.vsock.guest_cid,
							  "uds_path", a->cfg.vsock.uds_path));
	if (o && a->log_path)
		json_object_set_new(o, "logger", json_pack("{s:s}", "log_path", a->log_path));
	if (o && a->metrics_path)
		json_object_set_new(o, "metrics",
				    json_pack("{s:s}", "metrics_path", a->metrics_path));
	if (o && a->cfg.rng)
		json_object_set_new(o, "entropy", json_object());
	api_answer_json(resp, o);
}

static const struct api_route fc_routes[] = {
	{ "GET", "/", h_instance_info },
	{ "GET", "/version", h_version },
	{ "GET", "/machine-config", h_machine_get },
	{ "PUT", "/machine-config", h_machine_put },
	{ "PATCH", "/machine-config", h_machine_patch },
	{ "GET", "/vm/config", h_vm_config },
	{ "PUT", "/boot-source", h_boot_source },
	{ "PUT", "/drives/{}", h_drive_put },
	{ "PATCH", "/drives/{}", h_drive_patch },
	{ "PUT", "/network-interfaces/{}", h_net_put },
	{ "PATCH", "/network-interfaces/{}", h_net_patch },
	{ "PUT", "/vsock", h_vsock },
	{ "PUT", "/logger", h_logger },
	{ "PUT", "/metrics", h_metrics },
	{ "PUT", "/entropy", h_entropy },
	{ "PUT", "/actions", h_actions },
	{ "PATCH", "/vm", h_vm_state },
};

/* Which counter a request feeds (Firecracker's get/put/patch_api_requests). */
static enum api_counter counter_of(const struct api_request *req)
{
	static const struct {
		const char *method, *prefix;
		enum api_counter c;
	} map[] = {
		{ "GET", "/machine-config", API_CNT_MACHINE_CFG_GET },
		{ "GET", "/vm/config", API_CNT_VM_CONFIG_GET },
		{ "GET", "/version", API_CNT_VERSION_GET },
		{ "GET", "/", API_CNT_INSTANCE_INFO },
		{ "PUT", "/actions", API_CNT_ACTIONS },
		{ "PUT", "/boot-source", API_CNT_BOOT_SOURCE },
		{ "PUT", "/drives/", API_CNT_DRIVE_PUT },
		{ "PUT", "/logger", API_CNT_LOGGER },
		{ "PUT", "/machine-config", API_CNT_MACHINE_CFG_PUT },
		{ "PUT", "/metrics", API_CNT_METRICS },
		{ "PUT", "/network-interfaces/", API_CNT_NETWORK_PUT },
		{ "PUT", "/vsock", API_CNT_VSOCK },
		{ "PUT", "/entropy", API_CNT_ENTROPY },
		{ "PATCH", "/drives/", API_CNT_DRIVE_PATCH },
		{ "PATCH", "/network-interfaces/", API_CNT_NETWORK_PATCH },
		{ "PATCH", "/machine-config", API_CNT_MACHINE_CFG_PATCH },
		{ "PATCH", "/vm", API_CNT_VM_PATCH },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		size_t n = strlen(map[i].prefix);
		bool exact = map[i].prefix[n - 1] != '/' || n == 1;

		if (strcmp(req->method, map[i].method))
			continue;
		if (exact ? !strcmp(req->path, map[i].prefix) : !strncmp(req->path, map[i].prefix, n))
			return map[i].c;
	}
	return API_CNT_OTHER;
}

static void fc_answered(void *ctx, const struct api_request *req, int status)
{
	struct api_vmm *a = ctx;
	enum api_counter c = counter_of(req);

	a->counts[c]++;
	if (status >= 400)
		a->fails[c]++;
}

void api_fc_routes(struct api_vmm *a, struct api_routes *out)
{
	*out = (struct api_routes){
		.routes = fc_routes,
		.nr = ARRAY_SIZE(fc_routes),
		.ctx = a,
		.error_body = api_fc_error_body,
		.answered = fc_answered,
	};
}

/* --config-file */

static int load_array(struct api_vmm *a, const json_t *arr, const char *what, api_apply_fn fn,
		      struct error *e)
{
	size_t i;
	json_t *v;

	if (!json_is_array(arr))
		return BAD("%s: expected a JSON array", what);
	json_array_foreach(arr, i, v) {
		int ret = fn(a, v, NULL, e);

		if (ret)
			return ret;
	}
	return 0;
}

int api_fc_load_config(struct api_vmm *a, const char *text, size_t len, struct error *e)
{
	/* In the order they are applied: the log and metrics outputs first. */
	static const struct {
		const char *key;
		api_apply_fn fn;
		bool array;
	} sections[] = {
		{ "logger", fc_logger, false },
		{ "metrics", fc_metrics, false },
		{ "machine-config", fc_machine_put, false },
		{ "boot-source", fc_boot_source, false },
		{ "drives", fc_drive_put, true },
		{ "network-interfaces", fc_net_put, true },
		{ "vsock", fc_vsock, false },
		{ "entropy", fc_entropy, false },
	};
	json_t *doc = api_json_load(text, len, e);
	const char *key;
	json_t *val;
	int ret = 0;

	if (!doc)
		return -EINVAL;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return BAD("expected a JSON object");
	}
	json_object_foreach(doc, key, val) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(sections) && strcmp(key, sections[i].key); i++)
			;
		if (i == ARRAY_SIZE(sections) && !json_is_null(val)) {
			ret = BAD("unknown section '%s' (cvmm knows boot-source, machine-config, "
				  "drives, network-interfaces, vsock, logger, metrics, entropy)", key);
			break;
		}
	}
	for (size_t i = 0; !ret && i < ARRAY_SIZE(sections); i++) {
		val = json_object_get(doc, sections[i].key);
		if (!val || json_is_null(val))
			continue;
		ret = sections[i].array ? load_array(a, val, sections[i].key, sections[i].fn, e)
					: sections[i].fn(a, val, NULL, e);
	}
	json_decref(doc);
	return ret;
}
