// SPDX-License-Identifier: MIT
/*
 * The Firecracker-compatible API without HTTP: every endpoint's body checked (malformed JSON,
 * wrong types, unknown fields, missing and bad values, each refused with a 400 naming the field),
 * requests in the wrong state, --config-file, and a whole life on the recording KVM: Kata's
 * pre-boot requests, InstanceStart, Paused/Resumed, a drive swapped under the running VM (new
 * capacity, configuration-change interrupt), SendCtrlAltDel, FlushMetrics.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/blk.h"
#include "tests/unit/input_files.h"
#include "tests/unit/kvm_recorder.h"
#include "vmm/api_fc.h"
#include "vmm/api_state.h"
#include "vmm/device_table.h"
#include "vmm/error.h"
#include "vmm/log.h"
#include "vmm/metrics.h"
#include "vmm/vm.h"

static char dir[64], kernel[96], disk0[96], disk1[96], bigdisk[96], metrics[96], sock[96];
static struct api_vmm a;
static struct api_routes routes;

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/cvmm-apifc-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(kernel, sizeof(kernel), "%s/kernel", dir);
	snprintf(disk0, sizeof(disk0), "%s/rootfs", dir);
	snprintf(disk1, sizeof(disk1), "%s/drive_0", dir);
	snprintf(bigdisk, sizeof(bigdisk), "%s/big", dir);
	snprintf(metrics, sizeof(metrics), "%s/metrics", dir);
	snprintf(sock, sizeof(sock), "%s/kata.hvsock", dir);
	input_write_pvh_kernel(kernel);
	input_write_file(disk0, "", 0);
	input_write_file(disk1, "", 0); /* Kata's placeholders are empty */
	assert_int_equal(truncate(bigdisk, 0), -1);
	input_write_file(bigdisk, "", 0);
	assert_int_equal(truncate(bigdisk, 1 << 20), 0);
	log_threshold = LOG_ERROR;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static int fresh(void **state)
{
	struct vm_config cfg;

	config_init(&cfg);
	cfg.serial = SERIAL_NONE;
	api_vmm_init(&a, "test-vm", &cfg);
	api_fc_routes(&a, &routes);
	return 0;
}

static int release(void **state)
{
	api_vmm_free(&a);
	metrics_close();
	return 0;
}

/* One request through the route table; the answer's body is kept in out. */
static int call(const char *method, const char *path, const char *body, char *out, size_t cap)
{
	struct api_response resp = { 0 };
	struct api_request req = { .method = method, .path = path, .body = body ? body : "" };
	const struct api_route *r;
	char param[256];
	bool known;

	req.body_len = strlen(req.body);
	r = api_route_find(&routes, method, path, param, sizeof(param), &known);
	assert_non_null(r);
	if (strchr(r->path, '{'))
		req.param = param;
	r->handler(routes.ctx, &req, &resp);
	routes.answered(routes.ctx, &req, resp.status);
	if (out)
		snprintf(out, cap, "%s", resp.body ? resp.body : "");
	free(resp.body);
	return resp.status;
}

static void expect(const char *method, const char *path, const char *body, int status,
		   const char *needle)
{
	char out[1024];
	int got = call(method, path, body, out, sizeof(out));

	if (got != status || (needle && !strstr(out, needle)))
		fail_msg("%s %s %s: %d %s (wanted %d, '%s')", method, path, body, got, out, status,
			 needle ? needle : "");
}

