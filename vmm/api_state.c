// SPDX-License-Identifier: MIT
/*
 * The state the management API works on: the pre-boot config, then the VM.  Pre-boot requests
 * change the config (each checks what it can at once; config_validate() judges the whole at
 * InstanceStart), InstanceStart creates and starts the VM, later requests act on it.  Cloud
 * Hypervisor's dialect gives the whole config at once (api_create), then boots it (api_boot).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/api_state.h"
#include "vmm/error.h"
#include "vmm/log.h"
#include "vmm/metrics.h"
#include "vmm/sandbox.h"
#include "vmm/vm.h"

#define BAD(...) error_set(e, ERROR_USAGE, EINVAL, __VA_ARGS__)

void api_vmm_init(struct api_vmm *a, const char *id, struct vm_config *cfg)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->id, sizeof(a->id), "%s", id);
	a->cfg = *cfg;
	config_init(cfg);
}

void api_vmm_free(struct api_vmm *a)
{
	if (a->vm) {
		vm_stop(a->vm, VM_EXIT_OK, NULL);
		vm_wait(a->vm);
		vm_destroy(a->vm);
		a->vm = NULL;
	}
	config_free(&a->cfg);
	for (unsigned i = 0; i < a->nr_tap_fds; i++)
		close(a->tap_fds[i]);
	a->nr_tap_fds = 0;
	free(a->root_partuuid);
	free(a->log_path);
	free(a->metrics_path);
	a->root_partuuid = a->log_path = a->metrics_path = NULL;
}

bool api_vmm_started(const struct api_vmm *a)
{
	return a->vm != NULL;
}

bool api_vmm_paused(struct api_vmm *a)
{
	return a->vm && vm_get_state(a->vm) == VM_PAUSED;
}

const char *api_vmm_state(struct api_vmm *a)
{
	if (!a->vm)
		return "Not started";
	return vm_get_state(a->vm) == VM_PAUSED ? "Paused" : "Running";
}

int api_require_preboot(const struct api_vmm *a, const char *what, struct error *e)
{
	if (a->vm)
		return error_set(e, ERROR_USAGE, EBUSY,
				 "%s: a pre-boot resource, and the VM has already started", what);
	return 0;
}

static int require_vm(const struct api_vmm *a, const char *what, struct error *e)
{
	if (!a->vm)
		return error_set(e, ERROR_USAGE, EBUSY, "%s: the VM is not started", what);
	return 0;
}

/* A file the user names exists and is of a type the VM can use (opened for real at start). */
static int check_path(const char *what, const char *path, bool blockdev_ok, struct error *e)
{
	struct stat st;

	if (!path || !*path)
		return BAD("%s: empty path", what);
	if (strlen(path) > CONFIG_PATH_MAX)
		return BAD("%s: path is longer than %d bytes", what, CONFIG_PATH_MAX);
	if (stat(path, &st) < 0)
		return error_set(e, ERROR_INPUT, errno, "%s %s: %s", what, path, strerror(errno));
	if (!S_ISREG(st.st_mode) && !(blockdev_ok && S_ISBLK(st.st_mode)))
		return error_set(e, ERROR_INPUT, EINVAL, "%s %s: not a regular file%s", what, path,
				 blockdev_ok ? " or block device" : "");
	return 0;
}

int api_set_boot_source(struct api_vmm *a, const char *kernel, const char *initrd,
			const char *cmdline, const char *firmware, struct error *e)
{
	struct vm_config *c = &a->cfg;
	int ret = api_require_preboot(a, "boot-source", e);

	if (!ret && kernel)
		ret = check_path("boot-source: kernel_image_path", kernel, false, e);
	if (!ret && initrd)
		ret = check_path("boot-source: initrd_path", initrd, false, e);
	if (!ret && firmware)
		ret = check_path("boot-source: firmware_path", firmware, false, e);
	if (!ret && cmdline && strlen(cmdline) > CONFIG_CMDLINE_MAX)
		ret = BAD("boot-source: boot_args is %zu bytes, longer than the %d a guest can be "
			  "given", strlen(cmdline), CONFIG_CMDLINE_MAX);
	if (ret)
		return ret;
	/* A PUT replaces the whole boot source. */
	return config_set_string(&c->kernel, kernel, "kernel_image_path", e) ?:
	       config_set_string(&c->initrd, initrd, "initrd_path", e) ?:
	       config_set_string(&c->cmdline, cmdline, "boot_args", e) ?:
	       config_set_string(&c->firmware, firmware, "firmware_path", e);
}

