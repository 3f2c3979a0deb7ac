// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the boot loaders: the input is a kernel image (bzImage, ELF vmlinux, PVH
 * ELF64/ELF32, or anything else) and maybe an initrd, opened and placed for a guest of one of four
 * sizes (small ones, RAM across the MMIO hole, RAM above 4 GiB) and, for the small ones, loaded
 * into guest memory with the boot information written after it.
 *
 * Input: [0] flags  bits 0-1 RAM: 32 MiB, 128 MiB, 3.5 GiB, 5 GiB (the large ones only placed)
 *                   bit 2 an initrd follows  bits 4-7 command line length / 64
 *        with bit 2: [1..2] le16 initrd length, the initrd bytes
 *        the rest: the kernel image
 * Checked: a refusal is one line; an accepted kernel lies in RAM (every segment, entry inside the
 * image for ELF), the initrd after it and in RAM; loading and the boot information succeed for
 * what was accepted; and the sanitizers watch the rest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot/boot.h"
#include "vmm/error.h"
#include "vmm/log.h"
#include "vmm/memory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint64_t ram_sizes[4] = { 32ULL << 20, 128ULL << 20, 3584ULL << 20, 5ULL << 30 };

static void check_err(int ret, struct error *e)
{
	if (ret && (!e->msg[0] || strchr(e->msg, '\n')))
		abort();
	error_clear(e);
}

/* A memfd holding the bytes; its /proc path in path. */
static int file_of(const uint8_t *p, size_t len, char *path, size_t path_len)
{
	int fd = memfd_create("fuzz-boot", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	if (len && write(fd, p, len) != (ssize_t)len)
		abort();
	snprintf(path, path_len, "/proc/self/fd/%d", fd);
	return fd;
}

static bool in_ram(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	return !len || guest_mem_region_of(gm, gpa, len) != NULL;
}

static void check_placement(const struct guest_mem *layout, const struct boot_kernel *k,
			    const struct boot_initrd *rd)
{
	if (k->load_start >= k->load_end || !in_ram(layout, k->load_start, k->load_end - k->load_start))
		abort();
	for (unsigned i = 0; i < k->nr_seg; i++) {
		const struct boot_segment *s = &k->seg[i];

		if (s->filesz > s->memsz || s->file_offset > k->file_size ||
		    s->filesz > k->file_size - s->file_offset || !in_ram(layout, s->gpa, s->memsz) ||
		    s->gpa < k->load_start || s->gpa + s->memsz > k->load_end)
			abort();
	}
	if (rd->size && (!in_ram(layout, rd->gpa, rd->size) || rd->gpa < k->load_end))
		abort();
}

static void load_and_boot(uint64_t ram, const struct boot_kernel *k, const struct boot_initrd *rd,
			  size_t cmdline_len)
{
	static char cmdline[1024];
	struct boot_info info;
	struct error e = ERROR_INIT;
	struct guest_mem gm;

	if (guest_mem_create(&gm, ram))
		abort();
	if (boot_kernel_load(k, &gm, &e) || boot_initrd_load(rd, &gm, &e))
		abort(); /* accepted by the parser: loading must work */
	memset(cmdline, 'c', cmdline_len);
	cmdline[cmdline_len] = 0;
	if (!boot_cmdline_fits(k, cmdline, &e)) {
		if (boot_write_info(&gm, k, rd, cmdline, 0, &info, &e))
			abort();
		if (info.initrd_size != rd->size || !in_ram(&gm, info.params_gpa, 1))
			abort();
	}
	error_clear(&e);
	guest_mem_destroy(&gm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char kpath[64], rpath[64];
	struct boot_kernel k;
	struct boot_initrd rd;
	struct error e = ERROR_INIT;
	struct guest_mem layout;
	size_t rd_len = 0, off = 1, cmdline_len;
	int kfd, rfd = -1, ret;
	uint64_t ram;

	if (size < 1)
		return 0;
	log_threshold = LOG_ERROR;
	ram = ram_sizes[data[0] & 3];
	cmdline_len = (size_t)(data[0] >> 4) * 64;
	if (data[0] & 4) {
		if (size < 3)
			return 0;
		rd_len = (size_t)data[1] | (size_t)data[2] << 8;
		off = 3;
		if (rd_len > size - off)
			rd_len = size - off;
	}
	kfd = file_of(data + off + rd_len, size - off - rd_len, kpath, sizeof(kpath));
	if (data[0] & 4)
		rfd = file_of(data + off, rd_len, rpath, sizeof(rpath));
	guest_mem_layout(&layout, ram);
	ret = boot_kernel_open(&k, kpath, &layout, &e);
	check_err(ret, &e);
	if (!ret) {
		ret = boot_initrd_open(&rd, rfd >= 0 ? rpath : NULL, &k, &layout, &e);
		check_err(ret, &e);
		if (!ret) {
			check_placement(&layout, &k, &rd);
			if (ram <= (128ULL << 20))
				load_and_boot(ram, &k, &rd, cmdline_len);
			boot_initrd_close(&rd);
		}
		boot_kernel_close(&k);
	}
	close(kfd);
	if (rfd >= 0)
		close(rfd);
	return 0;
}
