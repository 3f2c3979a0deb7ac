// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/layout.h"
#include "vmm/memory.h"
#include "vmm/util.h"

void guest_mem_layout(struct guest_mem *gm, uint64_t ram_size)
{
	uint64_t low = MIN(ram_size, LAYOUT_MMIO_HOLE_START);

	memset(gm, 0, sizeof(*gm));
	gm->memfd = -1;
	gm->gmem_fd = -1;
	gm->ram_size = ram_size;
	gm->regions[0] = (struct guest_mem_region){ .gpa = 0, .size = low, .fd_offset = 0 };
	gm->nr_regions = 1;
	if (ram_size > low) {
		gm->regions[1] = (struct guest_mem_region){
			.gpa = LAYOUT_HIGH_RAM_START, .size = ram_size - low, .fd_offset = low,
		};
		gm->nr_regions = 2;
	}
}

int guest_mem_create(struct guest_mem *gm, uint64_t ram_size)
{
	uint8_t *base;
	int fd, err;

	memset(gm, 0, sizeof(*gm));
	gm->memfd = -1;
	gm->gmem_fd = -1;
	if (ram_size == 0 || !IS_ALIGNED(ram_size, GUEST_PAGE_SIZE))
		return -EINVAL;

	fd = memfd_create("cvmm-guest-ram", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)ram_size) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	/* One mapping of the whole memfd; regions are windows into it. */
	base = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (base == MAP_FAILED) {
		err = -errno;
		close(fd);
		return err;
	}
	madvise(base, ram_size, MADV_DONTDUMP);

	guest_mem_layout(gm, ram_size);
	gm->memfd = fd;
	for (unsigned i = 0; i < gm->nr_regions; i++) {
		gm->regions[i].hva = base + gm->regions[i].fd_offset;
		gm->regions[i].dev_hva = gm->regions[i].hva;
	}
	return 0;
}

void guest_mem_destroy(struct guest_mem *gm)
{
	if (gm->nr_regions) {
		munmap(gm->regions[0].hva, gm->ram_size);
		if (gm->dev_base)
			munmap(gm->dev_base, gm->ram_size);
		if (gm->attrs)
			pthread_rwlock_destroy(&gm->dev_lock);
		mem_attr_destroy(gm->attrs);
		if (gm->gmem_fd >= 0)
			close(gm->gmem_fd);
	}
	if (gm->memfd >= 0)
		close(gm->memfd);
	gm->nr_regions = 0;
	gm->memfd = -1;
	gm->gmem_fd = -1;
	gm->attrs = NULL;
	gm->dev_base = NULL;
}

int guest_mem_enable_attrs(struct guest_mem *gm, bool protect_dev)
{
	const struct guest_mem_region *last;
	uint8_t *dev;
	int ret;

	if (!gm->nr_regions || gm->attrs)
		return -EINVAL;
	last = &gm->regions[gm->nr_regions - 1];
	ret = pthread_rwlock_init(&gm->dev_lock, NULL);
	if (ret)
		return -ret;
	ret = mem_attr_create(&gm->attrs, last->gpa + last->size);
	if (ret) {
		pthread_rwlock_destroy(&gm->dev_lock);
		return ret;
	}
	if (!protect_dev)
		return 0;
	/* Everything starts private, so the device-side view starts inaccessible. */
	dev = mmap(NULL, gm->ram_size, PROT_NONE, MAP_SHARED | MAP_NORESERVE, gm->memfd, 0);
	if (dev == MAP_FAILED) {
		ret = -errno;
		mem_attr_destroy(gm->attrs);
		gm->attrs = NULL;
		pthread_rwlock_destroy(&gm->dev_lock);
		return ret;
	}
	madvise(dev, gm->ram_size, MADV_DONTDUMP);
	gm->dev_base = dev;
	for (unsigned i = 0; i < gm->nr_regions; i++)
		gm->regions[i].dev_hva = dev + gm->regions[i].fd_offset;
	return 0;
}

int guest_mem_set_dev_access(struct guest_mem *gm, uint64_t gpa, uint64_t len, bool shared)
{
	const struct guest_mem_region *r = guest_mem_region_of(gm, gpa, len);

	if (!r)
		return -EINVAL;
	if (!gm->dev_base || len == 0)
		return 0;
	if (mprotect(r->dev_hva + (gpa - r->gpa), len, shared ? PROT_READ | PROT_WRITE : PROT_NONE))
		return -errno;
	return 0;
}

void guest_mem_dev_enter(struct guest_mem *gm)
{
	if (gm && gm->attrs)
		pthread_rwlock_rdlock(&gm->dev_lock);
}

void guest_mem_dev_exit(struct guest_mem *gm)
{
	if (gm && gm->attrs)
		pthread_rwlock_unlock(&gm->dev_lock);
}

void guest_mem_revoke_begin(struct guest_mem *gm)
{
	if (gm->attrs)
		pthread_rwlock_wrlock(&gm->dev_lock);
}

void guest_mem_revoke_end(struct guest_mem *gm)
{
	if (gm->attrs)
		pthread_rwlock_unlock(&gm->dev_lock);
}

bool guest_mem_dma_still_shared(const struct guest_mem *gm, const void *p, uint64_t len)
{
	uintptr_t a = (uintptr_t)p;

	if (!gm->attrs || !len)
		return true;
	for (unsigned i = 0; i < gm->nr_regions; i++) {
		const struct guest_mem_region *r = &gm->regions[i];
		uint64_t off = (uint64_t)(a - (uintptr_t)r->dev_hva);

		if (a < (uintptr_t)r->dev_hva || off >= r->size || len > r->size - off)
			continue;
		if (mem_attr_is_shared(gm->attrs, r->gpa + off, len))
			return true;
		break;
	}
	__atomic_fetch_add(&gm->attrs->refusals, 1, __ATOMIC_RELAXED);
	return false;
}

uint64_t guest_mem_dma_refusals(const struct guest_mem *gm)
{
	return gm->attrs ? __atomic_load_n(&gm->attrs->refusals, __ATOMIC_RELAXED) : 0;
}

void *guest_mem_ptr(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	const struct guest_mem_region *r = guest_mem_region_of(gm, gpa, len);

	return r ? r->hva + (gpa - r->gpa) : NULL;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

void guest_mem_populate(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	uint64_t start, end;
	uint8_t *p;

	if (!len || gpa + len < gpa || gpa + len > UINT64_MAX - 4095)
		return;
	start = ALIGN_DOWN(gpa, 4096);
	end = ALIGN_UP(gpa + len, 4096);
	p = guest_mem_ptr(gm, start, end - start);
	/* Best effort: the later writes fault the pages in anyway if this fails. */
	if (p)
		(void)madvise(p, end - start, MADV_POPULATE_WRITE);
}

void *guest_mem_dma(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	const struct guest_mem_region *r = guest_mem_region_of(gm, gpa, len);

	if (!r)
		return NULL;
	if (gm->attrs && !mem_attr_is_shared(gm->attrs, gpa, len)) {
		__atomic_fetch_add(&gm->attrs->refusals, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	return r->dev_hva + (gpa - r->gpa);
}

int guest_mem_read(const struct guest_mem *gm, uint64_t gpa, void *dst, uint64_t len)
{
	const void *src = guest_mem_dma(gm, gpa, len);

	if (!src)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

int guest_mem_write(const struct guest_mem *gm, uint64_t gpa, const void *src, uint64_t len)
{
	void *dst = guest_mem_dma(gm, gpa, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}
