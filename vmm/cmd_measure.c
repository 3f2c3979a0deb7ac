// SPDX-License-Identifier: MIT
/*
 * `cvmm measure --tee tdx|snp --firmware F [...]`: prints the launch measurement as 96 hex
 * characters, or with --json the inputs, the launch plan's regions and the measurement.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "boot/firmware.h"
#include "boot/launch_plan.h"
#include "snp/sev_hashes.h"
#include "snp/sev_metadata.h"
#include "snp/snp_measure.h"
#include "snp/vmsa.h"
#include "tdx/tdvf.h"
#include "tdx/tdx_measure.h"
#include "vmm/cli.h"
#include "vmm/cmd_measure.h"
#include "vmm/digest.h"
#include "vmm/config.h"
#include "vmm/log.h"
#include "vmm/util.h"
#include "vmm/vm.h"

#define DIGEST_SIZE 48

struct measure_args {
	bool tee_set;
	enum launch_tee tee;
	const char *firmware;
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	bool vcpus_set;
	unsigned vcpus;
	bool vcpu_sig_set;
	uint32_t vcpu_sig;
	bool guest_features_set;
	uint64_t guest_features;
	bool json;
	bool help;
};

typedef int (*opt_fn)(struct measure_args *a, const char *arg, char *err, size_t errlen);

struct measure_option {
	const char *name;
	const char *metavar; /* NULL: a flag */
	const char *help;
	opt_fn parse;
};

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -1)

static int opt_tee(struct measure_args *a, const char *arg, char *err, size_t errlen)
{
	if (!strcmp(arg, "tdx"))
		a->tee = LAUNCH_TEE_TDX;
	else if (!strcmp(arg, "snp"))
		a->tee = LAUNCH_TEE_SNP;
	else
		return ERR("'%s' is not one of tdx, snp", arg);
	a->tee_set = true;
	return 0;
}

static int opt_path(const char **dst, const char *arg, char *err, size_t errlen)
{
	if (!*arg)
		return ERR("empty path");
	*dst = arg;
	return 0;
}

static int opt_firmware(struct measure_args *a, const char *arg, char *err, size_t errlen)
{
	return opt_path(&a->firmware, arg, err, errlen);
}

static int opt_kernel(struct measure_args *a, const char *arg, char *err, size_t errlen)
{
	return opt_path(&a->kernel, arg, err, errlen);
}

static int opt_initrd(struct measure_args *a, const char *arg, char *err, size_t errlen)
{
	return opt_path(&a->initrd, arg, err, errlen);
}

static int opt_cmdline(struct measure_args *a, const char *arg, char *err, size_t errlen)
{
	a->cmdline = arg;
	return 0;
}

static int opt_vcpus(struct measure_args *a, const char *arg, char *err, size_t errlen)
{
	if (cli_parse_vcpu_count(arg, &a->vcpus, err, errlen))
		return -1;
	a->vcpus_set = true;
	return 0;
}

static int opt_vcpu_sig(struct measure_args *a, const char *arg, char *err, size_t errlen)
{
	uint64_t v;

	if (parse_u64(arg, &v, false) || v > UINT32_MAX)
		return ERR("'%s' is not a 32-bit CPUID signature (e.g. 0x800f12)", arg);
	a->vcpu_sig = (uint32_t)v;
	a->vcpu_sig_set = true;
	return 0;
}

static int opt_guest_features(struct measure_args *a, const char *arg, char *err, size_t errlen)
{
	if (parse_u64(arg, &a->guest_features, false))
		return ERR("'%s' is not a 64-bit feature mask", arg);
	a->guest_features_set = true;
	return 0;
}

static int opt_json(struct measure_args *a, const char *arg, char *err, size_t errlen)
{
	a->json = true;
	return 0;
}

static int opt_help(struct measure_args *a, const char *arg, char *err, size_t errlen)
{
	a->help = true;
	return 0;
}

