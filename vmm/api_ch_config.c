// SPDX-License-Identifier: MIT
/*
 * Cloud Hypervisor's VmConfig (the body of vm.create, and vm.info's "config") and cvmm's struct
 * vm_config.  Every object is checked against its field list: the field's JSON type, then its
 * rule: used (read below), refused unless at its "nothing" value (false, 0, null, []) with the
 * reason, or accepted because it changes nothing cvmm does (docs/api.md lists those).  An unknown
 * field is refused by name, so a newer client's setting is never dropped silently.
 */
#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "devices/blk.h"
#include "devices/net.h"
#include "vmm/api_ch.h"
#include "vmm/api_json.h"
#include "vmm/api_state.h"
#include "vmm/config.h"
#include "vmm/error.h"
#include "vmm/log.h"
#include "vmm/util.h"

#define BAD(...) error_set(e, ERROR_USAGE, EINVAL, __VA_ARGS__)
#define MAX_FIELDS 32

enum rule {
	USE,    /* read by the code below */
	NONE,   /* only false, 0, null or [] (the thing is absent or off) */
	ACCEPT, /* any value of the type: it changes nothing cvmm does */
};

struct chfield {
	const char *name;
	enum jtype type;
	bool required;
	enum rule rule;
	const char *why; /* NONE: why anything else is refused */
};

static bool is_nothing(const json_t *v)
{
	return !v || json_is_null(v) || json_is_false(v) ||
	       (json_is_integer(v) && json_integer_value(v) == 0) ||
	       (json_is_array(v) && json_array_size(v) == 0);
}

/* Types and required fields first (one message for the whole object), then the rules. */
static int check(const json_t *o, const char *what, const struct chfield *f, size_t n,
		 struct error *e)
{
	struct jfield jf[MAX_FIELDS] = { { 0 } };
	int ret;

	if (n > MAX_FIELDS)
		return error_set(e, ERROR_HOST, E2BIG, "%s: more fields than cvmm can check", what);
	for (size_t i = 0; i < n; i++)
		jf[i] = (struct jfield){ f[i].name, f[i].type, f[i].required };
	ret = api_check_fields(o, what, jf, n, e);
	for (size_t i = 0; !ret && i < n; i++)
		if (f[i].rule == NONE && !is_nothing(json_object_get(o, f[i].name)))
			return BAD("%s.%s: %s", what, f[i].name, f[i].why);
	return ret;
}

/* The host's physical address width: what cvmm's guests see in CPUID 0x80000008. */
static unsigned host_phys_bits(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(0x80000008, &a, &b, &c, &d))
		return 36;
	return a & 0xff;
}

