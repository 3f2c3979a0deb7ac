// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the launch-plan builders behind launch_inputs_build(): from a VM
 * description the fuzzer chooses (vCPUs, RAM, irqchip, TEE kind, devices, command line) and the
 * files it names (kernel, initrd, firmware for TDX/SNP), the device layout, the final command
 * line, the ACPI and MP tables and the direct-boot placement, or the firmware plan with the
 * kernel hashes (SNP) and td-shim payload (TDX).  What `cvmm measure` hashes and the VM boots.
 *
 * Input: [0] vCPUs  [1] flags: bit 0 split irqchip, bits 1-2 TEE none/emulated/snp/tdx,
 *            bit 3 vsock, bit 4 rng, bits 5-7 drives  [2..3] le16 MiB of RAM (at least 16)
 *        [4] command line length, the bytes; [le16 initrd length, the initrd];
 *        TDX/SNP: [le16 firmware length / 16, the firmware]; the rest: the kernel
 * Checked: a refusal is one line; on success the command line ends in the device entries the
 * layout lists, the layout holds every virtio device the description asks for, and the tables
 * and plan lie in guest RAM; the sanitizers watch the rest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/config.h"
#include "vmm/error.h"
#include "vmm/launch.h"
#include "vmm/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct cursor {
	const uint8_t *p;
	size_t left;
};

static size_t take_len(struct cursor *c, size_t unit)
{
	size_t n;

	if (c->left < 2)
		return 0;
	n = ((size_t)c->p[0] | (size_t)c->p[1] << 8) * unit;
	c->p += 2;
	c->left -= 2;
	return n < c->left ? n : c->left;
}

/* A memfd with the next len bytes; its /proc path goes into *dst. */
static int take_file(struct cursor *c, size_t len, char **dst)
{
	char path[64];
	int fd = memfd_create("fuzz-launch", MFD_CLOEXEC);

	if (fd < 0 || (len && write(fd, c->p, len) != (ssize_t)len))
		abort();
	c->p += len;
	c->left -= len;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (config_set_string(dst, path, "file", NULL))
		abort();
	return fd;
}

static void check(const struct vm_config *cfg, const struct launch_inputs *li)
{
	size_t len = strnlen(li->cmdline, sizeof(li->cmdline));

	if (len == sizeof(li->cmdline) || li->devices.nr != config_virtio_devices(cfg))
		abort();
	/* Each device is announced on the command line (virtio_mmio.device=4K@ADDR:IRQ). */
	for (unsigned i = 0; i < li->devices.nr; i++) {
		char entry[64];

		snprintf(entry, sizeof(entry), "virtio_mmio.device=4K@0x%llx:%u",
			 (unsigned long long)li->devices.slots[i].base, li->devices.slots[i].gsi);
		if (!strstr(li->cmdline, entry))
			abort();
	}
	if (li->strategy == BOOT_DIRECT && li->acpi_len &&
	    !guest_mem_region_of(&li->layout, li->acpi_gpa, li->acpi_len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum tee_kind tees[4] = { TEE_NONE, TEE_EMULATED, TEE_SNP, TEE_TDX };
	struct cursor c = { data, size };
	struct launch_inputs li;
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	int fds[3] = { -1, -1, -1 };
	char cmdline[256];
	size_t n;
	int ret;

	if (size < 5)
		return 0;
	log_threshold = LOG_ERROR;
	config_init(&cfg);
	cfg.vcpus = data[0] % 32 + 1;
	cfg.irqchip = data[1] & 1 ? IRQCHIP_SPLIT : IRQCHIP_KERNEL;
	cfg.tee = tees[(data[1] >> 1) & 3];
	cfg.mem_mib = ((uint64_t)data[2] | (uint64_t)data[3] << 8) % 8192;
	if (cfg.mem_mib < CONFIG_MIN_MEM_MIB)
		cfg.mem_mib = CONFIG_MIN_MEM_MIB;
	if (data[1] & 8) {
		cfg.vsock.enabled = true;
		cfg.vsock.guest_cid = 3;
	}
	cfg.rng = data[1] & 16;
	for (unsigned i = 0; i < (unsigned)(data[1] >> 5); i++) {
		struct drive_config d = { .path = (char *)"/fuzz/disk" };

		if (config_add_drive(&cfg, &d, NULL))
			abort();
	}
	c.p += 4;
	c.left -= 4;
	n = c.p[0] < c.left - 1 ? c.p[0] : c.left - 1;
	memcpy(cmdline, c.p + 1, n);
	cmdline[n] = 0;
	c.p += n + 1;
	c.left -= n + 1;
	if (cmdline[0] && config_set_string(&cfg.cmdline, cmdline, "cmdline", NULL))
		abort();
	n = take_len(&c, 1);
	if (n)
		fds[0] = take_file(&c, n, &cfg.initrd);
	if (config_tee_uses_firmware(&cfg))
		fds[1] = take_file(&c, take_len(&c, 16), &cfg.firmware);
	fds[2] = take_file(&c, c.left, &cfg.kernel);
	ret = launch_inputs_build(&cfg, &li, &e);
	if (ret && (!e.msg[0] || strchr(e.msg, '\n')))
		abort();
	if (!ret) {
		check(&cfg, &li);
		launch_inputs_free(&li);
	}
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	config_free(&cfg);
	return 0;
}
