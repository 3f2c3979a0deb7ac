// SPDX-License-Identifier: MIT
/*
 * config_validate(): every rule, each with one config that breaks it and the class and words of
 * the error it gets; the resource allocator behind the device limit; error classes and the exit
 * and HTTP statuses that follow from them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>
#include <net/if.h>
#include <linux/if_tun.h>

#include "vmm/config.h"
#include "vmm/error.h"
#include "vmm/exit_status.h"
#include "vmm/layout.h"
#include "vmm/resources.h"
#include "tests/unit/input_files.h"
#include "tests/unit/tap_env.h"

static char dir[64];
static char kernel[96], initrd[96], disk[96], disk2[96], odd_disk[96], firmware[96];

static int setup_files(void **state)
{
	uint8_t sectors[4096] = { 0 };

	snprintf(dir, sizeof(dir), "/tmp/cvmm-config-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(kernel, sizeof(kernel), "%s/kernel", dir);
	snprintf(initrd, sizeof(initrd), "%s/initrd", dir);
	snprintf(disk, sizeof(disk), "%s/disk", dir);
	snprintf(disk2, sizeof(disk2), "%s/disk2", dir);
	snprintf(odd_disk, sizeof(odd_disk), "%s/odd", dir);
	snprintf(firmware, sizeof(firmware), "%s/fw", dir);
	input_write_pvh_kernel(kernel);
	input_write_file(initrd, "initrd", 6);
	input_write_file(disk, sectors, sizeof(sectors));
	input_write_file(disk2, sectors, sizeof(sectors));
	input_write_file(odd_disk, sectors, 1000);
	input_write_file(firmware, sectors, sizeof(sectors)); /* no footer table */
	return 0;
}

