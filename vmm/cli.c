// SPDX-License-Identifier: MIT
/*
 * Command-line parsing for `cvmm [OPTIONS]` and `cvmm measure [OPTIONS]`.  Table driven: one row
 * per option, each with a parser that turns its words into the config or says in one line why it
 * cannot.  Limits and combinations are config_validate()'s job.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "vmm/cli.h"
#include "vmm/error.h"
#include "vmm/kv_list.h"
#include "vmm/log.h"
#include "vmm/rate_limit_spec.h"
#include "vmm/sandbox.h"
#include "vmm/util.h"

typedef int (*cli_parse_fn)(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			    struct error *e);

#define FOR_RUN     (1u << CLI_RUN)
#define FOR_MEASURE (1u << CLI_MEASURE)
#define FOR_BOTH    (FOR_RUN | FOR_MEASURE)

struct cli_option {
	const char *name;
	const char *metavar; /* NULL: a flag without argument */
	const char *help;
	cli_parse_fn parse;
	unsigned commands;
};

#define BAD(...) error_set(e, ERROR_USAGE, EINVAL, __VA_ARGS__)

static int parse_kernel(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			struct error *e)
{
	return config_set_string(&cfg->kernel, arg, "--kernel", e);
}

static int parse_initrd(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			struct error *e)
{
	return config_set_string(&cfg->initrd, arg, "--initrd", e);
}

static int parse_cmdline(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			 struct error *e)
{
	return config_set_string(&cfg->cmdline, arg, "--cmdline", e);
}

static int parse_firmware(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			  struct error *e)
{
	return config_set_string(&cfg->firmware, arg, "--firmware", e);
}

static int parse_number(const char *arg, uint64_t max, uint64_t *out, const char *what,
			struct error *e)
{
	if (parse_u64(arg, out, false) || *out > max)
		return BAD("'%s' is not a number%s", arg, what);
	return 0;
}

static int parse_vcpus(struct vm_config *cfg, struct cli_extra *x, const char *arg,
		       struct error *e)
{
	uint64_t v;

	if (parse_number(arg, UINT32_MAX, &v, " of vCPUs", e))
		return -EINVAL;
	cfg->vcpus = (unsigned)v;
	return 0;
}

static int parse_mem(struct vm_config *cfg, struct cli_extra *x, const char *arg, struct error *e)
{
	return parse_number(arg, UINT64_MAX >> 20, &cfg->mem_mib, " of MiB", e);
}

static int parse_serial(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			struct error *e)
{
	if (!strcmp(arg, "stdio")) {
		cfg->serial = SERIAL_STDIO;
	} else if (!strcmp(arg, "none")) {
		cfg->serial = SERIAL_NONE;
	} else if (!strncmp(arg, "file:", 5) && arg[5]) {
		cfg->serial = SERIAL_FILE;
		return config_set_string(&cfg->serial_path, arg + 5, "--serial file:", e);
	} else {
		return BAD("'%s' is not one of stdio, file:PATH, none", arg);
	}
	return 0;
}

static int parse_irqchip(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			 struct error *e)
{
	if (!strcmp(arg, "kernel"))
		cfg->irqchip = IRQCHIP_KERNEL;
	else if (!strcmp(arg, "split"))
		cfg->irqchip = IRQCHIP_SPLIT;
	else
		return BAD("'%s' is not one of kernel, split", arg);
	cfg->irqchip_set = true;
	return 0;
}

static int parse_boot_timer(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			    struct error *e)
{
	cfg->boot_timer = true;
	return 0;
}

static int parse_access_platform(struct vm_config *cfg, struct cli_extra *x, const char *arg,
				 struct error *e)
{
	cfg->virtio_access_platform = true;
	return 0;
}

static int parse_debug_exit(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			    struct error *e)
{
	cfg->debug_exit = true;
	return 0;
}

static int parse_limits(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			struct error *e)
{
	return limits_parse(&cfg->limits, arg, e);
}

static int parse_no_seccomp(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			    struct error *e)
{
	cfg->seccomp = SECCOMP_LEVEL_OFF;
	return 0;
}

static int parse_sandbox_policy(struct vm_config *cfg, struct cli_extra *x, const char *arg,
				struct error *e)
{
	return sandbox_load(cfg, arg, e);
}

