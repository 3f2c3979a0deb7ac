// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/ioapic.h"
#include "vmm/irq.h"
#include "vmm/kvm_api.h"
#include "vmm/layout.h"

int irq_router_init(struct irq_router *router, int vm_fd, enum irqchip_mode mode, struct bus *mmio)
{
	int ret;

	memset(router, 0, sizeof(*router));
	router->vm_fd = vm_fd;
	router->mode = mode;
	if (mode == IRQCHIP_KERNEL) {
		ret = kvm_create_irqchip(vm_fd);
		if (ret)
			return ret;
		/* The PIT gives Linux a calibration source and the legacy timer IRQ 0. */
		return kvm_create_pit2(vm_fd);
	}

	ret = kvm_enable_cap(vm_fd, KVM_CAP_SPLIT_IRQCHIP, LAYOUT_IOAPIC_PINS);
	if (ret)
		return ret;
	router->ioapic = malloc(sizeof(*router->ioapic));
	if (!router->ioapic)
		return -ENOMEM;
	ret = ioapic_init(router->ioapic, vm_fd, mmio);
	if (ret) {
		free(router->ioapic);
		router->ioapic = NULL;
	}
	return ret;
}

void irq_router_destroy(struct irq_router *router)
{
	if (router->ioapic) {
		ioapic_destroy(router->ioapic);
		free(router->ioapic);
		router->ioapic = NULL;
	}
}

int irq_set_level(struct irq_router *router, uint32_t gsi, bool level)
{
	if (gsi >= LAYOUT_IOAPIC_PINS)
		return -EINVAL;
	if (router->mode == IRQCHIP_KERNEL)
		return kvm_irq_line(router->vm_fd, gsi, level);
	ioapic_set_irq(router->ioapic, gsi, level);
	return 0;
}

int irq_attach_irqfd(struct irq_router *router, uint32_t gsi, int efd)
{
	struct kvm_irqfd irqfd = { .fd = (uint32_t)efd, .gsi = gsi };

	if (gsi >= LAYOUT_IOAPIC_PINS || efd < 0)
		return -EINVAL;
	return kvm_irqfd(router->vm_fd, &irqfd);
}

int irq_detach_irqfd(struct irq_router *router, uint32_t gsi, int efd)
{
	struct kvm_irqfd irqfd = { .fd = (uint32_t)efd, .gsi = gsi, .flags = KVM_IRQFD_FLAG_DEASSIGN };

	return kvm_irqfd(router->vm_fd, &irqfd);
}

void irq_handle_eoi(struct irq_router *router, uint8_t vector)
{
	if (router->ioapic)
		ioapic_eoi(router->ioapic, vector);
}
