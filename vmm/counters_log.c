// SPDX-License-Identifier: MIT
/* The VM's device counters as log lines: one per device, the counters that are not zero. */
#include <stdio.h>
#include <stdlib.h>

#include "vmm/log.h"
#include "vmm/vm.h"

/* "name: k=v k=v" for the counters that are not zero; nothing when all are. */
static void log_device(enum log_level level, const char *name, const struct device_counters *m)
{
	char line[900];
	size_t len = 0;

	for (unsigned i = 0; i < m->nr && len < sizeof(line); i++)
		if (m->v[i].value)
			len += (size_t)snprintf(line + len, sizeof(line) - len, " %s=%llu",
						m->v[i].name, (unsigned long long)m->v[i].value);
	if (len)
		log_msg(level, "%s:%s", name, line);
}

void vm_log_counters(struct vm *vm, enum log_level level)
{
	struct vm_counters *c;

	if (level > log_threshold)
		return;
	c = malloc(sizeof(*c));
	if (!c)
		return;
	vm_get_counters(vm, c);
	for (unsigned d = 0; d < c->nr_virtio; d++)
		log_device(level, c->virtio[d].name, &c->virtio[d].model);
	for (unsigned d = 0; d < c->nr_other; d++)
		log_device(level, c->other[d].name, &c->other[d].c);
	free(c);
}
