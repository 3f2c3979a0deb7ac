// SPDX-License-Identifier: MIT
/* Describes the VM to boot/acpi.c and writes the tables into low memory. */
#include <errno.h>

#include "boot/acpi.h"
#include "boot/acpi_setup.h"
#include "vmm/layout.h"
#include "vmm/vm.h"

int acpi_setup(struct vm *vm, uint64_t *rsdp_gpa)
{
	struct acpi_virtio_dev virtio[LAYOUT_VIRTIO_MMIO_MAX];
	struct acpi_config cfg = {
		.nr_cpus = vm->nr_vcpus,
		.legacy_pic = vm->cfg->irqchip == IRQCHIP_KERNEL,
		.i8042 = false, /* no keyboard: the driver need not probe; reboot=k still works */
		.ioapic_addr = LAYOUT_IOAPIC_ADDR,
		.ioapic_id = 0,
		.ioapic_gsi_base = 0,
		.lapic_addr = LAYOUT_LAPIC_ADDR,
		.com1 = true,
		.com1_port = LAYOUT_COM1_PORT,
		.com1_irq = LAYOUT_COM1_IRQ,
		.virtio = virtio,
		.nr_virtio = vm->nr_virtio_slots,
		.sleep_ctl_port = LAYOUT_ACPI_SLEEP_CTL_PORT,
		.sleep_sts_port = LAYOUT_ACPI_SLEEP_STS_PORT,
		.reset_port = LAYOUT_ACPI_RESET_PORT,
		.reset_value = LAYOUT_ACPI_RESET_VALUE,
	};
	uint64_t size = LAYOUT_ACPI_END - LAYOUT_ACPI_START;
	uint8_t *buf = guest_mem_ptr(&vm->mem, LAYOUT_ACPI_START, size);
	int ret;

	if (!buf)
		return -EFAULT;
	for (unsigned i = 0; i < vm->nr_virtio_slots; i++)
		virtio[i] = (struct acpi_virtio_dev){
			.base = vm->virtio_slots[i].base,
			.size = LAYOUT_VIRTIO_MMIO_SIZE,
			.irq = vm->virtio_slots[i].irq,
		};
	ret = acpi_build(&cfg, buf, size, LAYOUT_ACPI_START);
	if (ret < 0)
		return ret;
	*rsdp_gpa = LAYOUT_ACPI_START;
	return 0;
}
