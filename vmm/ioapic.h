/* SPDX-License-Identifier: MIT */
/*
 * A userspace IOAPIC (82093AA register model, version 0x11, 24 pins) for split-irqchip VMs: the
 * LAPICs stay in KVM, cvmm owns the redirection table.  Lines become MSIs (KVM_SIGNAL_MSI);
 * irqfd-driven pins are served by GSI routes that mirror the redirection table, so KVM delivers
 * them without leaving the kernel and knows which vectors need EOI exits.
 */
#ifndef CVMM_IOAPIC_H
#define CVMM_IOAPIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/layout.h"

struct bus;

struct ioapic {
	pthread_mutex_t lock;
	int vm_fd;
	uint32_t id;
	uint32_t ioregsel;
	uint64_t redir[LAYOUT_IOAPIC_PINS];
	uint32_t line_level;  /* bit per pin: current input level */
	uint64_t delivered;   /* interrupts sent, for tests and statistics */
};

#define IOAPIC_RTE_MASKED     (1ULL << 16)
#define IOAPIC_RTE_LEVEL      (1ULL << 15)
#define IOAPIC_RTE_REMOTE_IRR (1ULL << 14)

int ioapic_init(struct ioapic *io, int vm_fd, struct bus *mmio);
void ioapic_destroy(struct ioapic *io);
void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level);
void ioapic_eoi(struct ioapic *io, uint8_t vector);
/* MMIO handler (offset within the 4 KiB window). */
void ioapic_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

#endif
