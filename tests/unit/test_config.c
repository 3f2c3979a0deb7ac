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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/config.h"
#include "vmm/error.h"
#include "vmm/exit_status.h"
#include "vmm/layout.h"
#include "vmm/resources.h"
#include "tests/unit/input_files.h"

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
		struct drive_config d = { .path = path };

		snprintf(path, sizeof(path), "%s/extra", dir);
		input_write_file(path, "", 0);
		assert_int_equal(config_add_drive(&cfg, &d, NULL), 0);
	}
	USAGE_ERR(&cfg, "a VM has room for 14");
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
		cmocka_unit_test(test_measure_check),
		cmocka_unit_test(test_device_limit),
		cmocka_unit_test(test_allocator),
		cmocka_unit_test(test_error_classes),
	};

	return cmocka_run_group_tests_name("config", tests, setup_files, teardown_files);
}
