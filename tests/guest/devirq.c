// SPDX-License-Identifier: MIT
/*
 * devirq (on request): every virtio-mmio device's interrupt reaches the guest through the IOAPIC
 * pin the platform description gives (the MP table with acpi=off, else the ACPI GSI).  For each
 * device the guest negotiates, sets up one queue the device serves on a notification (blk and rng:
 * queue 0, vsock: its transmit queue 1), routes the pin to a vector on the BSP and publishes a chain
 * whose buffer lies outside RAM.  The device must refuse it (NEEDS_RESET, with a configuration-
 * change interrupt) or complete it (a used-buffer interrupt): either way an interrupt must arrive
 * within cvmmtest.spin_limit polls.  The device is reset afterwards.
 */
#include "tests/guest/acpi.h"
#include "tests/guest/apic.h"
#include "tests/guest/guest.h"
#include "tests/guest/io.h"
#include "tests/guest/layout.h"
#include "tests/guest/printf.h"
#include "tests/guest/trap.h"
#include "tests/guest/virtio_mmio.h"
#include "tests/guest/virtq.h"

#define OUTSIDE_RAM (1ULL << 40)

static volatile uint32_t irqs;
static struct gvirtq q;

/* Ring 0. */
static void devirq_interrupt(struct trap_frame *frame)
{
	(void)frame;
	irqs++;
	lapic_write(LAPIC_EOI, 0);
}

static int pin_of(const struct acpi_info *a, uint32_t irq)
{
	if (guest_acpi_off())
		return irq < 256 && a->irq_routed[irq] ? a->irq_pin[irq] : -1;
	return irq >= a->ioapic_gsi_base ? (int)(irq - a->ioapic_gsi_base) : -1;
}

/* One device: NULL when its interrupt arrived, else why not. */
static const char *one_device(struct virtio_mmio_dev *dev, uint64_t ioapic, int pin, uint32_t bsp)
{
	unsigned qi = dev->device_id == VIRTIO_ID_VSOCK ? 1 : 0;
	uint32_t before, isr;
	uint64_t got;
	const char *why = gvirtio_negotiate(dev, 0, &got);

	if (!why)
		why = gvirtq_setup(&q, dev, qi, 8, false);
	if (why)
		return why;
	gvirtio_driver_ok(dev);
	ioapic_write(ioapic, IOAPIC_REDTBL(pin) + 1, bsp << 24);
	ioapic_write(ioapic, IOAPIC_REDTBL(pin), VEC_DEVIRQ);
	before = irqs;
	syscall1(SYS_SET_IF, 1);
	gvirtq_raw_desc(&q, 0, OUTSIDE_RAM, 64, qi ? 0 : VIRTQ_DESC_F_WRITE, 0);
	gvirtq_raw_publish(&q, 0);
	for (uint64_t i = 0; i < spin_limit && irqs == before; i++)
		cpu_relax();
	syscall1(SYS_SET_IF, 0);
	isr = vmmio_read32(dev, VIRTIO_MMIO_INTERRUPT_STATUS);
	vmmio_write32(dev, VIRTIO_MMIO_INTERRUPT_ACK, isr);
	ioapic_write(ioapic, IOAPIC_REDTBL(pin), VEC_DEVIRQ | IOAPIC_RTE_MASKED);
	gvirtio_reset(dev);
	return irqs == before ? "no interrupt" : NULL;
}

bool check_devirq(struct check_result *res)
{
	const struct acpi_info *a = platform_get();
	struct virtio_mmio_dev devs[VIRTIO_MMIO_MAX];
	uint64_t ioapic = a->has_ioapic ? a->ioapic_addr : 0xfec00000;
	char err[80];
	int n = virtio_mmio_discover(boot.cmdline, devs, VIRTIO_MMIO_MAX, err, sizeof(err));
	unsigned ok = 0;
	uint32_t bsp;

	if (n <= 0) {
		result_add(res, "%s", n < 0 ? err : "no virtio-mmio device on the command line");
		return false;
	}
	bsp = apic_take_interrupts();
	trap_set_handler(VEC_DEVIRQ, devirq_interrupt);
	for (int i = 0; i < n; i++) {
		int pin = pin_of(a, devs[i].irq);
		const char *why;

		if (!virtio_mmio_probe(&devs[i]) || !devs[i].device_id)
			why = "not a virtio device";
		else if (pin < 0 || (uint32_t)pin > ((ioapic_read(ioapic, IOAPIC_VER) >> 16) & 0xff))
			why = "no IOAPIC pin";
		else
			why = one_device(&devs[i], ioapic, pin, bsp);
		result_add(res, "%s@%u:%s", virtio_device_name(devs[i].device_id), devs[i].irq,
			   why ? why : "ok");
		ok += !why;
	}
	trap_set_handler(VEC_DEVIRQ, 0);
	result_add(res, "%u/%d interrupts", ok, n);
	return ok == (unsigned)n;
}
