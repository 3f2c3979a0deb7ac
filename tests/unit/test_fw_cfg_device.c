// SPDX-License-Identifier: MIT
/*
 * fw_cfg as a device of firmware boots: the device-table row exists only when the config boots
 * firmware, and carries the launch inputs (kernel, initrd, final command line, e820, CPU count);
 * td-shim's kernel goes to its Payload instead.  And the ACPI tables for OVMF: the loader script
 * is executed here as a firmware would execute it (allocate, patch pointers, checksums), and the
 * result must be a valid table tree at the addresses chosen.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "boot/acpi.h"
#include "devices/fw_cfg.h"
#include "tests/unit/fw_cfg_port.h"
#include "tests/unit/input_files.h"
#include "tests/unit/kvm_recorder.h"
#include "tests/unit/td_fixture.h"
#include "vmm/bus.h"
#include "vmm/error.h"
#include "vmm/layout.h"
#include "vmm/log.h"
#include "vmm/util.h"
#include "vmm/vm.h"

static char dir[64], fw_path[128], kernel_path[128], initrd_path[128];

static int setup(void **state)
{
	td_dir_init(dir, sizeof(dir));
	snprintf(fw_path, sizeof(fw_path), "%s/tdvf.fd", dir);
	snprintf(kernel_path, sizeof(kernel_path), "%s/bzImage", dir);
	snprintf(initrd_path, sizeof(initrd_path), "%s/initrd", dir);
	log_threshold = LOG_ERROR;
	return 0;
}

static int teardown(void **state)
{
	td_dir_free(dir);
	return 0;
}

/* ---- the device row ---- */

static void test_row_only_for_firmware_boots(void **state)
{
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	struct vm *vm;
	uint8_t sig[4];

	/* A plain VM has no fw_cfg: nothing answers at 0x510. */
	config_init(&cfg);
	input_write_pvh_kernel(kernel_path);
	config_set_string(&cfg.kernel, kernel_path, "--kernel", NULL);
	cfg.serial = SERIAL_NONE;
	cfg.mem_mib = 32;
	rec_reset();
	rec_set_result("kvm_check_extension", 1);
	assert_int_equal(vm_create(&cfg, &vm, &e), 0);
	assert_false(bus_access(&vm->dm.pio, FW_CFG_PORT_SEL, sig, 2, true));
	vm_destroy(vm);
	config_free(&cfg);

	/* TDVF: one fw_cfg with the signature. */
	td_config(&cfg, fw_path, &fw_image_ovmf);
	td_kvm(0);
	assert_int_equal(vm_create(&cfg, &vm, &e), 0);
	fwc_read(&vm->dm.pio, FW_CFG_SIGNATURE, sig, 4);
	assert_memory_equal(sig, "QEMU", 4);
	assert_int_equal(fwc_read_u32(&vm->dm.pio, FW_CFG_KERNEL_SIZE), 0); /* no --kernel */
	vm_destroy(vm);
	config_free(&cfg);
}

