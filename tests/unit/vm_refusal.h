/* SPDX-License-Identifier: MIT */
/* Test helper: a vm_create() on the recording KVM that must be refused, as the TEE tests use it. */
#ifndef CVMM_TESTS_VM_REFUSAL_H
#define CVMM_TESTS_VM_REFUSAL_H

#include <stdbool.h>

#include "vmm/error.h"

struct vm_config;

/*
 * vm_create(cfg) fails with no VM and an error of class cls whose message is one line containing
 * needle; the test fails otherwise.  Returns whether /dev/kvm had been opened (rec_count), i.e.
 * whether the refusal came after the inputs were accepted.
 */
bool expect_vm_refused(const struct vm_config *cfg, enum error_class cls, const char *needle);

#endif
