// SPDX-License-Identifier: MIT
/* Unit tests of the ACPI power-management ports: poweroff through SLP_TYP=5|SLP_EN, reset. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "devices/acpi_pm.h"
#include "tests/unit/virtio_harness.h"
#include "vmm/device_env.h"
#include "vmm/error.h"
#include "vmm/exit_status.h"
#include "vmm/layout.h"

/* The device's environment records stop requests (vh.stops, vh.stop_status). */
static struct vh_vm vh;
#define stop_calls (vh.stops)
#define stop_status (vh.stop_status)

static int setup(void **state)
{
	struct device dev;

	assert_int_equal(vh_vm_init(&vh, 2 << 20, TEE_NONE), 0);
	stop_status = -1;
	return acpi_pm_create(&vh.dev_env, &dev, NULL);
}

static int teardown(void **state)
{
	vh_vm_destroy(&vh);
	return 0;
}

static bool out8(uint16_t port, uint8_t v)
{
	return bus_access(&vh.pio, port, &v, 1, true);
}

static void test_poweroff(void **state)
{
	/* SLP_TYP 5 in bits 4-2 (0x14) with SLP_EN (0x20). */
	assert_true(out8(LAYOUT_ACPI_SLEEP_CTL_PORT, 0x34));
	assert_int_equal(stop_calls, 1);
	assert_int_equal(stop_status, VM_EXIT_OK);
}

static void test_other_sleep_values_ignored(void **state)
{
	static const uint8_t values[] = {
		0x00, 0x14 /* S5 without SLP_EN */, 0x20 /* SLP_TYP 0 */, 0x2c /* SLP_TYP 3 */,
		0x30 /* SLP_TYP 4 */, 0x38 /* SLP_TYP 6 */, 0x3c, 0xff, 0x01,
	};

	for (size_t i = 0; i < sizeof(values); i++)
		assert_true(out8(LAYOUT_ACPI_SLEEP_CTL_PORT, values[i]));
	assert_int_equal(stop_calls, 0);
}

static void test_reset(void **state)
{
	assert_true(out8(LAYOUT_ACPI_RESET_PORT, 0));
	assert_true(out8(LAYOUT_ACPI_RESET_PORT, LAYOUT_ACPI_RESET_VALUE + 1));
	assert_true(out8(LAYOUT_ACPI_RESET_PORT, 0xff));
	assert_int_equal(stop_calls, 0);
	assert_true(out8(LAYOUT_ACPI_RESET_PORT, LAYOUT_ACPI_RESET_VALUE));
	assert_int_equal(stop_calls, 1);
	assert_int_equal(stop_status, VM_EXIT_OK);
}

static void test_status_port_and_reads(void **state)
{
	uint8_t data[4];
	static const uint16_t ports[] = { LAYOUT_ACPI_SLEEP_CTL_PORT, LAYOUT_ACPI_SLEEP_STS_PORT,
					  LAYOUT_ACPI_RESET_PORT };

	/* Writes to the status register (WAK_STS clear, or anything else) do nothing. */
	assert_true(out8(LAYOUT_ACPI_SLEEP_STS_PORT, 0x80));
	assert_true(out8(LAYOUT_ACPI_SLEEP_STS_PORT, 0x34));
	assert_true(out8(LAYOUT_ACPI_SLEEP_STS_PORT, LAYOUT_ACPI_RESET_VALUE));
	assert_int_equal(stop_calls, 0);
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		memset(data, 0xcc, sizeof(data));
		assert_true(bus_access(&vh.pio, ports[i], data, 1, false));
		assert_int_equal(data[0], 0);
	}
	/* Ports outside the block are not claimed. */
	assert_false(bus_access(&vh.pio, LAYOUT_ACPI_RESET_PORT + 1, data, 1, true));
	assert_false(bus_access(&vh.pio, LAYOUT_ACPI_SLEEP_CTL_PORT - 1, data, 1, true));
	assert_int_equal(stop_calls, 0);
}

static void test_wide_access(void **state)
{
	uint8_t data[2] = { 0x00, 0x00 };

	/* A 16-bit write at the control port covers control and status: nothing happens. */
	assert_true(bus_access(&vh.pio, LAYOUT_ACPI_SLEEP_CTL_PORT, data, 2, true));
	assert_int_equal(stop_calls, 0);
	/* Its second byte lands on the reset register. */
	data[1] = LAYOUT_ACPI_RESET_VALUE;
	assert_true(bus_access(&vh.pio, LAYOUT_ACPI_SLEEP_STS_PORT, data, 2, true));
	assert_int_equal(stop_calls, 1);
}

static void test_double_init_refused(void **state)
{
	struct error e = ERROR_INIT;
	struct device dev;

	assert_int_equal(acpi_pm_create(&vh.dev_env, &dev, &e), -EEXIST);
	assert_int_equal(e.cls, ERROR_HOST);
	assert_non_null(strstr(e.msg, "ACPI PM"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_poweroff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_sleep_values_ignored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_port_and_reads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wide_access, setup, teardown),
		cmocka_unit_test_setup_teardown(test_double_init_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