static int parse_verbose(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			 struct error *e)
{
	cfg->verbose++;
	return 0;
}

/* Calls fn for each pair of "k1=v1,k2=v2" (vmm/kv_list.h: values cannot contain commas). */
typedef int (*kv_fn)(void *ctx, const char *key, const char *val, struct error *e);

static int parse_kv_list(const char *arg, kv_fn fn, void *ctx, struct error *e)
{
	static struct kv_pair kv; /* large: not on the stack */
	const char *cursor = arg;
	int r;

	while ((r = kv_list_next(&cursor, &kv, e)) > 0)
		if (fn(ctx, kv.key, kv.val, e))
			return -EINVAL;
	return r;
}

static int parse_on_off(const char *val, bool *out)
{
	if (!strcmp(val, "on") || !strcmp(val, "true") || !strcmp(val, "1"))
		*out = true;
	else if (!strcmp(val, "off") || !strcmp(val, "false") || !strcmp(val, "0"))
		*out = false;
	else
		return -1;
	return 0;
}

/* The drive being parsed; its strings point into the caller's copies until config_add_drive. */
struct drive_words {
	struct drive_config d;
	char path[CONFIG_PATH_MAX + 1];
	char id[CONFIG_ID_MAX + 2];
};

static int drive_kv(void *ctx, const char *key, const char *val, struct error *e)
{
	struct drive_words *w = ctx;
	struct drive_config *d = &w->d;
	uint64_t v;

	if (!strcmp(key, "path")) {
		if (!*val)
			return BAD("empty path");
		snprintf(w->path, sizeof(w->path), "%s", val);
		d->path = w->path;
	} else if (!strcmp(key, "id")) {
		if (strlen(val) > CONFIG_ID_MAX)
			return BAD("id must be 1 to %d characters", CONFIG_ID_MAX);
		snprintf(w->id, sizeof(w->id), "%s", val);
		d->id = w->id;
	} else if (!strcmp(key, "ro")) {
		if (parse_on_off(val, &d->read_only))
			return BAD("ro=%s: expected on or off", val);
	} else if (!strcmp(key, "engine")) {
		if (!strcmp(val, "sync"))
			d->engine = BLK_ENGINE_SYNC;
		else if (!strcmp(val, "uring"))
			d->engine = BLK_ENGINE_URING;
		else
			return BAD("engine=%s: expected sync or uring", val);
	} else if (!strcmp(key, "poll_us")) {
		if (parse_u64(val, &v, false) || v > UINT32_MAX)
			return BAD("poll_us=%s: not a number of microseconds", val);
		d->poll_us = (unsigned)v;
	} else if (!strcmp(key, "rate")) {
		if (rate_limit_parse(val, &d->rate, e)) {
			error_prefix(e, "rate: ");
			return -EINVAL;
		}
	} else {
		return BAD("unknown key '%s' (expected path, id, ro, engine, poll_us, rate)", key);
	}
	return 0;
}

static int parse_drive(struct vm_config *cfg, struct cli_extra *x, const char *arg,
		       struct error *e)
{
	static struct drive_words w; /* large: not on the stack */

	memset(&w.d, 0, sizeof(w.d));
	w.d.engine = BLK_ENGINE_SYNC;
	w.d.poll_us = DRIVE_POLL_US_DEFAULT;
	if (parse_kv_list(arg, drive_kv, &w, e))
		return -EINVAL;
	if (!w.d.path)
		return BAD("path=PATH is required");
	return config_add_drive(cfg, &w.d, e);
}

/* The --net being parsed: its strings are owned (config_add_net copies them again). */
struct net_words {
	struct net_config n;
	unsigned seen; /* keys given, by their bit in net_keys */
};

enum net_key { NET_TAP, NET_FD, NET_MAC, NET_MTU, NET_ID, NET_RX_RATE, NET_TX_RATE, NET__KEYS };

static const char *const net_keys[NET__KEYS] = {
	[NET_TAP] = "tap", [NET_FD] = "fd", [NET_MAC] = "mac", [NET_MTU] = "mtu", [NET_ID] = "id",
	[NET_RX_RATE] = "rx_rate", [NET_TX_RATE] = "tx_rate",
};

