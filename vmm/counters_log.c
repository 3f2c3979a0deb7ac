// SPDX-License-Identifier: MIT
/* The VM's device counters as log lines: one per device, the counters that are not zero. */
#include <stdio.h>
#include <stdlib.h>

#include "vmm/log.h"
#include "vmm/vm.h"

void vm_log_counters(struct vm *vm, enum log_level level)
{
	struct vm_counters *c;

	if (level > log_threshold)
		return;
	c = malloc(sizeof(*c));
	if (!c)
		return;
	vm_get_counters(vm, c);
	for (unsigned d = 0; d < c->nr_devices; d++) {
		char line[900];
		size_t len = 0;

		for (unsigned i = 0; i < c->devices[d].nr && len < sizeof(line); i++) {
			const struct device_stat *s = &c->devices[d].stat[i];

			if (s->value)
				len += (size_t)snprintf(line + len, sizeof(line) - len, " %s=%llu",
							s->name, (unsigned long long)s->value);
		}
		if (len)
			log_msg(level, "%s:%s", c->devices[d].name, line);
	}
	free(c);
}
