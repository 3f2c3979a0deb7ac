/* SPDX-License-Identifier: MIT */
#ifndef CVMM_I8042_H
#define CVMM_I8042_H

struct device_kind;

/* The keyboard controller's reset line and self tests (Linux's reboot=k). */
extern const struct device_kind i8042_device;

#endif