static int parse_cpus(const json_t *o, struct vm_config *cfg, struct error *e)
{
	static const struct chfield f[] = {
		{ "boot_vcpus", J_UINT, true, USE, NULL },
		{ "max_vcpus", J_UINT, true, USE, NULL },
		{ "topology", J_OBJ, false, USE, NULL },
		{ "kvm_hyperv", J_BOOL, false, NONE, "cvmm offers no Hyper-V enlightenments" },
		{ "max_phys_bits", J_UINT, false, USE, NULL },
		{ "affinity", J_ARR, false, NONE,
		  "cvmm does not pin vCPUs (their threads are named vcpuN for cgroups)" },
		{ "features", J_OBJ, false, USE, NULL },
	};
	static const struct chfield topo[] = {
		{ "threads_per_core", J_UINT, false, USE, NULL },
		{ "cores_per_die", J_UINT, false, USE, NULL },
		{ "dies_per_package", J_UINT, false, USE, NULL },
		{ "packages", J_UINT, false, USE, NULL },
	};
	static const struct chfield feat[] = {
		{ "amx", J_BOOL, false, NONE, "cvmm does not offer AMX" },
	};
	uint64_t boot, max;
	int ret = check(o, "cpus", f, ARRAY_SIZE(f), e);

	if (ret)
		return ret;
	boot = juint(o, "boot_vcpus", 0);
	max = juint(o, "max_vcpus", 0);
	if (boot < 1 || boot > CONFIG_MAX_VCPUS)
		return BAD("cpus.boot_vcpus %llu: between 1 and %d are supported",
			   (unsigned long long)boot, CONFIG_MAX_VCPUS);
	/* Room for a vm.resize that cvmm refuses anyway: the VM has boot_vcpus (docs/api.md). */
	if (max < boot)
		return BAD("cpus.max_vcpus %llu is below boot_vcpus %llu", (unsigned long long)max,
			   (unsigned long long)boot);
	if (jhas(o, "topology")) {
		const json_t *t = json_object_get(o, "topology");

		ret = check(t, "cpus.topology", topo, ARRAY_SIZE(topo), e);
		if (ret)
			return ret;
		if (juint(t, "threads_per_core", 1) != 1 || juint(t, "dies_per_package", 1) != 1 ||
		    juint(t, "packages", 1) != 1)
			return BAD("cpus.topology: cvmm's vCPUs are the cores of one die in one "
				   "package, one thread each (threads_per_core, dies_per_package and "
				   "packages must be 1)");
		if (juint(t, "cores_per_die", max) < boot)
			return BAD("cpus.topology.cores_per_die %llu is below boot_vcpus %llu",
				   (unsigned long long)juint(t, "cores_per_die", max),
				   (unsigned long long)boot);
	}
	if (jhas(o, "max_phys_bits")) {
		uint64_t bits = juint(o, "max_phys_bits", 0);

		/* A limit at or above the host's width limits nothing: honoured as it is. */
		if (bits > 64 || bits < host_phys_bits())
			return BAD("cpus.max_phys_bits %llu: cvmm gives the guest the host's physical "
				   "address width (%u bits) and cannot narrow it",
				   (unsigned long long)bits, host_phys_bits());
	}
	if (jhas(o, "features")) {
		ret = check(json_object_get(o, "features"), "cpus.features", feat, ARRAY_SIZE(feat),
			    e);
		if (ret)
			return ret;
	}
	cfg->vcpus = (unsigned)boot;
	return 0;
}

static int parse_memory(const json_t *o, struct vm_config *cfg, struct error *e)
{
	static const struct chfield f[] = {
		{ "size", J_UINT, true, USE, NULL },
		/* Kata sends it for every ordinary guest; vm.resize refuses what it would allow. */
		{ "hotplug_size", J_UINT, false, ACCEPT, NULL },
		{ "hotplugged_size", J_UINT, false, NONE, "cvmm has no memory hotplug" },
		{ "mergeable", J_BOOL, false, NONE, "cvmm does not merge guest pages (KSM)" },
		{ "hotplug_method", J_STR, false, USE, NULL },
		/* cvmm's guest RAM is always a shared memfd mapping. */
		{ "shared", J_BOOL, false, ACCEPT, NULL },
		{ "hugepages", J_BOOL, false, NONE, "cvmm does not back guest RAM with huge pages" },
		{ "hugepage_size", J_UINT, false, NONE,
		  "cvmm does not back guest RAM with huge pages" },
		{ "prefault", J_BOOL, false, NONE, "cvmm does not prefault guest RAM" },
		/* Cloud Hypervisor applies THP to private RAM only; cvmm's is shared. */
		{ "thp", J_BOOL, false, ACCEPT, NULL },
		{ "zones", J_ARR, false, NONE, "cvmm has no memory zones" },
	};
	const char *method;
	uint64_t size;
	int ret = check(o, "memory", f, ARRAY_SIZE(f), e);

	if (ret)
		return ret;
	size = juint(o, "size", 0);
	method = jstr(o, "hotplug_method");
	if (method && strcmp(method, "Acpi") && strcmp(method, "VirtioMem"))
		return BAD("memory.hotplug_method '%s' is not one of Acpi, VirtioMem", method);
	if (size % MiB(1) || size < MiB(CONFIG_MIN_MEM_MIB) || size > MiB(CONFIG_MAX_MEM_MIB))
		return BAD("memory.size %llu: a multiple of 1 MiB between %d MiB and %d MiB",
			   (unsigned long long)size, CONFIG_MIN_MEM_MIB, CONFIG_MAX_MEM_MIB);
	cfg->mem_mib = size >> 20;
	return 0;
}

