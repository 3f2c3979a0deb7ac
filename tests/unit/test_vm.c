// SPDX-License-Identifier: MIT
/*
 * The VM as a whole on the recording KVM: vm_create() from a config, its lifecycle with real
 * threads (vCPUs block in a fake KVM_RUN until kicked), the most devices a config may ask for,
 * error classes where they arise (a bad file before any KVM call, an injected KVM failure), bus
 * ranges released when device creation fails, and the launch inputs the guest really gets.
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
#include <fcntl.h>
#include <net/if.h>
#include <linux/if_tun.h>

#include "tests/unit/kvm_recorder.h"
#include "tests/unit/virtio_harness.h"
#include "vmm/config.h"
#include "vmm/digest.h"
#include "vmm/error.h"
#include "vmm/launch.h"
#include "vmm/log.h"
#include "vmm/resources.h"
#include "vmm/vm.h"
#include "tests/unit/input_files.h"
#include "tests/unit/tap_env.h"

static char dir[64], kernel[96];

static int setup_files(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/cvmm-vm-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(kernel, sizeof(kernel), "%s/kernel", dir);
	input_write_pvh_kernel(kernel);
	log_threshold = LOG_ERROR;
	return 0;
}

static int teardown_files(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* A config with the kernel above, no console, n drives and (with_vsock) a vsock device. */
static void make_config(struct vm_config *cfg, unsigned n, bool with_vsock)
{
	char path[128];

	config_init(cfg);
	config_set_string(&cfg->kernel, kernel, "--kernel", NULL);
	config_set_string(&cfg->cmdline, "console=ttyS0", "--cmdline", NULL);
	cfg->serial = SERIAL_NONE;
	cfg->mem_mib = 64;
	for (unsigned i = 0; i < n; i++) {
		struct drive_config d = { .path = path, .poll_us = DRIVE_POLL_US_DEFAULT };

		snprintf(path, sizeof(path), "%s/disk%u", dir, i);
		input_write_file(path, "", 0);
		assert_int_equal(config_add_drive(cfg, &d, NULL), 0);
	}
	if (with_vsock) {
		snprintf(path, sizeof(path), "%s/v.sock", dir);
		cfg->vsock.enabled = true;
		cfg->vsock.guest_cid = 3;
		config_set_string(&cfg->vsock.uds_path, path, "uds", NULL);
	}
}

/* The recorded KVM with every capability (kvm_check_extension answers 1). */
static void kvm_with_caps(void)
{
	rec_reset();
	rec_set_result("kvm_check_extension", 1);
}

static void test_lifecycle(void **state)
{
	struct error e = ERROR_INIT;
	struct vm_counters c;
	struct vm_config cfg;
	struct vm *vm;
	const char *cmdline;

	make_config(&cfg, 1, true);
	cfg.vcpus = 2;
	kvm_with_caps();
	rec_run_blocks(true);
	assert_int_equal(vm_create(&cfg, &vm, &e), 0);
	assert_int_equal(vm_get_state(vm), VM_CREATED);
	/* The guest gets the command line the launch inputs describe, devices included. */
	cmdline = guest_mem_ptr(&vm->mem, LAYOUT_CMDLINE_ADDR, LAYOUT_CMDLINE_MAX);
	assert_string_equal(cmdline, vm->launch.cmdline);
	assert_string_equal(cmdline, "console=ttyS0 virtio_mmio.device=4K@0xd0000000:16 "
				     "virtio_mmio.device=4K@0xd0001000:17");
	assert_memory_equal(guest_mem_ptr(&vm->mem, vm->launch.acpi_gpa, vm->launch.acpi_len),
			    vm->launch.acpi, vm->launch.acpi_len);
	assert_int_equal(vm_pause(vm, &e), -EBUSY); /* not running yet */
	assert_int_equal(e.cls, ERROR_USAGE);
	error_clear(&e);

	assert_int_equal(vm_start(vm, &e), 0);
	assert_int_equal(vm_get_state(vm), VM_RUNNING);
	assert_int_equal(vm_start(vm, &e), -EBUSY);
	error_clear(&e);
	assert_int_equal(vm_pause(vm, &e), 0);
	assert_int_equal(vm_get_state(vm), VM_PAUSED);
	assert_int_equal(vm->run.parked, 2);
	assert_int_equal(vm_pause(vm, &e), -EBUSY);
	error_clear(&e);
	assert_int_equal(vm_resume(vm, &e), 0);
	assert_int_equal(vm_get_state(vm), VM_RUNNING);
	assert_int_equal(vm_resume(vm, &e), -EBUSY);
	error_clear(&e);

	/* Counters can be read while it runs. */
	vm_get_counters(vm, &c);
	assert_int_equal(c.nr_virtio, 2);
	assert_non_null(strstr(c.virtio[0].name, "blk"));
	assert_non_null(strstr(c.virtio[1].name, "vsock"));

	assert_false(vm_is_stopping(vm));
	vm_stop(vm, 42, NULL);
	vm_stop(vm, VM_EXIT_HOST_ERROR, NULL); /* the first request wins */
	assert_true(vm_is_stopping(vm));
	assert_int_equal(vm_wait(vm), 42);
	assert_int_equal(vm_get_state(vm), VM_STOPPED);
	vm_destroy(vm);
	config_free(&cfg);
}