static void test_hostile_bodies(void **state)
{
	/* Malformed JSON, a body that is not an object, duplicate keys. */
	expect("PUT", "/machine-config", "{", 400, "malformed JSON");
	expect("PUT", "/machine-config", "", 400, "malformed JSON");
	expect("PUT", "/machine-config", "[1,2]", 400, "expected a JSON object");
	expect("PUT", "/machine-config", "{\"vcpu_count\":1,\"vcpu_count\":2,\"mem_size_mib\":64}",
	       400, "malformed JSON");
	expect("PUT", "/machine-config", "{\"vcpu_count\":1,\"mem_size_mib\":64}garbage", 400,
	       "malformed JSON");
	expect("PUT", "/machine-config", "\"\\u0000\"", 400, "malformed JSON");
	/* Unknown fields and wrong types, named. */
	expect("PUT", "/machine-config", "{\"vcpu_count\":1,\"mem_size_mib\":64,\"cpus\":1}", 400,
	       "unknown field 'cpus'");
	expect("PUT", "/machine-config", "{\"vcpu_count\":\"1\",\"mem_size_mib\":64}", 400,
	       "'vcpu_count' must be a non-negative integer");
	expect("PUT", "/machine-config", "{\"vcpu_count\":-1,\"mem_size_mib\":64}", 400,
	       "'vcpu_count' must be");
	expect("PUT", "/machine-config", "{\"vcpu_count\":1.5,\"mem_size_mib\":64}", 400,
	       "'vcpu_count' must be");
	expect("PUT", "/machine-config", "{\"vcpu_count\":99999999999999999999,\"mem_size_mib\":1}",
	       400, "malformed JSON");
	expect("PUT", "/machine-config", "{\"mem_size_mib\":64}", 400,
	       "missing required field 'vcpu_count'");
	expect("PUT", "/machine-config", "{\"vcpu_count\":0,\"mem_size_mib\":64}", 400,
	       "vcpu_count 0");
	expect("PUT", "/machine-config", "{\"vcpu_count\":1,\"mem_size_mib\":8}", 400,
	       "mem_size_mib 8");
	expect("PUT", "/machine-config", "{\"vcpu_count\":1,\"mem_size_mib\":64,\"smt\":true}", 400,
	       "smt");
	expect("PUT", "/machine-config",
	       "{\"vcpu_count\":1,\"mem_size_mib\":64,\"cpu_template\":\"T2\"}", 400,
	       "cpu_template 'T2'");
	expect("PUT", "/machine-config", "{\"vcpu_count\":1,\"mem_size_mib\":64,\"tee\":\"sgx\"}",
	       400, "tee 'sgx'");
	expect("PUT", "/machine-config",
	       "{\"vcpu_count\":1,\"mem_size_mib\":64,\"tdx\":{\"mrconfigid\":\"00\"}}", 400,
	       "machine-config.tdx.mrconfigid: expected 48 bytes");
	expect("PUT", "/machine-config",
	       "{\"vcpu_count\":1,\"mem_size_mib\":64,\"tdx\":{\"mrtd\":\"00\"}}", 400,
	       "machine-config.tdx: unknown field 'mrtd'");
	expect("PUT", "/machine-config",
	       "{\"vcpu_count\":1,\"mem_size_mib\":64,\"snp\":{\"host_data\":\"00\"}}", 400,
	       "machine-config.snp.host_data: expected 32 bytes");
	expect("PUT", "/machine-config",
	       "{\"vcpu_count\":1,\"mem_size_mib\":64,\"snp\":{\"vcpu_sig\":4294967296}}", 400,
	       "machine-config.snp.vcpu_sig: a 32-bit");
	expect("PUT", "/machine-config",
	       "{\"vcpu_count\":1,\"mem_size_mib\":64,\"snp\":{\"vmpl\":0}}", 400,
	       "machine-config.snp: unknown field 'vmpl'");
	expect("PUT", "/machine-config",
	       "{\"vcpu_count\":1,\"mem_size_mib\":64,\"snp\":{\"policy\":\"x\"}}", 400,
	       "'policy' must be");
	expect("PATCH", "/machine-config", "{}", 400, "empty update");
	/* Nothing of the refused bodies stuck. */
	expect("GET", "/machine-config", NULL, 200, "\"vcpu_count\":1,\"mem_size_mib\":256");
	expect("PATCH", "/machine-config", "{\"tee\":\"emulated\"}", 204, NULL);
	expect("GET", "/machine-config", NULL, 200, "\"tee\":\"emulated\"");
	/* TDX inputs land in the config (the launch takes them); a PUT clears what it omits. */
	expect("PATCH", "/machine-config", "{\"tee\":\"tdx\",\"tdx\":{\"mrowner\":\""
	       "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a"
	       "2b2c2d2e2f\",\"quote_service\":\"vsock:2:4050\"}}", 204, NULL);
	assert_true(a.cfg.tdx.mr_set);
	assert_int_equal(a.cfg.tdx.mrowner[47], 0x2f);
	assert_string_equal(a.cfg.tdx.quote_service, "vsock:2:4050");
	expect("PUT", "/machine-config", "{\"vcpu_count\":2,\"mem_size_mib\":128,"
	       "\"ht_enabled\":false}", 204, NULL);
	assert_false(a.cfg.tdx.mr_set);
	assert_null(a.cfg.tdx.quote_service);
	expect("GET", "/machine-config", NULL, 200, "\"vcpu_count\":2,\"mem_size_mib\":128");
	assert_int_equal(a.cfg.tee, TEE_NONE); /* a PUT replaces the whole */
	/* SNP inputs as --snp-policy, --host-data ... give them; a PUT restores the defaults. */
	expect("PATCH", "/machine-config", "{\"tee\":\"snp\",\"snp\":{\"policy\":196608,"
	       "\"vcpu_sig\":8392466,\"guest_features\":1,\"id_block\":\"/x/id\","
	       "\"id_auth\":\"/x/auth\",\"host_data\":\"000102030405060708090a0b0c0d0e0f"
	       "101112131415161718191a1b1c1d1e1f\"}}", 204, NULL);
	assert_int_equal(a.cfg.tee, TEE_SNP);
	assert_true(a.cfg.snp.policy_set && a.cfg.snp.policy == 0x30000);
	assert_true(a.cfg.snp.vcpu_sig_set && a.cfg.snp.vcpu_sig == 0x800f12);
	assert_true(a.cfg.snp.host_data_set && a.cfg.snp.host_data[31] == 0x1f);
	assert_string_equal(a.cfg.snp.id_block, "/x/id");
	assert_string_equal(a.cfg.snp.id_auth, "/x/auth");
	expect("PUT", "/machine-config", "{\"vcpu_count\":2,\"mem_size_mib\":128}", 204, NULL);
	assert_false(a.cfg.snp.policy_set || a.cfg.snp.vcpu_sig_set || a.cfg.snp.host_data_set);
	assert_null(a.cfg.snp.id_block);
	assert_int_equal(a.cfg.snp.guest_features, 1);

	/* boot-source */
	expect("PUT", "/boot-source", "{\"boot_args\":\"x\"}", 400,
	       "missing required field 'kernel_image_path'");
	expect("PUT", "/boot-source", "{\"kernel_image_path\":\"/nonexistent\"}", 400,
	       "/nonexistent: No such file");
	expect("PUT", "/boot-source", "{\"kernel_image_path\":7}", 400,
	       "'kernel_image_path' must be a string");

	/* drives */
	expect("PUT", "/drives/rootfs", "{\"drive_id\":\"other\",\"path_on_host\":\"/x\","
	       "\"is_root_device\":false}", 400, "does not match the path's 'rootfs'");
	expect("PUT", "/drives/rootfs", "{\"drive_id\":\"rootfs\",\"is_root_device\":false}", 400,
	       "missing required field 'path_on_host'");
	expect("PUT", "/drives/rootfs", "{\"drive_id\":\"rootfs\",\"path_on_host\":\"/x\"}", 400,
	       "missing required field 'is_root_device'");
	expect("PUT", "/drives/a23456789012345678901", "{\"drive_id\":\"a23456789012345678901\","
	       "\"path_on_host\":\"/x\",\"is_root_device\":false}", 400, "1 to 20 characters");
	expect("PUT", "/drives/r", "{\"drive_id\":\"r\",\"path_on_host\":\"/x\","
	       "\"is_root_device\":false,\"rate_limiter\":{\"bandwidth\":{\"size\":1}}}", 400,
	       "missing required field 'refill_time'");
	expect("PUT", "/drives/r", "{\"drive_id\":\"r\",\"path_on_host\":\"/x\","
	       "\"is_root_device\":false,\"io_engine\":\"Turbo\"}", 400, "io_engine 'Turbo'");
	expect("PUT", "/drives/r", "{\"drive_id\":\"r\",\"path_on_host\":\"/x\","
	       "\"is_root_device\":false,\"socket\":\"/s\"}", 400, "vhost-user");

	/* network interfaces: checked, then handed to the config (the tap is opened at start) */
	expect("PUT", "/network-interfaces/eth0", "{\"iface_id\":\"eth0\",\"host_dev_name\":"
	       "\"tap0\",\"guest_mac\":\"zz:00:00:00:00:00\"}", 400, "not a MAC address");
	expect("PUT", "/network-interfaces/eth0", "{\"iface_id\":\"eth0\",\"host_dev_name\":"
	       "\"a-name-that-is-too-long\"}", 400, "not a network interface name");
	expect("PUT", "/network-interfaces/eth0", "{\"iface_id\":\"eth0\",\"host_dev_name\":"
	       "\"tap0\",\"allow_mmds_requests\":true}", 400, "no MMDS");
	expect("PUT", "/network-interfaces/eth0", "{\"iface_id\":\"eth0\",\"host_dev_name\":"
	       "\"tap0\",\"guest_mac\":\"02:00:00:00:00:01\",\"rx_rate_limiter\":{\"bandwidth\":"
	       "null,\"ops\":null},\"tx_rate_limiter\":{}}", 204, NULL);
	/* A second PUT for the same interface replaces it, in place. */
	expect("PUT", "/network-interfaces/eth1", "{\"iface_id\":\"eth1\",\"host_dev_name\":"
	       "\"tap1\"}", 204, NULL);
	expect("PUT", "/network-interfaces/eth0", "{\"iface_id\":\"eth0\",\"host_dev_name\":"
	       "\"tap9\",\"guest_mac\":\"02:00:00:00:00:0A\",\"tx_rate_limiter\":{\"ops\":"
	       "{\"size\":1000,\"one_time_burst\":100,\"refill_time\":1000}}}", 204, NULL);
	assert_int_equal(a.cfg.nr_nets, 2);
	assert_string_equal(a.cfg.nets[0].id, "eth0");
	assert_string_equal(a.cfg.nets[0].tap, "tap9");
	assert_string_equal(a.cfg.nets[0].mac, "02:00:00:00:00:0a");
	assert_int_equal(a.cfg.nets[0].mtu, NET_MTU_DEFAULT);
	assert_int_equal(a.cfg.nets[0].tx_rate.ops.size, 1000);
	assert_int_equal(a.cfg.nets[0].tx_rate.ops.one_time_burst, 100);
	assert_int_equal(a.cfg.nets[0].tx_rate.ops.refill_time_ms, 1000);
	assert_int_equal(a.cfg.nets[0].rx_rate.bandwidth.size, 0);
	assert_string_equal(a.cfg.nets[1].tap, "tap1");
	assert_null(a.cfg.nets[1].mac);
	expect("PATCH", "/network-interfaces/eth0", "{\"iface_id\":\"eth0\"}", 400,
	       "not started");

	/* vsock, logger, metrics, entropy, actions, vm */
	expect("PUT", "/vsock", "{\"guest_cid\":2,\"uds_path\":\"/x\"}", 400, "guest_cid 2");
	expect("PUT", "/vsock", "{\"guest_cid\":3}", 400, "missing required field 'uds_path'");
	expect("PUT", "/logger", "{\"log_path\":\"/x\",\"level\":\"Loud\"}", 400, "level 'Loud'");
	expect("PUT", "/metrics", "{}", 400, "missing required field 'metrics_path'");
	expect("PUT", "/entropy", "{\"rate_limiter\":{\"ops\":{\"size\":5,\"refill_time\":1}}}",
	       400, "the entropy device has no rate limiter");
	expect("PUT", "/actions", "{\"action_type\":\"Reboot\"}", 400, "action_type 'Reboot'");
	expect("PUT", "/actions", "{\"action_type\":\"InstanceStart\"}", 400, "no boot source");
	expect("PUT", "/actions", "{\"action_type\":\"FlushMetrics\"}", 400,
	       "no metrics output");
	expect("PUT", "/actions", "{\"action_type\":\"SendCtrlAltDel\"}", 400, "not started");
	expect("PATCH", "/vm", "{\"state\":\"Paused\"}", 400, "not started");
	expect("PATCH", "/vm", "{\"state\":\"Frozen\"}", 400, "state 'Frozen'");
	expect("PATCH", "/drives/rootfs", "{\"drive_id\":\"rootfs\",\"path_on_host\":\"/x\"}",
	       400, "before InstanceStart, use PUT");
	expect("GET", "/", NULL, 200, "\"state\":\"Not started\",\"started\":false");
	/* Every refusal was counted. */
	assert_true(a.fails[API_CNT_MACHINE_CFG_PUT] >= 15);
	assert_int_equal(a.counts[API_CNT_INSTANCE_INFO], 1);
}

