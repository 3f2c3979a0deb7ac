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
#include "devices/fw_cfg.h"
#include "snp/id_block.h"
#include "snp/sev_hashes.h"
#include "snp/sev_metadata.h"
#include "snp/snp_measure.h"
#include "snp/vmsa.h"
#include "tdx/tdvf.h"
#include "tdx/tdx_measure.h"
#include "tdx/tdx_rtmr.h"
#include "vmm/cli.h"
#include "vmm/cmd_measure.h"
#include "vmm/config.h"
#include "vmm/digest.h"
#include "vmm/error.h"
#include "vmm/exit_status.h"
#include "vmm/launch.h"
#include "vmm/log.h"
#include "vmm/util.h"

#define DIGEST_SIZE 48

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

/* RTMR[0..2] when TDVF boots the kernel itself (fw_cfg), else null and why. */
static json_t *tdx_rtmrs_json(const struct launch_inputs *li, json_t *root)
{
	const struct device_firmware_boot *fb = &li->fw_boot;
	const struct launch_region *hob = NULL, *cfv = NULL;
	struct tdx_rtmr_inputs in = { 0 };
	struct fw_cfg_acpi_files acpi;
	struct error e = ERROR_INIT;
	uint8_t rtmr[3][TDX_RTMR_SIZE];
	json_t *a;

	for (size_t i = 0; i < li->plan.nr_regions; i++) {
		const struct launch_region *r = &li->plan.regions[i];

		if (r->section_type == TDVF_SECTION_TD_HOB && !hob)
			hob = r;
		if (r->section_type == TDVF_SECTION_CFV && !cfv)
			cfv = r;
	}
	if (!fb->kernel || !hob || !cfv || !li->acpi) {
		json_object_set_new(root, "rtmr_note", json_string(
			"predicted for TDVF direct boot only: a firmware with CFV and TD_HOB sections, "
			"and --kernel"));
		return json_null();
	}
	if (fw_cfg_acpi_files(li->acpi, li->acpi_len, li->acpi_gpa, &acpi)) {
		json_object_set_new(root, "rtmr_note", json_string("cvmm's ACPI tables are malformed"));
		return json_null();
	}
	in = (struct tdx_rtmr_inputs){
		.hob = hob->data, .hob_len = hob->data_len,
		.cfv = cfv->data, .cfv_len = cfv->data_len,
		.acpi_loader = acpi.loader, .acpi_loader_len = acpi.loader_len,
		.acpi_rsdp = acpi.rsdp, .acpi_rsdp_len = sizeof(acpi.rsdp),
		.acpi_tables = acpi.tables, .acpi_tables_len = acpi.tables_len,
		.kernel = fb->kernel, .kernel_len = fb->kernel_len,
		.initrd = fb->initrd, .initrd_len = fb->initrd_len,
		.cmdline = fb->cmdline,
	};
	if (tdx_rtmr_predict(&in, rtmr, &e)) {
		fw_cfg_acpi_files_free(&acpi);
		json_object_set_new(root, "rtmr_note", json_string(e.msg));
		return json_null();
	}
	fw_cfg_acpi_files_free(&acpi);
	a = json_array();
	for (int i = 0; i < 3; i++)
		json_array_append_new(a, json_hex_bytes(rtmr[i], TDX_RTMR_SIZE));
	json_object_set_new(root, "rtmr_model",
			    json_string("TDVF direct boot, the event model of virtee/tdx-measure"));
	return a;
}

/* What a verifier compares with the TD report besides MRTD. */
static void tdx_reference_json(const struct vm_config *cfg, const struct launch_inputs *li,
			       json_t *root)
{
	json_t *td = json_object();

	json_object_set_new(td, "attributes", json_hex_u64(cfg->tdx.attributes));
	json_object_set_new(td, "mrconfigid", json_hex_bytes(cfg->tdx.mrconfigid, DIGEST_SIZE));
	json_object_set_new(td, "mrowner", json_hex_bytes(cfg->tdx.mrowner, DIGEST_SIZE));
	json_object_set_new(td, "mrownerconfig",
			    json_hex_bytes(cfg->tdx.mrownerconfig, DIGEST_SIZE));
	json_object_set_new(td, "td_hob_gpa", json_hex_u64(li->td.hob_gpa));
	json_object_set_new(td, "kernel", json_string(li->td.kernel_in_plan ? "payload section"
						      : li->fw_boot.kernel ? "fw_cfg" : "none"));
	json_object_set_new(root, "td", td);
	if (li->fw_boot.kernel || li->td.kernel_in_plan)
		json_object_set_new(root, "cmdline", json_string(li->cmdline));
	json_object_set_new(root, "rtmr", tdx_rtmrs_json(li, root));
}

