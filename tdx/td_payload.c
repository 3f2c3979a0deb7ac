// SPDX-License-Identifier: MIT
/* Section placement, td-shim payload and parameters, and the TD HOB of a TD's launch plan. */
#include <asm/bootparam.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "boot/acpi_walk.h"
#include "tdx/td_hob.h"
#include "tdx/td_payload.h"
#include "tdx/tdvf.h"
#include "vmm/error.h"
#include "vmm/layout.h"
#include "vmm/memory.h"
#include "vmm/resources.h"
#include "vmm/util.h"

#define ERR(code, ...) (error_set(e, ERROR_INPUT, code, __VA_ARGS__), (code))

#define SETUP_HDR_OFFSET 0x1f1
#define HDRS_MAGIC       0x53726448 /* "HdrS" */
#define MAX_EXT_HOBS     (ACPI_WALK_MAX_TABLES + 1)

/* td-shim's GUIDs, as their bytes appear in memory. */
static const struct fw_guid acpi_table_hob_guid =
	FW_GUID_INIT(0x6a0c5870, 0xd4ed, 0x44f4, 0xa1, 0x35, 0xdd, 0x23, 0x8b, 0x6f, 0x0c, 0x8d);
static const struct fw_guid payload_info_hob_guid =
	FW_GUID_INIT(0xb96fa412, 0x461f, 0x4be3, 0x8c, 0x0d, 0xad, 0x80, 0x5a, 0x49, 0x7a, 0xc0);

/* Device windows no private firmware memory may cover (guest MMIO would reach memory). */
static const struct {
	uint64_t base, size;
	const char *name;
} device_windows[] = {
	{ LAYOUT_VIRTIO_MMIO_BASE, LAYOUT_VIRTIO_MMIO_SIZE * LAYOUT_VIRTIO_MMIO_MAX, "virtio-mmio" },
	{ LAYOUT_IOAPIC_ADDR, LAYOUT_IOAPIC_SIZE, "IOAPIC" },
};

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

bool td_region_outside_ram(const struct launch_region *r, const struct guest_mem *layout)
{
	for (unsigned i = 0; i < layout->nr_regions; i++)
		if (overlaps(r->gpa, r->size, layout->regions[i].gpa, layout->regions[i].size))
			return false;
	return true;
}

static const char *region_name(const struct launch_region *r)
{
	return tdvf_section_type_name(r->section_type);
}

/* RAM, or wholly in the MMIO hole and clear of devices; PAGE.AUG memory is always RAM. */
static int check_placement(const struct launch_region *r, unsigned i,
			   const struct guest_mem *layout, struct error *e)
{
	uint64_t end = r->gpa + r->size;

	if (guest_mem_is_ram(layout, r->gpa, r->size))
		return 0;
	if (!td_region_outside_ram(r, layout) || !r->tdx_add || r->gpa < LAYOUT_MMIO_HOLE_START ||
	    end > LAYOUT_MMIO_HOLE_END) {
		if (end <= LAYOUT_MMIO_HOLE_START)
			return ERR(-EINVAL, "TDVF section %u (%s) at [0x%llx, 0x%llx) needs at least "
					    "%llu MiB of guest RAM (--mem-mib)", i, region_name(r),
				   (unsigned long long)r->gpa, (unsigned long long)end,
				   (unsigned long long)((end + MiB(1) - 1) >> 20));
		return ERR(-EINVAL, "TDVF section %u (%s) at [0x%llx, 0x%llx) is neither guest RAM "
				    "nor firmware memory below 4 GiB", i, region_name(r),
			   (unsigned long long)r->gpa, (unsigned long long)end);
	}
	for (size_t d = 0; d < ARRAY_SIZE(device_windows); d++)
		if (overlaps(r->gpa, r->size, device_windows[d].base, device_windows[d].size))
			return ERR(-EINVAL, "TDVF section %u (%s) at [0x%llx, 0x%llx) covers the %s "
					    "window at 0x%llx", i, region_name(r),
				   (unsigned long long)r->gpa, (unsigned long long)end,
				   device_windows[d].name,
				   (unsigned long long)device_windows[d].base);
	return 0;
}

/* What td-shim boots: a bzImage of boot protocol 2.00 or later, loaded high. */
static int check_bzimage(const uint8_t *k, size_t len, struct error *e)
{
	struct setup_header hdr;

	if (len < SETUP_HDR_OFFSET + sizeof(hdr))
		return ERR(-ENOEXEC, "the kernel is too short to be a bzImage (td-shim's Payload "
				     "takes a bzImage)");
	memcpy(&hdr, k + SETUP_HDR_OFFSET, sizeof(hdr));
	if (le32toh(hdr.header) != HDRS_MAGIC || le16toh(hdr.version) < 0x200 ||
	    !(hdr.loadflags & LOADED_HIGH))
		return ERR(-ENOEXEC, "the kernel is not a bzImage loaded high (boot protocol 2.00 "
				     "or later), which td-shim's Payload needs");
	return 0;
}

static int place_payload(struct launch_plan *plan, const struct td_payload_inputs *in,
			 struct td_payload *out, struct error *e)
{
	struct launch_region *pl = launch_plan_find(plan, LAUNCH_REGION_TDVF_SECTION,
						    TDVF_SECTION_PAYLOAD);
	struct launch_region *param = launch_plan_find(plan, LAUNCH_REGION_TDVF_SECTION,
						       TDVF_SECTION_PAYLOAD_PARAM);
	size_t cmdline_len = strlen(in->cmdline ? in->cmdline : "") + 1;
	int ret;

