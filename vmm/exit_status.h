/* SPDX-License-Identifier: MIT */
/* cvmm's exit statuses (documented in README.md); vmm/error.h maps error classes onto them. */
#ifndef CVMM_EXIT_STATUS_H
#define CVMM_EXIT_STATUS_H

enum vm_exit_status {
	VM_EXIT_OK = 0,          /* guest powered off or reset, or SIGTERM/SIGINT */
	VM_EXIT_GUEST_ERROR = 1, /* triple fault, emulation failure, guest-reported crash */
	VM_EXIT_USAGE = 2,       /* bad command line or configuration, unusable input file */
	VM_EXIT_HOST_ERROR = 3,  /* KVM or host resources failed */
};

#endif
