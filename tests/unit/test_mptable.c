// SPDX-License-Identifier: MIT
/*
 * The MP table: checksums, the floating pointer's address of the table, one enabled processor per
 * vCPU (CPU 0 the boot one), the ISA bus and IOAPIC, an interrupt source for COM1, the keyboard,
 * the timer (legacy PIC only) and each virtio-mmio line on the pin of the same number, and bad
 * configs refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "boot/mptable.h"

#define GPA 0x9fc00

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static uint32_t le(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

/* The source IRQ routed to pin, or -1; its flags in *flags. */
static int route_of(const uint8_t *hdr, unsigned pin, uint16_t *flags, int *type)
{
	const uint8_t *e = hdr + 44, *end = hdr + le(hdr + 4, 2);

	while (e < end) {
		if (e[0] == 0) {
			e += 20;
			continue;
		}
		if (e[0] == 3 && e[7] == pin) {
			*flags = (uint16_t)le(e + 2, 2);
			*type = e[1];
			return e[5];
		}
		e += 8;
	}
	return -1;
}

static void test_layout(void **state)
{
	static const uint32_t irqs[] = { 16, 17, 5 };
	struct mptable_config cfg = {
		.nr_cpus = 4, .lapic_addr = 0xfee00000, .ioapic_addr = 0xfec00000,
		.ioapic_pins = 24, .legacy_pic = true, .keyboard = true, .com1 = true,
		.com1_irq = 4, .irqs = irqs, .nr_irqs = 3,
	};
	uint8_t buf[4096], *hdr = buf + 16;
	unsigned cpus = 0, boot = 0, entries = 0;
	const uint8_t *e;
	uint16_t flags;
	int type, n = mptable_build(&cfg, buf, sizeof(buf), GPA);

	assert_int_equal(n, (int)mptable_size(&cfg));
	assert_memory_equal(buf, "_MP_", 4);
	assert_int_equal(le(buf + 4, 4), GPA + 16);
	assert_int_equal(buf[8], 1);
	assert_int_equal(buf[9], 4);
	assert_int_equal(sum(buf, 16), 0);
	assert_memory_equal(hdr, "PCMP", 4);
	assert_int_equal(sum(hdr, le(hdr + 4, 2)), 0);
	assert_int_equal(16 + le(hdr + 4, 2), n);
	assert_int_equal(le(hdr + 36, 4), 0xfee00000);
	for (e = hdr + 44; e < hdr + le(hdr + 4, 2); entries++) {
		if (e[0] == 0) {
			assert_int_equal(e[1], cpus);
			assert_true(e[3] & 1);
			boot += (e[3] & 2) ? 1 : 0;
			cpus++;
			e += 20;
		} else {
			if (e[0] == 1)
				assert_memory_equal(e + 2, "ISA   ", 6);
			if (e[0] == 2)
				assert_int_equal(le(e + 4, 4), 0xfec00000);
			e += 8;
		}
	}
	assert_int_equal(entries, le(hdr + 34, 2));
	assert_int_equal(cpus, 4);
	assert_int_equal(boot, 1);
	assert_int_equal(route_of(hdr, 4, &flags, &type), 4);   /* COM1 */
	assert_int_equal(route_of(hdr, 1, &flags, &type), 1);   /* keyboard */
	assert_int_equal(route_of(hdr, 2, &flags, &type), 0);   /* timer */
	assert_int_equal(route_of(hdr, 0, &flags, &type), 0);   /* 8259 cascade */
	assert_int_equal(type, 3);                                /* ExtINT */
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(route_of(hdr, irqs[i], &flags, &type), (int)irqs[i]);
		assert_int_equal(flags, 0x5); /* edge, active high */
		assert_int_equal(type, 0);
	}
	/* Split irqchip: no PIC, no timer or ExtINT routes. */
	cfg.legacy_pic = false;
	n = mptable_build(&cfg, buf, sizeof(buf), GPA);
	assert_true(n > 0);
	assert_int_equal(route_of(hdr, 2, &flags, &type), -1);
	assert_int_equal(route_of(hdr, 0, &flags, &type), -1);
}

static void test_bad_configs(void **state)
{
	static const uint32_t bad_irq[] = { 24 };
	struct mptable_config cfg = {
		.nr_cpus = 254, .lapic_addr = 0xfee00000, .ioapic_addr = 0xfec00000,
		.ioapic_pins = 24, .com1 = true, .com1_irq = 4,
	};
	static uint8_t buf[8192];

	assert_true(mptable_build(&cfg, buf, sizeof(buf), GPA) > 0); /* the most CPUs fit */
	assert_int_equal(mptable_build(&cfg, buf, 100, GPA), -ENOSPC);
	assert_int_equal(mptable_build(&cfg, buf, sizeof(buf), GPA + 1), -EINVAL);
	cfg.nr_cpus = 255;
	assert_int_equal(mptable_build(&cfg, buf, sizeof(buf), GPA), -EINVAL);
	cfg.nr_cpus = 1;
	cfg.irqs = bad_irq;
	cfg.nr_irqs = 1;
	assert_int_equal(mptable_build(&cfg, buf, sizeof(buf), GPA), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_bad_configs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
