// SPDX-License-Identifier: MIT
/*
 * Cloud Hypervisor's API on cvmm (vmm/api_ch.h): the routes, vm.add-net's body and descriptors,
 * vm.info and vm.resize.  The VmConfig of vm.create is vmm/api_ch_config.c's; what the requests
 * do to the VM is vmm/api_state.c's.  Answers: 204 without a body, 200 with JSON, 400 (plain
 * text) for what the client got wrong or asked in the wrong state, 500 for a host failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/tap.h"
#include "vmm/api_ch.h"
#include "vmm/api_json.h"
#include "vmm/api_state.h"
#include "vmm/error.h"
#include "vmm/log.h"
#include "vmm/metrics.h"
#include "vmm/util.h"

#define BAD(...) error_set(e, ERROR_USAGE, EINVAL, __VA_ARGS__)
#define API_PREFIX "/api/v1/"

char *api_ch_error_body(const char *message)
{
	char *s = malloc(ERROR_MSG_MAX);

	if (s)
		api_clean_text(s, ERROR_MSG_MAX, message);
	return s;
}

static void answer(struct api_response *resp, const struct error *e, int ok_status)
{
	api_answer(resp, e, ok_status, api_ch_error_body);
	if (resp->body)
		resp->content_type = "text/plain";
}

/* A body-less action: runs fn on a, answers 204 or the error. */
static void act(struct api_response *resp, struct api_vmm *a,
		int (*fn)(struct api_vmm *a, struct error *e))
{
	struct error e = ERROR_INIT;

	fn(a, &e);
	answer(resp, &e, 204);
}

static void h_ping(void *ctx, const struct api_request *req, struct api_response *resp)
{
	/* runtime-rs reads "features" to know that the VMM can launch TDX guests. */
	api_answer_json(resp, json_pack("{s:s,s:s,s:I,s:[sss]}", "build_version",
					"cvmm v" CVMM_VERSION, "version", CVMM_VERSION, "pid",
					(json_int_t)getpid(), "features", "kvm", "tdx", "io_uring"));
}

static int create(struct api_vmm *a, const json_t *body, const char *param, struct error *e)
{
	struct vm_config cfg;
	int ret;

	if (a->created)
		return error_set(e, ERROR_USAGE, EEXIST, "vm.create: a VM is already created");
	config_init(&cfg);
	ret = api_ch_parse_vmconfig(body, &cfg, e);
	if (ret)
		error_prefix(e, "vm.create: ");
	else
		ret = api_create(a, &cfg, e);
	config_free(&cfg);
	return ret;
}

static void h_create(void *ctx, const struct api_request *req, struct api_response *resp)
{
	api_run_apply(ctx, req, resp, create, api_ch_error_body);
	if (resp->body)
		resp->content_type = "text/plain";
}

static const char *ch_state(struct api_vmm *a)
{
	if (!api_vmm_started(a))
		return "Created";
	return api_vmm_paused(a) ? "Paused" : "Running";
}

static void h_info(void *ctx, const struct api_request *req, struct api_response *resp)
{
	struct api_vmm *a = ctx;
	struct error e = ERROR_INIT;

	if (!a->created) {
		error_set(&e, ERROR_USAGE, ENOENT, "vm.info: no VM created (PUT vm.create first)");
		answer(resp, &e, 200);
		return;
	}
	api_answer_json(resp, json_pack("{s:o,s:s,s:I}", "config", api_ch_vmconfig_json(&a->cfg),
					"state", ch_state(a), "memory_actual_size",
					(json_int_t)(a->cfg.mem_mib << 20)));
}

static void h_add_net(void *ctx, const struct api_request *req, struct api_response *resp)
{
	struct api_tap t = { .fd = -1 };
	struct error e = ERROR_INIT;
	json_t *body = api_json_load(req->body, req->body_len, &e);
	char ifname[IFNAMSIZ];

	if (body && req->nr_fds > 1)
		error_set(&e, ERROR_USAGE, EINVAL, "vm.add-net: %u descriptors: cvmm's virtio-net has "
			  "one queue pair (one tap fd)", req->nr_fds);
	if (body && !error_is_set(&e))
		api_ch_parse_net(body, "vm.add-net", req->nr_fds == 1, &t, &e);
	json_decref(body);
	if (!error_is_set(&e))
		api_can_add_tap(ctx, &e);
	if (!error_is_set(&e) && req->nr_fds == 1 && tap_check_fd(req->fds[0], ifname, &e))
		error_prefix(&e, "vm.add-net: ");
	if (!error_is_set(&e)) {
		t.fd = req->nr_fds == 1 ? req->fds[0] : -1;
		/* The state keeps the descriptor only when it took the interface. */
		if (!api_add_tap(ctx, &t, &e) && t.fd >= 0)
			req->fds[0] = -1;
	}
	answer(resp, &e, 204);
}

static void h_boot(void *ctx, const struct api_request *req, struct api_response *resp)
{
	act(resp, ctx, api_boot);
}

static void h_shutdown(void *ctx, const struct api_request *req, struct api_response *resp)
{
	act(resp, ctx, api_vm_shutdown);
}

static void h_vmm_shutdown(void *ctx, const struct api_request *req, struct api_response *resp)
{
	/* The answer goes out before the process ends (the supervisor waits for it). */
	api_request_exit(ctx);
	resp->status = 204;
}

