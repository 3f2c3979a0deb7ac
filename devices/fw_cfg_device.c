// SPDX-License-Identifier: MIT
/*
 * The fw_cfg device of firmware boots (--tee tdx, --tee snp), shared by both TEE kinds: one
 * instance when the config boots firmware, none otherwise.  It carries what the firmware reads
 * there (docs/fw-cfg.md): the kernel, initrd and command line of direct boot, the ACPI tables with
 * their loader script, "etc/e820" and the CPU count.
 */
#include <errno.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "vmm/config.h"
#include "vmm/device_env.h"
#include "vmm/error.h"

static unsigned fw_cfg_count(const struct vm_config *cfg)
{
	return config_tee_uses_firmware(cfg) ? 1 : 0;
}

static void fw_cfg_free(void *opaque)
{
	fw_cfg_destroy(opaque);
}

static int fill(struct fw_cfg *fc, const struct device_firmware_boot *fb, const char **what)
{
	int ret = 0;

	if (fb->kernel) {
		*what = "the kernel, initrd and command line";
		ret = fw_cfg_add_linux(fc, &(struct fw_cfg_linux){
						   .kernel = fb->kernel,
						   .kernel_len = fb->kernel_len,
						   .initrd = fb->initrd,
						   .initrd_len = fb->initrd_len,
						   .cmdline = fb->cmdline,
						   .initrd_limit = fb->initrd_limit,
					   });
		if (ret)
			return ret;
	}
	if (fb->acpi) {
		*what = "the ACPI tables";
		ret = fw_cfg_add_acpi(fc, fb->acpi, fb->acpi_len, fb->acpi_gpa);
		if (ret)
			return ret;
	}
	*what = "the memory map and CPU count";
	ret = fw_cfg_add_e820(fc, fb->ram, fb->nr_ram);
	if (!ret)
		ret = fw_cfg_add_u16(fc, FW_CFG_NB_CPUS, (uint16_t)fb->nr_cpus);
	if (!ret)
		ret = fw_cfg_add_u16(fc, FW_CFG_MAX_CPUS, (uint16_t)fb->nr_cpus);
	return ret;
}

static int fw_cfg_create_dev(const struct device_env *env, const struct vm_config *cfg,
			     unsigned i, struct device *out, struct error *e)
{
	const char *what = "the device";
	struct fw_cfg *fc;
	int ret;

	if (!env->firmware)
		return error_set(e, ERROR_HOST, EINVAL, "fw_cfg: no firmware boot inputs");
	fc = fw_cfg_create(env->mem);
	if (!fc)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	ret = fill(fc, env->firmware, &what);
	if (ret) {
		fw_cfg_destroy(fc);
		/* The kernel's format is the user's input; the rest is cvmm's own. */
		return error_set(e, ret == -ENOEXEC || ret == -E2BIG ? ERROR_INPUT : ERROR_HOST, ret,
				 "fw_cfg: cannot add %s: %s", what,
				 ret == -ENOEXEC ? "the kernel is not a bzImage the firmware boots"
						 : strerror(-ret));
	}
	ret = device_map(env, env->pio, FW_CFG_PIO_BASE, FW_CFG_PIO_LEN, fw_cfg_pio, fc, "fw_cfg");
	if (ret) {
		fw_cfg_destroy(fc);
		return error_set(e, ERROR_HOST, ret, "fw_cfg: cannot map ports 0x%x..0x%x: %s",
				 FW_CFG_PIO_BASE, FW_CFG_PIO_BASE + FW_CFG_PIO_LEN - 1,
				 strerror(-ret));
	}
	out->opaque = fc;
	out->destroy = fw_cfg_free;
	return 0;
}

const struct device_kind fw_cfg_device = {
	.name = "fw_cfg",
	.count = fw_cfg_count,
	.create = fw_cfg_create_dev,
};
