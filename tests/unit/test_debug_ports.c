// SPDX-License-Identifier: MIT
/*
 * The debug ports: port 0x501 ends the VM with the byte written only with --debug-exit (a test
 * device), so by default a guest cannot pick cvmm's exit status; the boot-timer port is always
 * there and logs only with --boot-timer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "devices/debug_ports.h"
#include "tests/unit/virtio_harness.h"
#include "vmm/config.h"
#include "vmm/device_env.h"
#include "vmm/layout.h"

static struct vh_vm vh;

/* Creates the debug ports as the device table does, for this config. */
static void create(bool debug_exit)
{
	struct vm_config cfg;
	struct device dev;

	assert_int_equal(vh_vm_init(&vh, 2 << 20, TEE_NONE), 0);
	config_init(&cfg);
	cfg.debug_exit = debug_exit;
	assert_int_equal(debug_ports_device.create(&vh.dev_env, &cfg, 0, &dev, NULL), 0);
	vh_add_device(&vh, &dev);
	vh.stop_status = -1;
}

static bool out8(uint16_t port, uint8_t v)
{
	return bus_access(&vh.pio, port, &v, 1, true);
}

static void test_absent_by_default(void **state)
{
	create(false);
	/* Nothing claims the port: the write goes nowhere and the VM runs on. */
	assert_null(bus_find(&vh.pio, LAYOUT_DEBUG_EXIT_PORT));
	assert_false(out8(LAYOUT_DEBUG_EXIT_PORT, 3));
	assert_int_equal(vh.stops, 0);
	/* The boot-timer port does not depend on the option. */
	assert_non_null(bus_find(&vh.pio, LAYOUT_BOOT_TIMER_PORT));
	vh_vm_destroy(&vh);
}

static void test_present_when_asked(void **state)
{
	create(true);
	assert_true(out8(LAYOUT_DEBUG_EXIT_PORT, 42));
	assert_int_equal(vh.stops, 1);
	assert_int_equal(vh.stop_status, 42);
	vh_vm_destroy(&vh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absent_by_default),
		cmocka_unit_test(test_present_when_asked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