static int parse_payload(const json_t *o, struct vm_config *cfg, struct error *e)
{
	static const struct chfield f[] = {
		{ "firmware", J_STR, false, USE, NULL },
		{ "kernel", J_STR, false, USE, NULL },
		{ "cmdline", J_STR, false, USE, NULL },
		{ "initramfs", J_STR, false, USE, NULL },
		{ "igvm", J_STR, false, NONE, "cvmm does not load IGVM files" },
		{ "host_data", J_STR, false, NONE, "it belongs to platform.sev_snp, refused here" },
	};
	int ret = check(o, "payload", f, ARRAY_SIZE(f), e);

	if (ret)
		return ret;
	if (!jhas(o, "kernel") && !jhas(o, "firmware"))
		return BAD("payload: a kernel or a firmware is required");
	return config_set_string(&cfg->kernel, jstr(o, "kernel"), "payload.kernel", e) ?:
	       config_set_string(&cfg->initrd, jstr(o, "initramfs"), "payload.initramfs", e) ?:
	       config_set_string(&cfg->cmdline, jstr(o, "cmdline"), "payload.cmdline", e) ?:
	       config_set_string(&cfg->firmware, jstr(o, "firmware"), "payload.firmware", e);
}

static int parse_disk(const json_t *o, const char *what, struct vm_config *cfg, struct error *e)
{
	static const struct chfield f[] = {
		{ "path", J_STR, true, USE, NULL },
		{ "readonly", J_BOOL, false, USE, NULL },
		{ "direct", J_BOOL, false, NONE, "cvmm's disks go through the page cache (no O_DIRECT)" },
		{ "iommu", J_BOOL, false, NONE, "cvmm has no virtual IOMMU" },
		{ "num_queues", J_UINT, false, USE, NULL },
		{ "queue_size", J_UINT, false, USE, NULL },
		{ "vhost_user", J_BOOL, false, NONE, "cvmm has no vhost-user disks" },
		{ "vhost_socket", J_STR, false, NONE, "cvmm has no vhost-user disks" },
		{ "rate_limiter_config", J_OBJ, false, USE, NULL },
		{ "rate_limit_group", J_STR, false, NONE, "cvmm has no rate limit groups" },
		{ "id", J_STR, false, USE, NULL },
		{ "serial", J_STR, false, USE, NULL },
		{ "pci_segment", J_UINT, false, NONE, "cvmm's devices are virtio-mmio (no PCI)" },
		{ "queue_affinity", J_ARR, false, NONE, "cvmm does not pin queues" },
		{ "disable_io_uring", J_BOOL, false, ACCEPT, NULL },
		/* cvmm's disk keeps busy-polling its queue briefly after each request. */
		{ "poll_queue", J_BOOL, false, ACCEPT, NULL },
		{ "sparse", J_BOOL, false, USE, NULL },
		{ "image_type", J_STR, false, USE, NULL },
		{ "backing_files", J_BOOL, false, NONE, "cvmm reads disks as raw images" },
	};
	struct drive_config d = { .engine = BLK_ENGINE_SYNC, .poll_us = DRIVE_POLL_US_DEFAULT };
	char limiter[64];
	uint64_t q;
	int ret = check(o, what, f, ARRAY_SIZE(f), e);

	if (ret)
		return ret;
	if (!jbool(o, "sparse", true))
		return BAD("%s.sparse: cvmm's disks free the blocks the guest discards (only true)",
			   what);
	if (jhas(o, "image_type") && strcmp(jstr(o, "image_type"), "Raw"))
		return BAD("%s.image_type '%.32s': cvmm reads disks as raw images (only Raw)", what,
			   jstr(o, "image_type"));
	if (juint(o, "num_queues", 1) != 1)
		return BAD("%s.num_queues %llu: cvmm's virtio-blk has one request queue", what,
			   (unsigned long long)juint(o, "num_queues", 1));
	q = juint(o, "queue_size", BLK_QUEUE_SIZE);
	if (!q || q > 32768 || (q & (q - 1)))
		return BAD("%s.queue_size %llu is not a power of two up to 32768", what,
			   (unsigned long long)q);
	/* The driver sizes its ring from the device's maximum: cvmm's, whatever was asked. */
	if (q != BLK_QUEUE_SIZE)
		log_info("vm.create: %s.queue_size %llu: cvmm's virtio-blk queues hold %d", what,
			 (unsigned long long)q, BLK_QUEUE_SIZE);
	snprintf(limiter, sizeof(limiter), "%s.rate_limiter_config", what);
	ret = api_parse_limiter(json_object_get(o, "rate_limiter_config"), limiter, &d.rate, e);
	if (ret)
		return ret;
	/* cvmm's drive id is the disk's virtio serial. */
	d.id = (char *)(jhas(o, "serial") ? jstr(o, "serial") : jstr(o, "id"));
	if (d.id && (!*d.id || strlen(d.id) > CONFIG_ID_MAX))
		return BAD("%s.%s '%.64s': 1 to %d characters (it is the disk's serial)", what,
			   jhas(o, "serial") ? "serial" : "id", d.id, CONFIG_ID_MAX);
	d.path = (char *)jstr(o, "path");
	d.read_only = jbool(o, "readonly", false);
	return config_add_drive(cfg, &d, e);
}

