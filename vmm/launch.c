// SPDX-License-Identifier: MIT
/* Launch inputs from a config: payload, device description, command line, ACPI, launch plan. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/acpi.h"
#include "boot/cmdline.h"
#include "snp/id_block.h"
#include "snp/snp_measure.h"
#include "snp/vmsa.h"
#include "tdx/tdx_measure.h"
#include "vmm/config.h"
#include "vmm/error.h"
#include "vmm/launch.h"
#include "vmm/util.h"

int launch_cmdline(const char *user, const struct virtio_layout *devices, char *out, size_t len,
		   struct error *e)
{
	if (cmdline_build(user, devices->slots, devices->nr, out, len))
		return error_set(e, ERROR_USAGE, E2BIG,
				 "--cmdline: too long with the device entries cvmm appends (max %zu "
				 "bytes)", len - 1);
	return 0;
}

/* Describes the VM to boot/acpi.c; the tables are built in a buffer placed later. */
static int build_acpi(const struct vm_config *cfg, struct launch_inputs *li, struct error *e)
{
	struct acpi_virtio_dev virtio[RESOURCES_MAX_VIRTIO];
	struct acpi_config acfg = {
		.nr_cpus = cfg->vcpus,
		.legacy_pic = cfg->irqchip == IRQCHIP_KERNEL,
		.i8042 = false, /* no keyboard: the driver need not probe; reboot=k still works */
		.ioapic_addr = LAYOUT_IOAPIC_ADDR,
		.ioapic_id = 0,
		.ioapic_gsi_base = 0,
		.lapic_addr = LAYOUT_LAPIC_ADDR,
		.com1 = true,
		.com1_port = LAYOUT_COM1_PORT,
		.com1_irq = LAYOUT_COM1_IRQ,
		.virtio = virtio,
		.nr_virtio = li->devices.nr,
		.sleep_ctl_port = LAYOUT_ACPI_SLEEP_CTL_PORT,
		.sleep_sts_port = LAYOUT_ACPI_SLEEP_STS_PORT,
		.reset_port = LAYOUT_ACPI_RESET_PORT,
		.reset_value = LAYOUT_ACPI_RESET_VALUE,
	};
	size_t size = LAYOUT_ACPI_END - LAYOUT_ACPI_START;
	int ret;

	for (unsigned i = 0; i < li->devices.nr; i++)
		virtio[i] = (struct acpi_virtio_dev){
			.base = li->devices.slots[i].base,
			.size = LAYOUT_VIRTIO_MMIO_SIZE,
			.irq = li->devices.slots[i].gsi,
		};
	li->acpi = calloc(1, size);
	if (!li->acpi)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	ret = acpi_build(&acfg, li->acpi, size, LAYOUT_ACPI_START);
	if (ret < 0)
		return error_set(e, ret == -EINVAL ? ERROR_USAGE : ERROR_HOST, ret,
				 "cannot build ACPI tables for %u vCPUs and %u devices: %s",
				 cfg->vcpus, li->devices.nr, strerror(-ret));
	li->acpi_len = (size_t)ret;
	li->acpi_gpa = LAYOUT_ACPI_START;
	return 0;
}

static int build_direct(const struct vm_config *cfg, struct launch_inputs *li, struct error *e)
{
	int ret;

	ret = boot_kernel_open(&li->kernel, cfg->kernel, &li->layout, e);
	if (ret)
		return ret;
	ret = boot_cmdline_fits(&li->kernel, li->cmdline, e);
	if (ret) {
		error_prefix(e, "kernel %s: ", cfg->kernel);
		return ret;
	}
	ret = boot_initrd_open(&li->initrd, cfg->initrd, &li->kernel, &li->layout, e);
	if (ret)
		return ret;
	return build_acpi(cfg, li, e);
}

/*
 * What the firmware loads: kernel and initrd mapped once, so that the SNP hashes are taken from
 * the bytes fw_cfg serves.  (Should a file change under the mapping, the firmware's check against
 * the measured hashes refuses it.)
 */
static int map_payload(const struct vm_config *cfg, struct launch_inputs *li, struct error *e)
{
	const char *paths[2] = { cfg->kernel, cfg->initrd };
	const uint8_t **data[2] = { &li->payload.kernel, &li->payload.initrd };
	size_t *lens[2] = { &li->payload.kernel_len, &li->payload.initrd_len };

	li->payload.cmdline = li->cmdline;
	for (int i = 0; i < 2 && cfg->kernel; i++) {
		int ret = paths[i] ? map_whole_file(paths[i], data[i], lens[i]) : 0;

		if (ret)
			return error_set(e, ERROR_INPUT, ret, "%s %s: %s", i ? "initrd" : "kernel",
					 paths[i], ret == -EINVAL ? "not a regular file" :
								    strerror(-ret));
	}
	return 0;
}