int api_set_vsock(struct vm_config *cfg, const char *what_cid, uint64_t cid,
		  const char *what_path, const char *path, struct error *e)
{
	int ret;

	if (cid < 3 || cid >= UINT32_MAX)
		return BAD("%s %llu: guest CIDs start at 3 (0-2 are reserved)", what_cid,
			   (unsigned long long)cid);
	if (!*path)
		return BAD("%s is empty", what_path);
	if (strlen(path) > CONFIG_UDS_PATH_MAX - 11)
		return BAD("%s is longer than a Unix socket path may be (%d bytes with the _PORT "
			   "suffix)", what_path, CONFIG_UDS_PATH_MAX);
	ret = config_set_string(&cfg->vsock.uds_path, path, what_path, e);
	if (ret)
		return ret;
	cfg->vsock.guest_cid = (uint32_t)cid;
	cfg->vsock.enabled = true;
	return 0;
}

int api_find_drive(const struct api_vmm *a, const char *id)
{
	for (unsigned i = 0; i < a->cfg.nr_drives; i++)
		if (a->cfg.drives[i].id && !strcmp(a->cfg.drives[i].id, id))
			return (int)i;
	return -1;
}

/* Moves drive i to the front (the root device is /dev/vda). */
static void drive_to_front(struct vm_config *c, unsigned i)
{
	struct drive_config d = c->drives[i];

	memmove(&c->drives[1], &c->drives[0], i * sizeof(d));
	c->drives[0] = d;
}

int api_put_drive(struct api_vmm *a, const struct drive_config *d, bool root,
		  const char *partuuid, struct error *e)
{
	struct vm_config *c = &a->cfg;
	int i, ret;

	if (!d->id || !*d->id || strlen(d->id) > CONFIG_ID_MAX)
		return BAD("drives: drive_id must be 1 to %d characters (it is the disk's serial)",
			   CONFIG_ID_MAX);
	ret = check_path("drives: path_on_host", d->path, true, e);
	if (ret)
		return ret;
	i = api_find_drive(a, d->id);
	if (root && a->root_set && i != 0)
		return BAD("drives %s: only one root device, and '%s' already is", d->id,
			   c->drives[0].id);
	if (i >= 0) {
		struct drive_config copy = *d;

		copy.path = copy.id = NULL;
		if (config_set_string(&copy.path, d->path, "path_on_host", e) ||
		    config_set_string(&copy.id, d->id, "drive_id", e)) {
			config_drive_free(&copy);
			return -e->errnum;
		}
		config_drive_free(&c->drives[i]);
		c->drives[i] = copy;
	} else {
		ret = config_add_drive(c, d, e);
		if (ret)
			return ret;
		i = (int)c->nr_drives - 1;
	}
	if (i == 0 && a->root_set && !root)
		a->root_set = false;
	if (root) {
		drive_to_front(c, (unsigned)i);
		a->root_set = true;
		a->root_read_only = d->read_only;
		free(a->root_partuuid);
		a->root_partuuid = partuuid ? strdup(partuuid) : NULL;
	}
	return 0;
}

/* The index in cfg->nets of the interface called id, or -1. */
static int find_net(const struct vm_config *cfg, const char *id)
{
	for (unsigned i = 0; i < cfg->nr_nets; i++)
		if (cfg->nets[i].id && !strcmp(cfg->nets[i].id, id))
			return (int)i;
	return -1;
}

/* A network interface on its way to the config, as either dialect describes it. */
struct net_spec {
	const char *id;        /* NULL: none (the device is named after its tap) */
	const char *tap;       /* a tap by name (Firecracker's host_dev_name), or NULL */
	int fd;                /* an open tap queue (Cloud Hypervisor's vm.add-net), or -1 */
	const uint8_t *mac;    /* NULL: a random, locally administered one */
	unsigned mtu;          /* 0: the device's default */
	const struct rate_limit_config *rx, *tx;
};

/*
 * Hands a validated network interface to the config, for both dialects: the tap by name or by
 * descriptor, the interface's id, its MAC, MTU and limiters; an interface with an id the config
 * has replaces it in place (the guest's order stays).  config_validate() judges the rest when the
 * VM starts.
 */
static int net_to_config(struct vm_config *cfg, const struct net_spec *n, struct error *e)
{
	struct net_config want;
	char mac[18];
	int i = n->id ? find_net(cfg, n->id) : -1;

	config_net_init(&want);
	want.tap = (char *)n->tap;
	want.fd = n->fd;
	want.id = (char *)n->id;
	if (n->mtu)
		want.mtu = n->mtu;
	if (n->mac) {
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1],
			 n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
		want.mac = mac;
	}
	want.rx_rate = *n->rx;
	want.tx_rate = *n->tx;
	return i < 0 ? config_add_net(cfg, &want, e) : config_set_net(&cfg->nets[i], &want, e);
}

