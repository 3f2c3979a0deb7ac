// SPDX-License-Identifier: MIT
/* Reading fw_cfg by port in tests (see fw_cfg_port.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "devices/fw_cfg.h"
#include "tests/unit/fw_cfg_port.h"
#include "vmm/bus.h"

void fwc_read(const struct bus *pio, uint16_t key, void *out, size_t len)
{
	assert_true(bus_access(pio, FW_CFG_PORT_SEL, (uint8_t *)&key, 2, true));
	for (size_t i = 0; i < len; i++)
		assert_true(bus_access(pio, FW_CFG_PORT_DATA, (uint8_t *)out + i, 1, false));
}

uint32_t fwc_read_u32(const struct bus *pio, uint16_t key)
{
	uint32_t v = 0;

	fwc_read(pio, key, &v, 4);
	return v;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int fwc_find_file(const struct bus *pio, const char *name, uint32_t *size)
{
	uint8_t count[4], entry[64];

	fwc_read(pio, FW_CFG_FILE_DIR, count, 4);
	for (uint32_t i = 0; i < be32(count); i++) {
		for (size_t b = 0; b < sizeof(entry); b++)
			assert_true(bus_access(pio, FW_CFG_PORT_DATA, entry + b, 1, false));
		if (!strcmp((const char *)entry + 8, name)) {
			*size = be32(entry);
			return entry[4] << 8 | entry[5];
		}
	}
	return -1;
}

uint8_t *fwc_read_file(const struct bus *pio, const char *name, uint32_t *size)
{
	int key = fwc_find_file(pio, name, size);
	uint8_t *buf;

	if (key < 0)
		fail_msg("fw_cfg has no file %s", name);
	buf = malloc(*size ? *size : 1);
	assert_non_null(buf);
	fwc_read(pio, (uint16_t)key, buf, *size);
	return buf;
}