static int parse_disks(const json_t *a, struct vm_config *cfg, struct error *e)
{
	char what[32];
	size_t i;
	json_t *d;

	json_array_foreach(a, i, d) {
		int ret;

		snprintf(what, sizeof(what), "disks[%zu]", i);
		ret = parse_disk(d, what, cfg, e);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_rng(const json_t *o, struct vm_config *cfg, struct error *e)
{
	static const struct chfield f[] = {
		{ "src", J_STR, true, USE, NULL },
		{ "iommu", J_BOOL, false, NONE, "cvmm has no virtual IOMMU" },
	};
	int ret = check(o, "rng", f, ARRAY_SIZE(f), e);
	const char *src;

	if (ret)
		return ret;
	/* The host's getrandom() is what /dev/urandom and /dev/random give. */
	src = jstr(o, "src");
	if (strcmp(src, "/dev/urandom") && strcmp(src, "/dev/random"))
		return BAD("rng.src '%.64s': cvmm's virtio-rng is fed by getrandom() (/dev/urandom "
			   "or /dev/random only)", src);
	cfg->rng = true;
	return 0;
}

static const struct chfield console_fields[] = {
	{ "mode", J_STR, true, USE, NULL },
	{ "file", J_STR, false, USE, NULL },
	{ "socket", J_STR, false, USE, NULL },
	{ "iommu", J_BOOL, false, NONE, "cvmm has no virtual IOMMU" },
};

/* serial: COM1.  Off and Null: it exists, its output goes nowhere. */
static int parse_serial(const json_t *o, struct vm_config *cfg, struct error *e)
{
	int ret = check(o, "serial", console_fields, ARRAY_SIZE(console_fields), e);
	const char *mode;

	if (ret)
		return ret;
	mode = jstr(o, "mode");
	if (jhas(o, "socket"))
		return BAD("serial.socket: cvmm's serial port does not go to a socket");
	if (jhas(o, "file") && strcmp(mode, "File"))
		return BAD("serial.file applies to mode File only");
	if (!strcmp(mode, "Off") || !strcmp(mode, "Null")) {
		cfg->serial = SERIAL_NONE;
	} else if (!strcmp(mode, "Tty")) {
		cfg->serial = SERIAL_STDIO;
	} else if (!strcmp(mode, "File")) {
		if (!jhas(o, "file"))
			return BAD("serial: mode File needs 'file'");
		cfg->serial = SERIAL_FILE;
		return config_set_string(&cfg->serial_path, jstr(o, "file"), "serial.file", e);
	} else {
		return BAD("serial.mode '%.32s': cvmm's serial port is Off, Null, Tty or File", mode);
	}
	return 0;
}

/* console (virtio-console, hvc0) and debug_console (port 0xe9): cvmm has neither. */
static int parse_no_console(const json_t *o, const char *what, struct error *e)
{
	static const struct chfield debug[] = {
		{ "mode", J_STR, true, USE, NULL },
		{ "file", J_STR, false, NONE, "cvmm has no debug console" },
		{ "iobase", J_UINT, false, NONE, "cvmm has no debug console" },
	};
	int ret = strcmp(what, "console") ?
		check(o, what, debug, ARRAY_SIZE(debug), e) :
		check(o, what, console_fields, ARRAY_SIZE(console_fields), e);

	if (ret)
		return ret;
	if (strcmp(jstr(o, "mode"), "Off"))
		return BAD("%s.mode '%.32s': cvmm has no %s (only Off; use the serial port)", what,
			   jstr(o, "mode"), strcmp(what, "console") ? "debug console" :
			   "virtio-console (hvc0)");
	if (jhas(o, "file") || jhas(o, "socket"))
		return BAD("%s: mode Off takes no file or socket", what);
	return 0;
}

static int parse_vsock(const json_t *o, struct vm_config *cfg, struct error *e)
{
	static const struct chfield f[] = {
		{ "cid", J_UINT, true, USE, NULL },
		{ "socket", J_STR, true, USE, NULL },
		{ "iommu", J_BOOL, false, NONE, "cvmm has no virtual IOMMU" },
		{ "id", J_STR, false, ACCEPT, NULL },
		{ "pci_segment", J_UINT, false, NONE, "cvmm's devices are virtio-mmio (no PCI)" },
	};
	int ret = check(o, "vsock", f, ARRAY_SIZE(f), e);

	return ret ?: api_set_vsock(cfg, "vsock.cid", juint(o, "cid", 0), "vsock.socket",
				    jstr(o, "socket"), e);
}

static int parse_platform(const json_t *o, struct vm_config *cfg, struct error *e)
{
	static const struct chfield f[] = {
		/* One segment or many: cvmm's devices are virtio-mmio, the guest has no PCI. */
		{ "num_pci_segments", J_UINT, false, ACCEPT, NULL },
		{ "iommu_segments", J_ARR, false, NONE, "cvmm has no virtual IOMMU" },
		{ "iommu_address_width", J_UINT, false, NONE, "cvmm has no virtual IOMMU" },
		{ "serial_number", J_STR, false, NONE, "cvmm writes no SMBIOS tables" },
		{ "uuid", J_STR, false, NONE, "cvmm writes no SMBIOS tables" },
		{ "oem_strings", J_ARR, false, NONE, "cvmm writes no SMBIOS tables" },
		{ "tdx", J_BOOL, false, USE, NULL },
		{ "sev_snp", J_BOOL, false, NONE,
		  "Cloud Hypervisor's SEV-SNP takes an IGVM payload; cvmm launches SNP guests from "
		  "OVMF through --tee snp or the Firecracker API" },
	};
	int ret = check(o, "platform", f, ARRAY_SIZE(f), e);

	if (ret)
		return ret;
	if (jbool(o, "tdx", false)) {
		cfg->tee = TEE_TDX;
		if (!cfg->firmware)
			return BAD("platform.tdx needs payload.firmware (TDVF or td-shim)");
	}
	return 0;
}

/* Cloud Hypervisor's defaults for ip and mask: what a client sends when it sets neither. */
#define CH_DEFAULT_IP   "192.168.249.1"
#define CH_DEFAULT_MASK "255.255.255.0"

int api_ch_parse_net(const json_t *o, const char *what, bool have_fd, struct api_tap *t,
		     struct error *e)
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
	char limiter[64];
	const char *s, *tap = jstr(o, "tap");
	uint64_t v;
	int ret = api_check_fields(o, what, f, ARRAY_SIZE(f), e);

	if (ret)
		return ret;
	if (jhas(o, "fds") && json_array_size(json_object_get(o, "fds")))
		return BAD("%s.fds: pass the tap descriptors with SCM_RIGHTS (vm.add-net), not as "
			   "numbers", what);
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
	if (tap && have_fd)
		return BAD("%s.tap: the tap came as a descriptor; give a name or a descriptor, not "
			   "both", what);
	if (!tap && !have_fd)
		return BAD("%s: no tap (pass its descriptor with SCM_RIGHTS to vm.add-net, or name "
			   "it in 'tap')", what);
	if (tap && (!*tap || strlen(tap) > API_IFNAME_MAX))
		return BAD("%s.tap: an interface name of 1 to %d characters", what, API_IFNAME_MAX);
	/*
	 * Cloud Hypervisor addresses a tap it opens by name with ip and mask; cvmm never touches
	 * the host side.  Its defaults, which a client sends when it sets none (runtime-rs does),
	 * pass; a real address does not.  With a descriptor Cloud Hypervisor ignores both.
	 */
	s = jstr(o, "ip");
	if (tap && s && strcmp(s, CH_DEFAULT_IP))
		return BAD("%s.ip %.40s: cvmm does not configure the host side of a tap (only "
			   "Cloud Hypervisor's default " CH_DEFAULT_IP " passes)", what, s);
	s = jstr(o, "mask");
	if (tap && s && strcmp(s, CH_DEFAULT_MASK))
		return BAD("%s.mask %.40s: cvmm does not configure the host side of a tap (only "
			   "Cloud Hypervisor's default " CH_DEFAULT_MASK " passes)", what, s);
	snprintf(t->tap, sizeof(t->tap), "%s", tap ? tap : "");
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
	snprintf(limiter, sizeof(limiter), "%s.rate_limiter_config", what);
	return api_parse_limiter(json_object_get(o, "rate_limiter_config"), limiter, &t->limiter,
				 e);
}

/* vm.create's net: taps by name (runtime-rs's ch driver), each a virtio-net device. */
static int parse_nets(const json_t *a, struct vm_config *cfg, struct error *e)
{
	char what[32];
	size_t i;
	json_t *o;

	if (json_array_size(a) > API_MAX_NETS)
		return BAD("net: %zu interfaces, at most %d", json_array_size(a), API_MAX_NETS);
	json_array_foreach(a, i, o) {
		struct api_tap t = { .fd = -1 };
		int ret;

		snprintf(what, sizeof(what), "net[%zu]", i);
		if (!json_is_object(o))
			return BAD("%s: not an object", what);
		ret = api_ch_parse_net(o, what, false, &t, e) ?: api_tap_to_config(cfg, &t, what, e);
		if (ret)
			return ret;
	}
	return 0;
}

int api_ch_parse_vmconfig(const json_t *o, struct vm_config *cfg, struct error *e)
{
	static const struct chfield f[] = {
		{ "cpus", J_OBJ, false, USE, NULL },
		{ "memory", J_OBJ, false, USE, NULL },
		{ "payload", J_OBJ, true, USE, NULL },
		{ "rate_limit_groups", J_ARR, false, NONE, "cvmm has no rate limit groups" },
		{ "disks", J_ARR, false, USE, NULL },
		{ "net", J_ARR, false, USE, NULL },
		{ "rng", J_OBJ, false, USE, NULL },
		{ "balloon", J_OBJ, false, NONE, "cvmm has no virtio-balloon" },
		{ "fs", J_ARR, false, NONE,
		  "cvmm has no virtio-fs (Kata: shared_fs = \"none\", images pulled in the guest)" },
		{ "pmem", J_ARR, false, NONE,
		  "cvmm has no virtio-pmem (Kata: the guest image as a disk, with confidential_guest, "
		  "or an initrd)" },
		{ "serial", J_OBJ, false, USE, NULL },
		{ "console", J_OBJ, false, USE, NULL },
		{ "debug_console", J_OBJ, false, USE, NULL },
		{ "devices", J_ARR, false, NONE, "cvmm has no PCI device passthrough (VFIO)" },
		{ "user_devices", J_ARR, false, NONE, "cvmm has no vfio-user devices" },
		{ "vdpa", J_ARR, false, NONE, "cvmm has no vDPA devices" },
		{ "vsock", J_OBJ, false, USE, NULL },
		{ "sgx_epc", J_ARR, false, NONE, "cvmm has no SGX enclaves" },
		{ "numa", J_ARR, false, NONE, "cvmm gives the guest no NUMA topology" },
		{ "iommu", J_BOOL, false, NONE, "cvmm has no virtual IOMMU" },
		{ "watchdog", J_BOOL, false, NONE, "cvmm has no watchdog device" },
		{ "pvpanic", J_BOOL, false, NONE, "cvmm has no pvpanic device" },
		{ "pci_segments", J_ARR, false, NONE, "cvmm's devices are virtio-mmio (no PCI)" },
		{ "platform", J_OBJ, false, USE, NULL },
		{ "tpm", J_OBJ, false, NONE, "cvmm has no TPM" },
		{ "landlock_enable", J_BOOL, false, NONE, "cvmm does not confine itself with Landlock" },
		{ "landlock_rules", J_ARR, false, NONE, "cvmm does not confine itself with Landlock" },
	};
	int ret = check(o, "vm.create", f, ARRAY_SIZE(f), e);

	if (ret)
		return ret;
	/* Cloud Hypervisor's default memory, when none is given. */
	cfg->mem_mib = 512;
	ret = parse_payload(json_object_get(o, "payload"), cfg, e);
	if (!ret && jhas(o, "cpus"))
		ret = parse_cpus(json_object_get(o, "cpus"), cfg, e);
	if (!ret && jhas(o, "memory"))
		ret = parse_memory(json_object_get(o, "memory"), cfg, e);
	if (!ret && jhas(o, "disks"))
		ret = parse_disks(json_object_get(o, "disks"), cfg, e);
	if (!ret && jhas(o, "net"))
		ret = parse_nets(json_object_get(o, "net"), cfg, e);
	if (!ret && jhas(o, "rng"))
		ret = parse_rng(json_object_get(o, "rng"), cfg, e);
	cfg->serial = SERIAL_NONE;
	if (!ret && jhas(o, "serial"))
		ret = parse_serial(json_object_get(o, "serial"), cfg, e);
	if (!ret && jhas(o, "console"))
		ret = parse_no_console(json_object_get(o, "console"), "console", e);
	if (!ret && jhas(o, "debug_console"))
		ret = parse_no_console(json_object_get(o, "debug_console"), "debug_console", e);
	if (!ret && jhas(o, "vsock"))
		ret = parse_vsock(json_object_get(o, "vsock"), cfg, e);
	if (!ret && jhas(o, "platform"))
		ret = parse_platform(json_object_get(o, "platform"), cfg, e);
	return ret;
}

static const char *serial_mode(enum serial_mode m)
{
	return m == SERIAL_STDIO ? "Tty" : m == SERIAL_FILE ? "File" : "Off";
}

/* The network devices: one queue pair each; the MAC once known, the tap by name if it has one. */
static json_t *nets_json(const struct vm_config *cfg)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < cfg->nr_nets; i++) {
		const struct net_config *n = &cfg->nets[i];
		json_t *j = json_pack("{s:i,s:i,s:i,s:b,s:b}", "mtu", (int)n->mtu, "num_queues", 2,
				      "queue_size", NET_QUEUE_SIZE, "iommu", 0, "vhost_user", 0);

		if (j && n->mac)
			json_object_set_new(j, "mac", json_string(n->mac));
		if (j && n->id)
			json_object_set_new(j, "id", json_string(n->id));
		if (j && n->tap)
			json_object_set_new(j, "tap", json_string(n->tap));
		json_array_append_new(a, j);
	}
	return a;
}