static const struct measure_option options[] = {
	{ "--tee", "KIND", "tdx (MRTD) or snp (launch digest); required", opt_tee },
	{ "--firmware", "PATH", "OVMF / TDVF / td-shim image; required", opt_firmware },
	{ "--vcpus", "N", "snp: number of vCPUs; required", opt_vcpus },
	{ "--vcpu-sig", "SIG", "snp: CPUID.1.EAX of the guest CPU (e.g. 0x800f12); required",
	  opt_vcpu_sig },
	{ "--guest-features", "BITS", "snp: VMSA sev_features (default 0x1)", opt_guest_features },
	{ "--kernel", "PATH", "snp: kernel for measured direct boot (hashes table)", opt_kernel },
	{ "--initrd", "PATH", "snp: initrd (with --kernel)", opt_initrd },
	{ "--cmdline", "STR", "snp: kernel command line (with --kernel)", opt_cmdline },
	{ "--json", NULL, "print inputs, launch plan and measurement as JSON", opt_json },
	{ "--help", NULL, "this text", opt_help },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: cvmm measure --tee tdx --firmware PATH [--json]\n"
		     "       cvmm measure --tee snp --firmware PATH --vcpus N --vcpu-sig SIG\n"
		     "                    [--guest-features BITS] [--kernel PATH [--initrd PATH]"
		     " [--cmdline STR]] [--json]\n\n"
		     "Prints the launch measurement the confidential VM will have (96 hex digits of "
		     "SHA-384).\n\noptions:\n");
	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		char lhs[40];

		snprintf(lhs, sizeof(lhs), "%s%s%s", options[i].name, options[i].metavar ? " " : "",
			 options[i].metavar ? options[i].metavar : "");
		fprintf(out, "  %-22s %s\n", lhs, options[i].help);
	}
}

static int parse_args(int argc, char **argv, struct measure_args *a, char *err, size_t errlen)
{
	memset(a, 0, sizeof(*a));
	a->guest_features = 0x1;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *eq = strchr(arg, '=');
		size_t len = eq && arg[0] == '-' ? (size_t)(eq - arg) : strlen(arg);
		const struct measure_option *opt = NULL;
		const char *val = NULL;
		char perr[256];

		for (size_t k = 0; k < ARRAY_SIZE(options); k++)
			if (strlen(options[k].name) == len && !strncmp(options[k].name, arg, len))
				opt = &options[k];
		if (!opt)
			return ERR("unknown option '%s' (see cvmm measure --help)", arg);
		if (opt->metavar) {
			if (eq)
				val = eq + 1;
			else if (i + 1 < argc)
				val = argv[++i];
			else
				return ERR("%s needs an argument (%s)", opt->name, opt->metavar);
		} else if (eq) {
			return ERR("%s takes no argument", opt->name);
		}
		perr[0] = 0;
		if (opt->parse(a, val ? val : "", perr, sizeof(perr)))
			return ERR("%s: %s", opt->name, perr);
	}
	if (a->help)
		return 0;
	if (!a->tee_set)
		return ERR("--tee tdx|snp is required");
	if (!a->firmware)
		return ERR("--firmware PATH is required");
	if (a->tee == LAUNCH_TEE_TDX) {
		if (a->vcpus_set || a->vcpu_sig_set || a->guest_features_set || a->kernel ||
		    a->initrd || a->cmdline)
			return ERR("--vcpus, --vcpu-sig, --guest-features, --kernel, --initrd and "
				   "--cmdline apply to --tee snp only (MRTD covers the firmware)");
		return 0;
	}
	if (!a->vcpus_set)
		return ERR("--tee snp needs --vcpus N");
	if (!a->vcpu_sig_set)
		return ERR("--tee snp needs --vcpu-sig SIG (CPUID.1.EAX of the guest CPU model)");
	if ((a->initrd || a->cmdline) && !a->kernel)
		return ERR("--initrd and --cmdline need --kernel");
	return 0;
}

static void hex(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static json_t *json_hex_bytes(const uint8_t *d, size_t n)
{
	char buf[2 * 64 + 1];

	hex(d, MIN(n, (size_t)64), buf);
	return json_string(buf);
}

static json_t *json_hex_u64(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)v);
	return json_string(buf);
}

static const char *snp_type_name(uint8_t t)
{
	static const char *const names[] = { "?", "NORMAL", "VMSA", "ZERO", "UNMEASURED",
					     "SECRETS", "CPUID" };

	return t < ARRAY_SIZE(names) ? names[t] : "?";
}