static int net_kv(void *ctx, const char *key, const char *val, struct error *e)
{
	struct net_words *w = ctx;
	struct net_config *n = &w->n;
	unsigned k = 0;
	uint64_t v;

	while (k < NET__KEYS && strcmp(key, net_keys[k]))
		k++;
	if (k == NET__KEYS)
		return BAD("unknown key '%s' (expected tap, fd, mac, mtu, id, rx_rate, tx_rate)",
			   key);
	if (w->seen & (1u << k))
		return BAD("%s given twice", key);
	w->seen |= 1u << k;
	switch ((enum net_key)k) {
	case NET_TAP:
		return config_set_string(&n->tap, val, "tap", e);
	case NET_FD:
		if (parse_u64(val, &v, false) || v > INT_MAX)
			return BAD("fd=%s is not a file descriptor number", val);
		n->fd = (int)v;
		return 0;
	case NET_MAC:
		return config_set_string(&n->mac, val, "mac", e);
	case NET_MTU:
		if (parse_u64(val, &v, false) || v > UINT32_MAX)
			return BAD("mtu=%s is not a number", val);
		n->mtu = (unsigned)v;
		return 0;
	case NET_ID:
		return config_set_string(&n->id, val, "id", e);
	default:
		if (rate_limit_parse(val, k == NET_RX_RATE ? &n->rx_rate : &n->tx_rate, e)) {
			error_prefix(e, "%s: ", key);
			return -EINVAL;
		}
		return 0;
	}
}

static int parse_net(struct vm_config *cfg, struct cli_extra *x, const char *arg, struct error *e)
{
	struct net_words w = { .seen = 0 };
	int ret;

	config_net_init(&w.n);
	ret = parse_kv_list(arg, net_kv, &w, e);
	if (!ret)
		ret = config_add_net(cfg, &w.n, e);
	config_net_free(&w.n);
	return ret;
}

static int vsock_kv(void *ctx, const char *key, const char *val, struct error *e)
{
	struct vm_config *cfg = ctx;
	uint64_t cid;

	if (!strcmp(key, "cid")) {
		if (parse_u64(val, &cid, false) || cid > UINT32_MAX)
			return BAD("cid=%s is not a 32-bit number", val);
		cfg->vsock.guest_cid = (uint32_t)cid;
	} else if (!strcmp(key, "uds")) {
		if (!*val)
			return BAD("empty uds path");
		return config_set_string(&cfg->vsock.uds_path, val, "uds", e);
	} else {
		return BAD("unknown key '%s' (expected cid, uds)", key);
	}
	return 0;
}

static int parse_vsock(struct vm_config *cfg, struct cli_extra *x, const char *arg,
		       struct error *e)
{
	if (cfg->vsock.enabled)
		return BAD("only one vsock device is supported");
	if (parse_kv_list(arg, vsock_kv, cfg, e))
		return -EINVAL;
	if (!cfg->vsock.guest_cid || !cfg->vsock.uds_path)
		return BAD("both cid=N and uds=PATH are required");
	cfg->vsock.enabled = true;
	return 0;
}

static int parse_tee(struct vm_config *cfg, struct cli_extra *x, const char *arg, struct error *e)
{
	if (!strcmp(arg, "none"))
		cfg->tee = TEE_NONE;
	else if (!strcmp(arg, "emulated"))
		cfg->tee = TEE_EMULATED;
	else if (!strcmp(arg, "tdx"))
		cfg->tee = TEE_TDX;
	else if (!strcmp(arg, "snp"))
		cfg->tee = TEE_SNP;
	else
		return BAD("'%s' is not one of none, emulated, tdx, snp", arg);
	return 0;
}

static int parse_vcpu_sig(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			  struct error *e)
{
	uint64_t v;

	if (parse_u64(arg, &v, false) || v > UINT32_MAX)
		return BAD("'%s' is not a 32-bit CPUID signature (e.g. 0x800f12)", arg);
	cfg->snp.vcpu_sig = (uint32_t)v;
	cfg->snp.vcpu_sig_set = true;
	return 0;
}