json_t *api_ch_vmconfig_json(const struct vm_config *cfg)
{
	json_t *disks = json_array(), *payload = json_object(), *o;
	const char *const names[] = { "kernel", "initramfs", "cmdline", "firmware" };
	const char *const vals[] = { cfg->kernel, cfg->initrd, cfg->cmdline, cfg->firmware };

	for (size_t i = 0; payload && i < ARRAY_SIZE(names); i++)
		if (vals[i])
			json_object_set_new(payload, names[i], json_string(vals[i]));
	for (unsigned i = 0; disks && i < cfg->nr_drives; i++) {
		const struct drive_config *d = &cfg->drives[i];
		json_t *j = json_pack("{s:s,s:b,s:b,s:b,s:i,s:i,s:b}", "path", d->path, "readonly",
				      d->read_only, "direct", 0, "iommu", 0, "num_queues", 1,
				      "queue_size", BLK_QUEUE_SIZE, "vhost_user", 0);

		if (j && d->id)
			json_object_set_new(j, "serial", json_string(d->id));
		json_array_append_new(disks, j);
	}
	/*
	 * What the VM has: max_vcpus is boot_vcpus and no hotplug_size, since cvmm adds no vCPUs or
	 * memory later (a driver reading this does not try: Kata's clh caps a resize at these).
	 */
	o = json_pack("{s:{s:i,s:i,s:{s:i,s:i,s:i,s:i},s:b},"
		      "s:{s:I,s:b,s:s,s:b,s:b,s:b,s:b},s:o,s:o,s:{s:s},s:{s:s},"
		      "s:b,s:b,s:b,s:{s:i,s:b}}",
		      "cpus", "boot_vcpus", (int)cfg->vcpus, "max_vcpus", (int)cfg->vcpus,
		      "topology", "threads_per_core", 1, "cores_per_die", (int)cfg->vcpus,
		      "dies_per_package", 1, "packages", 1, "kvm_hyperv", 0,
		      "memory", "size", (json_int_t)(cfg->mem_mib << 20), "mergeable", 0,
		      "hotplug_method", "Acpi", "shared", 1, "hugepages", 0, "prefault", 0, "thp", 0,
		      "payload", payload, "disks", disks,
		      "serial", "mode", serial_mode(cfg->serial), "console", "mode", "Off",
		      "iommu", 0, "watchdog", 0, "pvpanic", 0,
		      "platform", "num_pci_segments", 1, "tdx", cfg->tee == TEE_TDX);
	if (o && cfg->serial == SERIAL_FILE && cfg->serial_path)
		json_object_set_new(json_object_get(o, "serial"), "file",
				    json_string(cfg->serial_path));
	if (o && cfg->nr_nets)
		json_object_set_new(o, "net", nets_json(cfg));
	if (o && cfg->rng)
		json_object_set_new(o, "rng", json_pack("{s:s,s:b}", "src", "/dev/urandom",
							"iommu", 0));
	if (o && cfg->vsock.enabled)
		json_object_set_new(o, "vsock", json_pack("{s:I,s:s,s:b}", "cid",
							  (json_int_t)cfg->vsock.guest_cid,
							  "socket", cfg->vsock.uds_path, "iommu", 0));
	return o;
}
