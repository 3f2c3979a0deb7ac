// SPDX-License-Identifier: MIT
/*
 * SNP launch plan and launch digest.  The order follows QEMU: firmware, metadata sections,
 * VMSAs (which KVM measures at LAUNCH_FINISH in vCPU order).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/firmware.h"
#include "snp/sev_metadata.h"
#include "snp/snp_measure.h"
#include "snp/vmsa.h"
#include "vmm/kvm_uapi_ext.h"
#include "vmm/memory.h"
#include "vmm/util.h"
#include "vmm/error.h"

/* Every problem found here is the input file's. */
#define ERR(code, ...) (error_set(e, ERROR_INPUT, code, __VA_ARGS__), (code))

int snp_ap_reset_addr(const uint8_t *fw, size_t fw_len, uint32_t *addr, struct error *e)
{
	struct fw_table t;
	int ret = fw_table_parse(&t, fw, fw_len, e);

	if (ret)
		return ret;
	return fw_table_u32(&t, &fw_guid_sev_es_reset_block, "SEV-ES AP reset block", 0, addr,
			    e);
}

/* The KERNEL_HASHES page: the hashes table at the offset the firmware looks for it. */
static int hashes_region(struct launch_plan *plan, const struct fw_table *t,
			 const struct sev_section *s, const struct sev_hashes *h,
			 struct launch_region *r, struct error *e)
{
	uint32_t base = 0, size = 0, off;
	uint8_t *page;
	int ret;

	ret = fw_table_u32(t, &fw_guid_sev_hashes_table, "SEV hashes table", 0, &base, e);
	if (!ret)
		ret = fw_table_u32(t, &fw_guid_sev_hashes_table, "SEV hashes table", 1, &size, e);
	if (ret == -ENOENT || (!ret && base == 0))
		return ERR(-EINVAL, "firmware has a KERNEL_HASHES section but no SEV hashes table");
	if (ret)
		return ret;
	off = base & (LAUNCH_PAGE_SIZE - 1);
	if (size < SEV_HASHES_TABLE_LEN || off + SEV_HASHES_TABLE_PADDED > LAUNCH_PAGE_SIZE)
		return ERR(-EINVAL, "SEV hashes table at 0x%x, %u bytes, cannot hold the %d-byte "
				    "table within its page", base, size, SEV_HASHES_TABLE_PADDED);
	if (s->length != LAUNCH_PAGE_SIZE)
		return ERR(-EINVAL, "KERNEL_HASHES section is 0x%x bytes; one 4 KiB page expected",
			   s->length);
	page = launch_plan_alloc(plan, LAUNCH_PAGE_SIZE);
	if (!page)
		return ERR(-ENOMEM, "out of memory");
	sev_hashes_table(h, page + off);
	r->snp_type = SNP_PAGE_TYPE_NORMAL;
	r->data = page;
	r->data_len = LAUNCH_PAGE_SIZE;
	return 0;
}

static int section_region(struct launch_plan *plan, const struct fw_table *t,
			  const struct sev_section *s, const struct sev_hashes *h, struct error *e)
{
	struct launch_region r = {
		.kind = LAUNCH_REGION_SEV_SECTION,
		.section_type = s->type,
		.gpa = s->base,
		.size = s->length,
	};
	int ret;

	switch (s->type) {
	case SEV_SECTION_SNP_SEC_MEM:
	case SEV_SECTION_SVSM_CAA:
		r.snp_type = SNP_PAGE_TYPE_ZERO;
		break;
	case SEV_SECTION_SNP_SECRETS:
		r.snp_type = SNP_PAGE_TYPE_SECRETS;
		break;
	case SEV_SECTION_CPUID:
		r.snp_type = SNP_PAGE_TYPE_CPUID;
		break;
	case SEV_SECTION_SNP_KERNEL_HASHES:
		r.snp_type = SNP_PAGE_TYPE_ZERO;
		if (h) {
			ret = hashes_region(plan, t, s, h, &r, e);
			if (ret)
				return ret;
		}
		break;
	default:
		return ERR(-EINVAL, "SEV metadata section type 0x%x is unknown", s->type);
	}
	ret = launch_plan_add(plan, &r);
	if (ret)
		return ERR(ret, "cannot add the %s section to the launch plan",
			   sev_section_type_name(s->type));
	return 0;
}

