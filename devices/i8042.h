/* SPDX-License-Identifier: MIT */
#ifndef CVMM_I8042_H
#define CVMM_I8042_H

struct device_kind;
struct i8042;

/* The keyboard controller's reset line and self tests (Linux's reboot=k), and a keyboard. */
extern const struct device_kind i8042_device;

/* Types Ctrl+Alt+Del (any thread). */
void i8042_send_ctrl_alt_del(struct i8042 *k);

#endif
