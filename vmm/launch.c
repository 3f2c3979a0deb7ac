// SPDX-License-Identifier: MIT
/* Launch inputs from a config: payload, device description, command line, ACPI, launch plan. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/acpi.h"
#include "boot/cmdline.h"
#include "boot/mptable.h"
#include "snp/snp_measure.h"
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

/* The MP table: the same CPUs, IOAPIC and interrupt lines as the ACPI tables. */
static int build_mptable(const struct vm_config *cfg, struct launch_inputs *li, struct error *e)
{
	uint32_t irqs[RESOURCES_MAX_VIRTIO];
	struct mptable_config m = {
		.nr_cpus = cfg->vcpus,
		.lapic_addr = LAYOUT_LAPIC_ADDR,
		.ioapic_id = 0,
		.ioapic_addr = LAYOUT_IOAPIC_ADDR,
		.ioapic_pins = LAYOUT_IOAPIC_PINS,
		.legacy_pic = cfg->irqchip == IRQCHIP_KERNEL,
		.keyboard = true,
		.com1 = true,
		.com1_irq = LAYOUT_COM1_IRQ,
		.irqs = irqs,
		.nr_irqs = li->devices.nr,
	};
	size_t size = LAYOUT_MPTABLE_END - LAYOUT_MPTABLE_START;
	int ret;

	for (unsigned i = 0; i < li->devices.nr; i++)
		irqs[i] = li->devices.slots[i].gsi;
	li->mptable = calloc(1, size);
	if (!li->mptable)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	ret = mptable_build(&m, li->mptable, size, LAYOUT_MPTABLE_START);
	if (ret < 0)
		return error_set(e, ERROR_USAGE, -ret, "cannot build the MP table for %u vCPUs: %s",
				 cfg->vcpus, strerror(-ret));
	li->mptable_len = (size_t)ret;
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
	return build_acpi(cfg, li, e) ?: build_mptable(cfg, li, e);
}

static int build_firmware(const struct vm_config *cfg, struct launch_inputs *li, struct error *e)
{
	int ret;

	ret = read_whole_file(cfg->firmware, &li->firmware, &li->firmware_len);
	if (ret)
		return error_set(e, ERROR_INPUT, ret, "firmware %s: %s", cfg->firmware,
				 ret == -EINVAL ? "not a regular file" : strerror(-ret));
	launch_plan_init(&li->plan, cfg->tee == TEE_TDX ? LAUNCH_TEE_TDX : LAUNCH_TEE_SNP);
	li->has_plan = true;
	if (cfg->tee == TEE_TDX) {
		ret = tdx_plan_build(&li->plan, li->firmware, li->firmware_len, e);
	} else {
		struct snp_launch_params p = {
			.fw = li->firmware,
			.fw_len = li->firmware_len,
			.vcpus = cfg->vcpus,
			.vcpu_sig = cfg->snp.vcpu_sig,
			.guest_features = cfg->snp.guest_features,
		};

		if (cfg->kernel) {
			/* The hashes cover the command line the guest will really get. */
			ret = sev_hashes_from_files(&li->hashes, cfg->kernel, cfg->initrd, li->cmdline,
						    e);
			if (ret)
				return ret;
			li->has_hashes = true;
			p.hashes = &li->hashes;
		}
		ret = snp_plan_build(&li->plan, &p, e);
	}
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
	free(li->mptable);
	li->mptable = NULL;
	if (li->has_plan)
		launch_plan_free(&li->plan);
	li->has_plan = false;
	free(li->firmware);
	li->firmware = NULL;
}