	if (!pl) {
		if (param)
			return ERR(-EINVAL, "the firmware has a PayloadParam section but no Payload");
		return 0; /* TDVF: a kernel goes through fw_cfg */
	}
	if (!in->kernel) {
		if (!pl->data_len)
			return ERR(-EINVAL, "the firmware's Payload section is empty: it needs "
					    "--kernel");
		return 0; /* the payload is part of the image */
	}
	ret = check_bzimage(in->kernel, in->kernel_len, e);
	if (ret)
		return ret;
	if (in->kernel_len > pl->size)
		return ERR(-E2BIG, "the kernel (%zu bytes) does not fit the firmware's Payload "
				   "section (%llu bytes)", in->kernel_len,
			   (unsigned long long)pl->size);
	pl->data = in->kernel;
	pl->data_len = in->kernel_len;
	if (param) {
		if (cmdline_len > param->size)
			return ERR(-E2BIG, "the command line (%zu bytes with its NUL) does not fit the "
					   "firmware's PayloadParam section (%llu bytes)",
				   cmdline_len, (unsigned long long)param->size);
		param->data = (const uint8_t *)(in->cmdline ? in->cmdline : "");
		param->data_len = cmdline_len;
	}
	out->kernel_in_plan = true;
	return 0;
}

/* td-shim's extra HOBs: the payload info and one HOB per ACPI table but RSDP and XSDT. */
static int td_shim_hobs(const struct launch_plan *plan, const struct td_payload_inputs *in,
			uint8_t payload_info[12], struct td_hob_guid *ext, size_t *nr_ext,
			struct error *e)
{
	const struct launch_region *pl = NULL;
	struct acpi_walk w;

	for (size_t i = 0; i < plan->nr_regions; i++)
		if (plan->regions[i].kind == LAUNCH_REGION_TDVF_SECTION &&
		    plan->regions[i].section_type == TDVF_SECTION_PAYLOAD)
			pl = &plan->regions[i];
	/* HOB_PAYLOAD_INFO_TABLE, packed: u32 image type, u64 entry point (the bzImage's GPA). */
	memset(payload_info, 0, 12);
	payload_info[0] = TD_PAYLOAD_IMAGE_BZIMAGE;
	for (int b = 0; b < 8; b++)
		payload_info[4 + b] = (uint8_t)(pl->gpa >> (8 * b));
	memcpy(ext[0].guid, payload_info_hob_guid.b, 16);
	ext[0].data = payload_info;
	ext[0].len = 12;
	*nr_ext = 1;
	if (!in->acpi)
		return 0;
	if (acpi_walk(in->acpi, in->acpi_len, in->acpi_gpa, &w))
		return error_set(e, ERROR_HOST, EINVAL, "cvmm's ACPI tables are malformed");
	for (unsigned t = 0; t < w.nr_tables; t++) {
		if (!strcmp(w.tables[t].sig, "XSDT"))
			continue;
		memcpy(ext[*nr_ext].guid, acpi_table_hob_guid.b, 16);
		ext[*nr_ext].data = in->acpi + w.tables[t].off;
		ext[*nr_ext].len = w.tables[t].len;
		(*nr_ext)++;
	}
	return 0;
}

static int build_hob(struct launch_plan *plan, const struct td_payload_inputs *in,
		     struct td_payload *out, struct error *e)
{
	struct launch_region *hob = launch_plan_find(plan, LAUNCH_REGION_TDVF_SECTION,
						     TDVF_SECTION_TD_HOB);
	struct td_hob_ram ram[GUEST_MEM_MAX_REGIONS];
	struct td_hob_guid ext[MAX_EXT_HOBS];
	uint8_t payload_info[12];
	size_t nr_ext = 0;
	uint8_t *buf;
	int ret;

	if (!hob)
		return 0;
	if (hob->size > MiB(1))
		return ERR(-EINVAL, "the TD_HOB section (%llu bytes) is larger than cvmm writes",
			   (unsigned long long)hob->size);
	for (unsigned i = 0; i < in->layout->nr_regions; i++)
		ram[i] = (struct td_hob_ram){ in->layout->regions[i].gpa,
					      in->layout->regions[i].size };
	if (out->kernel_in_plan) {
		ret = td_shim_hobs(plan, in, payload_info, ext, &nr_ext, e);
		if (ret)
			return ret;
	}
	buf = launch_plan_alloc(plan, hob->size);
	if (!buf)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	ret = td_hob_build_ext(buf, hob->size, hob->gpa, ram, in->layout->nr_regions, plan, ext,
			       nr_ext, &out->hob_len, e);
	if (ret)
		return ret;
	hob->data = buf;
	hob->data_len = out->hob_len;
	out->hob_gpa = hob->gpa;
	return 0;
}

int td_payload_apply(struct launch_plan *plan, const struct td_payload_inputs *in,
		     struct td_payload *out, struct error *e)
{
	int ret;

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < plan->nr_regions; i++) {
		ret = check_placement(&plan->regions[i], (unsigned)i, in->layout, e);
		if (ret)
			return ret;
	}
	ret = place_payload(plan, in, out, e);
	if (!ret)
		ret = build_hob(plan, in, out, e);
	return ret;
}