static json_t *region_json(const struct launch_region *r, enum launch_tee tee)
{
	json_t *o = json_object();

	switch (r->kind) {
	case LAUNCH_REGION_FIRMWARE:
		json_object_set_new(o, "kind", json_string("firmware"));
		break;
	case LAUNCH_REGION_TDVF_SECTION:
		json_object_set_new(o, "kind", json_string("tdvf-section"));
		json_object_set_new(o, "type",
				    json_string(tdvf_section_type_name(r->section_type)));
		break;
	case LAUNCH_REGION_SEV_SECTION:
		json_object_set_new(o, "kind", json_string("sev-section"));
		json_object_set_new(o, "type", json_string(sev_section_type_name(r->section_type)));
		break;
	case LAUNCH_REGION_VMSA: {
		const struct sev_es_save_area *sa = (const void *)r->data;

		json_object_set_new(o, "kind", json_string("vmsa"));
		json_object_set_new(o, "vcpu", json_integer(r->vcpu));
		json_object_set_new(o, "reset_eip", json_hex_u64(sa->cs.base + sa->rip));
		break;
	}
	}
	json_object_set_new(o, "gpa", json_hex_u64(r->gpa));
	json_object_set_new(o, "size", json_hex_u64(r->size));
	json_object_set_new(o, "pages", json_integer((json_int_t)launch_region_pages(r)));
	json_object_set_new(o, "data_size", json_hex_u64(r->data_len));
	if (tee == LAUNCH_TEE_TDX) {
		json_object_set_new(o, "page_add", json_boolean(r->tdx_add));
		json_object_set_new(o, "mr_extend", json_boolean(r->tdx_extend));
	} else {
		json_object_set_new(o, "page_type", json_string(snp_type_name(r->snp_type)));
	}
	return o;
}

static json_t *file_json(const char *path, const uint8_t *sha256)
{
	json_t *o = json_object();

	json_object_set_new(o, "path", json_string(path));
	json_object_set_new(o, "sha256", json_hex_bytes(sha256, SEV_HASH_SIZE));
	return o;
}

static int print_json(json_t *root)
{
	int ret = json_dumpf(root, stdout, JSON_INDENT(2)) ? -EIO : 0;

	json_decref(root);
	putchar('\n');
	return ret;
}

static int measure_tdx(const struct measure_args *a, const uint8_t *fw, size_t fw_len,
		       json_t *root, uint8_t *digest)
{
	struct launch_plan plan;
	char err[256];
	int ret;

	launch_plan_init(&plan, LAUNCH_TEE_TDX);
	ret = tdx_plan_build(&plan, fw, fw_len, err, sizeof(err));
	if (ret) {
		log_error("measure: firmware %s: %s", a->firmware, err);
		goto out;
	}
	ret = tdx_mrtd(&plan, digest);
	if (ret) {
		log_error("measure: computing the MRTD failed: %s", strerror(-ret));
		ret = -EIO;
		goto out;
	}
	if (root) {
		json_t *regions = json_array();

		for (size_t i = 0; i < plan.nr_regions; i++)
			json_array_append_new(regions, region_json(&plan.regions[i], plan.tee));
		json_object_set_new(root, "regions", regions);
		json_object_set_new(root, "mrtd", json_hex_bytes(digest, DIGEST_SIZE));
	}
out:
	launch_plan_free(&plan);
	return ret;
}

static json_t *hashes_json(const struct sev_hashes *h, const uint8_t *fw, size_t fw_len)
{
	json_t *o = json_object();
	struct fw_table t;
	uint32_t base;
	char err[256];

	if (!fw_table_parse(&t, fw, fw_len, err, sizeof(err)) &&
	    !fw_table_u32(&t, &fw_guid_sev_hashes_table, "SEV hashes table", 0, &base, err,
			  sizeof(err)))
		json_object_set_new(o, "gpa", json_hex_u64(base));
	json_object_set_new(o, "cmdline", json_hex_bytes(h->cmdline, SEV_HASH_SIZE));
	json_object_set_new(o, "initrd", json_hex_bytes(h->initrd, SEV_HASH_SIZE));
	json_object_set_new(o, "kernel", json_hex_bytes(h->kernel, SEV_HASH_SIZE));
	return o;
}

