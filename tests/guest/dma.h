/* SPDX-License-Identifier: MIT */
/*
 * Memory for virtqueues and I/O buffers: a bump allocator over free RAM (above the guest image,
 * below 4 GiB, clear of the initrd), set up from the boot memory map.  Nothing is ever freed;
 * a check that needs a lot of memory takes it once.
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

static inline uint64_t dma_addr(const void *p)
{
	return (uint64_t)(uintptr_t)p; /* identity-mapped */
}

#endif