static int parse_guest_features(struct vm_config *cfg, struct cli_extra *x, const char *arg,
				struct error *e)
{
	if (parse_u64(arg, &cfg->snp.guest_features, false))
		return BAD("'%s' is not a 64-bit feature mask", arg);
	cfg->snp.guest_features_set = true;
	return 0;
}

/* TDX attribute names (the TDX module's TD ATTRIBUTES bits cvmm knows by name). */
static const struct {
	const char *name;
	uint64_t bit;
} tdx_attribute_names[] = {
	{ "debug", 1ULL << 0 },
	{ "sept-ve-disable", 1ULL << 28 },
	{ "pks", 1ULL << 30 },
	{ "perfmon", 1ULL << 63 },
};

/* One word of --tdx-attributes: a name or a number, ORed into *attrs. */
static int tdx_attribute(const char *word, uint64_t *attrs)
{
	uint64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(tdx_attribute_names); i++) {
		if (!strcmp(word, tdx_attribute_names[i].name)) {
			*attrs |= tdx_attribute_names[i].bit;
			return 0;
		}
	}
	if (parse_u64(word, &v, false))
		return -EINVAL;
	*attrs |= v;
	return 0;
}

static int parse_tdx_attributes(struct vm_config *cfg, struct cli_extra *x, const char *arg,
				struct error *e)
{
	static const char names[] = "debug, sept-ve-disable, pks, perfmon or a number";
	const char *p = arg;
	uint64_t attrs = 0;
	char word[32];

	if (!*arg)
		return BAD("expected a comma-separated list of %s", names);
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (!n || n >= sizeof(word))
			return BAD("empty or overlong attribute in '%s'", arg);
		memcpy(word, p, n);
		word[n] = 0;
		if (tdx_attribute(word, &attrs))
			return BAD("'%s' is not one of %s", word, names);
		p = comma ? comma + 1 : p + n;
	}
	cfg->tdx.attributes = attrs;
	cfg->tdx.attributes_set = true;
	return 0;
}

static int parse_mr(uint8_t *out, bool *set, const char *arg, struct error *e)
{
	if (parse_bytes(arg, out, CONFIG_TDX_MR_SIZE))
		return BAD("expected %d bytes as %d hex digits or base64", CONFIG_TDX_MR_SIZE,
			   2 * CONFIG_TDX_MR_SIZE);
	*set = true;
	return 0;
}

static int parse_mrconfigid(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			    struct error *e)
{
	return parse_mr(cfg->tdx.mrconfigid, &cfg->tdx.mr_set, arg, e);
}

static int parse_mrowner(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			 struct error *e)
{
	return parse_mr(cfg->tdx.mrowner, &cfg->tdx.mr_set, arg, e);
}

static int parse_mrownerconfig(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			       struct error *e)
{
	return parse_mr(cfg->tdx.mrownerconfig, &cfg->tdx.mr_set, arg, e);
}

static int parse_quote_service(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			       struct error *e)
{
	return config_set_string(&cfg->tdx.quote_service, arg, "--quote-service", e);
}

static int parse_snp_policy(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			    struct error *e)
{
	if (parse_u64(arg, &cfg->snp.policy, false))
		return BAD("'%s' is not a 64-bit guest policy (e.g. 0x30000)", arg);
	cfg->snp.policy_set = true;
	return 0;
}

static int parse_host_data(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			   struct error *e)
{
	if (parse_hex_bytes(arg, cfg->snp.host_data, sizeof(cfg->snp.host_data)))
		return BAD("'%s' is not 64 hex digits (32 bytes)", arg);
	cfg->snp.host_data_set = true;
	return 0;
}

static int parse_snp_id_block(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			      struct error *e)
{
	return config_set_string(&cfg->snp.id_block, arg, "--snp-id-block", e);
}

static int parse_snp_id_auth(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			     struct error *e)
{
	return config_set_string(&cfg->snp.id_auth, arg, "--snp-id-auth", e);
}

static int parse_json(struct vm_config *cfg, struct cli_extra *x, const char *arg,
		      struct error *e)
{
	x->json = true;
	return 0;
}

static int parse_rng(struct vm_config *cfg, struct cli_extra *x, const char *arg,
		     struct error *e)
{
	cfg->rng = true;
	return 0;
}

