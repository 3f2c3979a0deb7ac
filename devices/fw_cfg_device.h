/* SPDX-License-Identifier: MIT */
/* The fw_cfg device of firmware boots (devices/fw_cfg.h is the model it wires up). */
#ifndef CVMM_FW_CFG_DEVICE_H
#define CVMM_FW_CFG_DEVICE_H

struct device_kind;

/*
 * One instance when the VM boots firmware with a kernel (--tee tdx|snp --firmware F --kernel K),
 * none otherwise.  TEE-neutral: it serves what the launch inputs hand the firmware (kernel, initrd
 * and the final command line, the bytes the launch measured), the RAM map as etc/e820 and the
 * vCPU count, on ports 0x510..0x51b.
 */
extern const struct device_kind fw_cfg_device;

#endif
