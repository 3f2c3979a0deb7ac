/* SPDX-License-Identifier: MIT */
/* Files that tests hand to cvmm: written whole, and a minimal PVH kernel. */
#ifndef CVMM_TEST_INPUT_FILES_H
#define CVMM_TEST_INPUT_FILES_H

#include <stddef.h>

/* Writes len bytes to path (created or truncated); fails the test on error. */
void input_write_file(const char *path, const void *data, size_t len);
/* A PVH ELF64 kernel: 16 bytes of hlt at 1 MiB (the entry) and the Xen PHYS32_ENTRY note. */
void input_write_pvh_kernel(const char *path);

#endif
