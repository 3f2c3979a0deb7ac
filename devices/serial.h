/* SPDX-License-Identifier: MIT */
#ifndef CVMM_SERIAL_H
#define CVMM_SERIAL_H

#include "vmm/config.h"

struct vm;

/* COM1 at 0x3f8, IRQ 4; output to stdout or a file (path), input from stdin in stdio mode. */
int serial_create(struct vm *vm, enum serial_mode mode, const char *path);

#endif