static int measure_snp(const struct measure_args *a, const uint8_t *fw, size_t fw_len,
		       json_t *root, uint8_t *digest)
{
	struct snp_launch_params p = {
		.fw = fw,
		.fw_len = fw_len,
		.vcpus = a->vcpus,
		.vcpu_sig = a->vcpu_sig,
		.guest_features = a->guest_features,
	};
	struct launch_plan plan;
	struct sev_hashes hashes;
	struct snp_ld *ld = NULL;
	json_t *regions = NULL;
	char err[512];
	int ret;

	launch_plan_init(&plan, LAUNCH_TEE_SNP);
	if (a->kernel) {
		ret = sev_hashes_from_files(&hashes, a->kernel, a->initrd, a->cmdline, err,
					    sizeof(err));
		if (ret) {
			log_error("measure: %s", err);
			ret = ret == -EIO || ret == -ENOMEM ? -EIO : -EINVAL;
			goto out;
		}
		p.hashes = &hashes;
	}
	ret = snp_plan_build(&plan, &p, err, sizeof(err));
	if (ret) {
		log_error("measure: firmware %s: %s", a->firmware, err);
		goto out;
	}
	ld = malloc(sizeof(*ld));
	ret = ld ? snp_ld_init(ld) : -ENOMEM;
	if (ret) {
		free(ld);
		ld = NULL;
		goto fail;
	}
	if (root)
		regions = json_array();
	for (size_t i = 0; i < plan.nr_regions; i++) {
		ret = snp_ld_add_region(ld, &plan.regions[i]);
		if (ret)
			goto fail;
		if (regions) {
			json_t *o = region_json(&plan.regions[i], plan.tee);

			json_object_set_new(o, "digest_after", json_hex_bytes(ld->digest,
									     DIGEST_SIZE));
			json_array_append_new(regions, o);
		}
	}
	memcpy(digest, ld->digest, DIGEST_SIZE);
	if (root) {
		json_object_set_new(root, "vcpus", json_integer(a->vcpus));
		json_object_set_new(root, "vcpu_sig", json_hex_u64(a->vcpu_sig));
		json_object_set_new(root, "guest_features", json_hex_u64(a->guest_features));
		if (a->kernel) {
			json_object_set_new(root, "kernel", file_json(a->kernel, hashes.kernel));
			json_object_set_new(root, "initrd",
					    a->initrd ? file_json(a->initrd, hashes.initrd)
						      : json_null());
			json_object_set_new(root, "cmdline", json_string(a->cmdline ? a->cmdline
										  : ""));
			json_object_set_new(root, "hashes_table", hashes_json(&hashes, fw, fw_len));
		}
		json_object_set_new(root, "regions", regions);
		regions = NULL;
		json_object_set_new(root, "launch_digest", json_hex_bytes(digest, DIGEST_SIZE));
	}
	goto out;
fail:
	log_error("measure: computing the launch digest failed: %s", strerror(-ret));
	ret = -EIO;
out:
	json_decref(regions);
	if (ld) {
		snp_ld_free(ld);
		free(ld);
	}
	launch_plan_free(&plan);
	return ret;
}

int cmd_measure(int argc, char **argv)
{
	struct measure_args a;
	uint8_t digest[DIGEST_SIZE], fw_sha256[SEV_HASH_SIZE];
	char err[512], out[2 * DIGEST_SIZE + 1];
	json_t *root = NULL;
	uint8_t *fw = NULL;
	size_t fw_len = 0;
	int ret;

	if (parse_args(argc, argv, &a, err, sizeof(err))) {
		log_error("measure: %s", err);
		return VM_EXIT_USAGE;
	}
	if (a.help) {
		usage(stdout);
		return VM_EXIT_OK;
	}
	ret = read_whole_file(a.firmware, &fw, &fw_len);
	if (ret) {
		log_error("measure: firmware %s: %s", a.firmware,
			  ret == -EINVAL ? "not a regular file" : strerror(-ret));
		return VM_EXIT_USAGE;
	}
	if (a.json) {
		json_t *f = json_object();

		if (digest_oneshot(DIGEST_SHA256, fw, fw_len, fw_sha256)) {
			log_error("measure: hashing the firmware failed");
			ret = -EIO;
			json_decref(f);
			goto out;
		}
		root = json_object();
		json_object_set_new(root, "tee", json_string(a.tee == LAUNCH_TEE_TDX ? "tdx"
										    : "snp"));
		json_object_set_new(f, "path", json_string(a.firmware));
		json_object_set_new(f, "size", json_integer((json_int_t)fw_len));
		json_object_set_new(f, "sha256", json_hex_bytes(fw_sha256, SEV_HASH_SIZE));
		json_object_set_new(root, "firmware", f);
	}
	if (a.tee == LAUNCH_TEE_TDX)
		ret = measure_tdx(&a, fw, fw_len, root, digest);
	else
		ret = measure_snp(&a, fw, fw_len, root, digest);
	if (ret)
		goto out;
	if (root) {
		ret = print_json(root);
		root = NULL;
	} else {
		hex(digest, DIGEST_SIZE, out);
		printf("%s\n", out);
	}
	if (fflush(stdout) && !ret)
		ret = -EIO;
	if (ret)
		log_error("measure: writing the result failed");
out:
	json_decref(root);
	free(fw);
	if (!ret)
		return VM_EXIT_OK;
	return ret == -EIO || ret == -ENOMEM ? VM_EXIT_HOST_ERROR : VM_EXIT_USAGE;
}