/* TDVF direct boot: the launch inputs reach the firmware. */
static void test_direct_boot_items(void **state)
{
	uint8_t initrd[3000], *setup, *e820, *cmdline;
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	struct vm *vm;
	uint32_t size;
	uint16_t cpus = 0;

	memset(initrd, 0x77, sizeof(initrd));
	input_write_file(initrd_path, initrd, sizeof(initrd));
	td_write_bzimage(kernel_path, 0x5000);
	td_config(&cfg, fw_path, &fw_image_ovmf);
	config_set_string(&cfg.kernel, kernel_path, "--kernel", NULL);
	config_set_string(&cfg.initrd, initrd_path, "--initrd", NULL);
	config_set_string(&cfg.cmdline, "console=hvc0", "--cmdline", NULL);
	td_kvm(0);
	assert_int_equal(vm_create(&cfg, &vm, &e), 0);
	const struct bus *pio = &vm->dm.pio;

	/* setup_sects 4: 5 sectors of setup, the rest kernel. */
	assert_int_equal(fwc_read_u32(pio, FW_CFG_SETUP_SIZE), 5 * 512);
	assert_int_equal(fwc_read_u32(pio, FW_CFG_KERNEL_SIZE), 0x5000 - 5 * 512);
	setup = malloc(5 * 512);
	fwc_read(pio, FW_CFG_SETUP_DATA, setup, 5 * 512);
	assert_memory_equal(setup, vm->launch.fw_kernel.data, 5 * 512);
	free(setup);
	assert_int_equal(fwc_read_u32(pio, FW_CFG_INITRD_SIZE), sizeof(initrd));
	/* The command line is the launch's final one, with its NUL. */
	size = fwc_read_u32(pio, FW_CFG_CMDLINE_SIZE);
	assert_int_equal(size, strlen(vm->launch.cmdline) + 1);
	cmdline = malloc(size);
	fwc_read(pio, FW_CFG_CMDLINE_DATA, cmdline, size);
	assert_string_equal((const char *)cmdline, vm->launch.cmdline);
	free(cmdline);
	/* e820: guest RAM, one entry of 64 MiB. */
	e820 = fwc_read_file(pio, "etc/e820", &size);
	assert_int_equal(size, 20);
	assert_int_equal(e820[8] | e820[9] << 8 | e820[10] << 16 | e820[11] << 24, 64 << 20);
	assert_int_equal(e820[16], 1);
	free(e820);
	fwc_read(pio, FW_CFG_NB_CPUS, &cpus, 2);
	assert_int_equal(cpus, 2);

	/* The ACPI files the firmware reads (and TDVF measures) are the ones measure hashes. */
	struct fw_cfg_acpi_files want;
	uint8_t *got;

	assert_int_equal(fw_cfg_acpi_files(vm->launch.acpi, vm->launch.acpi_len,
					   vm->launch.acpi_gpa, &want), 0);
	got = fwc_read_file(pio, "etc/table-loader", &size);
	assert_int_equal(size, want.loader_len);
	assert_memory_equal(got, want.loader, size);
	free(got);
	got = fwc_read_file(pio, "etc/acpi/tables", &size);
	assert_int_equal(size, want.tables_len);
	assert_memory_equal(got, want.tables, size);
	free(got);
	got = fwc_read_file(pio, "etc/acpi/rsdp", &size);
	assert_memory_equal(got, want.rsdp, sizeof(want.rsdp));
	free(got);
	fw_cfg_acpi_files_free(&want);
	vm_destroy(vm);
	config_free(&cfg);
}

/* ---- the ACPI tables and their loader script ---- */

