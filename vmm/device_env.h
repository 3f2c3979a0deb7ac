/* SPDX-License-Identifier: MIT */
/*
 * What a device sees of the VM: guest memory, the event loop, the buses it maps its registers on,
 * interrupt routing, a way to ask the VM to stop, and a clock.  Nothing else: no device reaches
 * into the VM or calls back into the code that created it.
 *
 * Each kind of device describes itself with a struct device_kind, and vmm/device_table.c lists
 * them; the device manager (vmm/device_manager.h) creates the instances a config asks for, in
 * table order, and tears them down in reverse.  Adding a device is adding a file and a row.
 */
#ifndef CVMM_DEVICE_ENV_H
#define CVMM_DEVICE_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/virtio.h"
#include "vmm/bus.h"
#include "vmm/clock.h"

struct error;
struct ev_loop;
struct guest_mem;
struct irq_router;
struct vm_config;
struct device_maps;
struct boot_mem_range;

/*
 * What a firmware boot (--tee tdx|snp) hands the firmware through fw_cfg; the bytes belong to
 * the launch inputs and live as long as the VM.
 */
struct device_firmware_boot {
	const uint8_t *kernel; /* direct boot through the firmware; NULL: none */
	size_t kernel_len;
	const uint8_t *initrd; /* NULL: none */
	size_t initrd_len;
	const char *cmdline;
	uint64_t initrd_limit; /* the initrd ends below this */
	const uint8_t *acpi;   /* the ACPI tables as laid out for acpi_gpa; NULL: none */
	size_t acpi_len;
	uint64_t acpi_gpa;
	const struct boot_mem_range *ram; /* guest RAM, for "etc/e820" */
	unsigned nr_ram;
	unsigned nr_cpus;
};

struct device_env {
	struct guest_mem *mem;
	struct ev_loop *loop;
	struct bus *pio;
	struct bus *mmio;
	struct irq_router *irq;
	const struct clock *clock;
	uint64_t start_ns; /* the clock's reading when cvmm started (the boot timer's zero) */
	/* Asks the VM to stop with this exit status; reason (may be NULL) is logged once. */
	void (*request_stop)(void *ctx, int exit_status, const char *reason);
	void *stop_ctx;
	struct virtio_env virtio; /* what the virtio transport needs */
	struct device_maps *maps; /* the manager's record of bus ranges (device_map) */
	const struct device_firmware_boot *firmware; /* firmware boots only, else NULL */
};

/* What a device model counts beyond its transport, as name/value pairs (static names). */
#define DEVICE_COUNTERS_MAX 32

struct device_counters {
	unsigned nr;
	struct {
		const char *name;
		uint64_t value;
	} v[DEVICE_COUNTERS_MAX];
};

static inline void device_counters_add(struct device_counters *c, const char *name,
				       uint64_t value)
{
	if (c->nr < DEVICE_COUNTERS_MAX) {
		c->v[c->nr].name = name;
		c->v[c->nr].value = value;
		c->nr++;
	}
}

/* One device instance as the manager keeps it. */
struct device {
	char name[32];
	const struct device_kind *kind;
	void *opaque;
	void (*stop)(void *opaque);    /* vCPUs stopped: flush backends (may be NULL) */
	void (*destroy)(void *opaque); /* free everything */
	/* Its model's counters, any thread (may be NULL). */
	void (*counters)(void *opaque, struct device_counters *out);
	struct virtio_dev *vdev;       /* virtio devices: the transport (freed by destroy) */
	unsigned first_map;            /* its bus ranges in the manager's record */
};

/*
 * A kind of device: a legacy one (create) or a virtio-mmio one (open_virtio, stop, destroy).  For
 * the latter the manager adds the transport, slot, interrupt line and MMIO window; the parameters'
 * dev_ref tells the transport where the model keeps its pointer to it.
 */
struct device_kind {
	const char *name;
	/* How many instances cfg asks for; NULL: always one. */
	unsigned (*count)(const struct vm_config *cfg);
	/* A legacy (port I/O) device: creates instance i and maps its ports with device_map(). */
	int (*create)(const struct device_env *env, const struct vm_config *cfg, unsigned i,
		      struct device *out, struct error *e);
	/* A virtio model: opens instance i of what cfg asks for and fills the transport's params. */
	int (*open_virtio)(const struct device_env *env, const struct vm_config *cfg, unsigned i,
			   void **model, struct virtio_dev_params *params, struct error *e);
	void (*stop)(void *model);
	void (*destroy)(void *model); /* frees the transport too, once it exists */
	/* A virtio model's own counters (rx/tx, drops, throttles), any thread; may be NULL. */
	void (*counters)(void *model, struct device_counters *out);
};

/*
 * Maps [base, base + len) on bus for the device being created; the manager unmaps it when the
 * device goes away (or its creation fails).  -EEXIST on overlap.
 */
int device_map(const struct device_env *env, struct bus *bus, uint64_t base, uint64_t len,
	       bus_access_fn fn, void *opaque, const char *name);

/* Fills env->virtio from env's memory, loop and interrupt routing (set those first). */
void device_env_set_virtio(struct device_env *env, int vm_fd, bool confidential,
			   bool access_platform);

static inline void device_request_stop(const struct device_env *env, int exit_status,
				       const char *reason)
{
	env->request_stop(env->stop_ctx, exit_status, reason);
}

/* The record of mapped ranges (used by the manager and by tests that create devices alone). */
struct device_map_entry {
	struct bus *bus;
	uint64_t base;
};

struct device_maps {
	struct device_map_entry *v;
	unsigned nr, cap;
};

/* Unmaps every range recorded from index `from` on, newest first. */
void device_maps_unmap_from(struct device_maps *maps, unsigned from);
void device_maps_free(struct device_maps *maps);

#endif
