// SPDX-License-Identifier: MIT
/*
 * Command-line parsing for `cvmm [OPTIONS]` (running a VM).  Table driven: one row per option,
 * each with a parser that fills struct vm_config or explains in one line what is wrong.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "vmm/cli.h"
#include "vmm/util.h"

typedef int (*cli_parse_fn)(struct vm_config *cfg, const char *arg, char *err, size_t errlen);

struct cli_option {
	const char *name;
	const char *metavar; /* NULL: a flag without argument */
	const char *help;
	cli_parse_fn parse;
};

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)

static int parse_kernel(struct vm_config *cfg, const char *arg, char *err, size_t errlen)
{
	if (!*arg)
		return ERR("empty path");
	cfg->kernel = arg;
	return 0;
}

static int parse_initrd(struct vm_config *cfg, const char *arg, char *err, size_t errlen)
{
	if (!*arg)
		return ERR("empty path");
	cfg->initrd = arg;
	return 0;
}

static int parse_cmdline(struct vm_config *cfg, const char *arg, char *err, size_t errlen)
{
	cfg->cmdline = arg;
	return 0;
}

int cli_parse_vcpu_count(const char *arg, unsigned *out, char *err, size_t errlen)
{
	uint64_t v;

	if (parse_u64(arg, &v, false))
		return ERR("'%s' is not a number", arg);
	if (v == 0 || v > CONFIG_MAX_VCPUS)
		return ERR("%s vCPUs requested; between 1 and %d are supported", arg,
			   CONFIG_MAX_VCPUS);
	*out = (unsigned)v;
	return 0;
}

static int parse_vcpus(struct vm_config *cfg, const char *arg, char *err, size_t errlen)
{
	return cli_parse_vcpu_count(arg, &cfg->vcpus, err, errlen);
}

static int parse_mem(struct vm_config *cfg, const char *arg, char *err, size_t errlen)
{
	uint64_t v;

	if (parse_u64(arg, &v, false))
		return ERR("'%s' is not a number of MiB", arg);
	if (v < CONFIG_MIN_MEM_MIB)
		return ERR("%s MiB is too little memory; at least %d MiB are needed", arg,
			   CONFIG_MIN_MEM_MIB);
	if (v > CONFIG_MAX_MEM_MIB)
		return ERR("%s MiB is more than the supported %d MiB", arg, CONFIG_MAX_MEM_MIB);
	cfg->mem_mib = v;
	return 0;
}

static int parse_serial(struct vm_config *cfg, const char *arg, char *err, size_t errlen)
{
	if (!strcmp(arg, "stdio")) {
		cfg->serial = SERIAL_STDIO;
	} else if (!strcmp(arg, "none")) {
		cfg->serial = SERIAL_NONE;
	} else if (!strncmp(arg, "file:", 5) && arg[5]) {
		cfg->serial = SERIAL_FILE;
		cfg->serial_path = arg + 5;
	} else {
		return ERR("'%s' is not one of stdio, file:PATH, none", arg);
	}
	return 0;
}

static int parse_irqchip(struct vm_config *cfg, const char *arg, char *err, size_t errlen)
{
	if (!strcmp(arg, "kernel"))
		cfg->irqchip = IRQCHIP_KERNEL;
	else if (!strcmp(arg, "split"))
		cfg->irqchip = IRQCHIP_SPLIT;
	else
		return ERR("'%s' is not one of kernel, split", arg);
	return 0;
}

static int parse_boot_timer(struct vm_config *cfg, const char *arg, char *err, size_t errlen)
{
	cfg->boot_timer = true;
	return 0;
}

static int parse_verbose(struct vm_config *cfg, const char *arg, char *err, size_t errlen)
{
	cfg->verbose++;
	return 0;
}

/*
 * Splits "k1=v1,k2=v2" in place-free fashion: calls fn for each pair.  A value may not contain a
 * comma; paths with commas are not supported.
 */
typedef int (*kv_fn)(void *ctx, const char *key, const char *val, char *err, size_t errlen);