/* Kata's Go fc driver's requests (its config file, then PATCH /drives), on the recording KVM. */
static void test_lifecycle(void **state)
{
	char body[1024];
	struct blk_dev *blk;
	struct vm *vm;

	snprintf(body, sizeof(body), "{\"kernel_image_path\":\"%s\",\"boot_args\":\"console=ttyS0 "
		 "pci=off acpi=off\"}", kernel);
	expect("PUT", "/boot-source", body, 204, NULL);
	expect("PUT", "/machine-config", "{\"vcpu_count\":2,\"mem_size_mib\":64,"
	       "\"ht_enabled\":false}", 204, NULL);
	snprintf(body, sizeof(body), "{\"drive_id\":\"rootfs\",\"path_on_host\":\"%s\","
		 "\"is_root_device\":false,\"is_read_only\":true}", disk0);
	expect("PUT", "/drives/rootfs", body, 204, NULL);
	snprintf(body, sizeof(body), "{\"drive_id\":\"drive_0\",\"path_on_host\":\"%s\","
		 "\"is_root_device\":false,\"is_read_only\":false,\"rate_limiter\":{\"ops\":"
		 "{\"size\":100,\"refill_time\":1000}}}", disk1);
	expect("PUT", "/drives/drive_0", body, 204, NULL);
	assert_int_equal(a.cfg.drives[1].rate.ops.size, 100);
	assert_int_equal(a.cfg.drives[1].rate.ops.refill_time_ms, 1000);
	snprintf(body, sizeof(body), "{\"guest_cid\":3,\"uds_path\":\"%s\",\"vsock_id\":\"root\"}",
		 sock);
	expect("PUT", "/vsock", body, 204, NULL);
	expect("PUT", "/entropy", "{}", 204, NULL);
	snprintf(body, sizeof(body), "{\"metrics_path\":\"%s\"}", metrics);
	expect("PUT", "/metrics", body, 204, NULL);

	rec_reset();
	rec_set_result("kvm_check_extension", 1);
	rec_run_blocks(true);
	expect("PUT", "/actions", "{\"action_type\":\"InstanceStart\"}", 204, NULL);
	vm = a.vm;
	assert_non_null(vm);
	expect("GET", "/", NULL, 200, "\"state\":\"Running\",\"started\":true");
	expect("PUT", "/actions", "{\"action_type\":\"InstanceStart\"}", 400, "already started");
	/* Pre-boot resources are closed now. */
	expect("PUT", "/machine-config", "{\"vcpu_count\":1,\"mem_size_mib\":64}", 400,
	       "pre-boot resource");
	expect("PUT", "/drives/x", "{\"drive_id\":\"x\",\"path_on_host\":\"/x\","
	       "\"is_root_device\":false}", 400, "pre-boot resource");
	expect("PUT", "/vsock", "{\"guest_cid\":3,\"uds_path\":\"/x\"}", 400, "pre-boot resource");
	expect("PUT", "/entropy", "{}", 400, "pre-boot resource");

	expect("PATCH", "/vm", "{\"state\":\"Paused\"}", 204, NULL);
	expect("GET", "/", NULL, 200, "\"state\":\"Paused\"");
	expect("PATCH", "/vm", "{\"state\":\"Paused\"}", 400, "not running");
	expect("PATCH", "/vm", "{\"state\":\"Resumed\"}", 204, NULL);
	expect("GET", "/", NULL, 200, "\"state\":\"Running\"");

	/* The placeholder drive gets a 1 MiB disk: capacity 2048 sectors, a config interrupt. */
	blk = dm_find_model(&vm->dm, &virtio_blk_device, 1);
	assert_non_null(blk);
	assert_int_equal(blk_dev_capacity(blk), 0);
	snprintf(body, sizeof(body), "{\"drive_id\":\"drive_0\",\"path_on_host\":\"%s\"}", bigdisk);
	expect("PATCH", "/drives/drive_0", body, 204, NULL);
	assert_int_equal(blk_dev_capacity(blk), 2048);
	expect("PATCH", "/drives/drive_0", "{\"drive_id\":\"drive_0\",\"path_on_host\":"
	       "\"/nonexistent\"}", 400, "No such file");
	assert_int_equal(blk_dev_capacity(blk), 2048);
	expect("PATCH", "/drives/nope", "{\"drive_id\":\"nope\",\"path_on_host\":\"/x\"}", 400,
	       "no drive 'nope'");
	/* runtime-rs sends an empty limiter with each PATCH */
	snprintf(body, sizeof(body), "{\"drive_id\":\"drive_0\",\"path_on_host\":\"%s\","
		 "\"rate_limiter\":{\"bandwidth\":null,\"ops\":null}}", disk1);
	expect("PATCH", "/drives/drive_0", body, 204, NULL);
	assert_int_equal(blk_dev_capacity(blk), 0);
	/* A running drive's limit cannot change: refused, not ignored. */
	snprintf(body, sizeof(body), "{\"drive_id\":\"drive_0\",\"path_on_host\":\"%s\","
		 "\"rate_limiter\":{\"ops\":{\"size\":5,\"refill_time\":1}}}", disk1);
	expect("PATCH", "/drives/drive_0", body, 400,
	       "a running drive's rate limit cannot be changed");
	expect("GET", "/vm/config", NULL, 200, "\"drive_id\":\"drive_0\"");

	expect("PUT", "/actions", "{\"action_type\":\"SendCtrlAltDel\"}", 204, NULL);
	expect("PUT", "/actions", "{\"action_type\":\"FlushMetrics\"}", 204, NULL);
	{
		static char line[65536];
		FILE *f = fopen(metrics, "r");

		assert_non_null(f);
		assert_non_null(fgets(line, sizeof(line), f));
		fclose(f);
		assert_non_null(strstr(line, "\"utc_timestamp_ms\":"));
		assert_non_null(strstr(line, "\"put_api_requests\":"));
		assert_non_null(strstr(line, "\"drive_count\":3,\"drive_fails\":1"));
		assert_non_null(strstr(line, "\"cvmm\":"));
		assert_non_null(strstr(line, "virtio-rng"));
		/* Device models' own counters, and Firecracker's net group (no interface here). */
		assert_non_null(strstr(line, "\"bytes_read\":"));
		assert_non_null(strstr(line, "\"net\":{\"rx_bytes_count\":0,"));
		assert_non_null(strchr(line, '\n'));
	}
	vm_stop(vm, VM_EXIT_OK, NULL);
}

