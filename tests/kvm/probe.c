// SPDX-License-Identifier: MIT
/*
 * kvm-probe: does a VM actually run on this machine's /dev/kvm?
 *
 * Opens the device, creates a VM with 64 KiB of RAM and one vCPU, and runs two real-mode guest
 * instructions (`mov al, 'K'` and `out 0x3f8, al`).  The probe passes only when KVM reports that
 * port write with the right byte.  A missing or unusable device, a VM that cannot be created, or a
 * vCPU that does not come back within the deadline (alarm) is a failure with one line saying why.
 *
 *   kvm-probe [--floor] [--device PATH]
 *
 * --floor: write the guest's byte to stdout as soon as KVM returns it, and nothing else.  This is
 * the start-up floor of the boot benchmark: exec to the first guest byte for a program that does
 * the least a VMM must do.
 *
 * Exit status: 0 the VM ran, 1 it did not (reason on stderr).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define PROBE_MEM_SIZE 0x10000
#define PROBE_CODE_GPA 0x1000
#define PROBE_PORT 0x3f8
#define PROBE_BYTE 'K'
#define PROBE_DEADLINE_S 10

static const unsigned char probe_code[] = {
	0xb0, PROBE_BYTE,		/* mov al, 'K' */
	0xba, PROBE_PORT & 0xff, PROBE_PORT >> 8, /* mov dx, 0x3f8 */
	0xee,				/* out dx, al */
	0xf4,				/* hlt */
};

static int fail(const char *what)
{
	fprintf(stderr, "kvm-probe: %s: %s\n", what, strerror(errno));
	return 1;
}

static void on_alarm(int sig)
{
	(void)sig;
}

static int set_real_mode_entry(int vcpu)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return -1;
	memset(&regs, 0, sizeof(regs));
	regs.rip = PROBE_CODE_GPA;
	regs.rflags = 0x2;
	return ioctl(vcpu, KVM_SET_REGS, &regs);
}

int main(int argc, char **argv)
{
	const char *device = "/dev/kvm";
	struct kvm_userspace_memory_region region;
	struct sigaction sa;
	struct kvm_run *run;
	int floor = 0, kvm, vm, vcpu, run_size;
	unsigned char *mem;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--floor")) {
			floor = 1;
		} else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			device = argv[++i];
		} else {
			fprintf(stderr, "usage: kvm-probe [--floor] [--device PATH]\n");
			return 2;
		}
	}

	kvm = open(device, O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "kvm-probe: cannot open %s: %s\n", device, strerror(errno));
		return 1;
	}
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		fprintf(stderr, "kvm-probe: %s does not speak KVM API %d\n", device, KVM_API_VERSION);
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");

	mem = mmap(NULL, PROBE_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("guest memory");
	memcpy(mem + PROBE_CODE_GPA, probe_code, sizeof(probe_code));
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = PROBE_MEM_SIZE,
		.userspace_addr = (unsigned long)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(*run))
		return fail("KVM_GET_VCPU_MMAP_SIZE");
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return fail("mmap kvm_run");
	if (set_real_mode_entry(vcpu) < 0)
		return fail("vCPU registers");

	/* A vCPU that never comes back (a broken nested KVM) must not hang the caller. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm(PROBE_DEADLINE_S);
	if (ioctl(vcpu, KVM_RUN, 0) < 0) {
		if (errno == EINTR)
			fprintf(stderr, "kvm-probe: the vCPU did not exit within %d s\n",
				PROBE_DEADLINE_S);
		else
			fprintf(stderr, "kvm-probe: KVM_RUN: %s\n", strerror(errno));
		return 1;
	}
	alarm(0);
	if (run->exit_reason != KVM_EXIT_IO || run->io.direction != KVM_EXIT_IO_OUT ||
	    run->io.port != PROBE_PORT || run->io.size != 1 ||
	    ((unsigned char *)run)[run->io.data_offset] != PROBE_BYTE) {
		fprintf(stderr, "kvm-probe: unexpected exit %u from the probe guest\n",
			run->exit_reason);
		return 1;
	}
	if (floor && write(STDOUT_FILENO, (char *)run + run->io.data_offset, 1) != 1)
		return fail("stdout");
	return 0;
}
