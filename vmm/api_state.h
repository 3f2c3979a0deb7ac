/* SPDX-License-Identifier: MIT */
/*
 * What the management API manages: the pre-boot configuration (a struct vm_config being filled),
 * then the VM it started, the network interfaces and metrics the API was given, and the per-
 * request counters.  The API dialects (vmm/api_fc.c, vmm/api_ch.c) parse and validate requests
 * into calls here; this file knows the VM's life and nothing about HTTP or JSON.
 *
 * Two ways to a VM: Firecracker's fills the config piece by piece and starts it (InstanceStart);
 * Cloud Hypervisor's gives the whole config at once (api_create: "Created"), adds taps by fd, then
 * boots it (api_boot: "Running"); api_vm_shutdown() stops the VM and keeps the config, so it can
 * boot again.  api_request_exit() (vmm.shutdown) stops the VM and asks the process to end.
 */
#ifndef CVMM_API_STATE_H
#define CVMM_API_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/config.h"
#include "vmm/metrics.h"

struct error;
struct vm;

#define API_ID_MAX      64
#define API_MAX_NETS    8
#define API_IFACE_ID_MAX 64
#define API_IFNAME_MAX  15 /* IFNAMSIZ - 1 */

/* A network interface as the API describes it (Firecracker's NetworkInterface). */
struct api_net {
	char id[API_IFACE_ID_MAX + 1];
	char host_dev_name[API_IFNAME_MAX + 1];
	uint8_t mac[6];
	bool has_mac;
	struct rate_limit_config rx, tx; /* vmm/config.h's, as Firecracker describes them */
};

/*
 * A network interface as Cloud Hypervisor's NetConfig gives it: an open tap queue (vm.add-net,
 * SCM_RIGHTS) or a tap by name (vm.create's net, vm.add-net without a descriptor).
 */
struct api_tap {
	char id[API_IFACE_ID_MAX + 1]; /* "" when not given */
	char tap[API_IFNAME_MAX + 1];  /* "" when passed as fd */
	int fd;                        /* -1 when named */
	uint8_t mac[6];
	bool has_mac;
	unsigned mtu;                  /* 0: the device's default */
	struct rate_limit_config limiter; /* each direction */
};

struct api_vmm {
	char id[API_ID_MAX + 1];
	struct vm_config cfg;  /* pre-boot; the VM keeps a pointer to it once created */
	struct vm *vm;         /* NULL until InstanceStart */
	bool root_set;         /* a drive is the root device (the first) */
	bool root_read_only;
	char *root_partuuid;
	struct api_net nets[API_MAX_NETS];
	unsigned nr_nets;
	bool created;          /* the whole config was given (Cloud Hypervisor's vm.create) */
	bool exit_requested;   /* vmm.shutdown: the process ends once the answer has gone */
	int tap_fds[API_MAX_NETS]; /* taps passed by fd, owned here until the VM is freed */
	unsigned nr_tap_fds;
	char *log_path, *metrics_path;
	uint64_t counts[API_CNT__COUNT], fails[API_CNT__COUNT];
	uint64_t started_ns;      /* CLOCK_MONOTONIC at process start */
	uint64_t api_ready_us;    /* start -> API socket listening */
	uint64_t api_ready_cpu_us;
};

/* Takes cfg over (cfg is left config_init()ed). */
void api_vmm_init(struct api_vmm *a, const char *id, struct vm_config *cfg);
/* Stops and frees the VM if any, frees the config. */
void api_vmm_free(struct api_vmm *a);

/* "Not started", "Running" or "Paused" (Firecracker's InstanceInfo.state). */
const char *api_vmm_state(struct api_vmm *a);
bool api_vmm_started(const struct api_vmm *a);
bool api_vmm_paused(struct api_vmm *a);
/* A usage error naming what when the VM has started (pre-boot-only resources). */
int api_require_preboot(const struct api_vmm *a, const char *what, struct error *e);

/* Pre-boot changes.  Each validates what it can without touching the rest of the config. */
int api_set_boot_source(struct api_vmm *a, const char *kernel, const char *initrd,
			const char *cmdline, const char *firmware, struct error *e);
/* Adds a drive or replaces the one with the same id; root: it becomes the first drive. */
int api_put_drive(struct api_vmm *a, const struct drive_config *d, bool root,
		  const char *partuuid, struct error *e);
/* Records a network interface and hands it to the config (see api_state.c). */
int api_put_net(struct api_vmm *a, const struct api_net *n, struct error *e);
/* The running VM: swaps the drive's backing file (the guest sees a new capacity). */
int api_patch_drive(struct api_vmm *a, const char *id, const char *path, struct error *e);
int api_patch_net(struct api_vmm *a, const struct api_net *n, struct error *e);

/*
 * The whole config at once: checked by config_validate() (files included), then it replaces the
 * config being filled (taken over: *cfg is left config_init()ed), keeping what the command line
 * set for the process (seccomp, limits, sandbox policy, debug exit, verbosity).  Refused once
 * created.
 */
int api_create(struct api_vmm *a, struct vm_config *cfg, struct error *e);
/* Whether a tap can be added now (a created VM, not booted, room left): 0 or a usage error. */
int api_can_add_tap(const struct api_vmm *a, struct error *e);
/* A tap for the created, not yet booted VM; on success a owns t->fd (if any). */
int api_add_tap(struct api_vmm *a, const struct api_tap *t, struct error *e);
/*
 * A tap into cfg (vm.add-net's, or vm.create's net before the config is taken), through the path
 * Firecracker's network-interfaces take too; an id cfg already has is refused (what names it).
 */
int api_tap_to_config(struct vm_config *cfg, const struct api_tap *t, const char *what,
		      struct error *e);
/* The created VM: vm_create() and vm_start(), as InstanceStart. */
int api_boot(struct api_vmm *a, struct error *e);
/* Stops and frees the running VM; the config stays ("Created" again). */
int api_vm_shutdown(struct api_vmm *a, struct error *e);
/* vmm.shutdown: the VM (if any) stops now, the process once the answer is out. */
void api_request_exit(struct api_vmm *a);

/* Actions. */
int api_instance_start(struct api_vmm *a, struct error *e);
int api_pause(struct api_vmm *a, struct error *e);
int api_resume(struct api_vmm *a, struct error *e);
int api_ctrl_alt_del(struct api_vmm *a, struct error *e);
int api_flush_metrics(struct api_vmm *a, struct error *e);
/* One metrics line now (the periodic timer); -EAGAIN when the FIFO was full. */
int api_write_metrics(struct api_vmm *a);

/* Logger and metrics outputs (files or FIFOs). */
int api_set_logger(struct api_vmm *a, const char *path, const char *level, bool show_level,
		   bool show_origin, struct error *e);
int api_set_metrics(struct api_vmm *a, const char *path, struct error *e);

/*
 * The hybrid vsock device: cid and the Unix socket's path (what_cid, what_path name them in a
 * refusal).  Checked (CIDs from 3, room for the _PORT suffix), then set in cfg.
 */
int api_set_vsock(struct vm_config *cfg, const char *what_cid, uint64_t cid,
		  const char *what_path, const char *path, struct error *e);

/* The drive with this id, or -1. */
int api_find_drive(const struct api_vmm *a, const char *id);

#endif
