/* SPDX-License-Identifier: MIT */
#ifndef CVMM_DEVICES_SETUP_H
#define CVMM_DEVICES_SETUP_H

struct vm;

/* Creates the configured virtio devices, in command-line order (first drive = /dev/vda). */
int devices_setup(struct vm *vm);

#endif
