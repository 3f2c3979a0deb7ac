// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/bus.h"
#include "vmm/ioapic.h"
#include "vmm/kvm_api.h"
#include "vmm/log.h"

#define IOAPIC_REG_SELECT 0x00
#define IOAPIC_REG_WINDOW 0x10
#define IOAPIC_ID         0x00
#define IOAPIC_VERSION    0x01
#define IOAPIC_ARB        0x02
#define IOAPIC_REDIR_BASE 0x10
#define IOAPIC_VERSION_ID 0x11

#define RTE_RO_BITS (IOAPIC_RTE_REMOTE_IRR | (1ULL << 12)) /* remote IRR, delivery status */

static struct kvm_msi rte_to_msi(uint64_t rte)
{
	uint32_t vector = rte & 0xff;
	uint32_t delivery = (rte >> 8) & 0x7;
	uint32_t dest_logical = (rte >> 11) & 0x1;
	uint32_t level = (rte >> 15) & 0x1;
	uint32_t dest = (rte >> 56) & 0xff;

	return (struct kvm_msi){
		.address_lo = 0xfee00000U | dest << 12 | dest_logical << 2,
		.address_hi = 0,
		.data = vector | delivery << 8 | level << 15 | 1U << 14,
	};
}

/* Mirrors the redirection table into KVM's GSI routes (pin n = GSI n). Lock held. */
static void sync_routes(struct ioapic *io)
{
	_Alignas(struct kvm_irq_routing_entry) uint8_t buf[sizeof(struct kvm_irq_routing) +
		LAYOUT_IOAPIC_PINS * sizeof(struct kvm_irq_routing_entry)];
	struct kvm_irq_routing *r = (struct kvm_irq_routing *)buf;
	int ret;

	memset(buf, 0, sizeof(buf));
	for (unsigned pin = 0; pin < LAYOUT_IOAPIC_PINS; pin++) {
		struct kvm_msi msi;
		struct kvm_irq_routing_entry *e;

		if (io->redir[pin] & IOAPIC_RTE_MASKED)
			continue;
		msi = rte_to_msi(io->redir[pin]);
		e = &r->entries[r->nr++];
		e->gsi = pin;
		e->type = KVM_IRQ_ROUTING_MSI;
		e->u.msi.address_lo = msi.address_lo;
		e->u.msi.address_hi = msi.address_hi;
		e->u.msi.data = msi.data;
	}
	ret = kvm_set_gsi_routing(io->vm_fd, r);
	if (ret)
		log_warn("ioapic: KVM_SET_GSI_ROUTING failed: %d", ret);
}

/* Sends the pin's interrupt now. Lock held. */
static void deliver(struct ioapic *io, unsigned pin)
{
	struct kvm_msi msi = rte_to_msi(io->redir[pin]);
	int ret;

	if (io->redir[pin] & IOAPIC_RTE_LEVEL)
		io->redir[pin] |= IOAPIC_RTE_REMOTE_IRR;
	ret = kvm_signal_msi(io->vm_fd, &msi);
	if (ret < 0)
		log_warn("ioapic: KVM_SIGNAL_MSI for pin %u failed: %d", pin, ret);
	io->delivered++;
}

/* Delivers a level-triggered pin that is asserted and may take an interrupt. Lock held. */
static void service_level(struct ioapic *io, unsigned pin)
{
	uint64_t rte = io->redir[pin];

	if ((rte & IOAPIC_RTE_LEVEL) && !(rte & (IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR)) &&
	    (io->line_level & (1U << pin)))
		deliver(io, pin);
}