static int parse_kv_list(const char *arg, kv_fn fn, void *ctx, char *err, size_t errlen)
{
	char key[32];
	const char *p = arg;

	while (*p) {
		const char *eq = strchr(p, '=');
		const char *comma = strchr(p, ',');
		size_t klen;
		static __thread char val[4096];
		size_t vlen;

		if (!eq || (comma && comma < eq))
			return ERR("expected key=value at '%s'", p);
		klen = (size_t)(eq - p);
		if (klen == 0 || klen >= sizeof(key))
			return ERR("bad key at '%s'", p);
		memcpy(key, p, klen);
		key[klen] = 0;
		vlen = comma ? (size_t)(comma - eq - 1) : strlen(eq + 1);
		if (vlen >= sizeof(val))
			return ERR("value of '%s' is too long", key);
		memcpy(val, eq + 1, vlen);
		val[vlen] = 0;
		if (fn(ctx, key, val, err, errlen))
			return -1;
		p = comma ? comma + 1 : eq + 1 + vlen;
	}
	return 0;
}

/* Values handed to the config must outlive parsing: keep copies in a small arena. */
static char arena[64 * 1024];
static size_t arena_used;

static const char *arena_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if (n > sizeof(arena) - arena_used)
		return NULL;
	p = arena + arena_used;
	memcpy(p, s, n);
	arena_used += n;
	return p;
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

static int drive_kv(void *ctx, const char *key, const char *val, char *err, size_t errlen)
{
	struct drive_config *d = ctx;

	if (!strcmp(key, "path")) {
		if (!*val)
			return ERR("empty path");
		d->path = arena_strdup(val);
		if (!d->path)
			return ERR("option value too long");
	} else if (!strcmp(key, "id")) {
		if (!*val || strlen(val) > 20)
			return ERR("id must be 1 to 20 characters");
		d->id = arena_strdup(val);
		if (!d->id)
			return ERR("option value too long");
	} else if (!strcmp(key, "ro")) {
		if (parse_on_off(val, &d->read_only))
			return ERR("ro=%s: expected on or off", val);
	} else if (!strcmp(key, "engine")) {
		if (!strcmp(val, "sync"))
			d->engine = BLK_ENGINE_SYNC;
		else if (!strcmp(val, "uring"))
			d->engine = BLK_ENGINE_URING;
		else
			return ERR("engine=%s: expected sync or uring", val);
	} else if (!strcmp(key, "poll_us")) {
		uint64_t v;

		if (parse_u64(val, &v, false) || v > DRIVE_POLL_US_MAX)
			return ERR("poll_us=%s: expected 0 to %d", val, DRIVE_POLL_US_MAX);
		d->poll_us = (unsigned)v;
	} else {
		return ERR("unknown key '%s' (expected path, id, ro, engine, poll_us)", key);
	}
	return 0;
}

static int parse_drive(struct vm_config *cfg, const char *arg, char *err, size_t errlen)
{
	struct drive_config d = { .engine = BLK_ENGINE_SYNC, .poll_us = DRIVE_POLL_US_DEFAULT };

	if (cfg->nr_drives == CONFIG_MAX_DRIVES)
		return ERR("at most %d drives are supported", CONFIG_MAX_DRIVES);
	if (parse_kv_list(arg, drive_kv, &d, err, errlen))
		return -1;
	if (!d.path)
		return ERR("path=PATH is required");
	cfg->drives[cfg->nr_drives++] = d;
	return 0;
}

static int vsock_kv(void *ctx, const char *key, const char *val, char *err, size_t errlen)
{
	struct vsock_config *v = ctx;
	uint64_t cid;

	if (!strcmp(key, "cid")) {
		if (parse_u64(val, &cid, false))
			return ERR("cid=%s is not a number", val);
		if (cid < 3 || cid > 0xfffffffeULL)
			return ERR("cid=%s: guest CIDs start at 3 (0-2 are reserved)", val);
		v->guest_cid = (uint32_t)cid;
	} else if (!strcmp(key, "uds")) {
		if (!*val)
			return ERR("empty uds path");
		if (strlen(val) >= 100)
			return ERR("uds path is longer than a Unix socket path may be");
		v->uds_path = arena_strdup(val);
		if (!v->uds_path)
			return ERR("option value too long");
	} else {
		return ERR("unknown key '%s' (expected cid, uds)", key);
	}
	return 0;
}

static int parse_vsock(struct vm_config *cfg, const char *arg, char *err, size_t errlen)
{
	struct vsock_config v = { 0 };

	if (cfg->vsock.enabled)
		return ERR("only one vsock device is supported");
	if (parse_kv_list(arg, vsock_kv, &v, err, errlen))
		return -1;
	if (!v.guest_cid || !v.uds_path)
		return ERR("both cid=N and uds=PATH are required");
	v.enabled = true;
	cfg->vsock = v;
	return 0;
}

static int parse_tee(struct vm_config *cfg, const char *arg, char *err, size_t errlen)
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
		return ERR("'%s' is not one of none, emulated, tdx, snp", arg);
	return 0;
}

