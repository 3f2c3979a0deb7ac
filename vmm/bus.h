/* SPDX-License-Identifier: MIT */
/*
 * An address bus (one for port I/O, one for MMIO): non-overlapping ranges kept sorted, looked up by
 * binary search.  Ranges are registered and unregistered only while no vCPU runs (before they
 * start, after they stopped), so the lookup needs no lock; each device serialises its own state.
 */
#ifndef CVMM_BUS_H
#define CVMM_BUS_H

#include <stdbool.h>
#include <stdint.h>

/* offset is relative to the range base; data holds len (1..8) bytes, little endian. */
typedef void (*bus_access_fn)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			      bool is_write);

struct bus_range {
	uint64_t base;
	uint64_t len;
	bus_access_fn access;
	void *opaque;
	const char *name;
};

struct bus {
	struct bus_range *ranges;
	unsigned nr;
	unsigned cap;
};

void bus_init(struct bus *bus);
void bus_destroy(struct bus *bus);
/* -EEXIST if the range overlaps one already registered, -EINVAL if empty or wrapping. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len, bus_access_fn access, void *opaque,
		 const char *name);
/* Removes the range that starts at base; -ENOENT if there is none. */
int bus_unregister(struct bus *bus, uint64_t base);
const struct bus_range *bus_find(const struct bus *bus, uint64_t addr);
/* Dispatches an access; false when no device claims addr (reads then return all ones). */
bool bus_access(const struct bus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool is_write);

#endif
