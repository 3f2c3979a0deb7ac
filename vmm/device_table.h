/* SPDX-License-Identifier: MIT */
/* Every kind of device cvmm has, in the order the device manager creates them. */
#ifndef CVMM_DEVICE_TABLE_H
#define CVMM_DEVICE_TABLE_H

#include <stddef.h>

struct device_kind;

extern const struct device_kind *const device_table[];
extern const size_t device_table_len;

#endif
