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

#include "devices/net.h"
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

/* vm.add-net: a NetConfig whose tap comes as a descriptor (Kata) or a name. */
static int parse_net(const json_t *o, bool have_fd, struct api_tap *t, struct error *e)
{
	static const struct jfield f[] = {
		{ "tap", J_STR, false },
		{ "ip", J_STR, false },
		{ "mask", J_STR, false },
		{ "mac", J_STR, false },
		{ "host_mac", J_STR, false },
		{ "mtu", J_UINT, false },
		{ "iommu", J_BOOL, false },
		{ "num_queues", J_UINT, false },
		{ "queue_size", J_UINT, false },
		{ "vhost_user", J_BOOL, false },
		{ "vhost_socket", J_STR, false },
		{ "vhost_mode", J_STR, false },
		{ "id", J_STR, false },
		{ "fds", J_ARR, false },
		{ "pci_segment", J_UINT, false },
		{ "rate_limiter_config", J_OBJ, false },
		{ "offload_tso", J_BOOL, false },
		{ "offload_ufo", J_BOOL, false },
		{ "offload_csum", J_BOOL, false },
	};
	static const char *const offloads[] = { "offload_tso", "offload_ufo", "offload_csum" };
	const char *what = "vm.add-net", *s;
	uint64_t v;
	int ret = api_check_fields(o, what, f, ARRAY_SIZE(f), e);

	if (ret)
		return ret;
	if (jhas(o, "fds") && json_array_size(json_object_get(o, "fds")))
		return BAD("%s.fds: pass the tap descriptors with SCM_RIGHTS, not as numbers", what);
	if (jbool(o, "iommu", false))
		return BAD("%s.iommu: cvmm has no virtual IOMMU", what);
	if (jbool(o, "vhost_user", false) || jhas(o, "vhost_socket"))
		return BAD("%s.vhost_user: cvmm has no vhost-user network devices", what);
	if (jhas(o, "host_mac"))
		return BAD("%s.host_mac: cvmm does not set the tap's own MAC address", what);
	if (juint(o, "pci_segment", 0))
		return BAD("%s.pci_segment: cvmm's devices are virtio-mmio (no PCI)", what);
	for (size_t i = 0; i < ARRAY_SIZE(offloads); i++)
		if (!jbool(o, offloads[i], true))
			return BAD("%s.%s: cvmm offers the offloads the tap can do and turns none "
				   "off", what, offloads[i]);
	s = jstr(o, "vhost_mode");
	if (s && strcmp(s, "Client") && strcmp(s, "Server"))
		return BAD("%s.vhost_mode '%.32s' is not one of Client, Server", what, s);
	/* Kata sends 2: one receive and one transmit queue, one tap fd. */
	v = juint(o, "num_queues", 2);
	if (v != 2)
		return BAD("%s.num_queues %llu: cvmm's virtio-net has one queue pair (2 queues, one "
			   "tap fd)", what, (unsigned long long)v);
	v = juint(o, "queue_size", NET_QUEUE_SIZE);
	if (!v || v > 32768 || (v & (v - 1)))
		return BAD("%s.queue_size %llu is not a power of two up to 32768", what,
			   (unsigned long long)v);
	if (jhas(o, "tap") && have_fd)
		return BAD("%s.tap: the tap came as a descriptor; give a name or a descriptor, not "
			   "both", what);
	if (!jhas(o, "tap") && !have_fd)
		return BAD("%s: no tap (pass its descriptor with SCM_RIGHTS, or name it in 'tap')",
			   what);
	/* Cloud Hypervisor configures ip and mask only on a tap it opens by name. */
	if (!have_fd && (jhas(o, "ip") || jhas(o, "mask")))
		return BAD("%s.ip: cvmm does not configure the host side of a tap", what);
	if (jhas(o, "tap"))
		return BAD("%s.tap: cvmm takes the tap as a descriptor (SCM_RIGHTS)", what);
	s = jstr(o, "mac");
	if (s && (api_parse_mac(s, t->mac) || (t->mac[0] & 1)))
		return BAD("%s.mac '%.32s' is not a unicast MAC address (xx:xx:xx:xx:xx:xx)", what, s);
	t->has_mac = s != NULL;
	v = juint(o, "mtu", 0);
	if (v && (v < NET_MTU_MIN || v > NET_MTU_MAX))
		return BAD("%s.mtu %llu: between %d and %d", what, (unsigned long long)v,
			   NET_MTU_MIN, NET_MTU_MAX);
	t->mtu = (unsigned)v;
	s = jstr(o, "id");
	if (s && (!*s || strlen(s) > API_IFACE_ID_MAX))
		return BAD("%s.id: 1 to %d characters", what, API_IFACE_ID_MAX);
	snprintf(t->id, sizeof(t->id), "%s", s ? s : "");
	return api_parse_limiter(json_object_get(o, "rate_limiter_config"),
				 "vm.add-net.rate_limiter_config", &t->limiter, e);
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
		parse_net(body, req->nr_fds == 1, &t, &e);
	json_decref(body);
	if (!error_is_set(&e))
		api_can_add_tap(ctx, &e);
	if (!error_is_set(&e) && req->nr_fds == 1 && tap_check_fd(req->fds[0], ifname, &e))
		error_prefix(&e, "vm.add-net: ");
	if (!error_is_set(&e)) {
		t.fd = req->fds[0];
		/* The state keeps the descriptor only when it took the interface. */
		if (!api_add_tap(ctx, &t, &e))
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
