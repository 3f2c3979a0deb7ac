/* SPDX-License-Identifier: MIT */
/*
 * Interrupt routing, for both irqchip modes:
 *  - kernel: KVM's in-kernel PIC + IOAPIC + LAPIC; lines go through KVM_IRQ_LINE, irqfds straight
 *    to the in-kernel IOAPIC pin.
 *  - split:  in-kernel LAPIC only; cvmm emulates the IOAPIC (vmm/ioapic.c).  Lines are delivered as
 *    MSIs computed from the redirection table; irqfds are bound to GSI routes that cvmm rewrites
 *    whenever the guest reprograms a redirection entry, so they still never leave the kernel.
 */
#ifndef CVMM_IRQ_H
#define CVMM_IRQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum irqchip_mode {
	IRQCHIP_KERNEL,
	IRQCHIP_SPLIT,
};

struct bus;
struct ioapic;

struct irq_router {
	int vm_fd;
	enum irqchip_mode mode;
	struct ioapic *ioapic; /* split mode only */
};

/* Creates the irqchip on vm_fd (before any vCPU); split mode also maps the IOAPIC on mmio. */
int irq_router_init(struct irq_router *router, int vm_fd, enum irqchip_mode mode, struct bus *mmio);
void irq_router_destroy(struct irq_router *router);

/* Sets the level of an interrupt line (legacy devices such as the UART). */
int irq_set_level(struct irq_router *router, uint32_t gsi, bool level);

/* Binds an eventfd to gsi: each write to efd raises one edge-triggered interrupt. */
int irq_attach_irqfd(struct irq_router *router, uint32_t gsi, int efd);
int irq_detach_irqfd(struct irq_router *router, uint32_t gsi, int efd);

/* Split mode: KVM_EXIT_IOAPIC_EOI from a vCPU. */
void irq_handle_eoi(struct irq_router *router, uint8_t vector);

#endif
