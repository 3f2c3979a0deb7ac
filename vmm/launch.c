// SPDX-License-Identifier: MIT
/* Launch inputs from a config: payload, device description, command line, ACPI, launch plan. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/acpi.h"
#include "boot/cmdline.h"
#include "boot/mptable.h"
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
		/* A TD has no in-kernel PIC: its irqchip is always split. */
		.legacy_pic = cfg->irqchip == IRQCHIP_KERNEL && cfg->tee != TEE_TDX,
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

/* Maps a file the firmware gets whole; it must stay unchanged while the VM lives. */
static int map_file(const char *what, const char *path, struct launch_file *f, struct error *e)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return error_set(e, ERROR_INPUT, errno, "%s %s: %s", what, path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = error_set(e, ERROR_INPUT, EINVAL, "%s %s: not a regular file", what, path);
		close(fd);
		return err;
	}
	f->len = (size_t)st.st_size;
	if (f->len) {
		p = mmap(NULL, f->len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			err = error_set(e, ERROR_HOST, errno, "%s %s: cannot map it: %s", what, path,
					strerror(errno));
			close(fd);
			return err;
		}
		f->data = p;
	}
	close(fd);
	return 0;
}

static void unmap_file(struct launch_file *f)
{
	if (f->data)
		munmap(f->data, f->len);
	f->data = NULL;
	f->len = 0;
}

/* The TD's sections against RAM, td-shim's payload, and the TD HOB (tdx/td_payload.h). */
static int build_td_payload(const struct vm_config *cfg, struct launch_inputs *li,
			    struct error *e)
{
	struct td_payload_inputs in = {
		.layout = &li->layout,
		.kernel = cfg->kernel ? li->fw_kernel.data : NULL,
		.kernel_len = li->fw_kernel.len,
		.cmdline = li->cmdline,
		.acpi = li->acpi,
		.acpi_len = li->acpi_len,
		.acpi_gpa = li->acpi_gpa,
	};
	static const uint8_t empty[1];

	/* An empty kernel file is still a kernel given (and refused as no bzImage). */
	if (cfg->kernel && !in.kernel)
		in.kernel = empty;
	return td_payload_apply(&li->plan, &in, &li->td, e);
}

/* What the fw_cfg device hands the firmware: direct boot unless td-shim took the kernel. */
static void describe_fw_boot(const struct vm_config *cfg, struct launch_inputs *li)
{
	struct device_firmware_boot *fb = &li->fw_boot;

	for (unsigned i = 0; i < li->layout.nr_regions; i++)
		li->fw_ram[i] = (struct boot_mem_range){ .addr = li->layout.regions[i].gpa,
							 .size = li->layout.regions[i].size,
							 .type = BOOT_E820_RAM };
	*fb = (struct device_firmware_boot){
		.cmdline = li->cmdline,
		.initrd_limit = li->layout.regions[0].size,
		.acpi = li->acpi,
		.acpi_len = li->acpi_len,
		.acpi_gpa = li->acpi_gpa,
		.ram = li->fw_ram,
		.nr_ram = li->layout.nr_regions,
		.nr_cpus = cfg->vcpus,
	};
	if (cfg->kernel && !li->td.kernel_in_plan) {
		fb->kernel = li->fw_kernel.data;
		fb->kernel_len = li->fw_kernel.len;
		fb->initrd = cfg->initrd ? li->fw_initrd.data : NULL;
		fb->initrd_len = li->fw_initrd.len;
	}
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
		/* The bytes fw_cfg serves; the command line the guest will really get. */
		ret = sev_hashes_from_buffers(&li->hashes, li->fw_kernel.data, li->fw_kernel.len,
					      li->fw_initrd.data, li->fw_initrd.len, li->cmdline);
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
	if (cfg->kernel && (ret = map_file("kernel", cfg->kernel, &li->fw_kernel, e)))
		return ret;
	if (cfg->initrd && (ret = map_file("initrd", cfg->initrd, &li->fw_initrd, e)))
		return ret;
	/* Both firmwares get cvmm's ACPI tables through fw_cfg (and TDX's td-shim in the TD HOB). */
	ret = build_acpi(cfg, li, e);
	if (ret)
		return ret;
	launch_plan_init(&li->plan, cfg->tee == TEE_TDX ? LAUNCH_TEE_TDX : LAUNCH_TEE_SNP);
	li->has_plan = true;
	if (cfg->tee == TEE_SNP) {
		ret = build_snp(cfg, li, e);
	} else {
		ret = tdx_plan_build(&li->plan, li->firmware, li->firmware_len, e);
		if (!ret)
			ret = build_td_payload(cfg, li, e);
		if (ret)
			error_prefix(e, "firmware %s: ", cfg->firmware);
	}
	if (ret)
		return ret;
	describe_fw_boot(cfg, li);
	return 0;
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

int launch_inputs_check_boot(const struct vm_config *cfg, const struct launch_inputs *li,
			     struct error *e)
{
	/* td-shim's Payload took the kernel: td_payload_apply() checked it as td-shim loads it. */
	if (li->strategy != BOOT_FIRMWARE || !cfg->kernel || li->td.kernel_in_plan)
		return 0;
	return config_check_firmware_kernel(cfg, li->fw_kernel.data, li->fw_kernel.len,
					    li->fw_initrd.len, e);
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
	unmap_file(&li->fw_kernel);
	unmap_file(&li->fw_initrd);
	free(li->snp_id);
	li->snp_id = NULL;
}
