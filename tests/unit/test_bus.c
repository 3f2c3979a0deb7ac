// SPDX-License-Identifier: MIT
/* Unit tests of the PIO/MMIO bus: registration, overlap refusal, lookup and dispatch. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/bus.h"

struct fake_dev {
	uint64_t last_offset;
	uint32_t last_len;
	bool last_write;
	unsigned calls;
};

static void fake_access(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct fake_dev *d = opaque;

	d->last_offset = offset;
	d->last_len = len;
	d->last_write = is_write;
	d->calls++;
	if (!is_write)
		memset(data, 0xab, len);
}

static void test_register_and_find(void **state)
{
	struct bus bus;
	struct fake_dev a = { 0 }, b = { 0 };
	uint8_t data[4];

	bus_init(&bus);
	assert_int_equal(bus_register(&bus, 0x3f8, 8, fake_access, &a, "uart"), 0);
	assert_int_equal(bus_register(&bus, 0x60, 1, fake_access, &b, "i8042"), 0);
	assert_non_null(bus_find(&bus, 0x3f8));
	assert_non_null(bus_find(&bus, 0x3ff));
	assert_null(bus_find(&bus, 0x400));
	assert_null(bus_find(&bus, 0x3f7));
	assert_string_equal(bus_find(&bus, 0x60)->name, "i8042");

	assert_true(bus_access(&bus, 0x3fa, data, 1, false));
	assert_int_equal(a.last_offset, 2);
	assert_int_equal(data[0], 0xab);
	/* An access that runs past the end of the range is not dispatched. */
	assert_false(bus_access(&bus, 0x3fe, data, 4, true));
	assert_int_equal(a.calls, 1);
	/* Unclaimed reads float high. */
	assert_false(bus_access(&bus, 0x1234, data, 2, false));
	assert_int_equal(data[0], 0xff);
	assert_int_equal(data[1], 0xff);
	bus_destroy(&bus);
}

static void test_overlap_refused(void **state)
{
	struct bus bus;
	struct fake_dev a = { 0 };

	bus_init(&bus);
	assert_int_equal(bus_register(&bus, 0x1000, 0x1000, fake_access, &a, "a"), 0);
	assert_int_equal(bus_register(&bus, 0x1fff, 1, fake_access, &a, "b"), -EEXIST);
	assert_int_equal(bus_register(&bus, 0x0fff, 2, fake_access, &a, "c"), -EEXIST);
	assert_int_equal(bus_register(&bus, 0x0, 0x10000, fake_access, &a, "d"), -EEXIST);
	assert_int_equal(bus_register(&bus, 0x2000, 0, fake_access, &a, "e"), -EINVAL);
	assert_int_equal(bus_register(&bus, UINT64_MAX, 2, fake_access, &a, "f"), -EINVAL);
	assert_int_equal(bus_register(&bus, 0x2000, 0x10, fake_access, &a, "g"), 0);
	assert_int_equal(bus_register(&bus, 0x0, 0x1000, fake_access, &a, "h"), 0);
	bus_destroy(&bus);
}

static void test_many_ranges_sorted(void **state)
{
	struct bus bus;
	struct fake_dev d = { 0 };

	bus_init(&bus);
	/* Register in a scrambled order; lookups must find each one. */
	for (unsigned i = 0; i < 200; i++) {
		unsigned k = (i * 37) % 200;

		assert_int_equal(bus_register(&bus, 0xd0000000ULL + k * 0x1000ULL, 0x1000,
					      fake_access, &d, "v"), 0);
	}
	for (unsigned k = 0; k < 200; k++) {
		const struct bus_range *r = bus_find(&bus, 0xd0000000ULL + k * 0x1000ULL + 0x123);

		assert_non_null(r);
		assert_int_equal(r->base, 0xd0000000ULL + k * 0x1000ULL);
	}
	assert_null(bus_find(&bus, 0xd0000000ULL + 200 * 0x1000ULL));
	bus_destroy(&bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_and_find),
		cmocka_unit_test(test_overlap_refused),
		cmocka_unit_test(test_many_ranges_sorted),
	};

	return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}