static int parse_api_sock(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			  struct error *e)
{
	if (!*arg)
		return BAD("empty path");
	x->api_sock = arg;
	return 0;
}

static int parse_api_socket(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			    struct error *e)
{
	if (!*arg)
		return BAD("empty path");
	x->api_socket = arg;
	return 0;
}

/*
 * Cloud Hypervisor's --seccomp: Kata's clh drivers pass "false" to turn its filter off (true is
 * the default); cvmm has no mode that only logs a violation.
 */
static int parse_seccomp(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			 struct error *e)
{
	if (!strcmp(arg, "false"))
		cfg->seccomp = SECCOMP_LEVEL_OFF;
	else if (strcmp(arg, "true"))
		return BAD("'%s': true (the default: every thread's filter) or false (none, as "
			   "--no-seccomp); cvmm has no log-only mode", arg);
	return 0;
}

static int parse_config_file(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			     struct error *e)
{
	if (!*arg)
		return BAD("empty path");
	x->config_file = arg;
	return 0;
}

static int parse_no_api(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			struct error *e)
{
	x->no_api = true;
	return 0;
}

static int parse_id(struct vm_config *cfg, struct cli_extra *x, const char *arg, struct error *e)
{
	size_t n = strlen(arg);

	if (!n || n > CLI_ID_MAX || strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					   "0123456789-_") != n)
		return BAD("'%.80s' is not an id (1 to %d letters, digits, '-' or '_')", arg,
			   CLI_ID_MAX);
	x->id = arg;
	return 0;
}

static int parse_log_path(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			  struct error *e)
{
	if (!*arg)
		return BAD("empty path");
	x->log_path = arg;
	return 0;
}

static int parse_level(struct vm_config *cfg, struct cli_extra *x, const char *arg,
		       struct error *e)
{
	enum log_level l;

	if (log_parse_level(arg, &l))
		return BAD("'%s' is not one of Error, Warning, Info, Debug", arg);
	x->level = arg;
	return 0;
}

static int parse_metrics_path(struct vm_config *cfg, struct cli_extra *x, const char *arg,
			      struct error *e)
{
	if (!*arg)
		return BAD("empty path");
	x->metrics_path = arg;
	return 0;
}

static int parse_help(struct vm_config *cfg, struct cli_extra *x, const char *arg,
		      struct error *e)
{
	x->help = true;
	return 0;
}

