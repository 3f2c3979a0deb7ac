// SPDX-License-Identifier: MIT
/*
 * The Cloud Hypervisor API subset: every route; Kata's clh driver's vm.create bodies as its Go
 * client writes them (keys sorted, defaults included) for an ordinary pod and a TDX pod; every
 * field cvmm cannot honour refused with a 400 naming it (and nothing of the refused body kept);
 * malformed bodies; requests in the wrong state; vm.add-net's descriptors (taken only when the
 * interface is, else closed; over a real socket, each request of a connection with its own); a
 * whole life on the recording KVM (create, boot, counters, resize, shutdown, boot again,
 * vmm.shutdown); and the TDX flow: the same launch sequence as `--tee tdx`, and on a host without
 * TDX the probe's line as a 500.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/fw_image.h"
#include "tests/unit/input_files.h"
#include "tests/unit/kvm_recorder.h"
#include "tests/unit/tap_env.h"
#include "tests/unit/td_fixture.h"
#include "tests/unit/vsock_fake.h"
#include "devices/tap.h"
#include "vmm/api_ch.h"
#include "vmm/api_http.h"
#include "vmm/api_state.h"
#include "vmm/error.h"
#include "vmm/kvm_api.h"
#include "vmm/log.h"
#include "vmm/util.h"
#include "vmm/vm.h"

static char dir[64], kernel[96], initrd[96], disk[96], vsock[96], fw[96], bz[96];
static struct api_vmm a;
static struct api_routes routes;

static int setup(void **state)
{
	td_dir_init(dir, sizeof(dir));
	snprintf(kernel, sizeof(kernel), "%s/vmlinux", dir);
	snprintf(initrd, sizeof(initrd), "%s/initrd", dir);
	snprintf(disk, sizeof(disk), "%s/kata.img", dir);
	snprintf(vsock, sizeof(vsock), "%s/clh.sock", dir);
	snprintf(fw, sizeof(fw), "%s/tdvf.fd", dir);
	snprintf(bz, sizeof(bz), "%s/bzImage", dir);
	input_write_pvh_kernel(kernel);
	input_write_file(initrd, "initrd", 6);
	{
		static const char zero[4096];

		input_write_file(disk, zero, sizeof(zero));
	}
	td_write_bzimage(bz, 64 * 1024);
	log_threshold = LOG_ERROR;
	return 0;
}

static int teardown(void **state)
{
	td_dir_free(dir);
	return 0;
}

static int fresh(void **state)
{
	struct vm_config cfg;

	config_init(&cfg);
	cfg.seccomp = SECCOMP_LEVEL_OFF; /* vm.boot would confine the test itself */
	api_vmm_init(&a, "clh-test", &cfg);
	api_ch_routes(&a, &routes);
	rec_reset();
	rec_set_result("kvm_check_extension", 1);
	rec_run_blocks(true);
	return 0;
}

static int release(void **state)
{
	api_vmm_free(&a);
	return 0;
}

/* One request through the route table (path without /api/v1/); the answer's body in out. */
static int call_fds(const char *method, const char *path, const char *body, int *fds,
		    unsigned nr, char *out, size_t cap)
{
	struct api_response resp = { 0 };
	struct api_request req = { .method = method, .body = body ? body : "", .fds = fds,
				   .nr_fds = nr };
	const struct api_route *r;
	char full[128], param[64];
	bool known;

	snprintf(full, sizeof(full), "/api/v1/%s", path);
	req.path = full;
	req.body_len = strlen(req.body);
	r = api_route_find(&routes, method, full, param, sizeof(param), &known);
	if (!r) {
		if (out)
			snprintf(out, cap, "no route");
		return 404;
	}
	r->handler(routes.ctx, &req, &resp);
	if (out)
		snprintf(out, cap, "%s", resp.body ? resp.body : "");
	if (resp.status >= 400)
		assert_string_equal(resp.content_type, "text/plain");
	free(resp.body);
	return resp.status;
}

static int call(const char *method, const char *path, const char *body, char *out, size_t cap)
{
	return call_fds(method, path, body, NULL, 0, out, cap);
}

static void expect(const char *method, const char *path, const char *body, int status,
		   const char *needle)
{
	char out[4096];
	int got = call(method, path, body, out, sizeof(out));

	if (got != status || (needle && !strstr(out, needle)))
		fail_msg("%s %s %.300s: %d '%s' (wanted %d, '%s')", method, path, body ? body : "",
			 got, out, status, needle ? needle : "");
}

/*
 * vm.create as Kata's Go clh driver sends it: the openapi client's maps, marshalled with their
 * keys sorted, every constructor default included.  Ordinary pod: initrd, max_vcpus and
 * hotplug_size for later resizes.  TDX pod: firmware, the image as a read-only disk, platform.tdx.
 */
static void kata_go_body(char *buf, size_t cap, bool tdx, const char *serial)
{
	if (!tdx) {
		snprintf(buf, cap,
			 "{\"console\":{\"iommu\":false,\"mode\":\"Off\"},"
			 "\"cpus\":{\"boot_vcpus\":1,\"kvm_hyperv\":false,\"max_vcpus\":4,"
			 "\"topology\":{\"cores_per_die\":4,\"dies_per_package\":1,\"packages\":1,"
			 "\"threads_per_core\":1}},"
			 "\"iommu\":false,\"landlock_enable\":false,"
			 "\"memory\":{\"hotplug_method\":\"Acpi\",\"hotplug_size\":2147483648,"
			 "\"hugepages\":false,\"mergeable\":false,\"prefault\":false,\"shared\":true,"
			 "\"size\":268435456,\"thp\":true},"
			 "\"payload\":{\"cmdline\":\"panic=1 no_timer_check noreplace-smp quiet\","
			 "\"initramfs\":\"%s\",\"kernel\":\"%s\"},"
			 "\"pvpanic\":false,"
			 "\"rng\":{\"iommu\":false,\"src\":\"/dev/urandom\"},"
			 "\"serial\":{\"iommu\":false,\"mode\":\"%s\"},"
			 "\"vsock\":{\"cid\":3,\"iommu\":false,\"socket\":\"%s\"},"
			 "\"watchdog\":false}", initrd, kernel, serial, vsock);
		return;
	}
	snprintf(buf, cap,
		 "{\"console\":{\"iommu\":false,\"mode\":\"Off\"},"
		 "\"cpus\":{\"boot_vcpus\":2,\"kvm_hyperv\":false,\"max_vcpus\":2,"
		 "\"topology\":{\"cores_per_die\":2,\"dies_per_package\":1,\"packages\":1,"
		 "\"threads_per_core\":1}},"
		 "\"disks\":[{\"direct\":false,\"iommu\":false,\"num_queues\":1,\"path\":\"%s\","
		 "\"queue_size\":128,\"readonly\":true,\"vhost_user\":false}],"
		 "\"iommu\":false,\"landlock_enable\":false,"
		 "\"memory\":{\"hotplug_method\":\"Acpi\",\"hugepages\":false,\"mergeable\":false,"
		 "\"prefault\":false,\"shared\":true,\"size\":67108864,\"thp\":true},"
		 "\"payload\":{\"cmdline\":\"root=/dev/vda1 rootflags=data=ordered panic=1 quiet\","
		 "\"firmware\":\"%s\",\"kernel\":\"%s\"},"
		 "\"platform\":{\"tdx\":true},"
		 "\"pvpanic\":false,"
		 "\"rng\":{\"iommu\":false,\"src\":\"/dev/urandom\"},"
		 "\"serial\":{\"iommu\":false,\"mode\":\"%s\"},"
		 "\"vsock\":{\"cid\":3,\"iommu\":false,\"socket\":\"%s\"},"
		 "\"watchdog\":false}", disk, fw, bz, serial, vsock);
}

