// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "devices/debug_ports.h"
#include "vmm/log.h"
#include "vmm/vm.h"

struct debug_ports {
	struct vm *vm;
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
	vm_request_stop(d->vm, data[0], NULL);
}

static void boot_timer_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len,
			  bool is_write)
{
	struct debug_ports *d = opaque;
	struct timespec now;
	double ms;
	char line[96];
	int n;

	if (!is_write) {
		data[0] = 0;
		return;
	}
	if (!d->boot_timer)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (double)(now.tv_sec - d->vm->start_time.tv_sec) * 1e3 +
	     (double)(now.tv_nsec - d->vm->start_time.tv_nsec) / 1e6;
	n = snprintf(line, sizeof(line), "cvmm: boot-timer: guest marker 0x%02x after %.3f ms\n",
		     data[0], ms);
	if (write(STDERR_FILENO, line, (size_t)n) < 0) {
		/* nothing sensible to do */
	}
}

int debug_ports_create(struct vm *vm, bool boot_timer)
{
	struct debug_ports *d = calloc(1, sizeof(*d));
	struct vm_device dev;
	int ret;

	if (!d)
		return -ENOMEM;
	d->vm = vm;
	d->boot_timer = boot_timer;
	ret = bus_register(&vm->pio_bus, LAYOUT_DEBUG_EXIT_PORT, 1, debug_exit_io, d,
			   "debug-exit");
	if (!ret)
		ret = bus_register(&vm->pio_bus, LAYOUT_BOOT_TIMER_PORT, 1, boot_timer_io, d,
				   "boot-timer");
	if (ret) {
		free(d);
		return ret;
	}
	dev = (struct vm_device){ .name = "debug-ports", .opaque = d, .destroy = free };
	return vm_register_device(vm, &dev);
}
