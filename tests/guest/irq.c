// SPDX-License-Identifier: MIT
/*
 * irq: COM1's interrupt delivered through the IOAPIC.  The 8259 PICs are masked, the IOAPIC
 * pin of ISA IRQ 4 (MADT override honoured) is routed to VEC_COM1 on the BSP, MCR.OUT2 is set
 * and the THR-empty interrupt is enabled IRQ_ROUNDS times (IER 0 -> THRI raises it anew each
 * time).  The ring-0 handler counts, reads IIR (acknowledging the UART) and sends the LAPIC EOI.
 * Every round must see its interrupt within cvmmtest.spin_limit polls.
 */
#include "tests/guest/acpi.h"
#include "tests/guest/apic.h"
#include "tests/guest/guest.h"
#include "tests/guest/io.h"
#include "tests/guest/layout.h"
#include "tests/guest/serial.h"
#include "tests/guest/trap.h"

#define IRQ_ROUNDS 4

static volatile uint32_t com1_irqs;

/* Ring 0. */
static void com1_interrupt(struct trap_frame *frame)
{
	(void)frame;
	com1_irqs++;
	(void)inb(COM1_PORT + UART_IIR);
	lapic_write(LAPIC_EOI, 0);
}

static bool wait_irqs(uint32_t n)
{
	for (uint64_t i = 0; i < spin_limit; i++) {
		if (com1_irqs >= n)
			return true;
		cpu_relax();
	}
	return false;
}

bool check_irq(struct check_result *res)
{
	const struct acpi_info *a = platform_get();
	uint64_t ioapic = a->has_ioapic ? a->ioapic_addr : 0xfec00000;
	uint32_t gsi = a->com1_gsi, pin, max_pin, rte, bsp, rounds = 0;
	uint8_t mcr;

	if (!phys_range_ok(ioapic, 0x20) || gsi < a->ioapic_gsi_base) {
		result_add(res, "IOAPIC at 0x%lx cannot serve GSI %u", ioapic, gsi);
		return false;
	}
	pin = gsi - a->ioapic_gsi_base;
	max_pin = (ioapic_read(ioapic, IOAPIC_VER) >> 16) & 0xff;
	if (max_pin == 0xff || pin > max_pin) {
		result_add(res, "IOAPIC at 0x%lx has no pin %u (version 0x%x)", ioapic, pin,
			   ioapic_read(ioapic, IOAPIC_VER));
		return false;
	}

	bsp = apic_take_interrupts();

	rte = VEC_COM1;
	if ((a->com1_flags & 3) == 3)
		rte |= IOAPIC_RTE_ACTIVE_LOW;
	if (((a->com1_flags >> 2) & 3) == 3)
		rte |= IOAPIC_RTE_LEVEL;
	trap_set_handler(VEC_COM1, com1_interrupt);
	com1_irqs = 0;
	ioapic_write(ioapic, IOAPIC_REDTBL(pin) + 1, bsp << 24);
	ioapic_write(ioapic, IOAPIC_REDTBL(pin), rte);

	mcr = inb(COM1_PORT + UART_MCR);
	outb(COM1_PORT + UART_MCR, mcr | UART_MCR_OUT2);
	outb(COM1_PORT + UART_IER, 0);
	syscall1(SYS_SET_IF, 1);
	while (rounds < IRQ_ROUNDS) {
		outb(COM1_PORT + UART_IER, UART_IER_THRI);
		if (!wait_irqs(rounds + 1))
			break;
		outb(COM1_PORT + UART_IER, 0);
		rounds++;
	}
	syscall1(SYS_SET_IF, 0);
	outb(COM1_PORT + UART_IER, 0);
	ioapic_write(ioapic, IOAPIC_REDTBL(pin), rte | IOAPIC_RTE_MASKED);
	outb(COM1_PORT + UART_MCR, mcr);
	trap_set_handler(VEC_COM1, 0);

	result_add(res, "%u interrupts on vector 0x%x from IOAPIC 0x%lx pin %u%s to APIC ID %u",
		   com1_irqs, VEC_COM1, ioapic, pin,
		   rte & IOAPIC_RTE_LEVEL ? " (level)" : "", bsp);
	if (rounds < IRQ_ROUNDS) {
		result_add(res, "round %u got no interrupt", rounds + 1);
		return false;
	}
	return true;
}