/* --config-file: the same JSON, each section as its PUT. */
static void test_config_file(void **state)
{
	struct error e = ERROR_INIT;
	char doc[2048];

	snprintf(doc, sizeof(doc),
		 "{\"boot-source\":{\"kernel_image_path\":\"%s\",\"boot_args\":\"quiet\"},"
		 "\"machine-config\":{\"vcpu_count\":1,\"mem_size_mib\":64,\"ht_enabled\":false},"
		 "\"drives\":[{\"drive_id\":\"rootfs\",\"path_on_host\":\"%s\","
		 "\"is_root_device\":true,\"is_read_only\":true}],"
		 "\"vsock\":{\"guest_cid\":3,\"uds_path\":\"%s\",\"vsock_id\":\"root\"},"
		 "\"metrics\":{\"metrics_path\":\"%s\"}}", kernel, disk0, sock, metrics);
	assert_int_equal(api_fc_load_config(&a, doc, strlen(doc), &e), 0);
	assert_int_equal(a.cfg.nr_drives, 1);
	assert_true(a.root_set);
	assert_string_equal(a.cfg.cmdline, "quiet");
	assert_int_equal(a.cfg.vsock.guest_cid, 3);

	error_clear(&e);
	assert_int_equal(api_fc_load_config(&a, "{\"balloon\":{}}", 14, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "unknown section 'balloon'"));
	error_clear(&e);
	assert_int_equal(api_fc_load_config(&a, "{\"drives\":{}}", 13, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "drives: expected a JSON array"));
	error_clear(&e);
	assert_int_equal(api_fc_load_config(&a, "{\"drives\":[{\"drive_id\":1}]}", 27, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "'drive_id' must be a string"));
}

