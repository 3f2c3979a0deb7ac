/* SPDX-License-Identifier: MIT */
/*
 * Test helper: a TD on the recording KVM.  td_kvm() makes the recorder answer as a Linux 6.16
 * host with TDX does (VM types, capabilities, KVM's CPUID, KVM_TDX_CAPABILITIES); td_config()
 * writes a firmware image and fills a --tee tdx config around it.
 */
#ifndef CVMM_TESTS_TD_FIXTURE_H
#define CVMM_TESTS_TD_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "tests/unit/fw_image.h"
#include "vmm/config.h"
#include "vmm/kvm_api.h"

/* What the recorded TDX module allows. */
#define TD_CAPS_ATTRS   ((1ULL << 28) | (1ULL << 30))          /* SEPT_VE_DISABLE, PKS */
#define TD_CAPS_XFAM    0x000602e7ULL
#define TD_CAPS_USER_R11 ((1ULL << 1) | (1ULL << 7))           /* event notify + one unknown */
#define TD_CAPS_NENT    20 /* more than the launch's first guess: one -E2BIG round */

/* KVM_GET_SUPPORTED_CPUID as recorded: leaf 1 first (SET_CPUID2's recorded blob holds it). */
extern const struct kvm_cpuid_entry2 td_supported_cpuid[];
extern const unsigned td_supported_cpuid_nent;

/* The recorder reset, answering as a TDX host; no_gpaw_leaf drops 0x80000008 from the caps. */
void td_kvm(int no_gpaw_leaf);

/* A scratch directory for the test's files ("rm -rf" on td_dir_free). */
void td_dir_init(char *dir, size_t len);
void td_dir_free(const char *dir);

/* Writes the image to path and fills cfg: --tee tdx --firmware path, 2 vCPUs, 64 MiB, no serial. */
void td_config(struct vm_config *cfg, const char *path, const struct fw_image_layout *l);

/* A bzImage td-shim accepts: setup header (HdrS, 2.15, loaded high), len bytes in all. */
void td_write_bzimage(const char *path, size_t len);

/* The published TDX vector (Debian's OVMF) if this machine has it: CVMM_VECTORS, the directory
 * beside the repository, or the installed package; NULL when none has the published SHA-256. */
const char *td_debian_ovmf(void);

#endif