static void h_counters(void *ctx, const struct api_request *req, struct api_response *resp)
{
	struct api_vmm *a = ctx;
	struct error e = ERROR_INIT;

	if (!api_vmm_started(a)) {
		error_set(&e, ERROR_USAGE, EBUSY, "vm.counters: the VM is not booted");
		answer(resp, &e, 200);
		return;
	}
	api_answer_json(resp, metrics_vm_counters(a->vm));
}

/* vm.resize: cvmm has no CPU or memory hotplug; asking for what the VM has is no change. */
static int resize(struct api_vmm *a, const json_t *o, const char *param, struct error *e)
{
	static const struct jfield f[] = {
		{ "desired_vcpus", J_UINT, false },
		{ "desired_ram", J_UINT, false },
		{ "desired_balloon", J_UINT, false },
	};
	int ret = api_check_fields(o, "vm.resize", f, ARRAY_SIZE(f), e);
	uint64_t ram = a->cfg.mem_mib << 20;

	if (ret)
		return ret;
	if (!a->created)
		return BAD("vm.resize: no VM created (PUT vm.create first)");
	if (jhas(o, "desired_vcpus") && juint(o, "desired_vcpus", 0) != a->cfg.vcpus)
		return error_set(e, ERROR_USAGE, ENOTSUP,
				 "vm.resize: desired_vcpus %llu: cvmm cannot add or remove vCPUs (no "
				 "CPU hotplug); the VM has %u",
				 (unsigned long long)juint(o, "desired_vcpus", 0), a->cfg.vcpus);
	if (jhas(o, "desired_ram") && juint(o, "desired_ram", 0) != ram)
		return error_set(e, ERROR_USAGE, ENOTSUP,
				 "vm.resize: desired_ram %llu: cvmm cannot add or remove memory (no "
				 "memory hotplug); the VM has %llu bytes",
				 (unsigned long long)juint(o, "desired_ram", 0),
				 (unsigned long long)ram);
	if (jhas(o, "desired_balloon"))
		return error_set(e, ERROR_USAGE, ENOTSUP, "vm.resize: desired_balloon: cvmm has no "
				 "virtio-balloon");
	return 0;
}

static void h_resize(void *ctx, const struct api_request *req, struct api_response *resp)
{
	api_run_apply(ctx, req, resp, resize, api_ch_error_body);
	if (resp->body)
		resp->content_type = "text/plain";
}

/* Endpoints Kata's clh drivers may call that cvmm does not serve, each with its reason. */
static const struct {
	const char *path, *why;
} refused[] = {
	{ API_PREFIX "vm.add-disk", "cvmm has no PCI hotplug: give disks in vm.create (Kata: "
	  "images pulled in the guest, no block device hotplug)" },
	{ API_PREFIX "vm.add-device", "cvmm has no PCI device passthrough (VFIO) or hotplug" },
	{ API_PREFIX "vm.remove-device", "cvmm has no PCI hotplug: no device can be removed" },
	{ API_PREFIX "vm.add-fs", "cvmm has no virtio-fs (Kata: shared_fs = \"none\")" },
	{ API_PREFIX "vm.add-pmem", "cvmm has no virtio-pmem" },
	{ API_PREFIX "vm.add-vsock", "cvmm has no device hotplug: give the vsock in vm.create" },
	{ API_PREFIX "vm.add-vdpa", "cvmm has no vDPA devices" },
	{ API_PREFIX "vm.add-user-device", "cvmm has no vfio-user devices" },
	{ API_PREFIX "vm.resize-zone", "cvmm has no memory zones" },
};

static void h_refused(void *ctx, const struct api_request *req, struct api_response *resp)
{
	struct error e = ERROR_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(refused); i++)
		if (!strcmp(req->path, refused[i].path))
			error_set(&e, ERROR_USAGE, ENOTSUP, "%s: %s",
				  req->path + strlen(API_PREFIX), refused[i].why);
	answer(resp, &e, 204);
}

static const struct api_route ch_routes[] = {
	{ "GET", API_PREFIX "vmm.ping", h_ping },
	{ "PUT", API_PREFIX "vmm.shutdown", h_vmm_shutdown },
	{ "PUT", API_PREFIX "vm.create", h_create },
	{ "GET", API_PREFIX "vm.info", h_info },
	{ "PUT", API_PREFIX "vm.add-net", h_add_net },
	{ "PUT", API_PREFIX "vm.boot", h_boot },
	{ "PUT", API_PREFIX "vm.shutdown", h_shutdown },
	{ "GET", API_PREFIX "vm.counters", h_counters },
	{ "PUT", API_PREFIX "vm.resize", h_resize },
	{ "PUT", API_PREFIX "vm.add-disk", h_refused },
	{ "PUT", API_PREFIX "vm.add-device", h_refused },
	{ "PUT", API_PREFIX "vm.remove-device", h_refused },
	{ "PUT", API_PREFIX "vm.add-fs", h_refused },
	{ "PUT", API_PREFIX "vm.add-pmem", h_refused },
	{ "PUT", API_PREFIX "vm.add-vsock", h_refused },
	{ "PUT", API_PREFIX "vm.add-vdpa", h_refused },
	{ "PUT", API_PREFIX "vm.add-user-device", h_refused },
	{ "PUT", API_PREFIX "vm.resize-zone", h_refused },
};

void api_ch_routes(struct api_vmm *a, struct api_routes *out)
{
	*out = (struct api_routes){
		.routes = ch_routes,
		.nr = ARRAY_SIZE(ch_routes),
		.ctx = a,
		.error_body = api_ch_error_body,
		.error_content_type = "text/plain",
		.max_fds = API_CH_MAX_FDS,
	};
}