/* The root device is /dev/vda and its root= goes on the command line at InstanceStart. */
static void test_root_device(void **state)
{
	char body[512];

	snprintf(body, sizeof(body), "{\"drive_id\":\"data\",\"path_on_host\":\"%s\","
		 "\"is_root_device\":false}", disk1);
	expect("PUT", "/drives/data", body, 204, NULL);
	snprintf(body, sizeof(body), "{\"drive_id\":\"root\",\"path_on_host\":\"%s\","
		 "\"is_root_device\":true,\"is_read_only\":true}", disk0);
	expect("PUT", "/drives/root", body, 204, NULL);
	assert_string_equal(a.cfg.drives[0].id, "root");
	snprintf(body, sizeof(body), "{\"drive_id\":\"data\",\"path_on_host\":\"%s\","
		 "\"is_root_device\":true}", disk1);
	expect("PUT", "/drives/data", body, 400, "only one root device");
	snprintf(body, sizeof(body), "{\"kernel_image_path\":\"%s\",\"boot_args\":\"quiet\"}",
		 kernel);
	expect("PUT", "/boot-source", body, 204, NULL);
	expect("PUT", "/machine-config", "{\"vcpu_count\":1,\"mem_size_mib\":64}", 204, NULL);
	rec_reset();
	rec_set_result("kvm_check_extension", 1);
	rec_run_blocks(true);
	expect("PUT", "/actions", "{\"action_type\":\"InstanceStart\"}", 204, NULL);
	assert_non_null(strstr(a.vm->launch.cmdline, "quiet root=/dev/vda ro"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hostile_bodies, fresh, release),
		cmocka_unit_test_setup_teardown(test_lifecycle, fresh, release),
		cmocka_unit_test_setup_teardown(test_config_file, fresh, release),
		cmocka_unit_test_setup_teardown(test_root_device, fresh, release),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