/* A VM created but never started can be waited for and destroyed. */
static void test_never_started(void **state)
{
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	struct vm *vm;

	make_config(&cfg, 0, false);
	kvm_with_caps();
	assert_int_equal(vm_create(&cfg, &vm, &e), 0);
	assert_int_equal(vm_wait(vm), VM_EXIT_OK);
	vm_destroy(vm);
	config_free(&cfg);
}

/* As many devices as the config accepts: every one created, on the slot the layout promised. */
static void test_max_devices(void **state)
{
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	struct vm *vm;
	uint32_t magic;

	make_config(&cfg, RESOURCES_MAX_VIRTIO - 1, true);
	kvm_with_caps();
	assert_int_equal(vm_create(&cfg, &vm, &e), 0);
	assert_int_equal(vm->launch.devices.nr, RESOURCES_MAX_VIRTIO);
	for (unsigned i = 0; i < RESOURCES_MAX_VIRTIO; i++) {
		const struct resource_slot *s = &vm->launch.devices.slots[i];
		unsigned n = 0;

		assert_true(bus_access(&vm->dm.mmio, s->base, (uint8_t *)&magic, 4, false));
		assert_int_equal(magic, VIRTIO_MMIO_MAGIC);
		for (unsigned d = 0; d < vm->dm.nr_devices; d++)
			if (vm->dm.devices[d].vdev && vm->dm.devices[d].vdev->base == s->base &&
			    vm->dm.devices[d].vdev->irq == s->gsi)
				n++;
		assert_int_equal(n, 1);
	}
	vm_destroy(vm);
	config_free(&cfg);

	make_config(&cfg, RESOURCES_MAX_VIRTIO, true);
	kvm_with_caps();
	assert_true(vm_create(&cfg, &vm, &e) < 0);
	assert_int_equal(e.cls, ERROR_USAGE);
	assert_non_null(strstr(e.msg, "room for"));
	assert_int_equal(rec_count("kvm_open"), 0);
	config_free(&cfg);
}

