// SPDX-License-Identifier: MIT
/*
 * The device table.  Legacy devices first (their ports are fixed), then virtio devices, which take
 * virtio-mmio slots in this order: drives in command-line order (the first is /dev/vda), then
 * network devices in command-line order (the first is eth0), then vsock, then the entropy
 * device.  To add a device: write its struct device_kind next to the device and add a row here.
 */
#include "devices/acpi_pm.h"
#include "devices/blk.h"
#include "devices/debug_ports.h"
#include "devices/fw_cfg.h"
#include "devices/i8042.h"
#include "devices/net.h"
#include "devices/rng.h"
#include "devices/serial.h"
#include "vmm/device_env.h"
#include "vmm/device_table.h"
#include "vsock/vsock.h"

const struct device_kind *const device_table[] = {
	&serial_device,
	&i8042_device,
	&debug_ports_device,
	&acpi_pm_device,
	&fw_cfg_device, /* firmware boots only */
	&virtio_blk_device,
	&virtio_net_device,
	&virtio_vsock_device,
	&virtio_rng_device,
};

const size_t device_table_len = sizeof(device_table) / sizeof(device_table[0]);
