// SPDX-License-Identifier: MIT
/*
 * The i8042: CPU reset through the controller (command 0xfe and the output port), probe commands
 * a keyboard driver sends acknowledged, and Ctrl+Alt+Del typed as scan code set 2 bytes queued
 * behind the output buffer, each raising IRQ 1 once the command byte enables it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "devices/i8042.h"
#include "tests/unit/kvm_recorder.h"
#include "tests/unit/virtio_harness.h"
#include "vmm/device_env.h"
#include "vmm/exit_status.h"
#include "vmm/layout.h"

static struct vh_vm vh;
static struct device dev;

static int setup(void **state)
{
	rec_reset();
	assert_int_equal(vh_vm_init(&vh, 2 << 20, TEE_NONE), 0);
	vh.stop_status = -1;
	assert_int_equal(i8042_device.create(&vh.dev_env, NULL, 0, &dev, NULL), 0);
	return 0;
}

static int teardown(void **state)
{
	dev.destroy(dev.opaque);
	vh_vm_destroy(&vh);
	return 0;
}

static void out8(uint16_t port, uint8_t v)
{
	assert_true(bus_access(&vh.pio, port, &v, 1, true));
}

static uint8_t in8(uint16_t port)
{
	uint8_t v = 0;

	assert_true(bus_access(&vh.pio, port, &v, 1, false));
	return v;
}

/* The bytes waiting in the output buffer, in order. */
static unsigned drain(uint8_t *out, unsigned cap)
{
	unsigned n = 0;

	while (n < cap && (in8(LAYOUT_I8042_PORT_CMD) & 1))
		out[n++] = in8(LAYOUT_I8042_PORT_DATA);
	return n;
}

static void test_reset(void **state)
{
	out8(LAYOUT_I8042_PORT_CMD, 0xfe);
	assert_int_equal(vh.stops, 1);
	assert_int_equal(vh.stop_status, VM_EXIT_OK);
}

static void test_probe_acks(void **state)
{
	uint8_t b[8];

	out8(LAYOUT_I8042_PORT_DATA, 0xff); /* keyboard reset */
	assert_int_equal(drain(b, 8), 2);
	assert_int_equal(b[0], 0xfa);
	assert_int_equal(b[1], 0xaa);
	out8(LAYOUT_I8042_PORT_DATA, 0xf2); /* identify */
	assert_int_equal(drain(b, 8), 3);
	assert_int_equal(b[1], 0xab);
	assert_int_equal(b[2], 0x83);
	assert_int_equal(vh.stops, 0);
}

static void test_ctrl_alt_del(void **state)
{
	static const uint8_t want[] = { 0x14, 0x11, 0xe0, 0x71, 0xe0, 0xf0,
					0x71, 0xf0, 0x11, 0xf0, 0x14 };
	uint8_t b[32];
	size_t irqs;

	/* Keyboard interrupts off: the bytes wait, no IRQ. */
	i8042_send_ctrl_alt_del(dev.opaque);
	assert_int_equal(rec_count("kvm_irq_line"), 0);
	assert_int_equal(drain(b, 32), sizeof(want));
	assert_memory_equal(b, want, sizeof(want));
	/* Enabled in the command byte: every byte put in the output buffer pulses IRQ 1. */
	out8(LAYOUT_I8042_PORT_CMD, 0x60);
	out8(LAYOUT_I8042_PORT_DATA, 0x01);
	i8042_send_ctrl_alt_del(dev.opaque);
	irqs = rec_count("kvm_irq_line");
	assert_int_equal(irqs, 2); /* raise and lower: the first byte */
	assert_int_equal(drain(b, 32), sizeof(want));
	assert_memory_equal(b, want, sizeof(want));
	assert_int_equal(rec_count("kvm_irq_line"), 2 * sizeof(want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_acks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ctrl_alt_del, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
