/* SPDX-License-Identifier: MIT */
#ifndef CVMM_DEBUG_PORTS_H
#define CVMM_DEBUG_PORTS_H

struct device_kind;

/*
 * Port 0x501 (debug exit), with --debug-exit only: a byte written there stops the VM and becomes
 * cvmm's exit status.  A test device: without the option the port is not there (writes are
 * ignored), so a production guest cannot pick the statuses that mean bad usage or host failure.
 * Port 0x502 (boot timer): a write logs the time since cvmm started, with --boot-timer.
 */
extern const struct device_kind debug_ports_device;

#endif
