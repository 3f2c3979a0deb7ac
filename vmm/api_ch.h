/* SPDX-License-Identifier: MIT */
/*
 * The Cloud Hypervisor API subset that Kata's clh drivers (Go runtime and runtime-rs) speak, on
 * --api-socket: /api/v1/vmm.ping, vm.create, vm.info, vm.add-net (tap fds with SCM_RIGHTS),
 * vm.boot, vm.shutdown, vmm.shutdown, vm.counters, vm.resize.  Bodies are Cloud Hypervisor's
 * JSON (its openapi's names and types); what cvmm cannot honour is refused with a 400 naming the
 * field, and the endpoints Kata may call that cvmm does not serve (PCI hotplug, virtio-fs, ...)
 * answer a 400 that says why.  Errors are plain text, as Cloud Hypervisor's are.
 */
#ifndef CVMM_API_CH_H
#define CVMM_API_CH_H

#include <jansson.h>
#include <stdbool.h>

#include "vmm/api_http.h"

struct api_tap;
struct api_vmm;
struct error;
struct vm_config;

/* Descriptors a vm.add-net may carry: one tap queue; more are refused (and closed). */
#define API_CH_MAX_FDS 8

/* The route table, its handlers working on a. */
void api_ch_routes(struct api_vmm *a, struct api_routes *out);

/* The message as an error body (malloc'd plain text). */
char *api_ch_error_body(const char *message);

/*
 * A VmConfig (vm.create's body) into cfg, which the caller has config_init()ed: every field
 * checked by name and value; nothing cvmm cannot honour passes.
 */
int api_ch_parse_vmconfig(const json_t *o, struct vm_config *cfg, struct error *e);

/*
 * A NetConfig (vm.add-net's body, an entry of vm.create's net) into t; have_fd: its tap came as a
 * descriptor (t->fd is the caller's to set), else the body must name it.  what names it in errors.
 */
int api_ch_parse_net(const json_t *o, const char *what, bool have_fd, struct api_tap *t,
		     struct error *e);

/* The VmConfig cvmm runs for cfg, as vm.info reports it. */
json_t *api_ch_vmconfig_json(const struct vm_config *cfg);

#endif
