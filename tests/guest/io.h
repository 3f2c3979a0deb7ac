/* SPDX-License-Identifier: MIT */
/* Port I/O, MMIO and physical-memory access (ring 3 with IOPL=3, or ring 0). */
#ifndef GUEST_IO_H
#define GUEST_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PHYS_LIMIT 0x100000000ULL /* the guest identity-maps the first 4 GiB only */

static inline void outb(uint16_t port, uint8_t val)
{
	asm volatile("outb %0, %1" : : "a"(val), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t val;

	asm volatile("inb %1, %0" : "=a"(val) : "Nd"(port));
	return val;
}

static inline uint32_t mmio_read32(uint64_t addr)
{
	return *(volatile uint32_t *)(uintptr_t)addr;
}

static inline void mmio_write32(uint64_t addr, uint32_t val)
{
	*(volatile uint32_t *)(uintptr_t)addr = val;
}

static inline void cpu_relax(void)
{
	asm volatile("pause" ::: "memory");
}

/* True when [addr, addr + len) lies inside the identity map (no wrap-around). */
static inline bool phys_range_ok(uint64_t addr, uint64_t len)
{
	return addr < PHYS_LIMIT && len <= PHYS_LIMIT - addr;
}

static inline const void *phys_ptr(uint64_t addr)
{
	return (const void *)(uintptr_t)addr;
}

#endif
