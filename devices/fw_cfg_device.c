// SPDX-License-Identifier: MIT
/* fw_cfg as a device of the device table: the items of a firmware boot with a kernel. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "devices/fw_cfg_device.h"
#include "vmm/config.h"
#include "vmm/device_env.h"
#include "vmm/error.h"
#include "vmm/memory.h"

static unsigned fw_cfg_count(const struct vm_config *cfg)
{
	return config_tee_uses_firmware(cfg) && cfg->kernel ? 1 : 0;
}

/* The RAM regions, as QEMU describes guest RAM to OVMF (no reserved ranges: firmware owns them). */
static int add_e820(struct fw_cfg *fc, const struct guest_mem *gm)
{
	struct boot_mem_range ranges[GUEST_MEM_MAX_REGIONS];

	for (unsigned i = 0; i < gm->nr_regions; i++)
		ranges[i] = (struct boot_mem_range){
			.addr = gm->regions[i].gpa,
			.size = gm->regions[i].size,
			.type = BOOT_E820_RAM,
		};
	return fw_cfg_add_e820(fc, ranges, gm->nr_regions);
}

static int add_items(struct fw_cfg *fc, const struct device_env *env,
		     const struct vm_config *cfg)
{
	const struct firmware_payload *p = env->payload;
	int ret = fw_cfg_add_linux(fc, &(struct fw_cfg_linux){
					       .kernel = p->kernel,
					       .kernel_len = p->kernel_len,
					       .initrd = p->initrd,
					       .initrd_len = p->initrd_len,
					       .cmdline = p->cmdline,
					       .initrd_limit = env->mem->regions[0].size,
				       });

	if (!ret)
		ret = add_e820(fc, env->mem);
	if (!ret)
		ret = fw_cfg_add_u16(fc, FW_CFG_NB_CPUS, (uint16_t)cfg->vcpus);
	/* QEMU's apic_id_limit: the highest APIC ID + 1, which is the count for IDs 0..n-1. */
	if (!ret)
		ret = fw_cfg_add_u16(fc, FW_CFG_MAX_CPUS, (uint16_t)cfg->vcpus);
	return ret;
}

static void fw_cfg_free(void *opaque)
{
	fw_cfg_destroy(opaque);
}

static int fw_cfg_dev_create(const struct device_env *env, const struct vm_config *cfg,
			     unsigned i, struct device *out, struct error *e)
{
	struct fw_cfg *fc;
	int ret;

	if (!env->payload || !env->payload->kernel)
		return error_set(e, ERROR_HOST, EINVAL,
				 "fw_cfg: the launch has no kernel to serve");
	fc = fw_cfg_create(env->mem);
	if (!fc)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	ret = add_items(fc, env, cfg);
	if (ret) {
		fw_cfg_destroy(fc);
		/* config_validate() ran the same kernel checks: only the host can fail here. */
		return error_set(e, ret == -ENOMEM ? ERROR_HOST : ERROR_INPUT, ret,
				 "fw_cfg: cannot add the firmware's kernel, initrd and memory map: "
				 "%s", strerror(-ret));
	}
	ret = device_map(env, env->pio, FW_CFG_PIO_BASE, FW_CFG_PIO_LEN, fw_cfg_pio, fc, "fw_cfg");
	if (ret) {
		fw_cfg_destroy(fc);
		return error_set(e, ERROR_HOST, ret, "fw_cfg: cannot map ports 0x%x..0x%x: %s",
				 FW_CFG_PIO_BASE, FW_CFG_PIO_BASE + FW_CFG_PIO_LEN - 1,
				 strerror(-ret));
	}
	snprintf(out->name, sizeof(out->name), "fw_cfg");
	out->opaque = fc;
	out->destroy = fw_cfg_free;
	return 0;
}

const struct device_kind fw_cfg_device = {
	.name = "fw_cfg",
	.count = fw_cfg_count,
	.create = fw_cfg_dev_create,
};