/* SNP: the plan in QEMU's order, then what must agree with it (guest RAM, the ID block). */
static int build_snp(const struct vm_config *cfg, struct launch_inputs *li, struct error *e)
{
	struct snp_launch_params p = {
		.fw = li->firmware,
		.fw_len = li->firmware_len,
		.vcpus = cfg->vcpus,
		.vcpu_sig = cfg->snp.vcpu_sig_set ? cfg->snp.vcpu_sig : snp_host_vcpu_sig(),
		.guest_features = cfg->snp.guest_features,
	};
	int ret;

	if (cfg->kernel) {
		/* The hashes cover the command line the guest will really get. */
		const struct firmware_payload *pl = &li->payload;

		ret = sev_hashes_from_buffers(&li->hashes, pl->kernel, pl->kernel_len, pl->initrd,
					      pl->initrd_len, li->cmdline);
		if (ret)
			return error_set(e, ERROR_HOST, ret,
					 "hashing kernel, initrd and command line failed: %s",
					 strerror(-ret));
		li->has_hashes = true;
		p.hashes = &li->hashes;
	}
	ret = snp_plan_build(&li->plan, &p, e);
	if (!ret)
		ret = snp_plan_check_layout(&li->plan, &li->layout, e);
	if (ret) {
		error_prefix(e, "firmware %s: ", cfg->firmware);
		return ret;
	}
	if (cfg->snp.id_block)
		return snp_id_auth_load(cfg->snp.id_block, cfg->snp.id_auth, cfg->snp.policy,
					&li->plan, &li->snp_id, e);
	return 0;
}

static int build_firmware(const struct vm_config *cfg, struct launch_inputs *li, struct error *e)
{
	int ret;

	ret = read_whole_file(cfg->firmware, &li->firmware, &li->firmware_len);
	if (ret)
		return error_set(e, ERROR_INPUT, ret, "firmware %s: %s", cfg->firmware,
				 ret == -EINVAL ? "not a regular file" : strerror(-ret));
	ret = map_payload(cfg, li, e);
	if (ret)
		return ret;
	launch_plan_init(&li->plan, cfg->tee == TEE_TDX ? LAUNCH_TEE_TDX : LAUNCH_TEE_SNP);
	li->has_plan = true;
	if (cfg->tee == TEE_SNP)
		return build_snp(cfg, li, e);
	ret = tdx_plan_build(&li->plan, li->firmware, li->firmware_len, e);
	if (ret)
		error_prefix(e, "firmware %s: ", cfg->firmware);
	return ret;
}

int launch_inputs_build(const struct vm_config *cfg, struct launch_inputs *li, struct error *e)
{
	int ret;

	memset(li, 0, sizeof(*li));
	li->kernel.fd = -1;
	li->initrd.fd = -1;
	li->strategy = config_tee_uses_firmware(cfg) ? BOOT_FIRMWARE : BOOT_DIRECT;
	guest_mem_layout(&li->layout, cfg->mem_mib << 20);
	ret = dm_virtio_layout(cfg, &li->devices, e);
	if (!ret)
		ret = launch_cmdline(cfg->cmdline, &li->devices, li->cmdline, sizeof(li->cmdline), e);
	if (!ret)
		ret = li->strategy == BOOT_DIRECT ? build_direct(cfg, li, e) : build_firmware(cfg, li, e);
	if (ret)
		launch_inputs_free(li);
	return ret;
}

void launch_inputs_free(struct launch_inputs *li)
{
	boot_kernel_close(&li->kernel);
	boot_initrd_close(&li->initrd);
	free(li->acpi);
	li->acpi = NULL;
	if (li->has_plan)
		launch_plan_free(&li->plan);
	li->has_plan = false;
	free(li->firmware);
	li->firmware = NULL;
	unmap_whole_file(li->payload.kernel, li->payload.kernel_len);
	unmap_whole_file(li->payload.initrd, li->payload.initrd_len);
	memset(&li->payload, 0, sizeof(li->payload));
	free(li->snp_id);
	li->snp_id = NULL;
}
