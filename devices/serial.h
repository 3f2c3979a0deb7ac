/* SPDX-License-Identifier: MIT */
#ifndef CVMM_SERIAL_H
#define CVMM_SERIAL_H

struct device_kind;

#include <stdint.h>

#include "vmm/config.h"

struct device;
struct device_env;
struct error;

/* COM1 at 0x3f8, IRQ 4; output to stdout or a file (path), input from stdin in stdio mode. */
extern const struct device_kind serial_device;

/*
 * The same, for tests: a COM1 with this console.  A regular output file grows to file_max bytes
 * (0: no limit); what the guest writes past that is dropped and counted (dropped_bytes).
 */
int serial_create(const struct device_env *env, enum serial_mode mode, const char *path,
		  uint64_t file_max, struct device *out, struct error *e);

#endif