/* Kata's vm.add-net body (openapi NetConfig with its defaults, keys sorted). */
#define KATA_NET "{\"iommu\":false,\"ip\":\"192.168.249.1\",\"mac\":\"02:aa:bb:cc:dd:01\"," \
		 "\"mask\":\"255.255.255.0\",\"num_queues\":2,\"queue_size\":256," \
		 "\"vhost_mode\":\"Client\",\"vhost_user\":false}"

static void test_ping(void **state)
{
	char out[512], want[64];

	assert_int_equal(call("GET", "vmm.ping", NULL, out, sizeof(out)), 200);
	assert_non_null(strstr(out, "\"version\":\"" CVMM_VERSION "\""));
	assert_non_null(strstr(out, "\"build_version\":\"cvmm v" CVMM_VERSION "\""));
	assert_non_null(strstr(out, "\"features\":[\"kvm\",\"tdx\",\"io_uring\"]"));
	snprintf(want, sizeof(want), "\"pid\":%d,", (int)getpid());
	assert_non_null(strstr(out, want));
	/* Wrong method, unknown endpoint: the layer's 400 (no route here). */
	assert_int_equal(call("PUT", "vmm.ping", NULL, out, sizeof(out)), 404);
	assert_int_equal(call("PUT", "vm.pause", NULL, out, sizeof(out)), 404);
}

/* Everything but vm.create before a VM is created: a 400 saying so. */
static void test_before_create(void **state)
{
	int ev = eventfd(0, EFD_CLOEXEC);

	expect("GET", "vm.info", NULL, 400, "no VM created (PUT vm.create first)");
	expect("PUT", "vm.boot", NULL, 400, "vm.boot: no VM created");
	expect("PUT", "vm.shutdown", NULL, 400, "vm.shutdown: the VM is not booted");
	expect("GET", "vm.counters", NULL, 400, "vm.counters: the VM is not booted");
	expect("PUT", "vm.resize", "{\"desired_vcpus\":1}", 400, "vm.resize: no VM created");
	assert_int_equal(call_fds("PUT", "vm.add-net", KATA_NET, &ev, 1, NULL, 0), 400);
	expect("PUT", "vm.add-net", KATA_NET, 400, "no tap");
	close(ev);
	assert_false(a.created);
}

/* Kata's ordinary pod on the recording KVM: create, boot, counters, resize, shutdown, again. */
static void test_kata_go_flow(void **state)
{
	char body[4096], out[4096];

	kata_go_body(body, sizeof(body), false, "Off");
	expect("PUT", "vm.create", body, 204, NULL);
	assert_true(a.created);
	assert_int_equal(a.cfg.vcpus, 1);
	assert_int_equal(a.cfg.mem_mib, 256);
	assert_string_equal(a.cfg.initrd, initrd);
	assert_true(a.cfg.rng);
	assert_true(a.cfg.vsock.enabled);
	assert_int_equal(a.cfg.vsock.guest_cid, 3);
	assert_int_equal(a.cfg.serial, SERIAL_NONE);
	assert_int_equal(a.cfg.tee, TEE_NONE);
	/* Created: the config the VM will have (no hotplug room is reported, since none exists). */
	assert_int_equal(call("GET", "vm.info", NULL, out, sizeof(out)), 200);
	assert_non_null(strstr(out, "\"state\":\"Created\""));
	assert_non_null(strstr(out, "\"boot_vcpus\":1,\"max_vcpus\":1"));
	assert_non_null(strstr(out, "\"size\":268435456"));
	assert_non_null(strstr(out, "\"memory_actual_size\":268435456"));
	assert_null(strstr(out, "hotplug_size"));
	assert_non_null(strstr(out, "\"vsock\":{\"cid\":3"));
	assert_non_null(strstr(out, "\"tdx\":false"));
	expect("PUT", "vm.create", body, 400, "vm.create: a VM is already created");
	/* Resizing to what the VM has is no change; anything else is refused, saying why. */
	expect("PUT", "vm.resize", "{\"desired_vcpus\":1}", 204, NULL);
	expect("PUT", "vm.resize", "{\"desired_ram\":268435456}", 204, NULL);
	expect("PUT", "vm.resize", "{\"desired_vcpus\":2}", 400,
	       "desired_vcpus 2: cvmm cannot add or remove vCPUs (no CPU hotplug); the VM has 1");
	expect("PUT", "vm.resize", "{\"desired_ram\":536870912}", 400, "no memory hotplug");
	expect("PUT", "vm.resize", "{\"desired_balloon\":0}", 400, "no virtio-balloon");
	expect("PUT", "vm.resize", "{\"desired_cpus\":1}", 400, "unknown field 'desired_cpus'");
	expect("PUT", "vm.resize", "{", 400, "malformed JSON");

	expect("PUT", "vm.boot", NULL, 204, NULL);
	assert_non_null(a.vm);
	assert_int_equal(rec_count("kvm_create_vcpu"), 1);
	assert_int_equal(call("GET", "vm.info", NULL, out, sizeof(out)), 200);
	assert_non_null(strstr(out, "\"state\":\"Running\""));
	expect("PUT", "vm.boot", NULL, 400, "vm.boot: the VM is already booted");
	assert_int_equal(call("GET", "vm.counters", NULL, out, sizeof(out)), 200);
	assert_non_null(strstr(out, "\"vm\":{\"exits_io\":"));
	assert_non_null(strstr(out, "\"kicks\":0"));
	expect("PUT", "vm.resize", "{\"desired_vcpus\":4}", 400, "no CPU hotplug");
	{
		int ev = eventfd(0, EFD_CLOEXEC);

		/* No hotplug: refused before the descriptor is looked at, which stays the caller's. */
		assert_int_equal(call_fds("PUT", "vm.add-net", KATA_NET, &ev, 1, out, sizeof(out)),
				 400);
		assert_non_null(strstr(out, "no network hotplug"));
		assert_true(ev >= 0 && fcntl(ev, F_GETFD) >= 0);
		close(ev);
	}
	{
		struct error pe = ERROR_INIT;

		assert_int_equal(api_pause(&a, &pe), 0);
	}
	assert_int_equal(call("GET", "vm.info", NULL, out, sizeof(out)), 200);
	assert_non_null(strstr(out, "\"state\":\"Paused\""));

	/* vm.shutdown: the VM goes, the config stays; it boots again. */
	expect("PUT", "vm.shutdown", NULL, 204, NULL);
	assert_null(a.vm);
	expect("GET", "vm.info", NULL, 200, "\"state\":\"Created\"");
	expect("GET", "vm.counters", NULL, 400, "not booted");
	expect("PUT", "vm.shutdown", NULL, 400, "not booted");
	expect("PUT", "vm.boot", NULL, 204, NULL);
	expect("GET", "vm.info", NULL, 200, "\"state\":\"Running\"");

	/* vmm.shutdown: 204 at once; the VM is stopping, the process is asked to end. */
	expect("PUT", "vmm.shutdown", NULL, 204, NULL);
	assert_true(a.exit_requested);
	{
		struct pollfd p = { .fd = vm_stopping_fd(a.vm), .events = POLLIN };

		assert_int_equal(poll(&p, 1, 0), 1);
	}
}

