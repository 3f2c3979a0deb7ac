/* SPDX-License-Identifier: MIT */
/* What a VM is made of, as parsed from the command line (vmm/cli.c). */
#ifndef CVMM_CONFIG_H
#define CVMM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/irq.h"

#define CONFIG_MAX_VCPUS  254
#define CONFIG_MAX_DRIVES 16
#define CONFIG_MIN_MEM_MIB 16
#define CONFIG_MAX_MEM_MIB (1024 * 1024) /* 1 TiB */

enum serial_mode {
	SERIAL_STDIO,
	SERIAL_FILE,
	SERIAL_NONE,
};

enum blk_engine {
	BLK_ENGINE_SYNC,
	BLK_ENGINE_URING,
};

enum tee_kind {
	TEE_NONE,
	TEE_EMULATED,
	TEE_TDX,
	TEE_SNP,
};

#define DRIVE_POLL_US_DEFAULT 50
#define DRIVE_POLL_US_MAX     1000

struct drive_config {
	const char *path;
	const char *id;
	bool read_only;
	enum blk_engine engine;
	unsigned poll_us; /* busy-poll the queue this long after the last request; 0: never */
};

struct vsock_config {
	bool enabled;
	uint32_t guest_cid;
	const char *uds_path;
};

struct vm_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline;
	unsigned vcpus;
	uint64_t mem_mib;
	enum serial_mode serial;
	const char *serial_path;
	enum irqchip_mode irqchip;
	bool boot_timer;
	struct drive_config drives[CONFIG_MAX_DRIVES];
	unsigned nr_drives;
	struct vsock_config vsock;
	enum tee_kind tee;
	const char *firmware;
	int verbose;
};

void config_set_defaults(struct vm_config *cfg);

#endif