int api_put_net(struct api_vmm *a, const struct api_net *n, struct error *e)
{
	struct net_spec spec = { .id = n->id, .tap = n->host_dev_name, .fd = -1,
				 .mac = n->has_mac ? n->mac : NULL, .rx = &n->rx, .tx = &n->tx };
	unsigned i;
	int ret;

	for (i = 0; i < a->nr_nets && strcmp(a->nets[i].id, n->id); i++)
		;
	if (i == a->nr_nets && a->nr_nets == API_MAX_NETS)
		return BAD("network-interfaces: at most %d interfaces", API_MAX_NETS);
	ret = net_to_config(&a->cfg, &spec, e);
	if (ret)
		return ret;
	a->nets[i] = *n;
	if (i == a->nr_nets)
		a->nr_nets++;
	return 0;
}

int api_can_add_tap(const struct api_vmm *a, struct error *e)
{
	if (!a->created)
		return BAD("vm.add-net: no VM created (PUT vm.create first)");
	if (a->vm)
		return error_set(e, ERROR_USAGE, ENOTSUP,
				 "vm.add-net: the VM is booted and cvmm has no network hotplug (add "
				 "interfaces between vm.create and vm.boot)");
	if (a->cfg.nr_nets >= API_MAX_NETS)
		return BAD("vm.add-net: at most %d interfaces", API_MAX_NETS);
	return 0;
}

int api_tap_to_config(struct vm_config *cfg, const struct api_tap *t, const char *what,
		      struct error *e)
{
	struct net_spec spec = { .id = t->id[0] ? t->id : NULL, .tap = t->tap[0] ? t->tap : NULL,
				 .fd = t->fd, .mac = t->has_mac ? t->mac : NULL, .mtu = t->mtu,
				 .rx = &t->limiter, .tx = &t->limiter };

	/* Cloud Hypervisor refuses a second device with an id in use. */
	if (spec.id && find_net(cfg, spec.id) >= 0)
		return BAD("%s: id '%s' is already an interface's", what, spec.id);
	return net_to_config(cfg, &spec, e);
}

int api_add_tap(struct api_vmm *a, const struct api_tap *t, struct error *e)
{
	int ret = api_can_add_tap(a, e) ?: api_tap_to_config(&a->cfg, t, "vm.add-net", e);

	if (ret)
		return ret;
	if (t->fd >= 0)
		a->tap_fds[a->nr_tap_fds++] = t->fd;
	return 0;
}

int api_patch_net(struct api_vmm *a, const struct api_net *n, struct error *e)
{
	int ret = require_vm(a, "network-interfaces", e);

	if (ret)
		return ret;
	for (unsigned i = 0; i < a->nr_nets; i++)
		if (!strcmp(a->nets[i].id, n->id))
			return error_set(e, ERROR_USAGE, ENOTSUP,
					 "network-interfaces %s: changing rate limiters is not "
					 "supported", n->id);
	return BAD("network-interfaces: no interface '%s'", n->id);
}

int api_patch_drive(struct api_vmm *a, const char *id, const char *path, struct error *e)
{
	int i = api_find_drive(a, id), ret;

	ret = require_vm(a, "drives", e);
	if (!ret && i < 0)
		ret = BAD("drives: no drive '%s'", id);
	if (!ret)
		ret = check_path("drives: path_on_host", path, true, e);
	if (!ret)
		ret = vm_update_drive(a->vm, (unsigned)i, path, e);
	if (ret)
		return ret;
	return config_set_string(&a->cfg.drives[i].path, path, "path_on_host", e);
}

/* boot_args plus what a root device adds (Firecracker: root=/dev/vda or PARTUUID, ro/rw). */
static char *cmdline_with_root(const struct api_vmm *a)
{
	const char *user = a->cfg.cmdline ? a->cfg.cmdline : "";
	char root[96];
	char *out;

	if (a->root_partuuid)
		snprintf(root, sizeof(root), "root=PARTUUID=%.64s", a->root_partuuid);
	else
		snprintf(root, sizeof(root), "root=/dev/vda");
	if (asprintf(&out, "%s%s%s %s", user, *user ? " " : "", root,
		     a->root_read_only ? "ro" : "rw") < 0)
		return NULL;
	return out;
}

int api_instance_start(struct api_vmm *a, struct error *e)
{
	char *user_cmdline = NULL;
	int ret;

	if (a->vm)
		return error_set(e, ERROR_USAGE, EBUSY, "InstanceStart: the VM is already started");
	if (!a->cfg.kernel && !a->cfg.firmware)
		return BAD("InstanceStart: no boot source (PUT /boot-source first)");
	if (a->root_set) {
		user_cmdline = a->cfg.cmdline;
		a->cfg.cmdline = cmdline_with_root(a);
		if (!a->cfg.cmdline) {
			a->cfg.cmdline = user_cmdline;
			return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
		}
	}
	/* The policy wins over what the API said too (drives not listed become read-only). */
	sandbox_apply(&a->cfg);
	ret = vm_create(&a->cfg, &a->vm, e);
	if (!ret) {
		ret = vm_start(a->vm, e);
		if (ret) {
			vm_destroy(a->vm);
			a->vm = NULL;
		}
	}
	if (ret && a->root_set) {
		free(a->cfg.cmdline);
		a->cfg.cmdline = user_cmdline;
	} else {
		free(user_cmdline);
	}
	if (!ret)
		log_info("instance %s started", a->id);
	return ret;
}