static int measure_tdx(const struct vm_config *cfg, const struct launch_inputs *li, json_t *root,
		       uint8_t *digest, struct error *e)
{
	int ret = tdx_mrtd(&li->plan, digest);

	if (ret)
		return error_set(e, ERROR_HOST, ret, "computing the MRTD failed: %s", strerror(-ret));
	if (root) {
		json_t *regions = json_array();

		for (size_t i = 0; i < li->plan.nr_regions; i++)
			json_array_append_new(regions, region_json(&li->plan.regions[i], li->plan.tee));
		json_object_set_new(root, "regions", regions);
		json_object_set_new(root, "mrtd", json_hex_bytes(digest, DIGEST_SIZE));
		tdx_reference_json(cfg, li, root);
	}
	return 0;
}

static json_t *hashes_json(const struct sev_hashes *h, const uint8_t *fw, size_t fw_len)
{
	json_t *o = json_object();
	struct fw_table t;
	struct error e = ERROR_INIT;
	uint32_t base;

	if (!fw_table_parse(&t, fw, fw_len, &e) &&
	    !fw_table_u32(&t, &fw_guid_sev_hashes_table, "SEV hashes table", 0, &base, &e))
		json_object_set_new(o, "gpa", json_hex_u64(base));
	json_object_set_new(o, "cmdline", json_hex_bytes(h->cmdline, SEV_HASH_SIZE));
	json_object_set_new(o, "initrd", json_hex_bytes(h->initrd, SEV_HASH_SIZE));
	json_object_set_new(o, "kernel", json_hex_bytes(h->kernel, SEV_HASH_SIZE));
	return o;
}

/* What LAUNCH_START and LAUNCH_FINISH are given besides the digest (not measured). */
static void snp_launch_json(const struct vm_config *cfg, const struct launch_inputs *li,
			    json_t *root)
{
	json_object_set_new(root, "policy", json_hex_u64(cfg->snp.policy));
	json_object_set_new(root, "host_data", json_hex_bytes(cfg->snp.host_data,
							     sizeof(cfg->snp.host_data)));
	if (li->snp_id) {
		const struct snp_id_block *b = &li->snp_id->block;
		json_t *o = json_object();

		/* launch_inputs_build() checked its digest and policy against this launch. */
		json_object_set_new(o, "family_id", json_hex_bytes(b->family_id, 16));
		json_object_set_new(o, "image_id", json_hex_bytes(b->image_id, 16));
		json_object_set_new(o, "guest_svn", json_integer(b->guest_svn));
		json_object_set_new(o, "author_key", json_boolean(li->snp_id->auth.auth_key_algo));
		json_object_set_new(root, "id_block", o);
	}
}

static int measure_snp(const struct vm_config *cfg, const struct launch_inputs *li, json_t *root,
		       uint8_t *digest, struct error *e)
{
	struct snp_ld *ld = malloc(sizeof(*ld));
	json_t *regions = root ? json_array() : NULL;
	int ret = ld ? snp_ld_init(ld) : -ENOMEM;

	if (ret) {
		free(ld);
		json_decref(regions);
		return error_set(e, ERROR_HOST, ret, "computing the launch digest failed: %s",
				 strerror(-ret));
	}
	for (size_t i = 0; i < li->plan.nr_regions && !ret; i++) {
		ret = snp_ld_add_region(ld, &li->plan.regions[i]);
		if (!ret && regions) {
			json_t *o = region_json(&li->plan.regions[i], li->plan.tee);

			json_object_set_new(o, "digest_after", json_hex_bytes(ld->digest,
									     DIGEST_SIZE));
			json_array_append_new(regions, o);
		}
	}
	if (ret) {
		error_set(e, ERROR_HOST, ret, "computing the launch digest failed: %s",
			  strerror(-ret));
		goto out;
	}
	memcpy(digest, ld->digest, DIGEST_SIZE);
	if (root) {
		json_object_set_new(root, "vcpus", json_integer(cfg->vcpus));
		json_object_set_new(root, "vcpu_sig", json_hex_u64(cfg->snp.vcpu_sig));
		json_object_set_new(root, "guest_features", json_hex_u64(cfg->snp.guest_features));
		snp_launch_json(cfg, li, root);
		if (li->has_hashes) {
			json_object_set_new(root, "kernel", file_json(cfg->kernel, li->hashes.kernel));
			json_object_set_new(root, "initrd",
					    cfg->initrd ? file_json(cfg->initrd, li->hashes.initrd)
							: json_null());
			json_object_set_new(root, "cmdline", json_string(li->cmdline));
			json_object_set_new(root, "hashes_table",
					    hashes_json(&li->hashes, li->firmware, li->firmware_len));
		}
		json_object_set_new(root, "regions", regions);
		regions = NULL;
		json_object_set_new(root, "launch_digest", json_hex_bytes(digest, DIGEST_SIZE));
	}
out:
	json_decref(regions);
	snp_ld_free(ld);
	free(ld);
	return ret;
}

