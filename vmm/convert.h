/* SPDX-License-Identifier: MIT */
/*
 * Private <-> shared conversion of guest memory, requested by the guest with the
 * KVM_HC_MAP_GPA_RANGE hypercall (explicit) or through KVM_EXIT_MEMORY_FAULT (implicit).
 *
 * A conversion updates the attribute map (gm->attrs), tells KVM (KVM_SET_MEMORY_ATTRIBUTES) when
 * private memory lives in a guest_memfd, and discards the content of the side the pages left, so a
 * page reads as zero after every change of side.
 *
 * Two backings:
 *  - CONVERT_GUEST_MEMFD (TDX, SNP): private pages live in gm->gmem_fd, shared ones in gm->memfd.
 *    Discarding the stale side (a punched hole) is deferred while the guest keeps converting
 *    adjacent ranges in the same direction, and done in one call when the run breaks: the stale
 *    side is unreachable meanwhile (KVM maps the other side; devices are refused private pages
 *    and the shared side of a to-shared page was emptied when it last went private).
 *  - CONVERT_EMULATED (--tee emulated): one backing, the memfd, holds both.  Pages that change side
 *    are punched at once (both directions), and the device-side mapping (dev_hva) is opened or
 *    closed with mprotect so that a device touching a private page faults.
 *
 * Conversions are serialized by an internal lock; device threads may query the map meanwhile.
 * A conversion to private waits for the device sections running at that moment (memory.h:
 * guest_mem_dev_enter), so no device is between checking a page and touching it when the page
 * goes; it must therefore never be called from inside a device section.
 */
#ifndef CVMM_CONVERT_H
#define CVMM_CONVERT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/memory.h"

struct kvm_run;

/*
 * What the guest gets in hypercall.ret for a request it got wrong (misaligned, empty, overflowing,
 * outside RAM, in the MMIO hole, unknown attribute bits): -EINVAL as a u64, the value KVM itself
 * returns (-KVM_EINVAL) when it rejects a malformed MAP_GPA_RANGE before exiting to userspace.
 */
#define CONVERT_HC_EINVAL ((uint64_t)-22)
/* Any other hypercall number: what KVM answers for hypercalls it does not know (-KVM_ENOSYS). */
#define CONVERT_HC_ENOSYS ((uint64_t)-1000)

enum convert_backing {
	CONVERT_GUEST_MEMFD,
	CONVERT_EMULATED,
};

struct convert_stats {
	uint64_t to_shared, to_private;             /* accepted requests */
	uint64_t pages_to_shared, pages_to_private; /* pages in accepted requests */
	uint64_t noop;          /* accepted requests whose pages were already on that side */
	uint64_t rejected;      /* requests answered with an error */
	uint64_t memory_faults; /* requests that came as KVM_EXIT_MEMORY_FAULT */
	uint64_t attr_calls;    /* KVM_SET_MEMORY_ATTRIBUTES */
	uint64_t punch_calls;   /* host_punch_hole */
	uint64_t punch_merged;  /* discards folded into a pending one, saving a call */
	uint64_t mprotect_calls;
};

struct converter {
	pthread_mutex_t lock;
	int vm_fd;
	struct guest_mem *gm;
	enum convert_backing backing;
	struct {
		int fd; /* gm->memfd or gm->gmem_fd; the range is in fd offsets */
		uint64_t off, len;
	} pending; /* a deferred discard (len 0: none) */
	struct convert_stats stats;
};

/* gm->attrs must exist (guest_mem_enable_attrs); for CONVERT_GUEST_MEMFD, gm->gmem_fd too. */
int converter_init(struct converter *c, int vm_fd, struct guest_mem *gm,
		   enum convert_backing backing);
/* Flushes the pending discard. */
int converter_destroy(struct converter *c);

/* 0 when [gpa, gpa + len) is a valid request: page aligned, non-empty, no overflow, all RAM. */
int converter_check(const struct converter *c, uint64_t gpa, uint64_t len);

/*
 * Converts [gpa, gpa + len).  -EINVAL for an invalid range (converter_check), any other negative
 * errno when a host call failed (the VM should stop: KVM and the map may disagree).
 */
int converter_convert(struct converter *c, uint64_t gpa, uint64_t len, bool to_private);

/* Does the deferred discard now. */
int converter_flush(struct converter *c);

/*
 * Exit handlers.  A guest mistake is answered in hypercall.ret (CONVERT_HC_EINVAL) and returns 0;
 * a non-zero return means the vCPU cannot continue: -EFAULT for a memory fault outside RAM (it
 * would only repeat), another negative errno for a host failure.  Each logs one line.
 */
int converter_handle_hypercall(struct converter *c, struct kvm_run *run);
int converter_handle_memory_fault(struct converter *c, struct kvm_run *run);

void converter_get_stats(struct converter *c, struct convert_stats *out);

#endif
