// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the input is a firmware image.  Runs the footer-table, TDVF and SEV metadata
 * parsers, and on images they accept, the TDX/SNP plan builders, the TD HOB builder and the
 * measurement walks, whatever the size of the plan: the parsers' bounds are what keeps a walk
 * short (TDX: TDVF_MAX_ADDED bytes added, SNP: everything below 4 GiB), so a hostile image that
 * gets past them shows up as a slow input or a timeout.  Besides memory errors, any broken
 * promise of the parsers (a section outside the file or beyond its bounds, an error that is not
 * one line) aborts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot/firmware.h"
#include "boot/launch_plan.h"
#include "snp/sev_metadata.h"
#include "snp/snp_measure.h"
#include "tdx/td_hob.h"
#include "tdx/td_payload.h"
#include "tdx/tdvf.h"
#include "tdx/tdx_measure.h"
#include "vmm/error.h"
#include "vmm/memory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failure comes with one line saying why (and the error is cleared for the next call). */
static void check_err(int ret, struct error *e)
{
	if (ret && ret != -ENOENT && (!e->msg[0] || strchr(e->msg, '\n')))
		abort();
	error_clear(e);
}

static void fuzz_parsers(const uint8_t *fw, size_t len)
{
	struct tdvf_metadata tdvf;
	struct sev_metadata sev;
	struct fw_table t;
	struct error e = ERROR_INIT;
	uint64_t added = 0;
	uint32_t v;
	int ret;

	ret = fw_table_parse(&t, fw, len, &e);
	check_err(ret, &e);
	if (ret)
		return;
	for (unsigned i = 0; i < 3; i++) {
		fw_table_u32(&t, &fw_guid_sev_es_reset_block, "reset", i, &v, &e);
		fw_table_u32(&t, &fw_guid_sev_hashes_table, "hashes", i, &v, &e);
	}
	error_clear(&e);
	ret = tdvf_parse(&t, &tdvf, &e);
	check_err(ret, &e);
	for (unsigned i = 0; !ret && i < tdvf.nr_sections; i++) {
		const struct tdvf_section *s = &tdvf.sections[i];

		if ((uint64_t)s->data_offset + s->raw_data_size > len ||
		    s->memory_data_size < s->raw_data_size || s->memory_address % 4096 ||
		    s->memory_address >= TDVF_MAX_GPA ||
		    s->memory_data_size > TDVF_MAX_GPA - s->memory_address)
			abort();
		if (!(s->attributes & TDVF_ATTR_PAGE_AUG)) {
			added += s->memory_data_size;
			if (added > TDVF_MAX_ADDED)
				abort();
		}
	}
	error_clear(&e);
	ret = sev_metadata_parse(&t, &sev, &e);
	check_err(ret, &e);
	for (unsigned i = 0; !ret && i < sev.nr_sections; i++)
		if ((uint64_t)sev.sections[i].base + sev.sections[i].length > (1ULL << 32))
			abort();
}

/* The launch's own checks of the sections (placement, payload, TD HOB) on whatever parsed. */
static void fuzz_td_payload(struct launch_plan *plan)
{
	static const uint8_t kernel[0x300] = { [0x202] = 'H', 'd', 'r', 'S', [0x207] = 2,
					       [0x211] = 1 };
	struct td_payload_inputs in = { .kernel = kernel, .kernel_len = sizeof(kernel),
					.cmdline = "console=hvc0" };
	struct error e = ERROR_INIT;
	struct guest_mem layout;
	struct td_payload out;
	int ret;

	guest_mem_layout(&layout, 64ULL << 20);
	in.layout = &layout;
	ret = td_payload_apply(plan, &in, &out, &e);
	check_err(ret, &e);
	if (!ret && out.hob_gpa && !out.hob_len)
		abort();
}

static void fuzz_tdx(const uint8_t *fw, size_t len)
{
	static const struct td_hob_ram ram[] = { { 0, 0x80000000 }, { 1ULL << 32, 1ULL << 30 } };
	struct launch_plan plan;
	uint8_t mrtd[TDX_MRTD_SIZE], hob[1024];
	struct error e = ERROR_INIT;
	size_t used;
	int ret;

	launch_plan_init(&plan, LAUNCH_TEE_TDX);
	ret = tdx_plan_build(&plan, fw, len, &e);
	check_err(ret, &e);
	if (!ret) {
		if (tdx_mrtd(&plan, mrtd))
			abort();
		ret = td_hob_build(hob, sizeof(hob), 0x809000, ram, 2, &plan, &used, &e);
		if ((ret && ret != -ENOSPC) || (!ret && used > sizeof(hob)))
			abort();
		fuzz_td_payload(&plan);
	}
	launch_plan_free(&plan);
}

static void fuzz_snp(const uint8_t *fw, size_t len)
{
	struct sev_hashes hashes;
	struct snp_launch_params p = {
		.vcpus = 3,
		.vcpu_sig = 0x800f12,
		.guest_features = 1,
		.hashes = &hashes,
	};
	/* Pad at the front to whole pages: the metadata is located from the end. */
	size_t padded = (len + 4095) / 4096 * 4096;
	uint8_t *buf = calloc(1, padded ? padded : 1);
	uint8_t digest[SNP_DIGEST_SIZE];
	struct launch_plan plan;
	struct error e = ERROR_INIT;
	int ret;

	if (!buf)
		return;
	memcpy(buf + padded - len, fw, len);
	p.fw = buf;
	p.fw_len = padded;
	memset(&hashes, 0x42, sizeof(hashes));
	for (int with_kernel = 0; with_kernel < 2; with_kernel++) {
		p.hashes = with_kernel ? &hashes : NULL;
		launch_plan_init(&plan, LAUNCH_TEE_SNP);
		ret = snp_plan_build(&plan, &p, &e);
		check_err(ret, &e);
		if (!ret && snp_launch_digest(&plan, digest))
			abort();
		launch_plan_free(&plan);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so any read past the end is caught. */
	uint8_t *fw = malloc(size ? size : 1);

	if (!fw)
		return 0;
	memcpy(fw, data, size);
	fuzz_parsers(fw, size);
	fuzz_tdx(fw, size);
	fuzz_snp(fw, size);
	free(fw);
	return 0;
}
