/* SPDX-License-Identifier: MIT */
#ifndef CVMM_DEBUG_PORTS_H
#define CVMM_DEBUG_PORTS_H

struct device_kind;

/*
 * Port 0x501 (debug exit): a byte written there stops the VM and becomes cvmm's exit status.
 * Port 0x502 (boot timer): a write logs the time since cvmm started, with --boot-timer.
 */
extern const struct device_kind debug_ports_device;

#endif
