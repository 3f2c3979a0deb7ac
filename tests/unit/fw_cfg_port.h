/* SPDX-License-Identifier: MIT */
/*
 * Test helper: reading a VM's fw_cfg by port, byte by byte, as firmware's early phases do (OVMF's
 * PEI), for the tests of the fw_cfg device row of either TEE.  Every access must be answered: a
 * port nobody serves fails the test.
 */
#ifndef CVMM_TESTS_FW_CFG_PORT_H
#define CVMM_TESTS_FW_CFG_PORT_H

#include <stddef.h>
#include <stdint.h>

struct bus;

/* Selects key and reads len bytes of it. */
void fwc_read(const struct bus *pio, uint16_t key, void *out, size_t len);
uint32_t fwc_read_u32(const struct bus *pio, uint16_t key);

/* A file's key and size from the directory; -1 when it is absent. */
int fwc_find_file(const struct bus *pio, const char *name, uint32_t *size);

/* A file's bytes (malloc'd, free them); the test fails when the file is absent. */
uint8_t *fwc_read_file(const struct bus *pio, const char *name, uint32_t *size);

#endif
