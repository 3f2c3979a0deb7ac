/* SPDX-License-Identifier: MIT */
#ifndef CVMM_I8042_H
#define CVMM_I8042_H

struct vm;

int i8042_create(struct vm *vm);

#endif
