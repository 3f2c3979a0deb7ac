// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "boot/cmdline.h"
#include "vmm/resources.h"

int cmdline_build(const char *user, const struct resource_slot *slots, unsigned nr_slots,
		  char *out, size_t outlen)
{
	size_t len;

	if (outlen == 0)
		return -E2BIG;
	len = (size_t)snprintf(out, outlen, "%s", user ? user : "");
	if (len >= outlen)
		return -E2BIG;
	for (unsigned i = 0; i < nr_slots; i++) {
		len += (size_t)snprintf(out + len, outlen - len, "%svirtio_mmio.device=4K@0x%llx:%u",
					len ? " " : "", (unsigned long long)slots[i].base,
					slots[i].gsi);
		if (len >= outlen)
			return -E2BIG;
	}
	return 0;
}
