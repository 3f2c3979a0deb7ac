// SPDX-License-Identifier: MIT
/* Direct boot: recognise the kernel format, load kernel and initrd, write the boot information. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/boot.h"
#include "vmm/error.h"
#include "vmm/layout.h"
#include "vmm/memory.h"
#include "vmm/util.h"

int boot_kernel_open(struct boot_kernel *k, const char *path, const struct guest_mem *layout,
		     struct error *e)
{
	uint8_t magic[4];
	struct stat st;
	int fd, ret;

	memset(k, 0, sizeof(*k));
	k->fd = -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(e, ERROR_INPUT, errno, "kernel %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ret = error_set(e, ERROR_INPUT, EINVAL, "kernel %s: not a regular file", path);
		goto fail;
	}
	if (st.st_size < (off_t)sizeof(magic)) {
		ret = error_set(e, ERROR_INPUT, ENOEXEC,
				"kernel %s: file too short to be a kernel (%lld bytes)", path,
				(long long)st.st_size);
		goto fail;
	}
	ret = pread_exact(fd, magic, sizeof(magic), 0);
	if (ret) {
		error_set(e, ERROR_INPUT, ret, "kernel %s: cannot read: %s", path, strerror(-ret));
		goto fail;
	}
	if (!memcmp(magic, "\x7f" "ELF", 4))
		ret = boot_parse_elf(fd, (uint64_t)st.st_size, layout, k, e);
	else
		ret = boot_parse_bzimage(fd, (uint64_t)st.st_size, layout, k, e);
	if (ret) {
		error_prefix(e, "kernel %s: ", path);
		goto fail;
	}
	return 0;
fail:
	close(fd);
	k->fd = -1;
	return ret;
}

void boot_kernel_close(struct boot_kernel *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}

int boot_kernel_load(const struct boot_kernel *k, struct guest_mem *gm, struct error *e)
{
	for (unsigned i = 0; i < k->nr_seg; i++) {
		const struct boot_segment *s = &k->seg[i];
		uint8_t *dst = guest_mem_ptr(gm, s->gpa, s->memsz);
		int ret;

		if (!dst)
			return error_set(e, ERROR_HOST, EFAULT,
					 "kernel segment [0x%llx, +0x%llx) is not guest RAM",
					 (unsigned long long)s->gpa, (unsigned long long)s->memsz);
		guest_mem_populate(gm, s->gpa, s->memsz);
		ret = pread_exact(k->fd, dst, s->filesz, s->file_offset);
		if (ret)
			return error_set(e, ERROR_INPUT, ret, "kernel: cannot read segment %u: %s%s", i,
					 strerror(-ret),
					 ret == -EIO ? " (the file shrank after cvmm opened it)" : "");
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
	}
	return 0;
}

int boot_cmdline_fits(const struct boot_kernel *k, const char *cmdline, struct error *e)
{
	size_t len = strlen(cmdline ? cmdline : "");

	if (len > k->cmdline_max)
		return error_set(e, ERROR_USAGE, E2BIG,
				 "command line is %zu bytes; this kernel accepts at most %u", len,
				 k->cmdline_max);
	return 0;
}

int boot_write_info(struct guest_mem *gm, const struct boot_kernel *k,
		    const struct boot_initrd *rd, const char *cmdline, uint64_t rsdp_gpa,
		    struct boot_info *info, struct error *e)
{
	size_t cmdlen = strlen(cmdline ? cmdline : "");
	char *dst;
	int ret;

	ret = boot_cmdline_fits(k, cmdline, e);
	if (ret)
		return ret;
	dst = guest_mem_ptr(gm, LAYOUT_CMDLINE_ADDR, LAYOUT_CMDLINE_MAX);
	if (!dst)
		return error_set(e, ERROR_HOST, EFAULT, "no guest RAM for the command line");
	memset(dst, 0, LAYOUT_CMDLINE_MAX);
	memcpy(dst, cmdline ? cmdline : "", cmdlen);

	memset(info, 0, sizeof(*info));
	info->kind = k->kind;
	info->entry = k->entry;
	info->kernel_start = k->load_start;
	info->kernel_end = k->load_end;
	info->initrd_gpa = rd->size ? rd->gpa : 0;
	info->initrd_size = rd->size;
	if (k->kind == BOOT_IMAGE_PVH) {
		info->mode = BOOT_ENTRY_PVH32;
		info->params_gpa = LAYOUT_PVH_INFO_ADDR;
		ret = boot_write_pvh_start_info(gm, rsdp_gpa, info->initrd_gpa, info->initrd_size);
	} else {
		info->mode = BOOT_ENTRY_LINUX64;
		info->params_gpa = LAYOUT_BOOT_PARAMS_ADDR;
		ret = boot_write_zero_page(gm, k, rsdp_gpa, info->initrd_gpa, info->initrd_size);
	}
	if (!ret)
		ret = boot_write_page_tables(gm);
	if (!ret)
		ret = boot_write_gdt(gm);
	if (ret)
		return error_set(e, ERROR_HOST, ret, "cannot write boot structures: %s",
				 strerror(-ret));
	return 0;
}
