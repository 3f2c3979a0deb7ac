// SPDX-License-Identifier: MIT
/* The real KVM seam: one thin wrapper per ioctl.  See kvm_api.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/kvm_api.h"

static int xioctl(int fd, unsigned long req, const void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && errno == EINTR && req != KVM_RUN);
	return ret < 0 ? -errno : ret;
}

/* A device node: the one the environment variable names, else the usual one. */
static const char *device_path(const char *env, const char *usual)
{
	const char *path = getenv(env);

	return path && *path ? path : usual;
}

static int open_device(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

const char *kvm_device_path(void)
{
	return device_path("CVMM_KVM_DEVICE", "/dev/kvm");
}

int kvm_open(void)
{
	return open_device(kvm_device_path());
}

int kvm_check_extension(int fd, long cap)
{
	int ret = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	return ret < 0 ? -errno : ret;
}

int kvm_get_vcpu_mmap_size(int kvm_fd)
{
	return xioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
}

int kvm_get_supported_cpuid(int kvm_fd, struct kvm_cpuid2 *cpuid)
{
	return xioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid);
}

int kvm_create_vm(int kvm_fd, unsigned long type)
{
	int ret;

	/* KVM_CREATE_VM can fail transiently with EINTR while the kernel sets up the MMU. */
	do {
		ret = ioctl(kvm_fd, KVM_CREATE_VM, type);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (fcntl(ret, F_SETFD, FD_CLOEXEC) < 0) {
		int err = -errno;

		close(ret);
		return err;
	}
	return ret;
}

int kvm_enable_cap(int vm_fd, uint32_t cap, uint64_t arg0)
{
	struct kvm_enable_cap ec = { .cap = cap, .args = { arg0 } };

	return xioctl(vm_fd, KVM_ENABLE_CAP, &ec);
}

int kvm_set_user_memory_region(int vm_fd, const struct kvm_userspace_memory_region *region)
{
	return xioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, region);
}

int kvm_set_user_memory_region2(int vm_fd, const struct cvmm_kvm_userspace_memory_region2 *region)
{
	return xioctl(vm_fd, CVMM_KVM_SET_USER_MEMORY_REGION2, region);
}

int kvm_create_guest_memfd(int vm_fd, uint64_t size, uint64_t flags)
{
	struct cvmm_kvm_create_guest_memfd args = { .size = size, .flags = flags };

	return xioctl(vm_fd, CVMM_KVM_CREATE_GUEST_MEMFD, &args);
}

int kvm_set_memory_attributes(int vm_fd, uint64_t gpa, uint64_t size, uint64_t attributes)
{
	struct cvmm_kvm_memory_attributes attrs = {
		.address = gpa,
		.size = size,
		.attributes = attributes,
	};

	return xioctl(vm_fd, CVMM_KVM_SET_MEMORY_ATTRIBUTES, &attrs);
}

int kvm_set_tss_addr(int vm_fd, uint64_t addr)
{
	return xioctl(vm_fd, KVM_SET_TSS_ADDR, (void *)(uintptr_t)addr);
}

int kvm_set_identity_map_addr(int vm_fd, uint64_t addr)
{
	return xioctl(vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &addr);
}

int kvm_create_irqchip(int vm_fd)
{
	return xioctl(vm_fd, KVM_CREATE_IRQCHIP, 0);
}

int kvm_create_pit2(int vm_fd)
{
	struct kvm_pit_config cfg = { .flags = KVM_PIT_SPEAKER_DUMMY };

	return xioctl(vm_fd, KVM_CREATE_PIT2, &cfg);
}

int kvm_irq_line(int vm_fd, uint32_t gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	return xioctl(vm_fd, KVM_IRQ_LINE, &irq);
}

int kvm_signal_msi(int vm_fd, const struct kvm_msi *msi)
{
	return xioctl(vm_fd, KVM_SIGNAL_MSI, msi);
}

int kvm_set_gsi_routing(int vm_fd, const struct kvm_irq_routing *routing)
{
	return xioctl(vm_fd, KVM_SET_GSI_ROUTING, routing);
}

int kvm_irqfd(int vm_fd, const struct kvm_irqfd *irqfd)
{
	return xioctl(vm_fd, KVM_IRQFD, irqfd);
}

int kvm_ioeventfd(int vm_fd, const struct kvm_ioeventfd *ioeventfd)
{
	return xioctl(vm_fd, KVM_IOEVENTFD, ioeventfd);
}

int kvm_create_vcpu(int vm_fd, unsigned long id)
{
	int ret = ioctl(vm_fd, KVM_CREATE_VCPU, id);

	if (ret < 0)
		return -errno;
	fcntl(ret, F_SETFD, FD_CLOEXEC);
	return ret;
}

int kvm_memory_encrypt_op(int fd, void *cmd)
{
	return xioctl(fd, CVMM_KVM_MEMORY_ENCRYPT_OP, cmd);
}

int kvm_run(int vcpu_fd)
{
	return xioctl(vcpu_fd, KVM_RUN, 0);
}

int kvm_get_regs(int vcpu_fd, struct kvm_regs *regs)
{
	return xioctl(vcpu_fd, KVM_GET_REGS, regs);
}

int kvm_set_regs(int vcpu_fd, const struct kvm_regs *regs)
{
	return xioctl(vcpu_fd, KVM_SET_REGS, regs);
}

int kvm_get_sregs(int vcpu_fd, struct kvm_sregs *sregs)
{
	return xioctl(vcpu_fd, KVM_GET_SREGS, sregs);
}

int kvm_set_sregs(int vcpu_fd, const struct kvm_sregs *sregs)
{
	return xioctl(vcpu_fd, KVM_SET_SREGS, sregs);
}

int kvm_set_fpu(int vcpu_fd, const struct kvm_fpu *fpu)
{
	return xioctl(vcpu_fd, KVM_SET_FPU, fpu);
}

int kvm_set_msrs(int vcpu_fd, const struct kvm_msrs *msrs)
{
	return xioctl(vcpu_fd, KVM_SET_MSRS, msrs);
}

int kvm_set_cpuid2(int vcpu_fd, const struct kvm_cpuid2 *cpuid)
{
	return xioctl(vcpu_fd, KVM_SET_CPUID2, cpuid);
}

int kvm_get_lapic(int vcpu_fd, struct kvm_lapic_state *lapic)
{
	return xioctl(vcpu_fd, KVM_GET_LAPIC, lapic);
}

int kvm_set_lapic(int vcpu_fd, const struct kvm_lapic_state *lapic)
{
	return xioctl(vcpu_fd, KVM_SET_LAPIC, lapic);
}

int kvm_get_mp_state(int vcpu_fd, struct kvm_mp_state *mp)
{
	return xioctl(vcpu_fd, KVM_GET_MP_STATE, mp);
}

int kvm_set_mp_state(int vcpu_fd, const struct kvm_mp_state *mp)
{
	return xioctl(vcpu_fd, KVM_SET_MP_STATE, mp);
}

const char *sev_device_path(void)
{
	return device_path("CVMM_SEV_DEVICE", "/dev/sev");
}

int sev_open(void)
{
	return open_device(sev_device_path());
}

int kvm_get_device_attr(int fd, uint32_t group, uint64_t attr, uint64_t *val)
{
	struct kvm_device_attr a = { .group = group, .attr = attr, .addr = (uintptr_t)val };

	return xioctl(fd, KVM_GET_DEVICE_ATTR, &a);
}

int host_punch_hole(int fd, uint64_t offset, uint64_t len)
{
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)len) < 0)
		return -errno;
	return 0;
}