static int parse_firmware(struct vm_config *cfg, const char *arg, char *err, size_t errlen)
{
	if (!*arg)
		return ERR("empty path");
	cfg->firmware = arg;
	return 0;
}

static const struct cli_option options[] = {
	{ "--kernel", "PATH", "guest kernel: bzImage, ELF vmlinux, or PVH ELF", parse_kernel },
	{ "--initrd", "PATH", "initial ramdisk", parse_initrd },
	{ "--cmdline", "STR", "kernel command line", parse_cmdline },
	{ "--vcpus", "N", "number of vCPUs (default 1)", parse_vcpus },
	{ "--mem-mib", "N", "guest RAM in MiB (default 256)", parse_mem },
	{ "--serial", "MODE", "COM1: stdio, file:PATH or none (default stdio)", parse_serial },
	{ "--irqchip", "MODE", "kernel (in-kernel PIC/IOAPIC) or split (IOAPIC in cvmm)",
	  parse_irqchip },
	{ "--boot-timer", NULL, "log the time from start to the guest's boot-complete marker",
	  parse_boot_timer },
	{ "--drive", "SPEC", "virtio-blk: path=PATH[,id=ID][,ro=on][,engine=sync|uring][,poll_us=N]",
	  parse_drive },
	{ "--vsock", "SPEC", "virtio-vsock: cid=N,uds=PATH (hybrid Unix-socket vsock)",
	  parse_vsock },
	{ "--tee", "KIND", "none, emulated, tdx or snp (default none)", parse_tee },
	{ "--firmware", "PATH", "firmware for confidential launches (OVMF/TDVF)", parse_firmware },
	{ "--verbose", NULL, "more diagnostics on stderr (repeat for debug)", parse_verbose },
};

void config_set_defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->vcpus = 1;
	cfg->mem_mib = 256;
	cfg->serial = SERIAL_STDIO;
	cfg->irqchip = IRQCHIP_KERNEL;
	cfg->tee = TEE_NONE;
}

void cli_print_usage(FILE *out)
{
	fprintf(out, "usage: cvmm --kernel PATH [OPTIONS]\n"
		     "       cvmm measure --tee tdx|snp --firmware PATH [OPTIONS]\n"
		     "       cvmm --help | --version\n\noptions:\n");
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		char lhs[40];

		snprintf(lhs, sizeof(lhs), "%s%s%s", options[i].name, options[i].metavar ? " " : "",
			 options[i].metavar ? options[i].metavar : "");
		fprintf(out, "  %-22s %s\n", lhs, options[i].help);
	}
	fprintf(out, "  %-22s %s\n  %-22s %s\n", "--help", "this text", "--version",
		"print the version");
}

static const struct cli_option *find_option(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(options); i++)
		if (strlen(options[i].name) == len && !strncmp(options[i].name, name, len))
			return &options[i];
	return NULL;
}

int cli_parse(int argc, char **argv, struct vm_config *cfg, char *err, size_t errlen)
{
	config_set_defaults(cfg);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *eq = strchr(a, '=');
		size_t len = eq && a[0] == '-' ? (size_t)(eq - a) : strlen(a);
		const struct cli_option *opt = find_option(a, len);
		const char *val = NULL;
		char perr[256];

		if (!opt) {
			snprintf(err, errlen, "unknown option '%s' (see cvmm --help)", a);
			return -1;
		}
		if (opt->metavar) {
			if (eq) {
				val = eq + 1;
			} else if (i + 1 < argc) {
				val = argv[++i];
			} else {
				snprintf(err, errlen, "%s needs an argument (%s)", opt->name,
					 opt->metavar);
				return -1;
			}
		} else if (eq) {
			snprintf(err, errlen, "%s takes no argument", opt->name);
			return -1;
		}
		perr[0] = 0;
		if (opt->parse(cfg, val ? val : "", perr, sizeof(perr))) {
			snprintf(err, errlen, "%s: %s", opt->name, perr);
			return -1;
		}
	}
	if (!cfg->kernel && !(cfg->tee == TEE_TDX || cfg->tee == TEE_SNP)) {
		snprintf(err, errlen, "--kernel PATH is required");
		return -1;
	}
	if ((cfg->tee == TEE_TDX || cfg->tee == TEE_SNP) && !cfg->firmware) {
		snprintf(err, errlen, "--tee %s needs --firmware PATH",
			 cfg->tee == TEE_TDX ? "tdx" : "snp");
		return -1;
	}
	return 0;
}