static void test_error_classes(void **state)
{
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	struct vm *vm;
	char missing[128];

	/* A bad file is the user's: exit 2, and KVM is never opened. */
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	make_config(&cfg, 1, false);
	config_set_string(&cfg.drives[0].path, missing, "path", NULL);
	kvm_with_caps();
	assert_true(vm_create(&cfg, &vm, &e) < 0);
	assert_null(vm);
	assert_int_equal(e.cls, ERROR_INPUT);
	assert_int_equal(error_exit_status(&e), 2);
	assert_non_null(strstr(e.msg, missing));
	assert_int_equal(rec_count("kvm_open"), 0);
	config_free(&cfg);

	/* The same for the payload, which the launch inputs check (once) before KVM. */
	make_config(&cfg, 0, false);
	config_set_string(&cfg.kernel, missing, "--kernel", NULL);
	kvm_with_caps();
	error_clear(&e);
	assert_true(vm_create(&cfg, &vm, &e) < 0);
	assert_int_equal(e.cls, ERROR_INPUT);
	assert_non_null(strstr(e.msg, "kernel"));
	assert_int_equal(rec_count("kvm_open"), 0);
	config_free(&cfg);

	/*
	 * An injected KVM failure is the host's: exit 3, whatever the errno.  (A refused ioeventfd
	 * is not fatal: the queue is then notified through the MMIO exit.)
	 */
	static const struct {
		const char *op;
		int err;
	} faults[] = {
		{ "kvm_create_vm", -ENOMEM },
		{ "kvm_set_user_memory_region", -EINVAL },
		{ "kvm_create_irqchip", -EINVAL },
		{ "kvm_irqfd", -EINVAL },
		{ "kvm_create_vcpu", -EINVAL },
		{ "kvm_set_cpuid2", -E2BIG },
	};
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		make_config(&cfg, 1, false);
		kvm_with_caps();
		rec_fail_next(faults[i].op, faults[i].err);
		error_clear(&e);
		if (vm_create(&cfg, &vm, &e) >= 0)
			fail_msg("%s failing: the VM was created anyway", faults[i].op);
		if (e.cls != ERROR_HOST || error_exit_status(&e) != 3)
			fail_msg("%s failing: %s error '%s'", faults[i].op, error_class_name(e.cls),
				 e.msg);
		config_free(&cfg);
	}

	/* No KVM capability: the host's, named. */
	make_config(&cfg, 0, false);
	rec_reset();
	error_clear(&e);
	assert_true(vm_create(&cfg, &vm, &e) < 0);
	assert_int_equal(e.cls, ERROR_HOST);
	assert_non_null(strstr(e.msg, "KVM lacks KVM_CAP_IRQCHIP"));
	config_free(&cfg);
}

/* A device that fails half-way leaves nothing mapped on the buses. */
static void test_failed_device_unmaps(void **state)
{
	struct error e = ERROR_INIT;
	struct device_manager dm;
	struct vm_config cfg;
	struct vh_vm v;

	make_config(&cfg, 2, false);
	assert_int_equal(vh_vm_init(&v, 16 << 20, TEE_NONE), 0);
	dm_init(&dm);
	assert_int_equal(dm_create_devices(&dm, &v.dev_env, &cfg, &e), 0);
	assert_int_equal(dm.nr_devices, 4 + 2);
	assert_true(dm.pio.nr > 0);
	assert_int_equal(dm.mmio.nr, 2);
	assert_int_equal(rec_count("kvm_irqfd"), 2);
	dm_destroy(&dm);
	assert_int_equal(dm.pio.nr, 0);
	assert_int_equal(dm.mmio.nr, 0);

	/* The second drive's interrupt cannot be bound: the first drive goes away too. */
	dm_init(&dm);
	rec_reset();
	rec_fail_nth("kvm_irqfd", 1, -EINVAL);
	assert_true(dm_create_devices(&dm, &v.dev_env, &cfg, &e) < 0);
	assert_int_equal(e.cls, ERROR_HOST);
	assert_non_null(strstr(e.msg, "cannot create the virtio-mmio device"));
	assert_int_equal(dm.nr_devices, 0);
	assert_int_equal(dm.pio.nr, 0);
	assert_int_equal(dm.mmio.nr, 0);
	dm_destroy(&dm);
	vh_vm_destroy(&v);
	config_free(&cfg);
}

/* The model counter called name of virtio device i, or -1. */
static int64_t model_counter(const struct vm_counters *c, unsigned i, const char *name)
{
	for (unsigned k = 0; k < c->virtio[i].model.nr; k++)
		if (!strcmp(c->virtio[i].model.v[k].name, name))
			return (int64_t)c->virtio[i].model.v[k].value;
	return -1;
}

/*
 * Drives, then network devices, then vsock, each kind in command-line order, on the slots the
 * layout (and so the guest's command line and ACPI tables) promised; their counters readable.
 */
