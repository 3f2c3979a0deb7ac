/* SPDX-License-Identifier: MIT */
/*
 * Metrics: one JSON object per line to a file or FIFO (--metrics-path, PUT /metrics), on
 * FlushMetrics and every METRICS_PERIOD_S.  The groups and field names are Firecracker's (what
 * Kata's fc driver reads: api_server, block, get/put/patch_api_requests, logger, vcpu, vmm, uart,
 * vsock, entropy ...), filled where cvmm has the number, plus a "cvmm" group of its own: exits by
 * kind, memory conversions, DMA refused for private memory, and every virtio device's counters.
 * Counters are cumulative since start (Firecracker resets some on each flush; Kata only plots
 * them).  See docs/api.md.
 */
#ifndef CVMM_METRICS_H
#define CVMM_METRICS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct error;
struct vm;

#define METRICS_PERIOD_S 60

/* Requests answered per kind, and how many failed (Firecracker's *_count / *_fails metrics). */
enum api_counter {
	API_CNT_INSTANCE_INFO,
	API_CNT_MACHINE_CFG_GET,
	API_CNT_VM_CONFIG_GET,
	API_CNT_VERSION_GET,
	API_CNT_ACTIONS,
	API_CNT_BOOT_SOURCE,
	API_CNT_DRIVE_PUT,
	API_CNT_LOGGER,
	API_CNT_MACHINE_CFG_PUT,
	API_CNT_METRICS,
	API_CNT_NETWORK_PUT,
	API_CNT_VSOCK,
	API_CNT_ENTROPY,
	API_CNT_DRIVE_PATCH,
	API_CNT_NETWORK_PATCH,
	API_CNT_MACHINE_CFG_PATCH,
	API_CNT_VM_PATCH,
	API_CNT_OTHER,
	API_CNT__COUNT,
};

/* What a line is made of. */
struct metrics_input {
	struct vm *vm; /* NULL before InstanceStart */
	const uint64_t *counts, *fails; /* [API_CNT__COUNT] */
	uint64_t api_ready_us, api_ready_cpu_us;
};

int metrics_open(const char *path, struct error *e);
void metrics_close(void);
bool metrics_enabled(void);
/* The metrics line as a malloc'd string (without the newline); NULL when out of memory. */
char *metrics_line(const struct metrics_input *in);
/* Writes one line now; -EAGAIN when the FIFO was full (the line is dropped and counted). */
int metrics_flush(const struct metrics_input *in);
/*
 * A VM's counters as Cloud Hypervisor's vm.counters gives them, two levels of integers: each
 * virtio device's transport counters by its name, and "vm": exits by kind and the conversions of
 * confidential memory.  NULL when out of memory.
 */
json_t *metrics_vm_counters(struct vm *vm);

#endif