static int teardown_files(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* A config that passes: the kernel above, one drive, a vsock in dir. */
static void good(struct vm_config *cfg)
{
	struct drive_config d = { .path = disk, .poll_us = DRIVE_POLL_US_DEFAULT };
	char uds[128];

	config_init(cfg);
	assert_int_equal(config_set_string(&cfg->kernel, kernel, "--kernel", NULL), 0);
	assert_int_equal(config_add_drive(cfg, &d, NULL), 0);
	snprintf(uds, sizeof(uds), "%s/v.sock", dir);
	cfg->vsock.enabled = true;
	cfg->vsock.guest_cid = 3;
	assert_int_equal(config_set_string(&cfg->vsock.uds_path, uds, "uds", NULL), 0);
}

static void expect(struct vm_config *cfg, enum config_check check, enum error_class cls,
		   const char *needle)
{
	struct error e = ERROR_INIT;

	assert_true(config_validate(cfg, check, &e) < 0);
	if (e.cls != cls || !strstr(e.msg, needle))
		fail_msg("got %s error '%s', want %s error mentioning '%s'",
			 error_class_name(e.cls), e.msg, error_class_name(cls), needle);
	assert_null(strchr(e.msg, '\n'));
	config_free(cfg);
}

#define USAGE_ERR(cfg, needle) expect(cfg, CONFIG_CHECK_ALL, ERROR_USAGE, needle)
#define INPUT_ERR(cfg, needle) expect(cfg, CONFIG_CHECK_ALL, ERROR_INPUT, needle)

static void test_good_config(void **state)
{
	struct vm_config cfg;
	struct error e = ERROR_INIT;

	good(&cfg);
	assert_int_equal(config_validate(&cfg, CONFIG_CHECK_ALL, &e), 0);
	assert_false(error_is_set(&e));
	config_free(&cfg);
}

static void test_machine_rules(void **state)
{
	struct vm_config cfg;

	good(&cfg);
	cfg.vcpus = 0;
	USAGE_ERR(&cfg, "between 1 and 254");
	good(&cfg);
	cfg.vcpus = CONFIG_MAX_VCPUS + 1;
	USAGE_ERR(&cfg, "255 vCPUs");
	good(&cfg);
	cfg.mem_mib = CONFIG_MIN_MEM_MIB - 1;
	USAGE_ERR(&cfg, "too little memory");
	good(&cfg);
	cfg.mem_mib = CONFIG_MAX_MEM_MIB + 1ULL;
	USAGE_ERR(&cfg, "more than the supported");
	good(&cfg);
	cfg.tee = TEE_TDX;
	config_set_string(&cfg.firmware, firmware, "--firmware", NULL);
	cfg.irqchip = IRQCHIP_KERNEL;
	cfg.irqchip_set = true;
	USAGE_ERR(&cfg, "--tee tdx needs --irqchip split");
	good(&cfg);
	cfg.serial = SERIAL_FILE;
	USAGE_ERR(&cfg, "--serial file: needs a path");
}

static void test_payload_rules(void **state)
{
	struct vm_config cfg;

	good(&cfg);
	free(cfg.kernel);
	cfg.kernel = NULL;
	USAGE_ERR(&cfg, "--kernel PATH is required");
	good(&cfg);
	config_set_string(&cfg.kernel, "", "--kernel", NULL);
	USAGE_ERR(&cfg, "--kernel: empty path");
	good(&cfg);
	cfg.tee = TEE_SNP;
	USAGE_ERR(&cfg, "--tee snp needs --firmware");
	good(&cfg);
	config_set_string(&cfg.firmware, firmware, "--firmware", NULL);
	USAGE_ERR(&cfg, "--firmware applies to --tee tdx and --tee snp only");
	good(&cfg);
	cfg.tee = TEE_SNP;
	config_set_string(&cfg.firmware, firmware, "--firmware", NULL);
	free(cfg.kernel);
	cfg.kernel = NULL;
	config_set_string(&cfg.initrd, initrd, "--initrd", NULL);
	USAGE_ERR(&cfg, "--initrd and --cmdline need --kernel");
	good(&cfg);
	cfg.cmdline = calloc(1, CONFIG_CMDLINE_MAX + 2);
	memset(cfg.cmdline, 'x', CONFIG_CMDLINE_MAX + 1);
	USAGE_ERR(&cfg, "--cmdline is 4096 bytes");
	good(&cfg);
	cfg.snp.vcpu_sig_set = true;
	USAGE_ERR(&cfg, "apply to --tee snp only");
}

static void test_payload_files(void **state)
{
	struct vm_config cfg;
	char missing[128];

	snprintf(missing, sizeof(missing), "%s/missing", dir);
	good(&cfg);
	config_set_string(&cfg.kernel, missing, "--kernel", NULL);
	INPUT_ERR(&cfg, "No such file");
	good(&cfg);
	config_set_string(&cfg.kernel, disk, "--kernel", NULL);
	INPUT_ERR(&cfg, "not a kernel image");
	good(&cfg);
	config_set_string(&cfg.initrd, missing, "--initrd", NULL);
	INPUT_ERR(&cfg, "initrd");
	good(&cfg);
	cfg.mem_mib = CONFIG_MIN_MEM_MIB;
	/* A kernel whose segment ends past the RAM: the same loader checks as at boot. */
	config_set_string(&cfg.kernel, dir, "--kernel", NULL);
	INPUT_ERR(&cfg, "not a regular file");
	good(&cfg);
	cfg.tee = TEE_SNP;
	config_set_string(&cfg.firmware, firmware, "--firmware", NULL);
	INPUT_ERR(&cfg, "footer table");
	good(&cfg);
	cfg.tee = TEE_TDX;
	config_set_string(&cfg.firmware, missing, "--firmware", NULL);
	INPUT_ERR(&cfg, "firmware");
}

static void test_device_rules(void **state)
{
	struct vm_config cfg;
	struct drive_config d = { .path = disk2 };
	char path[160];

	good(&cfg);
	cfg.drives[0].poll_us = DRIVE_POLL_US_MAX + 1;
	USAGE_ERR(&cfg, "poll_us=1001: expected 0 to 1000");
	good(&cfg);
	config_set_string(&cfg.drives[0].id, "a", "id", NULL);
	d.id = (char *)"a";
	config_add_drive(&cfg, &d, NULL);
	USAGE_ERR(&cfg, "id a is used twice");
	good(&cfg);
	d.id = NULL;
	d.path = disk;
	config_add_drive(&cfg, &d, NULL);
	USAGE_ERR(&cfg, "the same file as drive 1");
	good(&cfg);
	config_set_string(&cfg.drives[0].path, dir, "path", NULL);
	INPUT_ERR(&cfg, "not a regular file or block device");
	good(&cfg);
	snprintf(path, sizeof(path), "%s/none", dir);
	config_set_string(&cfg.drives[0].path, path, "path", NULL);
	INPUT_ERR(&cfg, "No such file");
	good(&cfg);
	config_set_string(&cfg.drives[0].path, odd_disk, "path", NULL);
	INPUT_ERR(&cfg, "size 1000 is not a multiple of 512");
	good(&cfg);
	chmod(disk2, 0444);
	config_set_string(&cfg.drives[0].path, disk2, "path", NULL);
	if (getuid() != 0) /* root opens read-only files read-write anyway */
		INPUT_ERR(&cfg, "Permission denied");
	else
		config_free(&cfg);
	chmod(disk2, 0644);
	good(&cfg);
	cfg.vsock.guest_cid = 2;
	USAGE_ERR(&cfg, "cid=2");
	good(&cfg);
	snprintf(path, sizeof(path), "%s/no/such/dir/v.sock", dir);
	config_set_string(&cfg.vsock.uds_path, path, "uds", NULL);
	INPUT_ERR(&cfg, "directory");
	good(&cfg);
	memset(path, 'v', 120);
	path[0] = '/';
	path[120] = 0;
	config_set_string(&cfg.vsock.uds_path, path, "uds", NULL);
	USAGE_ERR(&cfg, "longer than a Unix socket path");
	good(&cfg);
	config_set_string(&cfg.vsock.uds_path, disk2, "uds", NULL);
	INPUT_ERR(&cfg, "exists and is not a socket");
	good(&cfg);
	cfg.serial = SERIAL_FILE;
	snprintf(path, sizeof(path), "%s/no/such/dir/log", dir);
	config_set_string(&cfg.serial_path, path, "serial", NULL);
	INPUT_ERR(&cfg, "--serial file:");
}

/* good() plus one --net on tap t0 (nothing opened: the rules below need no tap). */
static void good_net(struct vm_config *cfg, struct net_config *n)
{
	good(cfg);
	config_net_init(n);
	n->tap = "t0";
}

static void add_net(struct vm_config *cfg, const struct net_config *n)
{
	assert_int_equal(config_add_net(cfg, n, NULL), 0);
}

#define NET_USAGE_ERR(cfg, needle) expect(cfg, CONFIG_CHECK_MEASURE, ERROR_USAGE, needle)

/* --net values: one config per rule (the measure check: no tap needs to exist). */
static void test_net_rules(void **state)
{
	struct vm_config cfg;
	struct net_config n, m;
	struct error e = ERROR_INIT;

	good_net(&cfg, &n);
	n.mac = "52:54:00:12:34:56";
	n.mtu = NET_MTU_MAX;
	n.id = "0123456789abcdef0123456789abcdef";
	n.rx_rate.bandwidth = (struct rl_bucket_config){ RL_MAX_TOKENS, RL_MAX_TOKENS,
							 RL_MAX_REFILL_MS };
	add_net(&cfg, &n);
	config_net_init(&m);
	m.fd = 3;
	m.mtu = NET_MTU_MIN;
	add_net(&cfg, &m);
	assert_int_equal(config_virtio_devices(&cfg), 4);
	assert_int_equal(config_validate(&cfg, CONFIG_CHECK_MEASURE, &e), 0);
	config_free(&cfg);

	good_net(&cfg, &n);
	n.tap = NULL;
	add_net(&cfg, &n);
	NET_USAGE_ERR(&cfg, "--net 1: exactly one of tap=NAME or fd=N is required");
	good_net(&cfg, &n);
	n.fd = 5;
	add_net(&cfg, &n);
	NET_USAGE_ERR(&cfg, "exactly one of tap=NAME or fd=N");
	good_net(&cfg, &n);
	n.tap = "a/b";
	add_net(&cfg, &n);
	NET_USAGE_ERR(&cfg, "--net tap=a/b: not an interface name");
	good_net(&cfg, &n);
	n.tap = NULL;
	n.fd = 2;
	add_net(&cfg, &n);
	NET_USAGE_ERR(&cfg, "--net fd=2: standard input, output or error");
	good_net(&cfg, &n);
	n.mac = "52-54-00-12-34-56";
	add_net(&cfg, &n);
	NET_USAGE_ERR(&cfg, "expected xx:xx:xx:xx:xx:xx");
	good_net(&cfg, &n);
	n.mac = "01:00:5e:00:00:01";
	add_net(&cfg, &n);
	NET_USAGE_ERR(&cfg, "is a multicast address");
	good_net(&cfg, &n);
	n.mac = "00:00:00:00:00:00";
	add_net(&cfg, &n);
	NET_USAGE_ERR(&cfg, "is all zeroes");
	good_net(&cfg, &n);
	n.mtu = NET_MTU_MIN - 1;
	add_net(&cfg, &n);
	NET_USAGE_ERR(&cfg, "mtu=67: expected 68 to 65535");
	good_net(&cfg, &n);
	n.id = "0123456789abcdef0123456789abcdefX";
	add_net(&cfg, &n);
	NET_USAGE_ERR(&cfg, "id must be 1 to 32 characters");
	good_net(&cfg, &n);
	n.rx_rate.ops = (struct rl_bucket_config){ RL_MAX_TOKENS + 1, 0, 1000 };
	add_net(&cfg, &n);
	NET_USAGE_ERR(&cfg, "--net tap=t0: rx_rate: ops: size and burst are at most 2^60");
	good_net(&cfg, &n);
	n.tx_rate.bandwidth = (struct rl_bucket_config){ 1000, 0, RL_MAX_REFILL_MS + 1 };
	add_net(&cfg, &n);
	NET_USAGE_ERR(&cfg, "tx_rate: bw: refill time 86400001 ms: expected 1 to 86400000");
	good_net(&cfg, &n);
	n.tx_rate.bandwidth = (struct rl_bucket_config){ 0, 100, 0 };
	add_net(&cfg, &n);
	NET_USAGE_ERR(&cfg, "tx_rate: bw: a refill time or burst needs a size");

	/* Two devices on one tap, fd, id or MAC address. */
	good_net(&cfg, &n);
	add_net(&cfg, &n);
	add_net(&cfg, &n);
	NET_USAGE_ERR(&cfg, "the tap is used twice");
	good_net(&cfg, &n);
	n.tap = NULL;
	n.fd = 7;
	add_net(&cfg, &n);
	add_net(&cfg, &n);
	NET_USAGE_ERR(&cfg, "--net fd=7: the fd is used twice");
	good_net(&cfg, &n);
	n.id = "eth";
	add_net(&cfg, &n);
	n.tap = "t1";
	add_net(&cfg, &n);
	NET_USAGE_ERR(&cfg, "id eth is used twice");
	good_net(&cfg, &n);
	n.mac = "52:54:00:12:34:56";
	add_net(&cfg, &n);
	n.tap = "t1";
	n.mac = "52:54:00:12:34:56";
	add_net(&cfg, &n);
	NET_USAGE_ERR(&cfg, "mac 52:54:00:12:34:56 is used twice");

	/* --drive rate= goes through the same bucket rules. */
	good(&cfg);
	cfg.drives[0].rate.bandwidth = (struct rl_bucket_config){ 4096, 0, 0 };
	USAGE_ERR(&cfg, "rate: bw: refill time 0 ms: expected 1 to 86400000");
}

/* fd=N must be a tap queue: checked with TUNGETIFF, leaving no fd open and the fd unchanged. */
static unsigned open_fds(void)
{
	struct dirent *d;
	unsigned n = 0;
	DIR *fds = opendir("/proc/self/fd");

	assert_non_null(fds);
	while ((d = readdir(fds)))
		n++;
	closedir(fds);
	return n;
}

static void test_net_fd_check(void **state)
{
	struct vm_config cfg;
	struct net_config n;
	struct error e = ERROR_INIT;
	char why[160];
	int p[2];

	assert_int_equal(pipe(p), 0);
	good_net(&cfg, &n);
	n.tap = NULL;
	n.fd = p[0];
	add_net(&cfg, &n);
	/* Not checked by `cvmm measure`: a verifier has no taps. */
	assert_int_equal(config_validate(&cfg, CONFIG_CHECK_MEASURE, &e), 0);
	INPUT_ERR(&cfg, "is not a tap queue");
	close(p[0]);
	close(p[1]);
	good_net(&cfg, &n);
	n.tap = NULL;
	n.fd = p[0];
	add_net(&cfg, &n);
	INPUT_ERR(&cfg, "is not open");
	if (tap_env_enter(why, sizeof(why))) {
		int fd = tap_env_open_queue("cvmmcfg0", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
		unsigned fds;

		assert_true(fd >= 0);
		good_net(&cfg, &n);
		n.tap = NULL;
		n.fd = fd;
		add_net(&cfg, &n);
		fds = open_fds();
		assert_int_equal(config_validate(&cfg, CONFIG_CHECK_ALL, &e), 0);
		assert_int_equal(open_fds(), fds);
		assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK); /* left as it was */
		config_free(&cfg);
		close(fd);
		/* A tap without the vnet header cvmm needs. */
		fd = tap_env_open_queue("cvmmcfg1", IFF_TAP | IFF_NO_PI);
		good_net(&cfg, &n);
		n.tap = NULL;
		n.fd = fd;
		add_net(&cfg, &n);
		INPUT_ERR(&cfg, "IFF_VNET_HDR");
		close(fd);
	} else {
		print_message("real tap part skipped: %s\n", why);
	}
}

/* The measure check skips device files (a verifier has no pod disks) but not the payload. */
static void test_measure_check(void **state)
{
	struct vm_config cfg;
	char path[128];
	struct error e = ERROR_INIT;

	good(&cfg);
	snprintf(path, sizeof(path), "%s/none", dir);
	config_set_string(&cfg.drives[0].path, path, "path", NULL);
	assert_int_equal(config_validate(&cfg, CONFIG_CHECK_MEASURE, &e), 0);
	config_set_string(&cfg.kernel, path, "--kernel", NULL);
	expect(&cfg, CONFIG_CHECK_MEASURE, ERROR_INPUT, "No such file");
}

/* Exactly as many virtio devices as the allocator has pins for pass; one more does not. */
static void test_device_limit(void **state)
{
	struct vm_config cfg;
	struct error e = ERROR_INIT;
	char path[128];

	good(&cfg);
	for (unsigned i = 1; i + 1 < RESOURCES_MAX_VIRTIO; i++) {
		struct drive_config d = { .path = path };

		snprintf(path, sizeof(path), "%s/d%u", dir, i);
		input_write_file(path, "", 0);
		assert_int_equal(config_add_drive(&cfg, &d, NULL), 0);
	}
	assert_int_equal(config_virtio_devices(&cfg), RESOURCES_MAX_VIRTIO);
	assert_int_equal(config_max_virtio_devices(), RESOURCES_MAX_VIRTIO);
	assert_int_equal(config_validate(&cfg, CONFIG_CHECK_ALL, &e), 0);
	{
		struct net_config n;

		/* Network devices count against the same slots. */
		config_net_init(&n);
		n.tap = "t0";
		assert_int_equal(config_add_net(&cfg, &n, NULL), 0);
	}
	USAGE_ERR(&cfg, "15 virtio devices requested (drives, nets, vsock, rng); a VM has room for 14");
}

static void test_allocator(void **state)
{
	struct resources r;
	struct resource_slot s;
	uint32_t seen = 0;

	resources_init(&r);
	for (unsigned i = 0; i < RESOURCES_MAX_VIRTIO; i++) {
		assert_int_equal(resources_alloc_virtio(&r, &s), 0);
		assert_int_equal(s.base, LAYOUT_VIRTIO_MMIO_BASE + i * LAYOUT_VIRTIO_MMIO_SIZE);
		assert_true(s.gsi < LAYOUT_IOAPIC_PINS);
		assert_int_not_equal(s.gsi, LAYOUT_COM1_IRQ);
		assert_int_not_equal(s.gsi, 0);
		assert_int_not_equal(s.gsi, 2);
		assert_false(seen & (1u << s.gsi)); /* every pin once */
		seen |= 1u << s.gsi;
	}
	/* Pins 16-23 come first: no ISA device may claim them. */
	resources_init(&r);
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(resources_alloc_virtio(&r, &s), 0);
		assert_int_equal(s.gsi, 16 + i);
	}
	resources_init(&r);
	for (unsigned i = 0; i < RESOURCES_MAX_VIRTIO; i++)
		assert_int_equal(resources_alloc_virtio(&r, &s), 0);
	assert_int_equal(resources_alloc_virtio(&r, &s), -ENOSPC);
}