static void test_slot_order(void **state)
{
	static const char *const kinds[] = { "blk", "blk", "net", "net", "vsock" };
	struct error e = ERROR_INIT;
	struct virtio_layout layout;
	struct vm_counters c;
	struct vm_config cfg;
	struct net_config n;
	char why[160];
	unsigned found = 0;
	struct vm *vm;
	int fd;

	if (!tap_env_enter(why, sizeof(why))) {
		print_message("skipped: %s\n", why);
		skip();
	}
	fd = tap_env_open_queue("cvmmvm1", IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
	assert_true(fd >= 0);
	make_config(&cfg, 2, true);
	config_net_init(&n);
	n.tap = "cvmmvm0";
	n.id = "first";
	assert_int_equal(config_add_net(&cfg, &n, NULL), 0);
	config_net_init(&n);
	n.fd = fd;
	assert_int_equal(config_add_net(&cfg, &n, NULL), 0);
	assert_int_equal(dm_virtio_layout(&cfg, &layout, &e), 0);
	assert_int_equal(layout.nr, 5);
	kvm_with_caps();
	if (vm_create(&cfg, &vm, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(vm->launch.devices.nr, 5);
	for (unsigned d = 0; d < vm->dm.nr_devices; d++) {
		const struct device *dev = &vm->dm.devices[d];

		if (!dev->vdev)
			continue;
		assert_true(found < 5);
		if (!strstr(dev->name, kinds[found]))
			fail_msg("virtio device %u is %s, want %s", found, dev->name, kinds[found]);
		assert_int_equal(dev->vdev->base, layout.slots[found].base);
		assert_int_equal(dev->vdev->irq, layout.slots[found].gsi);
		found++;
	}
	assert_int_equal(found, 5);
	vm_get_counters(vm, &c);
	assert_int_equal(c.nr_virtio, 5);
	assert_string_equal(c.virtio[2].name, "virtio-net first");
	assert_string_equal(c.virtio[3].name, "virtio-net cvmmvm1");
	assert_int_equal(model_counter(&c, 2, "rx_frames"), 0);
	assert_int_equal(model_counter(&c, 3, "tx_dropped_backend"), 0);
	assert_int_equal(model_counter(&c, 0, "reads"), 0);
	assert_int_equal(c.virtio[4].model.nr, 0);
	vm_destroy(vm);
	/* The device had its own duplicate: the caller's fd is still open and still the tap. */
	assert_true(fcntl(fd, F_GETFD) >= 0);
	close(fd);
	config_free(&cfg);
}

static void sha256_hex(const void *data, size_t len, uint8_t out[32])
{
	assert_int_equal(digest_oneshot(DIGEST_SHA256, data, len, out), 0);
}

/* What SNP measures as the command line is what the VM's guest receives. */
static void test_measured_cmdline_is_booted(void **state)
{
	struct error e = ERROR_INIT;
	struct launch_inputs plain, snp;
	struct vm_config cfg;
	struct vm *vm;
	uint8_t want[32];
	const char *fw = getenv("CVMM_TEST_SNP_FW");

	make_config(&cfg, 2, true);
	kvm_with_caps();
	assert_int_equal(vm_create(&cfg, &vm, &e), 0);
	assert_int_equal(launch_inputs_build(&cfg, &plain, &e), 0);
	assert_string_equal(guest_mem_ptr(&vm->mem, LAYOUT_CMDLINE_ADDR, 1), plain.cmdline);
	vm_destroy(vm);

	if (!fw)
		fw = "tests/vectors/ovmf_AmdSev_suffix.bin";
	cfg.tee = TEE_SNP;
	config_set_string(&cfg.firmware, fw, "--firmware", NULL);
	cfg.snp.vcpu_sig = 0x800f12;
	cfg.snp.vcpu_sig_set = true;
	cfg.mem_mib = 256;
	assert_int_equal(launch_inputs_build(&cfg, &snp, &e), 0);
	assert_string_equal(snp.cmdline, plain.cmdline);
	assert_true(snp.has_hashes);
	sha256_hex(snp.cmdline, strlen(snp.cmdline) + 1, want);
	assert_memory_equal(snp.hashes.cmdline, want, 32);
	assert_non_null(strstr(snp.cmdline, "virtio_mmio.device=4K@0xd0002000:18"));
	launch_inputs_free(&snp);
	launch_inputs_free(&plain);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_never_started),
		cmocka_unit_test(test_max_devices),
		cmocka_unit_test(test_error_classes),
		cmocka_unit_test(test_failed_device_unmaps),
		cmocka_unit_test(test_slot_order),
		cmocka_unit_test(test_measured_cmdline_is_booted),
	};

	return cmocka_run_group_tests_name("vm", tests, setup_files, teardown_files);
}