static const struct cli_option options[] = {
	{ "--kernel", "PATH", "guest kernel: bzImage, ELF vmlinux, or PVH ELF (32- or 64-bit)",
	  parse_kernel, FOR_BOTH },
	{ "--initrd", "PATH", "initial ramdisk", parse_initrd, FOR_BOTH },
	{ "--cmdline", "STR", "kernel command line", parse_cmdline, FOR_BOTH },
	{ "--vcpus", "N", "number of vCPUs (default 1)", parse_vcpus, FOR_BOTH },
	{ "--mem-mib", "N", "guest RAM in MiB (default 256)", parse_mem, FOR_BOTH },
	{ "--serial", "MODE", "COM1: stdio, file:PATH or none (default stdio)", parse_serial,
	  FOR_BOTH },
	{ "--irqchip", "MODE", "kernel (in-kernel PIC/IOAPIC) or split (IOAPIC in cvmm)",
	  parse_irqchip, FOR_BOTH },
	{ "--boot-timer", NULL, "log the time from start to the guest's boot-complete marker",
	  parse_boot_timer, FOR_BOTH },
	{ "--drive", "SPEC",
	  "virtio-blk: path=PATH[,id=ID][,ro=on][,engine=sync|uring][,poll_us=N][,rate=LIMIT]",
	  parse_drive, FOR_BOTH },
	{ "--net", "SPEC",
	  "virtio-net: tap=NAME|fd=N[,mac=MAC][,mtu=N][,id=ID][,rx_rate=LIMIT][,tx_rate=LIMIT]",
	  parse_net, FOR_BOTH },
	{ "--vsock", "SPEC", "virtio-vsock: cid=N,uds=PATH (hybrid Unix-socket vsock)", parse_vsock,
	  FOR_BOTH },
	{ "--rng", NULL, "virtio-rng: an entropy device fed by the host's getrandom()", parse_rng,
	  FOR_BOTH },
	{ "--tee", "KIND", "none, emulated, tdx or snp (default none)", parse_tee, FOR_BOTH },
	{ "--firmware", "PATH", "firmware for confidential launches (OVMF/TDVF/td-shim)",
	  parse_firmware, FOR_BOTH },
	{ "--virtio-access-platform", NULL,
	  "developer: virtio devices offer ACCESS_PLATFORM (guest bounces DMA; no memory checks)",
	  parse_access_platform, FOR_BOTH },
	{ "--debug-exit", NULL,
	  "test device: a byte the guest writes to port 0x501 stops it and is the exit status",
	  parse_debug_exit, FOR_RUN },
	{ "--limits", "SPEC", "KEY=VALUE,...: vsock_conns, vsock_handshakes, vsock_handshake_ms, "
	  "vsock_buf_kib, vsock_mem_mib, serial_file_mib (docs/sandbox.md)", parse_limits, FOR_RUN },
	{ "--no-seccomp", NULL, "debugging: run without the threads' system-call filters",
	  parse_no_seccomp, FOR_RUN },
	{ "--sandbox-policy", "FILE", "agent sandbox: JSON rules for untrusted code (docs/sandbox.md)",
	  parse_sandbox_policy, FOR_RUN },
	{ "--verbose", NULL, "more diagnostics on stderr (repeat for debug)", parse_verbose,
	  FOR_BOTH },
	{ "--tdx-attributes", "LIST",
	  "tdx: TD attributes, names (debug,sept-ve-disable,pks,perfmon) or a number "
	  "(default sept-ve-disable)", parse_tdx_attributes, FOR_BOTH },
	{ "--mrconfigid", "VALUE", "tdx: MRCONFIGID, 48 bytes as hex or base64 (default zeros)",
	  parse_mrconfigid, FOR_BOTH },
	{ "--mrowner", "VALUE", "tdx: MROWNER, 48 bytes as hex or base64", parse_mrowner,
	  FOR_BOTH },
	{ "--mrownerconfig", "VALUE", "tdx: MROWNERCONFIG, 48 bytes as hex or base64",
	  parse_mrownerconfig, FOR_BOTH },
	{ "--quote-service", "ADDR",
	  "tdx: quote generation service for GetQuote: unix:PATH or vsock:CID:PORT",
	  parse_quote_service, FOR_BOTH },
	{ "--vcpu-sig", "SIG",
	  "snp: CPUID.1.EAX of the guest CPU (e.g. 0x800f12); measure: required, VM: the host's",
	  parse_vcpu_sig, FOR_BOTH },
	{ "--guest-features", "BITS", "snp: VMSA sev_features (default 0x1)", parse_guest_features,
	  FOR_BOTH },
	{ "--snp-policy", "BITS", "snp: guest policy (default 0x30000)", parse_snp_policy,
	  FOR_BOTH },
	{ "--host-data", "HEX", "snp: 32 bytes (64 hex digits) the attestation report carries",
	  parse_host_data, FOR_BOTH },
	{ "--snp-id-block", "PATH", "snp: ID block (96 bytes, `cvmm snp-id-block` writes one)",
	  parse_snp_id_block, FOR_BOTH },
	{ "--snp-id-auth", "PATH", "snp: ID authentication block (4096 bytes) of the ID block",
	  parse_snp_id_auth, FOR_BOTH },
	{ "--json", NULL, "print inputs, launch plan and measurement as JSON", parse_json,
	  FOR_MEASURE },
	{ "--api-sock", "PATH", "serve the Firecracker-compatible API on this Unix socket (0600)",
	  parse_api_sock, FOR_RUN },
	{ "--api-socket", "PATH",
	  "serve the Cloud Hypervisor API subset (Kata's clh drivers) on this Unix socket (0600)",
	  parse_api_socket, FOR_RUN },
	{ "--seccomp", "true|false", "Cloud Hypervisor's flag: false is --no-seccomp",
	  parse_seccomp, FOR_RUN },
	{ "-v", NULL, "as --verbose (Cloud Hypervisor's flag)", parse_verbose, FOR_RUN },
	{ "--config-file", "PATH", "the API's JSON (boot-source, drives, ...): boot it at once",
	  parse_config_file, FOR_RUN },
	{ "--no-api", NULL, "no API socket (with --config-file or VM options)", parse_no_api,
	  FOR_RUN },
	{ "--id", "ID", "instance id in GET /, logs and metrics (default: a fresh UUID)", parse_id,
	  FOR_RUN },
	{ "--log-path", "PATH", "log file or FIFO (one line per message)", parse_log_path, FOR_RUN },
	{ "--level", "LEVEL", "log level: Error, Warning, Info or Debug", parse_level, FOR_RUN },
	{ "--metrics-path", "PATH", "metrics file or FIFO (JSON lines, every 60 s and on request)",
	  parse_metrics_path, FOR_RUN },
	{ "--help", NULL, "this text", parse_help, FOR_BOTH },
};

