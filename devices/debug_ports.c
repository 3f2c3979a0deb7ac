// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devices/debug_ports.h"
#include "vmm/config.h"
#include "vmm/device_env.h"
#include "vmm/error.h"
#include "vmm/layout.h"
#include "vmm/log.h"

struct debug_ports {
	const struct device_env *env;
	bool boot_timer;
};

static void debug_exit_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			  bool is_write)
{
	struct debug_ports *d = opaque;

	if (!is_write) {
		data[0] = 0;
		return;
	}
	/* The guest chose this status: not an error of cvmm's, whatever its value. */
	log_info("guest wrote %u to the debug-exit port", data[0]);
	device_request_stop(d->env, data[0], NULL);
}

static void boot_timer_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			  bool is_write)
{
	struct debug_ports *d = opaque;
	double ms;
	char line[96];
	int n;

	if (!is_write) {
		data[0] = 0;
		return;
	}
	if (!d->boot_timer)
		return;
	ms = (double)(clock_now_ns(d->env->clock) - d->env->start_ns) / 1e6;
	n = snprintf(line, sizeof(line), "cvmm: boot-timer: guest marker 0x%02x after %.3f ms\n",
		     data[0], ms);
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nothing sensible to do */
	}
}

static int debug_ports_create(const struct device_env *env, const struct vm_config *cfg,
			      unsigned i, struct device *out, struct error *e)
{
	struct debug_ports *d = calloc(1, sizeof(*d));
	int ret;

	if (!d)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	d->env = env;
	d->boot_timer = cfg->boot_timer;
	/* The guest must not choose cvmm's exit status unless a test asked for that. */
	ret = 0;
	if (cfg->debug_exit)
		ret = device_map(env, env->pio, LAYOUT_DEBUG_EXIT_PORT, 1, debug_exit_io, d,
				 "debug-exit");
	if (!ret)
		ret = device_map(env, env->pio, LAYOUT_BOOT_TIMER_PORT, 1, boot_timer_io, d,
				 "boot-timer");
	if (ret) {
		free(d);
		return error_set(e, ERROR_HOST, ret, "debug ports: cannot map them: %s",
				 strerror(-ret));
	}
	*out = (struct device){ .name = "debug-ports", .opaque = d, .destroy = free };
	return 0;
}

const struct device_kind debug_ports_device = {
	.name = "debug-ports",
	.create = debug_ports_create,
};