static json_t *inputs_json(const struct vm_config *cfg, const struct launch_inputs *li,
			   struct error *e)
{
	uint8_t fw_sha256[SEV_HASH_SIZE];
	json_t *root, *f;

	if (digest_oneshot(DIGEST_SHA256, li->firmware, li->firmware_len, fw_sha256)) {
		error_set(e, ERROR_HOST, EIO, "hashing the firmware failed");
		return NULL;
	}
	root = json_object();
	f = json_object();
	json_object_set_new(root, "tee", json_string(config_tee_name(cfg->tee)));
	json_object_set_new(f, "path", json_string(cfg->firmware));
	json_object_set_new(f, "size", json_integer((json_int_t)li->firmware_len));
	json_object_set_new(f, "sha256", json_hex_bytes(fw_sha256, SEV_HASH_SIZE));
	json_object_set_new(root, "firmware", f);
	return root;
}

/* What measure needs beyond what a VM needs. */
static int check_measure_args(const struct vm_config *cfg, struct error *e)
{
	if (cfg->tee != TEE_TDX && cfg->tee != TEE_SNP)
		return error_set(e, ERROR_USAGE, EINVAL, "--tee tdx|snp is required");
	if (!cfg->firmware)
		return error_set(e, ERROR_USAGE, EINVAL, "--firmware PATH is required");
	if (cfg->tee == TEE_SNP && !cfg->snp.vcpu_sig_set)
		return error_set(e, ERROR_USAGE, EINVAL,
				 "--tee snp needs --vcpu-sig SIG (CPUID.1.EAX of the guest CPU model)");
	return 0;
}

int cmd_measure(int argc, char **argv)
{
	struct error e = ERROR_INIT;
	struct launch_inputs li;
	struct cli_extra extra;
	struct vm_config cfg;
	uint8_t digest[DIGEST_SIZE];
	char out[2 * DIGEST_SIZE + 1];
	json_t *root = NULL;
	bool have_li = false;
	int ret;

	ret = cli_parse(argc, argv, CLI_MEASURE, &cfg, &extra, &e);
	if (!ret && extra.help) {
		cli_print_usage(stdout, CLI_MEASURE);
		config_free(&cfg);
		return VM_EXIT_OK;
	}
	if (!ret)
		ret = check_measure_args(&cfg, &e);
	if (!ret)
		ret = config_validate(&cfg, CONFIG_CHECK_MEASURE, &e);
	if (!ret) {
		/* The very inputs a VM with these options is launched from. */
		ret = launch_inputs_build(&cfg, &li, &e);
		have_li = !ret;
	}
	if (!ret && extra.json) {
		root = inputs_json(&cfg, &li, &e);
		ret = root ? 0 : -EIO;
	}
	if (!ret)
		ret = cfg.tee == TEE_TDX ? measure_tdx(&cfg, &li, root, digest, &e)
					 : measure_snp(&cfg, &li, root, digest, &e);
	if (!ret) {
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
			error_set(&e, ERROR_HOST, EIO, "writing the result failed");
	}
	json_decref(root);
	if (have_li)
		launch_inputs_free(&li);
	config_free(&cfg);
	if (!ret)
		return VM_EXIT_OK;
	log_error("measure: %s", e.msg);
	return error_exit_status(&e);
}