static int vmsa_regions(struct launch_plan *plan, const struct fw_table *t,
			const struct snp_launch_params *p, struct error *e)
{
	struct sev_es_save_area *bsp, *ap = NULL;
	uint32_t ap_eip = 0;
	int ret;

	if (p->vcpus > 1) {
		ret = fw_table_u32(t, &fw_guid_sev_es_reset_block, "SEV-ES AP reset block", 0,
				   &ap_eip, e);
		if (ret == -ENOENT || (!ret && ap_eip == 0))
			return ERR(-EINVAL, "firmware has no SEV-ES AP reset address; it cannot "
					    "start %u vCPUs", p->vcpus);
		if (ret)
			return ret;
	}
	bsp = launch_plan_alloc(plan, sizeof(*bsp));
	if (p->vcpus > 1)
		ap = launch_plan_alloc(plan, sizeof(*ap));
	if (!bsp || (p->vcpus > 1 && !ap))
		return ERR(-ENOMEM, "out of memory");
	snp_vmsa_reset_state(bsp, SNP_BSP_RESET_EIP, p->vcpu_sig, p->guest_features);
	if (ap)
		snp_vmsa_reset_state(ap, ap_eip, p->vcpu_sig, p->guest_features);
	for (unsigned i = 0; i < p->vcpus; i++) {
		struct launch_region r = {
			.kind = LAUNCH_REGION_VMSA,
			.vcpu = i,
			.gpa = SNP_VMSA_GPA,
			.size = SNP_VMSA_SIZE,
			.data = (const uint8_t *)(i ? ap : bsp),
			.data_len = SNP_VMSA_SIZE,
			.snp_type = SNP_PAGE_TYPE_VMSA,
		};

		ret = launch_plan_add(plan, &r);
		if (ret)
			return ERR(ret, "cannot add the VMSA of vCPU %u to the launch plan", i);
	}
	return 0;
}

int snp_plan_build(struct launch_plan *plan, const struct snp_launch_params *p, struct error *e)
{
	struct sev_metadata md;
	struct fw_table t;
	bool has_hashes_section = false;
	int ret;

	if (p->vcpus == 0)
		return ERR(-EINVAL, "at least one vCPU is needed");
	if (!p->fw_len || !IS_ALIGNED(p->fw_len, LAUNCH_PAGE_SIZE) || p->fw_len > GiB(4))
		return ERR(-EINVAL, "firmware size %zu is not a non-zero multiple of 4 KiB up to "
				    "4 GiB", p->fw_len);
	ret = fw_table_parse(&t, p->fw, p->fw_len, e);
	if (ret)
		return ret;
	ret = sev_metadata_parse(&t, &md, e);
	if (ret)
		return ret;
	for (unsigned i = 0; i < md.nr_sections; i++)
		has_hashes_section |= md.sections[i].type == SEV_SECTION_SNP_KERNEL_HASHES;
	if (p->hashes && !has_hashes_section)
		return ERR(-EINVAL, "firmware has no SNP_KERNEL_HASHES section, so it cannot "
				    "measure a kernel (use an OVMF AmdSev build)");

	ret = launch_plan_add(plan, &(struct launch_region){
					    .kind = LAUNCH_REGION_FIRMWARE,
					    .gpa = GiB(4) - p->fw_len,
					    .size = p->fw_len,
					    .data = p->fw,
					    .data_len = p->fw_len,
					    .snp_type = SNP_PAGE_TYPE_NORMAL,
				    });
	if (ret)
		return ERR(ret, "cannot add the firmware to the launch plan");
	for (unsigned i = 0; i < md.nr_sections; i++) {
		ret = section_region(plan, &t, &md.sections[i], p->hashes, e);
		if (ret)
			return ret;
	}
	return vmsa_regions(plan, &t, p, e);
}

