// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "vmm/convert.h"
#include "vmm/kvm_api.h"
#include "vmm/log.h"
#include "vmm/util.h"

/* MAP_GPA_RANGE attributes: bits 3:0 a page-size hint (0 4K, 1 2M, 2 1G), bit 4 to private. */
#define MAP_GPA_PAGE_SZ_MASK 0xfULL
#define MAP_GPA_VALID_MASK   (MAP_GPA_PAGE_SZ_MASK | KVM_MAP_GPA_RANGE_ENCRYPTED)

int converter_init(struct converter *c, int vm_fd, struct guest_mem *gm,
		   enum convert_backing backing)
{
	memset(c, 0, sizeof(*c));
	if (!gm->attrs || (backing == CONVERT_GUEST_MEMFD && gm->gmem_fd < 0))
		return -EINVAL;
	c->vm_fd = vm_fd;
	c->gm = gm;
	c->backing = backing;
	c->pending.fd = -1;
	return -pthread_mutex_init(&c->lock, NULL);
}

int converter_destroy(struct converter *c)
{
	int ret;

	if (!c->gm)
		return 0;
	ret = converter_flush(c);
	pthread_mutex_destroy(&c->lock);
	c->gm = NULL;
	return ret;
}

int converter_check(const struct converter *c, uint64_t gpa, uint64_t len)
{
	if (len == 0 || !IS_ALIGNED(gpa, GUEST_PAGE_SIZE) || !IS_ALIGNED(len, GUEST_PAGE_SIZE) ||
	    gpa + len < gpa)
		return -EINVAL;
	/* One region or nothing: a range joining the two RAM regions includes the MMIO hole. */
	if (!guest_mem_is_ram(c->gm, gpa, len))
		return -EINVAL;
	return 0;
}

static int punch(struct converter *c, int fd, uint64_t off, uint64_t len)
{
	c->stats.punch_calls++;
	return host_punch_hole(fd, off, len);
}

static int flush_locked(struct converter *c)
{
	int ret = 0;

	if (c->pending.len)
		ret = punch(c, c->pending.fd, c->pending.off, c->pending.len);
	c->pending.len = 0;
	c->pending.fd = -1;
	return ret;
}

int converter_flush(struct converter *c)
{
	int ret;

	pthread_mutex_lock(&c->lock);
	ret = flush_locked(c);
	pthread_mutex_unlock(&c->lock);
	return ret;
}

/*
 * Queues the discard of [off, off + len) of fd, merging it into the pending one when they touch.
 * A discard that cannot merge flushes the pending one first, so every page is discarded before it
 * can change side again (any later conversion of it either merges here or flushes).
 */
static int defer_punch(struct converter *c, int fd, uint64_t off, uint64_t len)
{
	uint64_t p_off = c->pending.off, p_end = c->pending.off + c->pending.len;
	int ret;

	if (c->pending.len && c->pending.fd == fd && off <= p_end && p_off <= off + len) {
		c->pending.off = MIN(off, p_off);
		c->pending.len = MAX(off + len, p_end) - c->pending.off;
		c->stats.punch_merged++;
		return 0;
	}
	ret = flush_locked(c);
	c->pending.fd = fd;
	c->pending.off = off;
	c->pending.len = len;
	return ret;
}

static int set_kvm_attrs(struct converter *c, uint64_t gpa, uint64_t len, bool to_private)
{
	int ret, tries = 0;

	do {
		c->stats.attr_calls++;
		ret = kvm_set_memory_attributes(c->vm_fd, gpa, len,
						to_private ? CVMM_KVM_MEMORY_ATTRIBUTE_PRIVATE : 0);
	} while ((ret == -EAGAIN || ret == -EINTR) && ++tries < 8);
	return ret;
}

/* guest_memfd backing: KVM flips the range, the side the pages left gets discarded later. */
static int convert_guest_memfd(struct converter *c, uint64_t gpa, uint64_t len, bool to_private)
{
	struct guest_mem *gm = c->gm;
	uint64_t off = guest_mem_fd_offset(gm, gpa);
	int ret;

	/*
	 * A pending discard overlapping this range but of the other backing belongs to pages that
	 * now change side again: it must happen first.
	 */
	if (c->pending.len && c->pending.fd != (to_private ? gm->memfd : gm->gmem_fd) &&
	    off < c->pending.off + c->pending.len && c->pending.off < off + len) {
		ret = flush_locked(c);
		if (ret)
			return ret;
	}
	if (to_private) {
		/* Devices lose the range before the guest gets it as private. */
		mem_attr_set(gm->attrs, gpa, len, false);
		ret = set_kvm_attrs(c, gpa, len, true);
		if (ret)
			return ret;
		return defer_punch(c, gm->memfd, off, len);
	}
	ret = set_kvm_attrs(c, gpa, len, false);
	if (ret)
		return ret;
	mem_attr_set(gm->attrs, gpa, len, true);
	return defer_punch(c, gm->gmem_fd, off, len);
}

/*
 * Emulated backing: each maximal run of pages that really changes side is handled on its own, so
 * pages already on the target side keep their content.  To shared: zero while still private, then
 * open to devices.  To private: close to devices, then zero.
 */