static uint8_t sum8(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Runs the loader script the way OVMF's AcpiPlatformDxe does, in a flat "memory" buffer. */
struct loaded {
	uint8_t mem[1 << 16];
	uint64_t rsdp, tables; /* where each file landed (offsets in mem) */
	uint32_t rsdp_len, tables_len;
};

static uint64_t *file_base(struct loaded *ld, const char *name)
{
	if (!strcmp(name, "etc/acpi/rsdp"))
		return &ld->rsdp;
	if (!strcmp(name, "etc/acpi/tables"))
		return &ld->tables;
	fail_msg("the loader names an unknown file %s", name);
	return NULL;
}

static void run_loader(struct loaded *ld, const uint8_t *script, uint32_t len,
		       const uint8_t *rsdp, const uint8_t *tables)
{
	uint64_t next = 0x1000;

	assert_int_equal(len % 128, 0);
	for (uint32_t i = 0; i < len; i += 128) {
		const uint8_t *c = script + i;
		char file[57] = { 0 };

		memcpy(file, c + 4, 56);
		switch (le(c, 4)) {
		case 1: { /* ALLOCATE */
			uint64_t *base = file_base(ld, file);
			uint32_t align = (uint32_t)le(c + 60, 4);

			assert_true(align && !(align & (align - 1)));
			next = ALIGN_UP(next, align);
			*base = next;
			if (base == &ld->rsdp) {
				assert_int_equal(c[64], 2); /* the F segment */
				memcpy(ld->mem + next, rsdp, ld->rsdp_len);
				next += ld->rsdp_len;
			} else {
				memcpy(ld->mem + next, tables, ld->tables_len);
				next += ld->tables_len;
			}
			break;
		}
		case 2: { /* ADD_POINTER */
			char src[57] = { 0 };
			uint32_t off = (uint32_t)le(c + 116, 4);
			uint8_t size = c[120];
			uint8_t *field;
			uint64_t v;

			memcpy(src, c + 60, 56);
			field = ld->mem + *file_base(ld, file) + off;
			v = le(field, size) + *file_base(ld, src);
			for (unsigned b = 0; b < size; b++)
				field[b] = (uint8_t)(v >> (8 * b));
			break;
		}
		case 3: { /* ADD_CHECKSUM */
			uint64_t base = *file_base(ld, file);
			uint32_t off = (uint32_t)le(c + 60, 4), start = (uint32_t)le(c + 64, 4);
			uint32_t n = (uint32_t)le(c + 68, 4);

			ld->mem[base + off] = (uint8_t)-sum8(ld->mem + base + start, n);
			break;
		}
		default:
			fail_msg("unknown loader command %llu", (unsigned long long)le(c, 4));
		}
	}
}

static void check_table(const struct loaded *ld, uint64_t at, const char *sig)
{
	assert_true(at < sizeof(ld->mem) - 36);
	assert_memory_equal(ld->mem + at, sig, 4);
	assert_int_equal(sum8(ld->mem + at, le(ld->mem + at + 4, 4)), 0);
}

static void test_acpi_loader(void **state)
{
	struct acpi_config acfg = {
		.nr_cpus = 2, .ioapic_addr = LAYOUT_IOAPIC_ADDR, .lapic_addr = LAYOUT_LAPIC_ADDR,
		.com1 = true, .com1_port = 0x3f8, .com1_irq = 4, .sleep_ctl_port = 0x600,
		.sleep_sts_port = 0x601, .reset_port = 0x602, .reset_value = 1,
	};
	uint8_t blob[8192], *rsdp, *tables, *script;
	struct guest_mem gm;
	struct fw_cfg *fc;
	struct bus pio;
	struct loaded *ld = calloc(1, sizeof(*ld));
	uint32_t script_len;
	uint64_t xsdt, fadt, madt, dsdt;
	int len = acpi_build(&acfg, blob, sizeof(blob), LAYOUT_ACPI_START);

	assert_true(len > 0);
	assert_int_equal(guest_mem_create(&gm, 16 << 20), 0);
	fc = fw_cfg_create(&gm);
	bus_init(&pio);
	assert_int_equal(bus_register(&pio, FW_CFG_PIO_BASE, FW_CFG_PIO_LEN, fw_cfg_pio, fc, "f"),
			 0);
	assert_int_equal(fw_cfg_add_acpi(fc, blob, (size_t)len, LAYOUT_ACPI_START), 0);
	rsdp = fwc_read_file(&pio, "etc/acpi/rsdp", &ld->rsdp_len);
	tables = fwc_read_file(&pio, "etc/acpi/tables", &ld->tables_len);
	script = fwc_read_file(&pio, "etc/table-loader", &script_len);
	assert_int_equal(ld->rsdp_len, 36);
	run_loader(ld, script, script_len, rsdp, tables);

	/* A valid tree where the "firmware" put it. */
	assert_memory_equal(ld->mem + ld->rsdp, "RSD PTR ", 8);
	assert_int_equal(sum8(ld->mem + ld->rsdp, 20), 0);
	assert_int_equal(sum8(ld->mem + ld->rsdp, 36), 0);
	xsdt = le(ld->mem + ld->rsdp + 24, 8);
	check_table(ld, xsdt, "XSDT");
	fadt = le(ld->mem + xsdt + 36, 8);
	madt = le(ld->mem + xsdt + 44, 8);
	check_table(ld, fadt, "FACP");
	check_table(ld, madt, "APIC");
	dsdt = le(ld->mem + fadt + 140, 8);
	assert_int_equal(le(ld->mem + fadt + 40, 4), dsdt);
	check_table(ld, dsdt, "DSDT");
	assert_true(xsdt >= ld->tables && dsdt < ld->tables + ld->tables_len);
	/* The tables' bytes are cvmm's own, but for pointers and checksums. */
	assert_memory_equal(ld->mem + madt + 36, blob + (madt - ld->tables) + 48 + 36,
			    le(ld->mem + madt + 4, 4) - 36);

	/* Refused: no RSDP, or a pointer out of the block. */
	assert_int_equal(fw_cfg_add_acpi(fc, blob + 1, (size_t)len - 1, LAYOUT_ACPI_START), -EINVAL);
	blob[24] = 0xff;
	assert_int_equal(fw_cfg_add_acpi(fc, blob, (size_t)len, LAYOUT_ACPI_START), -EINVAL);
	free(rsdp);
	free(tables);
	free(script);
	free(ld);
	bus_destroy(&pio);
	fw_cfg_destroy(fc);
	guest_mem_destroy(&gm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_row_only_for_firmware_boots),
		cmocka_unit_test(test_direct_boot_items),
		cmocka_unit_test(test_acpi_loader),
	};

	return cmocka_run_group_tests_name("fw_cfg device", tests, setup, teardown);
}
