// SPDX-License-Identifier: MIT
/*
 * The userspace IOAPIC of split-irqchip VMs, against the recording KVM seam: redirection-table
 * programming, MSI composition, edge and level delivery, masking, remote IRR and EOI, and the GSI
 * routes that let irqfds bypass cvmm.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <linux/kvm.h>

#include "tests/unit/kvm_recorder.h"
#include "vmm/bus.h"
#include "vmm/ioapic.h"

struct fixture {
	struct bus bus;
	struct ioapic io;
};

static int setup(void **state)
{
	static struct fixture f;

	rec_reset();
	bus_init(&f.bus);
	assert_int_equal(ioapic_init(&f.io, 42, &f.bus), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ioapic_destroy(&f->io);
	bus_destroy(&f->bus);
	return 0;
}

static void mmio_write32(struct fixture *f, uint64_t off, uint32_t v)
{
	uint8_t d[4];

	memcpy(d, &v, 4);
	assert_true(bus_access(&f->bus, LAYOUT_IOAPIC_ADDR + off, d, 4, true));
}

static uint32_t mmio_read32(struct fixture *f, uint64_t off)
{
	uint8_t d[4];
	uint32_t v;

	assert_true(bus_access(&f->bus, LAYOUT_IOAPIC_ADDR + off, d, 4, false));
	memcpy(&v, d, 4);
	return v;
}

static void write_rte(struct fixture *f, unsigned pin, uint64_t rte)
{
	mmio_write32(f, 0x00, 0x10 + 2 * pin + 1);
	mmio_write32(f, 0x10, (uint32_t)(rte >> 32));
	mmio_write32(f, 0x00, 0x10 + 2 * pin);
	mmio_write32(f, 0x10, (uint32_t)rte);
}

static uint64_t read_rte(struct fixture *f, unsigned pin)
{
	uint64_t lo, hi;

	mmio_write32(f, 0x00, 0x10 + 2 * pin);
	lo = mmio_read32(f, 0x10);
	mmio_write32(f, 0x00, 0x10 + 2 * pin + 1);
	hi = mmio_read32(f, 0x10);
	return lo | hi << 32;
}

static void test_registers(void **state)
{
	struct fixture *f = *state;

	mmio_write32(f, 0x00, 0x01);
	assert_int_equal(mmio_read32(f, 0x10), (23 << 16) | 0x11);
	/* Pins start masked. */
	for (unsigned pin = 0; pin < 24; pin++)
		assert_true(read_rte(f, pin) & IOAPIC_RTE_MASKED);
	write_rte(f, 3, 0x0200000000000031ULL);
	assert_int_equal(read_rte(f, 3), 0x0200000000000031ULL);
	/* Remote IRR and delivery status are read-only. */
	write_rte(f, 3, 0x0200000000000031ULL | IOAPIC_RTE_REMOTE_IRR | (1 << 12));
	assert_int_equal(read_rte(f, 3), 0x0200000000000031ULL);
	/* Out-of-range register selects read as all ones and ignore writes. */
	mmio_write32(f, 0x00, 0x10 + 48);
	assert_int_equal(mmio_read32(f, 0x10), 0xffffffff);
	mmio_write32(f, 0x10, 0);
}

