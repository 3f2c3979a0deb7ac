// SPDX-License-Identifier: MIT
/*
 * devices: every virtio_mmio.device= entry of the command line answers with MagicValue "virt",
 * Version 2 and a non-zero DeviceID; with cvmmtest.expect_devices=N there are exactly N.
 */
#include "tests/guest/cmdline.h"
#include "tests/guest/guest.h"
#include "tests/guest/printf.h"
#include "tests/guest/virtio_mmio.h"

bool check_devices(struct check_result *res)
{
	static struct virtio_mmio_dev devs[VIRTIO_MMIO_MAX];
	char err[120];
	uint64_t want;
	bool ok = true;
	int n;

	n = virtio_mmio_discover(boot.cmdline, devs, VIRTIO_MMIO_MAX, err, sizeof(err));
	if (n < 0) {
		result_add(res, "%s", err);
		return false;
	}
	for (int i = 0; i < n; i++) {
		struct virtio_mmio_dev *d = &devs[i];

		if (!virtio_mmio_probe(d)) {
			printf("  virtio-mmio %d: 0x%lx irq %u: no virtio magic\n", i, d->base, d->irq);
			if (ok)
				result_add(res, "no virtio-mmio device at 0x%lx", d->base);
			ok = false;
			continue;
		}
		printf("  virtio-mmio %d: 0x%lx size 0x%lx irq %u: version %u, device %u (%s), "
		       "vendor 0x%x\n", i, d->base, d->size, d->irq, d->version, d->device_id,
		       virtio_device_name(d->device_id), d->vendor_id);
		if (ok && (d->version != 2 || !d->device_id)) {
			result_add(res, "device at 0x%lx: version %u, device ID %u", d->base,
				   d->version, d->device_id);
			ok = false;
		}
	}
	result_add(res, "%d virtio-mmio device%s", n, n == 1 ? "" : "s");
	if (cmdline_get_u64(boot.cmdline, "cvmmtest.expect_devices", &want) &&
	    want != (uint64_t)n) {
		result_add(res, "expected %lu", want);
		ok = false;
	}
	for (int i = 0; i < n && res->len < sizeof(res->detail) - 12; i++)
		result_cat(res, "%s%s", i ? "," : ": ", virtio_device_name(devs[i].device_id));
	return ok;
}