/*
 * vm.create's config starts from the defaults, but what the command line set for the process
 * stays: seccomp off, limits, the debug-exit device, verbosity and a sandbox policy.
 */
static void test_run_options_kept(void **state)
{
	char body[4096];

	a.cfg.debug_exit = true;
	a.cfg.verbose = 2;
	a.cfg.limits.vsock_conns = 7;
	a.cfg.sandbox.on = true;
	a.cfg.sandbox.path = strdup("policy.json");
	kata_go_body(body, sizeof(body), false, "Off");
	expect("PUT", "vm.create", body, 204, NULL);
	assert_int_equal(a.cfg.seccomp, SECCOMP_LEVEL_OFF);
	assert_true(a.cfg.debug_exit);
	assert_int_equal(a.cfg.verbose, 2);
	assert_int_equal(a.cfg.limits.vsock_conns, 7);
	assert_true(a.cfg.sandbox.on);
	assert_string_equal(a.cfg.sandbox.path, "policy.json");
	/* The policy asks for the strictest filters, which the command line turned off. */
	expect("PUT", "vm.boot", NULL, 400, "strictest seccomp");
	assert_null(a.vm);
}

/* Serial modes and the fields accepted because they change nothing cvmm does. */
static void test_accepted(void **state)
{
	static const struct {
		const char *serial;
		enum serial_mode mode;
	} modes[] = {
		{ "{\"mode\":\"Off\"}", SERIAL_NONE },
		{ "{\"mode\":\"Null\",\"iommu\":false}", SERIAL_NONE },
		{ "{\"mode\":\"Tty\"}", SERIAL_STDIO },
		{ "{\"mode\":\"File\",\"file\":\"/tmp/x\"}", SERIAL_FILE },
	};
	struct error e = ERROR_INIT;
	char body[1024];

	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		struct vm_config cfg;
		json_t *o;

		snprintf(body, sizeof(body), "{\"payload\":{\"kernel\":\"%s\"},\"serial\":%s}", kernel,
			 modes[i].serial);
		o = json_loads(body, 0, NULL);
		config_init(&cfg);
		assert_int_equal(api_ch_parse_vmconfig(o, &cfg, &e), 0);
		assert_int_equal(cfg.serial, modes[i].mode);
		assert_int_equal(cfg.mem_mib, 512); /* Cloud Hypervisor's default */
		config_free(&cfg);
		json_decref(o);
	}
	snprintf(body, sizeof(body),
		 "{\"payload\":{\"kernel\":\"%s\",\"firmware\":null},"
		 "\"memory\":{\"size\":134217728,\"shared\":false,\"thp\":false,"
		 "\"hotplug_method\":\"VirtioMem\",\"hotplug_size\":1073741824,\"zones\":null},"
		 "\"cpus\":{\"boot_vcpus\":2,\"max_vcpus\":2,\"max_phys_bits\":64,"
		 "\"features\":{\"amx\":false},\"affinity\":[]},"
		 "\"disks\":[{\"path\":\"%s\",\"poll_queue\":true,\"queue_size\":1024,\"sparse\":true,"
		 "\"image_type\":\"Raw\",\"serial\":\"rootfs\",\"id\":\"_disk0\","
		 "\"rate_limiter_config\":{\"ops\":{\"size\":10,\"refill_time\":100}}}],"
		 "\"platform\":{\"num_pci_segments\":16,\"tdx\":false},"
		 "\"fs\":[],\"net\":null,\"debug_console\":{\"mode\":\"Off\"}}", kernel, disk);
	expect("PUT", "vm.create", body, 204, NULL);
	assert_int_equal(a.cfg.vcpus, 2);
	assert_int_equal(a.cfg.mem_mib, 128);
	assert_int_equal(a.cfg.nr_drives, 1);
	assert_string_equal(a.cfg.drives[0].id, "rootfs");
	assert_false(a.cfg.drives[0].read_only);
	assert_int_equal(a.cfg.drives[0].rate.ops.size, 10); /* the disk's rate limit applies */
	assert_int_equal(a.cfg.drives[0].rate.ops.refill_time_ms, 100);
	expect("GET", "vm.info", NULL, 200, "\"serial\":\"rootfs\"");
}

/*
 * runtime-rs's ch driver serialises its own VmConfig with serde: every field, null for the absent,
 * pretty-printed; for a TD: max_phys_bits 46, num_pci_segments 1, empty fs and net lists.
 */
static void test_runtime_rs_body(void **state)
{
	char body[4096], out[512];
	unsigned ea, eb, ec, ed, host_bits;
	int status;

	snprintf(body, sizeof(body),
		 "{\n  \"cpus\": {\n    \"boot_vcpus\": 1,\n    \"max_vcpus\": 1,\n"
		 "    \"topology\": {\"threads_per_core\": 1, \"cores_per_die\": 1,"
		 " \"dies_per_package\": 1, \"packages\": 1},\n    \"kvm_hyperv\": false,\n"
		 "    \"max_phys_bits\": 46,\n    \"features\": {\"amx\": false}\n  },\n"
		 "  \"memory\": {\"size\": 2147483648, \"mergeable\": false, "
		 "\"hotplug_method\": \"Acpi\", \"shared\": true, \"hugepages\": false, "
		 "\"prefault\": false},\n"
		 "  \"payload\": {\"firmware\": \"%s\", \"kernel\": \"%s\", "
		 "\"cmdline\": \"quiet\", \"initramfs\": null},\n"
		 "  \"disks\": [{\"path\": \"%s\", \"readonly\": true, \"direct\": false, "
		 "\"iommu\": false, \"num_queues\": 1, \"queue_size\": 128, "
		 "\"vhost_user\": false, \"vhost_socket\": null, \"rate_limiter_config\": null, "
		 "\"id\": null, \"disable_io_uring\": false, \"pci_segment\": 0}],\n"
		 "  \"net\": [],\n  \"rng\": {\"src\": \"/dev/urandom\", \"iommu\": false},\n"
		 "  \"fs\": [],\n"
		 "  \"serial\": {\"file\": null, \"mode\": \"Off\", \"iommu\": false},\n"
		 "  \"console\": {\"file\": null, \"mode\": \"Off\", \"iommu\": false},\n"
		 "  \"vsock\": {\"cid\": 3, \"socket\": \"%s\", \"iommu\": false, \"id\": null, "
		 "\"pci_segment\": 0},\n  \"iommu\": false,\n  \"watchdog\": false,\n"
		 "  \"platform\": {\"num_pci_segments\": 1, \"iommu_segments\": null, "
		 "\"serial_number\": null, \"uuid\": null, \"oem_strings\": null, \"tdx\": true}\n}",
		 fw, bz, disk, vsock);
	{
		struct fw_image img;

		fw_image_build(&img, &fw_image_ovmf);
		input_write_file(fw, img.data, img.len);
		fw_image_free(&img);
	}
	status = call("PUT", "vm.create", body, out, sizeof(out));
	/* A limit at or above the host's physical address width limits nothing. */
	host_bits = __get_cpuid(0x80000008, &ea, &eb, &ec, &ed) ? ea & 0xff : 36;
	if (host_bits <= 46) {
		if (status != 204)
			fail_msg("runtime-rs's TD body: %d %s", status, out);
		assert_int_equal(a.cfg.tee, TEE_TDX);
		assert_int_equal(a.cfg.mem_mib, 2048);
		assert_int_equal(a.cfg.nr_drives, 1);
		assert_true(a.cfg.drives[0].read_only);
	} else {
		assert_int_equal(status, 400);
		assert_non_null(strstr(out, "cpus.max_phys_bits 46"));
	}
}