static void test_edge_delivery(void **state)
{
	struct fixture *f = *state;
	const struct rec_call *c;
	long i;

	/* Pin 4: vector 0x24, fixed, physical destination APIC 1, edge, unmasked. */
	write_rte(f, 4, 0x0100000000000024ULL);
	/* The route KVM uses for irqfds mirrors the entry. */
	i = rec_find("kvm_set_gsi_routing", rec_count("kvm_set_gsi_routing") - 1);
	assert_true(i >= 0);
	c = &kvm_rec.calls[i];
	assert_int_equal(c->args[0], 1); /* one unmasked pin */
	{
		const struct kvm_irq_routing *r = (const void *)c->blob;

		assert_int_equal(r->entries[0].gsi, 4);
		assert_int_equal(r->entries[0].type, KVM_IRQ_ROUTING_MSI);
		assert_int_equal(r->entries[0].u.msi.address_lo, 0xfee01000);
		assert_int_equal(r->entries[0].u.msi.data & 0xffff, 0x4024);
	}

	rec_reset();
	ioapic_set_irq(&f->io, 4, true);
	assert_int_equal(rec_count("kvm_signal_msi"), 1);
	c = &kvm_rec.calls[rec_find("kvm_signal_msi", 0)];
	assert_int_equal(c->args[0], 0xfee01000); /* address_lo */
	assert_int_equal(c->args[2] & 0xff, 0x24);
	assert_false(c->args[2] & (1 << 15));     /* edge */
	/* Still high: no new edge, no new interrupt. */
	ioapic_set_irq(&f->io, 4, true);
	assert_int_equal(rec_count("kvm_signal_msi"), 1);
	ioapic_set_irq(&f->io, 4, false);
	ioapic_set_irq(&f->io, 4, true);
	assert_int_equal(rec_count("kvm_signal_msi"), 2);

	/* Masked: the edge is dropped, like on real hardware. */
	ioapic_set_irq(&f->io, 4, false);
	write_rte(f, 4, 0x0100000000000024ULL | IOAPIC_RTE_MASKED);
	ioapic_set_irq(&f->io, 4, true);
	assert_int_equal(rec_count("kvm_signal_msi"), 2);
}

static void test_level_and_eoi(void **state)
{
	struct fixture *f = *state;

	/* Pin 9: vector 0x39, level, logical destination 0x2. */
	write_rte(f, 9, 0x0200000000000839ULL | IOAPIC_RTE_LEVEL);
	rec_reset();
	ioapic_set_irq(&f->io, 9, true);
	assert_int_equal(rec_count("kvm_signal_msi"), 1);
	assert_true(kvm_rec.calls[rec_find("kvm_signal_msi", 0)].args[2] & (1 << 15));
	assert_int_equal(kvm_rec.calls[rec_find("kvm_signal_msi", 0)].args[0],
			 0xfee00000 | 2 << 12 | 1 << 2);
	assert_true(read_rte(f, 9) & IOAPIC_RTE_REMOTE_IRR);
	/* Until the EOI, no re-delivery. */
	ioapic_set_irq(&f->io, 9, true);
	assert_int_equal(rec_count("kvm_signal_msi"), 1);
	/* EOI of another vector changes nothing. */
	ioapic_eoi(&f->io, 0x40);
	assert_true(read_rte(f, 9) & IOAPIC_RTE_REMOTE_IRR);
	/* EOI while the line is still asserted: delivered again. */
	ioapic_eoi(&f->io, 0x39);
	assert_int_equal(rec_count("kvm_signal_msi"), 2);
	/* Line drops, EOI: remote IRR clears and nothing more is sent. */
	ioapic_set_irq(&f->io, 9, false);
	ioapic_eoi(&f->io, 0x39);
	assert_false(read_rte(f, 9) & IOAPIC_RTE_REMOTE_IRR);
	assert_int_equal(rec_count("kvm_signal_msi"), 2);
	/* A level interrupt raised while masked is delivered on unmask. */
	write_rte(f, 9, 0x0200000000000839ULL | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED);
	ioapic_set_irq(&f->io, 9, true);
	assert_int_equal(rec_count("kvm_signal_msi"), 2);
	write_rte(f, 9, 0x0200000000000839ULL | IOAPIC_RTE_LEVEL);
	assert_int_equal(rec_count("kvm_signal_msi"), 3);
}

static void test_bad_pins(void **state)
{
	struct fixture *f = *state;

	rec_reset();
	ioapic_set_irq(&f->io, 24, true);
	ioapic_set_irq(&f->io, 1000, true);
	assert_int_equal(kvm_rec.nr_calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edge_delivery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_and_eoi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_pins, setup, teardown),
	};

	return cmocka_run_group_tests_name("ioapic", tests, NULL, NULL);
}