/*
 * What the command line set for the process rather than described of the VM (--no-seccomp or
 * --seccomp false, --limits, --sandbox-policy, --debug-exit, -v): vm.create's config starts
 * from the defaults, and these must not be lost with it.
 */
static void keep_run_options(struct vm_config *to, struct vm_config *from)
{
	to->verbose = from->verbose;
	to->debug_exit = from->debug_exit;
	to->limits = from->limits;
	to->seccomp = from->seccomp;
	sandbox_rules_free(&to->sandbox);
	to->sandbox = from->sandbox;
	from->sandbox = (struct sandbox_rules){ .on = false };
}

int api_create(struct api_vmm *a, struct vm_config *cfg, struct error *e)
{
	int ret;

	if (a->created)
		return error_set(e, ERROR_USAGE, EEXIST, "vm.create: a VM is already created");
	ret = config_validate(cfg, CONFIG_CHECK_ALL, e);
	if (ret) {
		error_prefix(e, "vm.create: ");
		return ret;
	}
	keep_run_options(cfg, &a->cfg);
	config_free(&a->cfg);
	a->cfg = *cfg;
	config_init(cfg);
	a->created = true;
	return 0;
}

int api_boot(struct api_vmm *a, struct error *e)
{
	if (!a->created)
		return BAD("vm.boot: no VM created (PUT vm.create first)");
	if (a->vm)
		return error_set(e, ERROR_USAGE, EBUSY, "vm.boot: the VM is already booted");
	if (api_instance_start(a, e)) {
		error_prefix(e, "vm.boot: ");
		return -e->errnum;
	}
	return 0;
}

int api_vm_shutdown(struct api_vmm *a, struct error *e)
{
	int status;

	if (!a->vm)
		return error_set(e, ERROR_USAGE, EBUSY, "vm.shutdown: the VM is not booted");
	vm_stop(a->vm, VM_EXIT_OK, "vm.shutdown: the VM stops");
	status = vm_wait(a->vm);
	vm_destroy(a->vm);
	a->vm = NULL;
	log_info("instance %s: the VM stopped (status %d); its config stays", a->id, status);
	return 0;
}

void api_request_exit(struct api_vmm *a)
{
	a->exit_requested = true;
	if (a->vm)
		vm_stop(a->vm, VM_EXIT_OK, "vmm.shutdown: stopping");
}

int api_pause(struct api_vmm *a, struct error *e)
{
	return require_vm(a, "Paused", e) ?: vm_pause(a->vm, e);
}

int api_resume(struct api_vmm *a, struct error *e)
{
	return require_vm(a, "Resumed", e) ?: vm_resume(a->vm, e);
}

int api_ctrl_alt_del(struct api_vmm *a, struct error *e)
{
	return require_vm(a, "SendCtrlAltDel", e) ?: vm_send_ctrl_alt_del(a->vm, e);
}

int api_write_metrics(struct api_vmm *a)
{
	struct metrics_input in = {
		.vm = a->vm,
		.counts = a->counts,
		.fails = a->fails,
		.api_ready_us = a->api_ready_us,
		.api_ready_cpu_us = a->api_ready_cpu_us,
	};

	return metrics_flush(&in);
}

int api_flush_metrics(struct api_vmm *a, struct error *e)
{
	int ret;

	if (!metrics_enabled())
		return BAD("FlushMetrics: no metrics output (PUT /metrics first)");
	ret = api_write_metrics(a);
	if (ret && ret != -EAGAIN)
		return error_set(e, ERROR_HOST, ret, "FlushMetrics: %s", strerror(-ret));
	return 0;
}

int api_set_logger(struct api_vmm *a, const char *path, const char *level, bool show_level,
		   bool show_origin, struct error *e)
{
	enum log_level l = log_threshold;
	int ret;

	if (level && log_parse_level(level, &l))
		return BAD("logger: level '%s' is not one of Error, Warning, Info, Debug", level);
	if (path) {
		ret = log_open_file(path, e);
		if (ret)
			return ret;
		free(a->log_path);
		a->log_path = strdup(path);
	}
	log_threshold = l;
	log_set_decorations(show_level, show_origin);
	return 0;
}

int api_set_metrics(struct api_vmm *a, const char *path, struct error *e)
{
	int ret = metrics_open(path, e);

	if (ret)
		return ret;
	free(a->metrics_path);
	a->metrics_path = strdup(path);
	return 0;
}