/* Every field cvmm cannot honour: 400 naming it, and nothing of the body kept. */
static void test_refused_fields(void **state)
{
	static const struct {
		const char *extra; /* top-level members added to a valid body */
		const char *needle;
	} cases[] = {
		{ "\"fs\":[{\"tag\":\"kataShared\",\"socket\":\"/v.sock\",\"num_queues\":1,"
		  "\"queue_size\":1024}]", "vm.create.fs: cvmm has no virtio-fs" },
		{ "\"pmem\":[{\"file\":\"/img\",\"discard_writes\":true}]", "vm.create.pmem:" },
		{ "\"devices\":[{\"path\":\"/sys/bus/pci/devices/0000:00:01.0\"}]",
		  "vm.create.devices: cvmm has no PCI device passthrough" },
		{ "\"user_devices\":[{\"socket\":\"/s\"}]", "vm.create.user_devices:" },
		{ "\"vdpa\":[{\"path\":\"/dev/vhost-vdpa-0\",\"num_queues\":1}]", "vm.create.vdpa:" },
		{ "\"balloon\":{\"size\":0}", "vm.create.balloon: cvmm has no virtio-balloon" },
		{ "\"net\":[{\"tap\":\"tap0\",\"fds\":[3]}]", "vm.create: net[0].fds: pass the tap "
		  "descriptors with SCM_RIGHTS (vm.add-net)" },
		{ "\"net\":[{\"mac\":\"02:00:00:00:00:01\"}]", "vm.create: net[0]: no tap" },
		{ "\"net\":[{\"tap\":\"tap0\",\"ip\":\"10.1.1.1\"}]", "vm.create: net[0].ip 10.1.1.1: "
		  "cvmm does not configure the host side of a tap" },
		{ "\"net\":[{\"tap\":\"tap0\",\"id\":\"eth0\"},{\"tap\":\"tap1\",\"id\":\"eth0\"}]",
		  "vm.create: net[1]: id 'eth0' is already an interface's" },
		{ "\"net\":[7]", "vm.create: net[0]: not an object" },
		{ "\"sgx_epc\":[{\"id\":\"e\",\"size\":1}]", "vm.create.sgx_epc:" },
		{ "\"numa\":[{\"guest_numa_id\":0}]", "vm.create.numa:" },
		{ "\"iommu\":true", "vm.create.iommu:" },
		{ "\"watchdog\":true", "vm.create.watchdog:" },
		{ "\"pvpanic\":true", "vm.create.pvpanic:" },
		{ "\"tpm\":{\"socket\":\"/t\"}", "vm.create.tpm:" },
		{ "\"landlock_enable\":true", "vm.create.landlock_enable:" },
		{ "\"landlock_rules\":[{}]", "vm.create.landlock_rules:" },
		{ "\"rate_limit_groups\":[{}]", "vm.create.rate_limit_groups:" },
		{ "\"pci_segments\":[{}]", "vm.create.pci_segments:" },
		{ "\"nested\":true", "vm.create: unknown field 'nested'" },
		{ "\"memory\":{\"size\":268435456,\"hugepages\":true}", "memory.hugepages:" },
		{ "\"memory\":{\"size\":268435456,\"hugepage_size\":2097152}", "memory.hugepage_size:" },
		{ "\"memory\":{\"size\":268435456,\"mergeable\":true}", "memory.mergeable:" },
		{ "\"memory\":{\"size\":268435456,\"prefault\":true}", "memory.prefault:" },
		{ "\"memory\":{\"size\":268435456,\"hotplugged_size\":1}", "memory.hotplugged_size:" },
		{ "\"memory\":{\"size\":268435456,\"zones\":[{\"id\":\"z\",\"size\":1}]}",
		  "memory.zones:" },
		{ "\"memory\":{\"size\":268435457}", "memory.size 268435457: a multiple of 1 MiB" },
		{ "\"memory\":{\"size\":1048576}", "memory.size 1048576" },
		{ "\"memory\":{\"size\":268435456,\"hotplug_method\":\"Magic\"}",
		  "memory.hotplug_method 'Magic'" },
		{ "\"memory\":{\"hugepages\":false}", "memory: missing required field 'size'" },
		{ "\"cpus\":{\"boot_vcpus\":1,\"max_vcpus\":1,\"kvm_hyperv\":true}", "cpus.kvm_hyperv:" },
		{ "\"cpus\":{\"boot_vcpus\":1,\"max_vcpus\":1,\"affinity\":[{\"vcpu\":0,"
		  "\"host_cpus\":[1]}]}", "cpus.affinity:" },
		{ "\"cpus\":{\"boot_vcpus\":1,\"max_vcpus\":1,\"features\":{\"amx\":true}}",
		  "cpus.features.amx:" },
		{ "\"cpus\":{\"boot_vcpus\":2,\"max_vcpus\":2,\"topology\":{\"threads_per_core\":2,"
		  "\"cores_per_die\":1,\"dies_per_package\":1,\"packages\":1}}",
		  "cpus.topology: cvmm's vCPUs are the cores of one die" },
		{ "\"cpus\":{\"boot_vcpus\":4,\"max_vcpus\":4,\"topology\":{\"cores_per_die\":2}}",
		  "cpus.topology.cores_per_die 2 is below boot_vcpus 4" },
		{ "\"cpus\":{\"boot_vcpus\":2,\"max_vcpus\":1}", "cpus.max_vcpus 1 is below" },
		{ "\"cpus\":{\"boot_vcpus\":0,\"max_vcpus\":1}", "cpus.boot_vcpus 0" },
		{ "\"cpus\":{\"boot_vcpus\":300,\"max_vcpus\":300}", "cpus.boot_vcpus 300" },
		{ "\"cpus\":{\"boot_vcpus\":1,\"max_vcpus\":1,\"max_phys_bits\":20}",
		  "cpus.max_phys_bits 20: cvmm gives the guest the host's physical address width" },
		{ "\"cpus\":{\"boot_vcpus\":1}", "cpus: missing required field 'max_vcpus'" },
		{ "\"disks\":[{\"path\":\"DISK\",\"direct\":true}]", "disks[0].direct:" },
		{ "\"disks\":[{\"path\":\"DISK\",\"iommu\":true}]", "disks[0].iommu:" },
		{ "\"disks\":[{\"path\":\"DISK\",\"num_queues\":4}]", "disks[0].num_queues 4" },
		{ "\"disks\":[{\"path\":\"DISK\",\"vhost_user\":true}]", "disks[0].vhost_user:" },
		{ "\"disks\":[{\"path\":\"DISK\",\"vhost_socket\":\"/s\"}]", "disks[0].vhost_socket:" },
		{ "\"disks\":[{\"path\":\"DISK\",\"queue_size\":100}]", "disks[0].queue_size 100" },
		{ "\"disks\":[{\"path\":\"DISK\",\"rate_limiter_config\":{\"ops\":{\"size\":10}}}]",
		  "disks[0].rate_limiter_config.ops: missing required field 'refill_time'" },
		{ "\"disks\":[{\"path\":\"DISK\",\"pci_segment\":1}]", "disks[0].pci_segment:" },
		{ "\"disks\":[{\"path\":\"DISK\",\"serial\":\"a-serial-longer-than-20\"}]",
		  "disks[0].serial 'a-serial-longer-than-20': 1 to 20 characters" },
		{ "\"disks\":[{\"path\":\"DISK\",\"sparse\":false}]", "disks[0].sparse:" },
		{ "\"disks\":[{\"path\":\"DISK\",\"image_type\":\"Qcow2\"}]", "disks[0].image_type" },
		{ "\"disks\":[{\"path\":\"DISK\",\"backing_files\":true}]", "disks[0].backing_files:" },
		{ "\"disks\":[{\"path\":\"DISK\"},{\"readonly\":true}]",
		  "disks[1]: missing required field 'path'" },
		{ "\"disks\":[{\"path\":\"/nonexistent\"}]", "/nonexistent" },
		{ "\"rng\":{\"src\":\"/dev/hwrng\"}", "rng.src '/dev/hwrng'" },
		{ "\"rng\":{\"src\":\"/dev/urandom\",\"iommu\":true}", "rng.iommu:" },
		{ "\"serial\":{\"mode\":\"Pty\"}", "serial.mode 'Pty'" },
		{ "\"serial\":{\"mode\":\"Socket\",\"socket\":\"/s\"}", "serial.socket:" },
		{ "\"serial\":{\"mode\":\"File\"}", "serial: mode File needs 'file'" },
		{ "\"serial\":{\"mode\":\"Tty\",\"file\":\"/f\"}", "serial.file applies to mode File" },
		{ "\"serial\":{}", "serial: missing required field 'mode'" },
		{ "\"console\":{\"mode\":\"Tty\"}", "console.mode 'Tty': cvmm has no virtio-console" },
		{ "\"console\":{\"mode\":\"Off\",\"file\":\"/f\"}", "console: mode Off takes no file" },
		{ "\"debug_console\":{\"mode\":\"Tty\"}", "debug_console.mode 'Tty'" },
		{ "\"debug_console\":{\"mode\":\"Off\",\"iobase\":233}", "debug_console.iobase:" },
		{ "\"vsock\":{\"cid\":2,\"socket\":\"/s\"}", "vsock.cid 2" },
		{ "\"vsock\":{\"cid\":3,\"socket\":\"/s\",\"iommu\":true}", "vsock.iommu:" },
		{ "\"vsock\":{\"cid\":3,\"socket\":\"/s\",\"pci_segment\":2}", "vsock.pci_segment:" },
		{ "\"vsock\":{\"cid\":3}", "vsock: missing required field 'socket'" },
		{ "\"vsock\":{\"cid\":3,\"socket\":\"\"}", "vsock.socket is empty" },
		{ "\"platform\":{\"iommu_segments\":[1]}", "platform.iommu_segments:" },
		{ "\"platform\":{\"serial_number\":\"x\"}", "platform.serial_number:" },
		{ "\"platform\":{\"uuid\":\"x\"}", "platform.uuid:" },
		{ "\"platform\":{\"oem_strings\":[\"x\"]}", "platform.oem_strings:" },
		{ "\"platform\":{\"sev_snp\":true}", "platform.sev_snp:" },
		{ "\"platform\":{\"tdx\":true}", "platform.tdx needs payload.firmware" },
		{ "\"platform\":{\"tdx\":\"yes\"}", "platform: 'tdx' must be a boolean" },
	};
	char body[2048], extra[512];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *d = strstr(cases[i].extra, "DISK");

		if (d)
			snprintf(extra, sizeof(extra), "%.*s%s%s", (int)(d - cases[i].extra),
				 cases[i].extra, disk, d + 4);
		else
			snprintf(extra, sizeof(extra), "%s", cases[i].extra);
		snprintf(body, sizeof(body), "{\"payload\":{\"kernel\":\"%s\"},%s}", kernel, extra);
		expect("PUT", "vm.create", body, 400, cases[i].needle);
		assert_false(a.created);
		assert_int_equal(a.cfg.nr_drives, 0);
	}
	/* The payload itself. */
	expect("PUT", "vm.create", "{\"payload\":{}}", 400, "payload: a kernel or a firmware");
	expect("PUT", "vm.create", "{\"payload\":{\"kernel\":\"/k\",\"igvm\":\"/i\"}}", 400,
	       "payload.igvm:");
	expect("PUT", "vm.create", "{\"payload\":{\"kernel\":\"/k\",\"host_data\":\"00\"}}", 400,
	       "payload.host_data:");
	expect("PUT", "vm.create", "{\"payload\":{\"kernel\":\"/nonexistent\"}}", 400,
	       "/nonexistent");
	expect("PUT", "vm.create", "{\"cpus\":{\"boot_vcpus\":1,\"max_vcpus\":1}}", 400,
	       "missing required field 'payload'");
	/* Endpoints Kata may call that cvmm does not serve. */
	expect("PUT", "vm.add-disk", "{\"path\":\"/x\"}", 400, "vm.add-disk: cvmm has no PCI hotplug");
	expect("PUT", "vm.add-device", "{\"path\":\"/x\"}", 400, "vm.add-device:");
	expect("PUT", "vm.remove-device", "{\"id\":\"x\"}", 400, "vm.remove-device:");
	expect("PUT", "vm.add-fs", "{}", 400, "vm.add-fs: cvmm has no virtio-fs");
	expect("PUT", "vm.add-pmem", "{}", 400, "vm.add-pmem:");
	expect("PUT", "vm.add-vsock", "{}", 400, "vm.add-vsock:");
	expect("PUT", "vm.add-vdpa", "{}", 400, "vm.add-vdpa:");
	expect("PUT", "vm.add-user-device", "{}", 400, "vm.add-user-device:");
	expect("PUT", "vm.resize-zone", "{}", 400, "vm.resize-zone:");
	assert_false(a.created);
}

