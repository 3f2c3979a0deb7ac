/* SPDX-License-Identifier: MIT */
#ifndef CVMM_SERIAL_H
#define CVMM_SERIAL_H

struct device_kind;

#include "vmm/config.h"

struct device;
struct device_env;
struct error;

/* COM1 at 0x3f8, IRQ 4; output to stdout or a file (path), input from stdin in stdio mode. */
extern const struct device_kind serial_device;

/* The same, for tests: a COM1 with this console. */
int serial_create(const struct device_env *env, enum serial_mode mode, const char *path,
		  struct device *out, struct error *e);

#endif