static int convert_emulated(struct converter *c, uint64_t gpa, uint64_t len, bool to_private)
{
	struct guest_mem *gm = c->gm;
	enum mem_attr_state from = to_private ? MEM_ATTR_SHARED : MEM_ATTR_PRIVATE;
	uint64_t start, end, pos = gpa;
	int ret;

	while (mem_attr_next_run(gm->attrs, pos, gpa + len, from, &start, &end)) {
		uint64_t run = end - start, off = guest_mem_fd_offset(gm, start);

		if (to_private) {
			mem_attr_set(gm->attrs, start, run, false);
			c->stats.mprotect_calls++;
			ret = guest_mem_set_dev_access(gm, start, run, false);
			if (!ret)
				ret = punch(c, gm->memfd, off, run);
		} else {
			ret = punch(c, gm->memfd, off, run);
			if (!ret) {
				c->stats.mprotect_calls++;
				ret = guest_mem_set_dev_access(gm, start, run, true);
			}
			if (!ret)
				mem_attr_set(gm->attrs, start, run, true);
		}
		if (ret)
			return ret;
		pos = end;
	}
	return 0;
}

int converter_convert(struct converter *c, uint64_t gpa, uint64_t len, bool to_private)
{
	enum mem_attr_state want = to_private ? MEM_ATTR_PRIVATE : MEM_ATTR_SHARED;
	int ret;

	if (converter_check(c, gpa, len))
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	if (to_private) {
		c->stats.to_private++;
		c->stats.pages_to_private += len / GUEST_PAGE_SIZE;
	} else {
		c->stats.to_shared++;
		c->stats.pages_to_shared += len / GUEST_PAGE_SIZE;
	}
	if (mem_attr_range_is(c->gm->attrs, gpa, len, want)) {
		c->stats.noop++;
		ret = 0;
	} else {
		/*
		 * Pages going private are taken from devices: wait for device sections that may
		 * be using them (see memory.h), and keep new ones out until the map says private.
		 */
		if (to_private)
			guest_mem_revoke_begin(c->gm);
		if (c->backing == CONVERT_GUEST_MEMFD)
			ret = convert_guest_memfd(c, gpa, len, to_private);
		else
			ret = convert_emulated(c, gpa, len, to_private);
		if (to_private)
			guest_mem_revoke_end(c->gm);
	}
	pthread_mutex_unlock(&c->lock);
	return ret;
}

static void count_rejected(struct converter *c)
{
	pthread_mutex_lock(&c->lock);
	c->stats.rejected++;
	pthread_mutex_unlock(&c->lock);
}

static int log_failure(int ret, uint64_t gpa, uint64_t len, bool to_private)
{
	log_error("converting [0x%llx, +0x%llx) to %s failed: %s", (unsigned long long)gpa,
		  (unsigned long long)len, to_private ? "private" : "shared", strerror(-ret));
	return ret;
}

int converter_handle_hypercall(struct converter *c, struct kvm_run *run)
{
	uint64_t gpa = run->hypercall.args[0], npages = run->hypercall.args[1];
	uint64_t attrs = run->hypercall.args[2], len;
	bool to_private = attrs & KVM_MAP_GPA_RANGE_ENCRYPTED;
	int ret;

	if (run->hypercall.nr != KVM_HC_MAP_GPA_RANGE_NR) {
		run->hypercall.ret = CONVERT_HC_ENOSYS;
		return 0;
	}
	len = npages * GUEST_PAGE_SIZE;
	if ((attrs & ~MAP_GPA_VALID_MASK) || (attrs & MAP_GPA_PAGE_SZ_MASK) > 2 ||
	    npages > (UINT64_MAX >> 12) || converter_check(c, gpa, len)) {
		log_debug("MAP_GPA_RANGE gpa 0x%llx pages 0x%llx attrs 0x%llx rejected",
			  (unsigned long long)gpa, (unsigned long long)npages,
			  (unsigned long long)attrs);
		count_rejected(c);
		run->hypercall.ret = CONVERT_HC_EINVAL;
		return 0;
	}
	ret = converter_convert(c, gpa, len, to_private);
	if (ret)
		return log_failure(ret, gpa, len, to_private);
	run->hypercall.ret = 0;
	return 0;
}

int converter_handle_memory_fault(struct converter *c, struct kvm_run *run)
{
	const struct cvmm_kvm_memory_fault_exit *mf = kvm_run_memory_fault(run);
	uint64_t gpa = mf->gpa, len = mf->size;
	bool to_private = mf->flags & CVMM_KVM_MEMORY_EXIT_FLAG_PRIVATE;
	int ret;

	pthread_mutex_lock(&c->lock);
	c->stats.memory_faults++;
	pthread_mutex_unlock(&c->lock);
	if (converter_check(c, gpa, len)) {
		count_rejected(c);
		log_error("memory fault exit for [0x%llx, +0x%llx): not guest RAM",
			  (unsigned long long)gpa, (unsigned long long)len);
		return -EFAULT;
	}
	ret = converter_convert(c, gpa, len, to_private);
	return ret ? log_failure(ret, gpa, len, to_private) : 0;
}

void converter_get_stats(struct converter *c, struct convert_stats *out)
{
	pthread_mutex_lock(&c->lock);
	*out = c->stats;
	pthread_mutex_unlock(&c->lock);
}