/* Malformed VmConfig bodies are handled as the Firecracker API's are: 400, nothing applied. */
static void test_malformed(void **state)
{
	static const char *const bad[][2] = {
		{ "", "malformed JSON" },
		{ "{", "malformed JSON" },
		{ "[]", "vm.create: expected a JSON object" },
		{ "null", "malformed JSON" },
		{ "{\"payload\":1}", "'payload' must be an object" },
		{ "{\"payload\":{\"kernel\":7}}", "'kernel' must be a string" },
		{ "{\"payload\":{\"kernel\":\"/k\"},\"payload\":{}}", "malformed JSON" },
		{ "{\"payload\":{\"kernel\":\"/k\"}}garbage", "malformed JSON" },
		{ "{\"payload\":{\"kernel\":\"/k\"},\"memory\":{\"size\":-1}}",
		  "'size' must be a non-negative integer" },
		{ "{\"payload\":{\"kernel\":\"/k\"},\"memory\":{\"size\":99999999999999999999}}",
		  "malformed JSON" },
		{ "{\"payload\":{\"kernel\":\"/k\"},\"memory\":{\"size\":1.5}}", "'size' must be" },
		{ "{\"payload\":{\"kernel\":\"/k\"},\"disks\":{}}", "'disks' must be an array" },
		{ "{\"payload\":{\"kernel\":\"/k\"},\"disks\":[7]}", "disks[0]: expected a JSON object" },
		{ "{\"payload\":{\"kernel\":null}}", "a kernel or a firmware" },
		{ "\"\\u0000\"", "malformed JSON" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		expect("PUT", "vm.create", bad[i][0], 400, bad[i][1]);
	assert_false(a.created);
}

/* vm.add-net's body and descriptors; whatever is refused, the descriptors stay the caller's. */
static void test_add_net(void **state)
{
	static const char *const bad[][2] = {
		{ "{\"num_queues\":4}", "num_queues 4: cvmm's virtio-net has one queue pair" },
		{ "{\"queue_size\":100}", "queue_size 100" },
		{ "{\"fds\":[3]}", "vm.add-net.fds: pass the tap descriptors with SCM_RIGHTS" },
		{ "{\"mac\":\"zz:00:00:00:00:00\"}", "vm.add-net.mac 'zz:00:00:00:00:00'" },
		{ "{\"mac\":\"03:00:00:00:00:01\"}", "not a unicast MAC" },
		{ "{\"mtu\":10}", "vm.add-net.mtu 10" },
		{ "{\"iommu\":true}", "vm.add-net.iommu:" },
		{ "{\"vhost_user\":true}", "vm.add-net.vhost_user:" },
		{ "{\"vhost_socket\":\"/s\"}", "vm.add-net.vhost_user:" },
		{ "{\"vhost_mode\":\"Mirror\"}", "vhost_mode 'Mirror'" },
		{ "{\"host_mac\":\"02:00:00:00:00:02\"}", "vm.add-net.host_mac:" },
		{ "{\"pci_segment\":1}", "vm.add-net.pci_segment:" },
		{ "{\"offload_tso\":false}", "vm.add-net.offload_tso:" },
		{ "{\"tap\":\"tap0\"}", "give a name or a descriptor, not both" },
		{ "{\"id\":\"\"}", "vm.add-net.id:" },
		{ "{\"rate_limiter_config\":{\"ops\":{\"size\":1}}}",
		  "missing required field 'refill_time'" },
		{ "{\"queues\":2}", "vm.add-net: unknown field 'queues'" },
		{ "{", "malformed JSON" },
	};
	char body[4096], out[512];
	int ev[3], before;

	kata_go_body(body, sizeof(body), false, "Off");
	expect("PUT", "vm.create", body, 204, NULL);
	for (int i = 0; i < 3; i++)
		ev[i] = eventfd(0, EFD_CLOEXEC);
	before = vf_count_fds();
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(call_fds("PUT", "vm.add-net", bad[i][0], ev, 1, out, sizeof(out)),
				 400);
		if (!strstr(out, bad[i][1]))
			fail_msg("%s: '%s' (wanted '%s')", bad[i][0], out, bad[i][1]);
		assert_true(ev[0] >= 0);
	}
	/*
	 * No tap at all, a bad name, a named tap with a host address to set (Cloud Hypervisor's
	 * defaults pass, below), two descriptors, not a tap.
	 */
	expect("PUT", "vm.add-net", KATA_NET, 400, "no tap (pass its descriptor with SCM_RIGHTS");
	expect("PUT", "vm.add-net", "{\"tap\":\"\"}", 400, "vm.add-net.tap: an interface name");
	expect("PUT", "vm.add-net", "{\"tap\":\"a-name-too-long-0\"}", 400,
	       "vm.add-net.tap: an interface name of 1 to 15 characters");
	expect("PUT", "vm.add-net", "{\"tap\":\"tap0\",\"ip\":\"10.0.0.1\"}", 400,
	       "vm.add-net.ip 10.0.0.1: cvmm does not configure the host side of a tap");
	expect("PUT", "vm.add-net", "{\"tap\":\"tap0\",\"mask\":\"255.0.0.0\"}", 400,
	       "vm.add-net.mask 255.0.0.0:");
	assert_int_equal(call_fds("PUT", "vm.add-net", KATA_NET, ev, 2, out, sizeof(out)), 400);
	assert_non_null(strstr(out, "2 descriptors: cvmm's virtio-net has one queue pair"));
	assert_int_equal(call_fds("PUT", "vm.add-net", KATA_NET, ev, 1, out, sizeof(out)), 400);
	assert_non_null(strstr(out, "is not a tap queue (TUNGETIFF"));
	for (int i = 0; i < 3; i++)
		assert_true(ev[i] >= 0 && fcntl(ev[i], F_GETFD) >= 0);
	assert_int_equal(vf_count_fds(), before);
	assert_int_equal(a.nr_tap_fds, 0);
	assert_int_equal(a.cfg.nr_nets, 0);
	/* A tap by name, with Cloud Hypervisor's default ip and mask: cvmm opens it at vm.boot. */
	expect("PUT", "vm.add-net", "{\"tap\":\"tap0\",\"ip\":\"192.168.249.1\","
	       "\"mask\":\"255.255.255.0\",\"id\":\"eth0\"}", 204, NULL);
	assert_int_equal(a.cfg.nr_nets, 1);
	assert_string_equal(a.cfg.nets[0].tap, "tap0");
	assert_int_equal(a.cfg.nets[0].fd, -1);
	assert_int_equal(a.nr_tap_fds, 0);
	expect("GET", "vm.info", NULL, 200, "\"tap\":\"tap0\"");
	for (int i = 0; i < 3; i++)
		close(ev[i]);
}

/*
 * runtime-rs's ch driver puts the pod's interfaces in vm.create's net, each a tap by name (serde:
 * ip and mask at their defaults, the MAC, the interface's name as id): virtio-net devices on the
 * taps cvmm opens at vm.boot; with a real tap, the VM boots with it on the recording KVM.
 */
static void test_runtime_rs_net(void **state)
{
	static const char net[] =
		",\"net\":[{\"tap\":\"cvmmrs0\",\"ip\":\"192.168.249.1\",\"mask\":\"255.255.255.0\","
		"\"mac\":\"02:aa:bb:cc:dd:05\",\"iommu\":false,\"num_queues\":2,\"queue_size\":256,"
		"\"vhost_user\":false,\"vhost_mode\":\"Client\",\"id\":\"eth0\"}]}";
	char body[4096], why[256], out[2048];

	kata_go_body(body, sizeof(body) - sizeof(net), false, "Off");
	snprintf(body + strlen(body) - 1, sizeof(net), "%s", net);
	expect("PUT", "vm.create", body, 204, NULL);
	assert_int_equal(a.cfg.nr_nets, 1);
	assert_string_equal(a.cfg.nets[0].tap, "cvmmrs0");
	assert_string_equal(a.cfg.nets[0].id, "eth0");
	assert_string_equal(a.cfg.nets[0].mac, "02:aa:bb:cc:dd:05");
	assert_int_equal(a.cfg.nets[0].fd, -1);
	expect("GET", "vm.info", NULL, 200, "\"mac\":\"02:aa:bb:cc:dd:05\"");
	/* vm.add-net after it: another id is one more interface; the same id is refused. */
	expect("PUT", "vm.add-net", "{\"tap\":\"cvmmrs1\",\"id\":\"eth0\"}", 400,
	       "vm.add-net: id 'eth0' is already an interface's");
	if (!tap_env_enter(why, sizeof(why))) {
		print_message("skipped the boot: %s\n", why);
		return;
	}
	/* cvmm opens the tap by name (creating it here: the namespace has none). */
	expect("PUT", "vm.boot", NULL, 204, NULL);
	assert_int_equal(call("GET", "vm.counters", NULL, out, sizeof(out)), 200);
	assert_non_null(strstr(out, "\"virtio-net eth0\""));
	assert_non_null(strstr(out, "\"rx_frames\""));
	expect("PUT", "vm.shutdown", NULL, 204, NULL);
}

/*
 * A real tap, passed as Kata passes it: checked, then it is the VM's virtio-net device; the state
 * keeps the descriptor (closed with the VM's config), the guest gets Kata's MAC.
 */
static void test_add_net_tap(void **state)
{
	char why[256], body[4096], out[1024];
	struct error e = ERROR_INIT;
	int fd, before, fds[1];

	if (!tap_env_enter(why, sizeof(why))) {
		print_message("skipped: %s\n", why);
		skip();
	}
	fd = tap_open("cvmmclh0", &e);
	if (fd < 0)
		fail_msg("tap_open: %s", e.msg);
	kata_go_body(body, sizeof(body), false, "Off");
	expect("PUT", "vm.create", body, 204, NULL);
	before = vf_count_fds();
	fds[0] = fd;
	if (call_fds("PUT", "vm.add-net", KATA_NET, fds, 1, out, sizeof(out)) != 204)
		fail_msg("vm.add-net: %s", out);
	assert_int_equal(fds[0], -1); /* taken */
	assert_int_equal(a.nr_tap_fds, 1);
	assert_int_equal(a.cfg.nr_nets, 1);
	assert_int_equal(a.cfg.nets[0].fd, fd);
	assert_string_equal(a.cfg.nets[0].mac, "02:aa:bb:cc:dd:01");
	assert_int_equal(vf_count_fds(), before);
	/* An id in use is refused, as Cloud Hypervisor does; the second tap stays the caller's. */
	fds[0] = tap_open("cvmmclh1", &e);
	assert_true(fds[0] >= 0);
	assert_int_equal(call_fds("PUT", "vm.add-net", "{\"id\":\"_net0\",\"mac\":"
				  "\"02:aa:bb:cc:dd:02\"}", fds, 1, out, sizeof(out)), 204);
	assert_int_equal(a.nr_tap_fds, 2);
	fd = tap_open("cvmmclh2", &e);
	fds[0] = fd;
	assert_int_equal(call_fds("PUT", "vm.add-net", "{\"id\":\"_net0\"}", fds, 1, out,
				  sizeof(out)), 400);
	assert_non_null(strstr(out, "vm.add-net: id '_net0' is already an interface's"));
	assert_int_equal(fds[0], fd);
	close(fd);
	/* Boot: both taps are virtio-net devices; vm.info lists them. */
	expect("PUT", "vm.boot", NULL, 204, NULL);
	assert_int_equal(call("GET", "vm.info", NULL, out, sizeof(out)), 200);
	assert_non_null(strstr(out, "\"mac\":\"02:aa:bb:cc:dd:01\""));
	assert_non_null(strstr(out, "\"id\":\"_net0\""));
	assert_int_equal(call("GET", "vm.counters", NULL, out, sizeof(out)), 200);
	assert_non_null(strstr(out, "net"));
}

/* ---- the HTTP layer with this table: Kata's raw add-net requests, descriptors accounted ---- */

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* Sends raw with fds attached, serves until one whole answer came back; returns its status. */
static int roundtrip(struct api_server *srv, int fd, const char *raw, const int *fds,
		     unsigned nr, char *ans, size_t cap)
{
	char cbuf[CMSG_SPACE(4 * sizeof(int))];
	struct iovec iov = { .iov_base = (void *)raw, .iov_len = strlen(raw) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	size_t got = 0;
	int status = 0;

	if (nr) {
		struct cmsghdr *cm;

		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE(nr * sizeof(int));
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nr * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nr * sizeof(int));
	}
	assert_int_equal(sendmsg(fd, &msg, MSG_NOSIGNAL), (ssize_t)strlen(raw));
	for (int i = 0; i < 400; i++) {
		struct pollfd p = { .fd = api_server_fd(srv), .events = POLLIN };
		const char *cl, *hdr_end;
		ssize_t n;

		poll(&p, 1, 10);
		api_server_run(srv);
		n = recv(fd, ans + got, cap - 1 - got, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
		ans[got] = 0;
		hdr_end = strstr(ans, "\r\n\r\n");
		if (!hdr_end)
			continue;
		cl = strcasestr(ans, "Content-Length: ");
		if (!cl || strlen(hdr_end + 4) >= strtoul(cl + 16, NULL, 10))
			break;
	}
	sscanf(ans, "HTTP/1.1 %d", &status);
	return status;
}

static void test_http_add_net(void **state)
{
	char sock[96], raw[1024], ans[2048], body[4096];
	struct api_server *srv;
	struct error e = ERROR_INIT;
	int ev[2], before, connected = 0, fd;

	snprintf(sock, sizeof(sock), "%s/clh-api.sock", dir);
	assert_int_equal(api_server_open(sock, &routes, &srv, &e), 0);
	kata_go_body(body, sizeof(body), false, "Off");
	expect("PUT", "vm.create", body, 204, NULL);
	ev[0] = eventfd(0, EFD_CLOEXEC);
	ev[1] = eventfd(0, EFD_CLOEXEC);
	before = vf_count_fds();
	fd = connect_to(sock);
	/* Byte for byte what the Go driver's httputil.DumpRequest writes, per interface. */
	snprintf(raw, sizeof(raw), "PUT /api/v1/vm.add-net HTTP/1.1\r\nHost: localhost\r\n"
		 "Accept: application/json\r\nContent-Length: %zu\r\n"
		 "Content-Type: application/json\r\n\r\n%s", strlen(KATA_NET), KATA_NET);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(roundtrip(srv, fd, raw, ev, i == 2 ? 2 : 1, ans, sizeof(ans)), 400);
		assert_non_null(strstr(ans, "Content-Type: text/plain"));
		assert_non_null(strstr(ans, i == 2 ? "2 descriptors" : "is not a tap queue"));
		if (!i)
			connected = vf_count_fds();
		/* The server closed every copy it got: nothing grows from one request to the next. */
		assert_int_equal(vf_count_fds(), connected);
	}
	/* A request without descriptors on the same connection sees none. */
	assert_int_equal(roundtrip(srv, fd, raw, NULL, 0, ans, sizeof(ans)), 400);
	assert_non_null(strstr(ans, "no tap"));
	assert_int_equal(vf_count_fds(), connected);
	close(fd);
	for (int i = 0; i < 50 && vf_count_fds() != before; i++) {
		struct pollfd p = { .fd = api_server_fd(srv), .events = POLLIN };

		poll(&p, 1, 10);
		api_server_run(srv);
	}
	assert_int_equal(vf_count_fds(), before);
	api_server_close(srv);
	close(ev[0]);
	close(ev[1]);
}

/* ---- TDX: the clh flow reaches the same launch as --tee tdx; no TDX here is a 500 ---- */

struct op {
	const char *name;
	uint64_t arg0;
};

/* The recorded calls, with the first argument where it names something (VM type, TDX cmd). */
static size_t recorded_ops(struct op *ops, size_t cap)
{
	size_t n = 0;

	for (size_t i = 0; i < kvm_rec.nr_calls && n < cap; i++) {
		const struct rec_call *c = &kvm_rec.calls[i];
		bool named = !strcmp(c->op, "kvm_create_vm") ||
			     !strcmp(c->op, "kvm_memory_encrypt_op") ||
			     !strcmp(c->op, "kvm_enable_cap") || !strcmp(c->op, "kvm_create_vcpu");

		ops[n++] = (struct op){ c->op, named ? c->args[0] : 0 };
	}
	return n;
}

static long find_tdx(uint32_t id)
{
	for (size_t i = 0; i < kvm_rec.nr_calls; i++)
		if (!strcmp(kvm_rec.calls[i].op, "kvm_memory_encrypt_op") &&
		    kvm_rec.calls[i].args[0] == id)
			return (long)i;
	return -1;
}

static void test_tdx_flow(void **state)
{
	static struct op direct[REC_MAX_CALLS], api[REC_MAX_CALLS];
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	char body[4096], out[1024];
	size_t nd, na;
	struct vm *vm;

	/* The same VM from the command line's config: --tee tdx --firmware, as test_tdx_launch. */
	td_config(&cfg, fw, &fw_image_ovmf);
	config_set_string(&cfg.kernel, bz, "--kernel", NULL);
	config_set_string(&cfg.cmdline, "root=/dev/vda1 rootflags=data=ordered panic=1 quiet",
			  "--cmdline", NULL);
	{
		struct drive_config d = { .path = disk, .read_only = true,
					  .engine = BLK_ENGINE_SYNC,
					  .poll_us = DRIVE_POLL_US_DEFAULT };

		assert_int_equal(config_add_drive(&cfg, &d, &e), 0);
	}
	cfg.rng = true;
	cfg.vsock.enabled = true;
	cfg.vsock.guest_cid = 3;
	config_set_string(&cfg.vsock.uds_path, vsock, "--vsock", NULL);
	td_kvm(0);
	assert_int_equal(vm_create(&cfg, &vm, &e), 0);
	nd = recorded_ops(direct, ARRAY_SIZE(direct));
	vm_destroy(vm);
	config_free(&cfg);

	/* Kata's TDX pod through the API. */
	kata_go_body(body, sizeof(body), true, "Off");
	expect("PUT", "vm.create", body, 204, NULL);
	assert_int_equal(a.cfg.tee, TEE_TDX);
	expect("GET", "vm.info", NULL, 200, "\"platform\":{\"num_pci_segments\":1,\"tdx\":true}");
	td_kvm(0);
	rec_run_blocks(true);
	expect("PUT", "vm.boot", NULL, 204, NULL);
	na = recorded_ops(api, ARRAY_SIZE(api));
	assert_true(nd > 20);
	assert_int_equal(na, nd);
	for (size_t i = 0; i < nd; i++)
		if (strcmp(api[i].name, direct[i].name) || api[i].arg0 != direct[i].arg0)
			fail_msg("call %zu: %s(%llu) through the API, %s(%llu) from the CLI config", i,
				 api[i].name, (unsigned long long)api[i].arg0, direct[i].name,
				 (unsigned long long)direct[i].arg0);
	/* The TDX issue's order: INIT_VM, INIT_VCPU, INIT_MEM_REGION, FINALIZE. */
	assert_true(find_tdx(KVM_TDX_INIT_VM) > 0);
	assert_true(find_tdx(KVM_TDX_INIT_VCPU) > find_tdx(KVM_TDX_INIT_VM));
	assert_true(find_tdx(KVM_TDX_INIT_MEM_REGION) > find_tdx(KVM_TDX_INIT_VCPU));
	assert_true(find_tdx(KVM_TDX_FINALIZE_VM) > find_tdx(KVM_TDX_INIT_MEM_REGION));
	expect("GET", "vm.info", NULL, 200, "\"state\":\"Running\"");
	expect("PUT", "vm.shutdown", NULL, 204, NULL);

	/* A host whose KVM has no TDX: vm.boot answers the probe's line as a 500, nothing runs. */
	td_kvm(0);
	rec_set_cap(KVM_CAP_VM_TYPES, 1 << CVMM_KVM_X86_DEFAULT_VM);
	assert_int_equal(call("PUT", "vm.boot", NULL, out, sizeof(out)), 500);
	assert_non_null(strstr(out, "kvm_intel.tdx"));
	assert_non_null(strstr(out, "cannot run TDX guests"));
	assert_int_equal(rec_count("kvm_create_vm"), 0);
	assert_null(a.vm);
	expect("GET", "vm.info", NULL, 200, "\"state\":\"Created\"");
	expect("GET", "vmm.ping", NULL, 200, "\"version\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ping, fresh, release),
		cmocka_unit_test_setup_teardown(test_before_create, fresh, release),
		cmocka_unit_test_setup_teardown(test_kata_go_flow, fresh, release),
		cmocka_unit_test_setup_teardown(test_run_options_kept, fresh, release),
		cmocka_unit_test_setup_teardown(test_accepted, fresh, release),
		cmocka_unit_test_setup_teardown(test_runtime_rs_body, fresh, release),
		cmocka_unit_test_setup_teardown(test_refused_fields, fresh, release),
		cmocka_unit_test_setup_teardown(test_malformed, fresh, release),
		cmocka_unit_test_setup_teardown(test_add_net, fresh, release),
		cmocka_unit_test_setup_teardown(test_add_net_tap, fresh, release),
		cmocka_unit_test_setup_teardown(test_runtime_rs_net, fresh, release),
		cmocka_unit_test_setup_teardown(test_http_add_net, fresh, release),
		cmocka_unit_test_setup_teardown(test_tdx_flow, fresh, release),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
