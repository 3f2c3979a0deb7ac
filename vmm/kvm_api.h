/* SPDX-License-Identifier: MIT */
/*
 * The KVM seam: every ioctl cvmm issues, and every syscall that changes the state of guest memory
 * backings, goes through one function here.  vmm/kvm_api.c implements them with real syscalls;
 * unit tests link tests/unit/kvm_recorder.c instead, which records each call so a launch or a
 * conversion can be checked call by call on a machine without the hardware.
 *
 * All functions return 0 (or a non-negative result such as an fd) on success and -errno on failure.
 */
#ifndef CVMM_KVM_API_H
#define CVMM_KVM_API_H

#include <stdint.h>
#include <linux/kvm.h>

#include "vmm/kvm_uapi_ext.h"

/* /dev/kvm, or what CVMM_KVM_DEVICE names (tests: the same answers with no KVM at all). */
const char *kvm_device_path(void);
int kvm_open(void);
int kvm_check_extension(int fd, long cap);            /* on /dev/kvm or a VM fd */
int kvm_get_vcpu_mmap_size(int kvm_fd);
int kvm_get_supported_cpuid(int kvm_fd, struct kvm_cpuid2 *cpuid);
int kvm_create_vm(int kvm_fd, unsigned long type);

/* VM */
int kvm_enable_cap(int vm_fd, uint32_t cap, uint64_t arg0);
int kvm_set_user_memory_region(int vm_fd, const struct kvm_userspace_memory_region *region);
int kvm_set_user_memory_region2(int vm_fd, const struct cvmm_kvm_userspace_memory_region2 *region);
int kvm_create_guest_memfd(int vm_fd, uint64_t size, uint64_t flags);
int kvm_set_memory_attributes(int vm_fd, uint64_t gpa, uint64_t size, uint64_t attributes);
int kvm_set_tss_addr(int vm_fd, uint64_t addr);
int kvm_set_identity_map_addr(int vm_fd, uint64_t addr);
int kvm_create_irqchip(int vm_fd);
int kvm_create_pit2(int vm_fd);
int kvm_irq_line(int vm_fd, uint32_t gsi, int level);
int kvm_signal_msi(int vm_fd, const struct kvm_msi *msi);
int kvm_set_gsi_routing(int vm_fd, const struct kvm_irq_routing *routing);
int kvm_irqfd(int vm_fd, const struct kvm_irqfd *irqfd);
int kvm_ioeventfd(int vm_fd, const struct kvm_ioeventfd *ioeventfd);
int kvm_create_vcpu(int vm_fd, unsigned long id);
/* KVM_MEMORY_ENCRYPT_OP on a VM or vCPU fd; cmd is a struct cvmm_kvm_tdx_cmd / cvmm_kvm_sev_cmd. */
int kvm_memory_encrypt_op(int fd, void *cmd);

/* vCPU */
int kvm_run(int vcpu_fd);
int kvm_get_regs(int vcpu_fd, struct kvm_regs *regs);
int kvm_set_regs(int vcpu_fd, const struct kvm_regs *regs);
int kvm_get_sregs(int vcpu_fd, struct kvm_sregs *sregs);
int kvm_set_sregs(int vcpu_fd, const struct kvm_sregs *sregs);
int kvm_set_fpu(int vcpu_fd, const struct kvm_fpu *fpu);
int kvm_set_msrs(int vcpu_fd, const struct kvm_msrs *msrs); /* returns the number set */
int kvm_set_cpuid2(int vcpu_fd, const struct kvm_cpuid2 *cpuid);
int kvm_get_lapic(int vcpu_fd, struct kvm_lapic_state *lapic);
int kvm_set_lapic(int vcpu_fd, const struct kvm_lapic_state *lapic);
int kvm_get_mp_state(int vcpu_fd, struct kvm_mp_state *mp);
int kvm_set_mp_state(int vcpu_fd, const struct kvm_mp_state *mp);

/* AMD SEV: /dev/sev, or what CVMM_SEV_DEVICE names; opened read-write for the SNP commands. */
const char *sev_device_path(void);
int sev_open(void);
/* KVM_GET_DEVICE_ATTR (group, attr) on /dev/kvm or a VM fd, the value into *val. */
int kvm_get_device_attr(int fd, uint32_t group, uint64_t attr, uint64_t *val);

/* Guest memory backings (memfd, guest_memfd): discard [offset, offset + len), keep the size. */
int host_punch_hole(int fd, uint64_t offset, uint64_t len);

#endif