static void test_error_classes(void **state)
{
	struct error e = ERROR_INIT;

	assert_int_equal(error_exit_status(&e), VM_EXIT_OK);
	assert_int_equal(error_http_status(&e), 200);
	assert_int_equal(error_set(&e, ERROR_INPUT, ENOENT, "kernel %s: gone", "k"), -ENOENT);
	/* The first error is the cause; later ones do not overwrite it. */
	assert_int_equal(error_set(&e, ERROR_HOST, EIO, "later"), -EIO);
	assert_int_equal(e.cls, ERROR_INPUT);
	assert_string_equal(e.msg, "kernel k: gone");
	error_prefix(&e, "--kernel: ");
	assert_string_equal(e.msg, "--kernel: kernel k: gone");
	assert_int_equal(error_exit_status(&e), VM_EXIT_USAGE);
	assert_int_equal(error_http_status(&e), 400);
	error_clear(&e);
	error_set(&e, ERROR_USAGE, 0, "x");
	assert_int_equal(e.errnum, EINVAL);
	assert_int_equal(error_exit_status(&e), VM_EXIT_USAGE);
	assert_int_equal(error_http_status(&e), 400);
	error_clear(&e);
	error_set(&e, ERROR_HOST, -ENOMEM, "x");
	assert_int_equal(e.errnum, ENOMEM);
	assert_int_equal(error_exit_status(&e), VM_EXIT_HOST_ERROR);
	assert_int_equal(error_http_status(&e), 500);
	error_clear(&e);
	error_set(&e, ERROR_GUEST, EFAULT, "x");
	assert_int_equal(error_exit_status(&e), VM_EXIT_GUEST_ERROR);
	assert_int_equal(error_http_status(&e), 500);
	/* A long message and a long prefix stay one terminated line. */
	error_clear(&e);
	error_set(&e, ERROR_INPUT, EIO, "%0600d", 1);
	error_prefix(&e, "%0600d", 2);
	assert_int_equal(strlen(e.msg), ERROR_MSG_MAX - 1);
	assert_int_equal(error_set(NULL, ERROR_HOST, EIO, "no sink"), -EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_config),
		cmocka_unit_test(test_machine_rules),
		cmocka_unit_test(test_payload_rules),
		cmocka_unit_test(test_payload_files),
		cmocka_unit_test(test_device_rules),
		cmocka_unit_test(test_net_rules),
		cmocka_unit_test(test_net_fd_check),
		cmocka_unit_test(test_measure_check),
		cmocka_unit_test(test_device_limit),
		cmocka_unit_test(test_allocator),
		cmocka_unit_test(test_error_classes),
	};

	return cmocka_run_group_tests_name("config", tests, setup_files, teardown_files);
}