int snp_plan_check_layout(const struct launch_plan *plan, const struct guest_mem *layout,
			  struct error *e)
{
	for (size_t i = 0; i < plan->nr_regions; i++) {
		const struct launch_region *r = &plan->regions[i];

		if (r->kind == LAUNCH_REGION_FIRMWARE && r->size > SNP_FIRMWARE_MAX)
			return ERR(-E2BIG, "%llu KiB of firmware: at most %u KiB fit below 4 GiB "
					   "above the interrupt controllers",
				   (unsigned long long)(r->size >> 10), SNP_FIRMWARE_MAX >> 10);
		if (r->kind == LAUNCH_REGION_SEV_SECTION &&
		    !guest_mem_is_ram(layout, r->gpa, r->size))
			return ERR(-EINVAL, "SEV metadata section %s at 0x%llx (0x%llx bytes) is "
					    "not in guest RAM (give the VM more memory?)",
				   sev_section_type_name(r->section_type),
				   (unsigned long long)r->gpa, (unsigned long long)r->size);
	}
	return 0;
}

int snp_ld_init(struct snp_ld *ld)
{
	memset(ld->digest, 0, sizeof(ld->digest));
	return digest_new(&ld->hash, DIGEST_SHA384);
}

void snp_ld_free(struct snp_ld *ld)
{
	digest_free(ld->hash);
	ld->hash = NULL;
}

static int sha384(struct snp_ld *ld, const uint8_t *data, size_t len, uint8_t *out)
{
	int ret = digest_reset(ld->hash);

	if (!ret)
		ret = digest_update(ld->hash, data, len);
	if (!ret)
		ret = digest_final(ld->hash, out);
	return ret;
}

int snp_ld_add_page(struct snp_ld *ld, uint64_t gpa, uint8_t page_type, const uint8_t *contents)
{
	uint8_t info[SNP_PAGE_INFO_SIZE] = { 0 };
	int ret;

	memcpy(info, ld->digest, SNP_DIGEST_SIZE);
	if (page_type == SNP_PAGE_TYPE_NORMAL || page_type == SNP_PAGE_TYPE_VMSA) {
		ret = sha384(ld, contents, LAUNCH_PAGE_SIZE, info + SNP_DIGEST_SIZE);
		if (ret)
			return ret;
	}
	info[96] = SNP_PAGE_INFO_SIZE;
	info[97] = 0;
	info[98] = page_type;
	/* 99: is_imi 0; 100-102: VMPL3/2/1 permissions 0; 103: reserved */
	for (int i = 0; i < 8; i++)
		info[104 + i] = (uint8_t)(gpa >> (8 * i));
	return sha384(ld, info, sizeof(info), ld->digest);
}

int snp_ld_add_region(struct snp_ld *ld, const struct launch_region *r)
{
	for (uint64_t i = 0; i < launch_region_pages(r); i++) {
		const uint8_t *page = launch_region_page(r, i, ld->scratch);
		int ret = snp_ld_add_page(ld, r->gpa + i * LAUNCH_PAGE_SIZE, r->snp_type, page);

		if (ret)
			return ret;
	}
	return 0;
}

int snp_launch_digest(const struct launch_plan *plan, uint8_t digest[SNP_DIGEST_SIZE])
{
	struct snp_ld *ld = malloc(sizeof(*ld));
	int ret;

	if (!ld)
		return -ENOMEM;
	ret = snp_ld_init(ld);
	for (size_t i = 0; !ret && i < plan->nr_regions; i++)
		ret = snp_ld_add_region(ld, &plan->regions[i]);
	if (!ret)
		memcpy(digest, ld->digest, SNP_DIGEST_SIZE);
	snp_ld_free(ld);
	free(ld);
	return ret;
}
