/* SPDX-License-Identifier: MIT */
/*
 * Memory for virtqueues and I/O buffers: a bump allocator over free RAM (above the guest image,
 * below 4 GiB, clear of the initrd), set up from the boot memory map.  Nothing is ever freed;
 * a check that needs a lot of memory takes it once.
 *
 * Confidential guests (the `cvm` check) add a shared pool: a range the guest converted to shared,
 * the only memory devices may reach.  Once it is set, dma_alloc() still hands out (private)
 * memory, rings come from the pool (dma_alloc_coherent()), and the virtqueue driver bounces every
 * buffer outside the pool through it, as Linux's swiotlb does: dma_bounce_map() copies what the
 * device reads into a pool slot, dma_bounce_unmap() copies what it wrote back and frees the slot.
 */
#ifndef GUEST_DMA_H
#define GUEST_DMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Finds the free RAM; false (with *why set) when there is none. */
bool dma_init(const char **why);
/* Zeroed, aligned memory (align: power of two); NULL when exhausted.  Initialises on first use. */
void *dma_alloc(size_t size, size_t align);
/* Bytes still available. */
uint64_t dma_free_bytes(void);

/* Rings and other memory the device and driver share for good: pool memory once there is a
 * pool, else dma_alloc().  Zeroed; never freed. */
void *dma_alloc_coherent(size_t size, size_t align);

/*
 * Makes [base, base + size) the shared pool (the caller converted it to shared; 2 KiB aligned,
 * at most DMA_POOL_MAX).  From now on buffers outside it are bounced.  False if unusable.
 */
#define DMA_POOL_MAX (256ULL << 20)
bool dma_shared_pool_init(void *base, uint64_t size);
/* A shared pool is active: buffers outside it must be bounced. */
bool dma_bouncing(void);
/* [p, p + len) lies inside the shared pool. */
bool dma_in_pool(const void *p, uint64_t len);

/*
 * A pool slot for buf: with to_device, buf's len bytes are copied in.  NULL when the pool has no
 * room (the caller retries after completions, like a full queue).
 */
void *dma_bounce_map(const void *buf, uint32_t len, bool to_device);
/* Copies copy_back bytes (<= len) of the slot to buf, then frees the slot. */
void dma_bounce_unmap(void *slot, void *buf, uint32_t len, uint32_t copy_back);

struct dma_bounce_stats {
	uint64_t maps;        /* buffers bounced */
	uint64_t bytes_out;   /* copied into the pool (device reads) */
	uint64_t bytes_in;    /* copied back (device wrote) */
	uint64_t full;        /* dma_bounce_map() found no room */
	uint64_t pool_bytes;
	uint64_t slots_used;  /* 2 KiB slots in use now (rings included) */
};
void dma_bounce_get_stats(struct dma_bounce_stats *st);
/* While bouncing: one information line `  <who>: bounced ...` with the totals so far. */
void dma_print_bounce_stats(const char *who);

static inline uint64_t dma_addr(const void *p)
{
	return (uint64_t)(uintptr_t)p; /* identity-mapped */
}

#endif