void cli_print_usage(FILE *out, enum cli_command cmd)
{
	if (cmd == CLI_RUN)
		fprintf(out, "usage: cvmm --kernel PATH [OPTIONS]\n"
			     "       cvmm --api-sock PATH [--config-file PATH] [OPTIONS]\n"
			     "       cvmm --api-socket PATH [OPTIONS]\n"
			     "       cvmm --tee tdx|snp --firmware PATH [--kernel PATH] [OPTIONS]\n"
			     "       cvmm measure --tee tdx|snp --firmware PATH [OPTIONS]\n"
			     "       cvmm snp-id-block --key KEY.pem --measurement HEX|"
			     "--from-measure ... --out DIR\n"
			     "       cvmm --help | --version\n\noptions:\n");
	else
		fprintf(out, "usage: cvmm measure --tee tdx --firmware PATH [VM OPTIONS] [--json]\n"
			     "       cvmm measure --tee snp --firmware PATH --vcpu-sig SIG\n"
			     "                    [--guest-features BITS] [VM OPTIONS] [--json]\n\n"
			     "Prints the launch measurement the confidential VM started with the same "
			     "options will have\n(96 hex digits of SHA-384).\n\noptions:\n");
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		char lhs[40];

		if (!(options[i].commands & (1u << cmd)))
			continue;
		snprintf(lhs, sizeof(lhs), "%s%s%s", options[i].name, options[i].metavar ? " " : "",
			 options[i].metavar ? options[i].metavar : "");
		fprintf(out, "  %-24s %s\n", lhs, options[i].help);
	}
	if (cmd == CLI_RUN)
		fprintf(out, "  %-24s %s\n", "--version", "print the version");
}

static const struct cli_option *find_option(const char *name, size_t len, enum cli_command cmd)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (strlen(options[i].name) == len && !strncmp(options[i].name, name, len) &&
		    (options[i].commands & (1u << cmd)))
			return &options[i];
	return NULL;
}

int cli_parse(int argc, char **argv, enum cli_command cmd, struct vm_config *cfg,
	      struct cli_extra *extra, struct error *e)
{
	const char *see = cmd == CLI_RUN ? "cvmm --help" : "cvmm measure --help";

	config_init(cfg);
	memset(extra, 0, sizeof(*extra));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *eq = strchr(a, '=');
		size_t len = eq && a[0] == '-' ? (size_t)(eq - a) : strlen(a);
		const struct cli_option *opt = find_option(a, len, cmd);
		const char *val = NULL;

		if (!opt)
			return BAD("unknown option '%s' (see %s)", a, see);
		if (opt->metavar) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return BAD("%s needs an argument (%s)", opt->name, opt->metavar);
		} else if (eq) {
			return BAD("%s takes no argument", opt->name);
		}
		if (opt->parse(cfg, extra, val ? val : "", e)) {
			error_prefix(e, "%s: ", opt->name);
			return -EINVAL;
		}
		/* The VM's options are those `cvmm measure` takes too. */
		if ((opt->commands & FOR_MEASURE) && opt->parse != parse_help &&
		    opt->parse != parse_verbose && !extra->vm_option)
			extra->vm_option = opt->name;
	}
	/* The policy wins over whatever the other options said. */
	sandbox_apply(cfg);
	return 0;
}