void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level)
{
	uint32_t bit;
	bool was;

	if (pin >= LAYOUT_IOAPIC_PINS)
		return;
	bit = 1U << pin;
	pthread_mutex_lock(&io->lock);
	was = io->line_level & bit;
	if (level)
		io->line_level |= bit;
	else
		io->line_level &= ~bit;
	if (io->redir[pin] & IOAPIC_RTE_LEVEL)
		service_level(io, pin);
	else if (level && !was && !(io->redir[pin] & IOAPIC_RTE_MASKED))
		deliver(io, pin);
	pthread_mutex_unlock(&io->lock);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	pthread_mutex_lock(&io->lock);
	for (unsigned pin = 0; pin < LAYOUT_IOAPIC_PINS; pin++) {
		if ((io->redir[pin] & 0xff) != vector || !(io->redir[pin] & IOAPIC_RTE_LEVEL))
			continue;
		io->redir[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
		service_level(io, pin);
	}
	pthread_mutex_unlock(&io->lock);
}

static uint32_t read_reg(struct ioapic *io)
{
	uint32_t sel = io->ioregsel;

	switch (sel) {
	case IOAPIC_ID:
		return io->id << 24;
	case IOAPIC_VERSION:
		return (LAYOUT_IOAPIC_PINS - 1) << 16 | IOAPIC_VERSION_ID;
	case IOAPIC_ARB:
		return io->id << 24;
	}
	if (sel >= IOAPIC_REDIR_BASE && sel < IOAPIC_REDIR_BASE + 2 * LAYOUT_IOAPIC_PINS) {
		uint64_t rte = io->redir[(sel - IOAPIC_REDIR_BASE) / 2];

		return (sel & 1) ? (uint32_t)(rte >> 32) : (uint32_t)rte;
	}
	return 0xffffffff;
}

static void write_reg(struct ioapic *io, uint32_t val)
{
	uint32_t sel = io->ioregsel;
	unsigned pin;
	uint64_t old, rte;

	if (sel == IOAPIC_ID) {
		io->id = (val >> 24) & 0xf;
		return;
	}
	if (sel < IOAPIC_REDIR_BASE || sel >= IOAPIC_REDIR_BASE + 2 * LAYOUT_IOAPIC_PINS)
		return;
	pin = (sel - IOAPIC_REDIR_BASE) / 2;
	old = io->redir[pin];
	if (sel & 1)
		rte = (old & 0xffffffffULL) | (uint64_t)val << 32;
	else
		rte = (old & ~0xffffffffULL) | val;
	rte = (rte & ~RTE_RO_BITS) | (old & RTE_RO_BITS);
	/* An edge-triggered pin has no remote IRR. */
	if (!(rte & IOAPIC_RTE_LEVEL))
		rte &= ~IOAPIC_RTE_REMOTE_IRR;
	io->redir[pin] = rte;
	if (rte != old)
		sync_routes(io);
	service_level(io, pin);
}

void ioapic_mmio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct ioapic *io = opaque;
	uint32_t val = 0;

	/* Registers are 32-bit; narrower accesses see the low bytes. */
	if (len > 4)
		len = 4;
	pthread_mutex_lock(&io->lock);
	if (is_write) {
		memcpy(&val, data, len);
		if (offset == IOAPIC_REG_SELECT)
			io->ioregsel = val & 0xff;
		else if (offset == IOAPIC_REG_WINDOW)
			write_reg(io, val);
	} else {
		if (offset == IOAPIC_REG_SELECT)
			val = io->ioregsel;
		else if (offset == IOAPIC_REG_WINDOW)
			val = read_reg(io);
		memcpy(data, &val, len);
	}
	pthread_mutex_unlock(&io->lock);
}

int ioapic_init(struct ioapic *io, int vm_fd, struct bus *mmio)
{
	memset(io, 0, sizeof(*io));
	pthread_mutex_init(&io->lock, NULL);
	io->vm_fd = vm_fd;
	for (unsigned pin = 0; pin < LAYOUT_IOAPIC_PINS; pin++)
		io->redir[pin] = IOAPIC_RTE_MASKED;
	return bus_register(mmio, LAYOUT_IOAPIC_ADDR, LAYOUT_IOAPIC_SIZE, ioapic_mmio, io,
			    "ioapic");
}

void ioapic_destroy(struct ioapic *io)
{
	pthread_mutex_destroy(&io->lock);
}
