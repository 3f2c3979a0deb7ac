/* SPDX-License-Identifier: MIT */
#ifndef CVMM_DEBUG_PORTS_H
#define CVMM_DEBUG_PORTS_H

#include <stdbool.h>

struct vm;

/*
 * Port 0x501 (debug exit): a byte written there stops the VM and becomes cvmm's exit status.
 * Port 0x502 (boot timer): a write logs the time since cvmm started, when enabled.
 */
int debug_ports_create(struct vm *vm, bool boot_timer);

#endif
