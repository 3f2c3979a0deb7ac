// SPDX-License-Identifier: MIT
/* Direct boot: recognise the kernel format, load kernel and initrd, write the boot information. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/boot.h"
#include "vmm/layout.h"
#include "vmm/memory.h"
#include "vmm/util.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

static int load_kernel(struct guest_mem *gm, const char *path, struct boot_kernel *k, char *err,
		       size_t errlen)
{
	uint8_t magic[4];
	struct stat st;
	char why[400];
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		ERR("kernel %s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ERR("kernel %s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	if (st.st_size < (off_t)sizeof(magic)) {
		ERR("kernel %s: file too short to be a kernel (%lld bytes)", path,
		    (long long)st.st_size);
		close(fd);
		return -ENOEXEC;
	}
	ret = pread_exact(fd, magic, sizeof(magic), 0);
	if (ret) {
		ERR("kernel %s: cannot read: %s", path, strerror(-ret));
		close(fd);
		return ret;
	}
	why[0] = 0;
	if (!memcmp(magic, "\x7f" "ELF", 4))
		ret = boot_load_elf(gm, fd, (uint64_t)st.st_size, k, why, sizeof(why));
	else
		ret = boot_load_bzimage(gm, fd, (uint64_t)st.st_size, k, why, sizeof(why));
	close(fd);
	if (ret)
		ERR("kernel %s: %s", path, why);
	return ret;
}

int boot_load(struct guest_mem *gm, const struct boot_request *req, struct boot_info *info,
	      char *err, size_t errlen)
{
	struct boot_kernel k;
	const char *cmdline = req->cmdline ? req->cmdline : "";
	uint64_t initrd_gpa = 0, initrd_size = 0;
	size_t cmdlen = strlen(cmdline);
	char *dst;
	int ret;

	ret = load_kernel(gm, req->kernel_path, &k, err, errlen);
	if (ret)
		return ret;
	if (cmdlen > k.cmdline_max) {
		ERR("command line is %zu bytes; this kernel accepts at most %u", cmdlen,
		    k.cmdline_max);
		return -E2BIG;
	}
	dst = guest_mem_ptr(gm, LAYOUT_CMDLINE_ADDR, LAYOUT_CMDLINE_MAX);
	if (!dst)
		return -EFAULT;
	memset(dst, 0, LAYOUT_CMDLINE_MAX);
	memcpy(dst, cmdline, cmdlen);

	if (req->initrd_path) {
		ret = boot_load_initrd(gm, req->initrd_path, &k, &initrd_gpa, &initrd_size, err,
				       errlen);
		if (ret)
			return ret;
	}

	memset(info, 0, sizeof(*info));
	info->kind = k.kind;
	info->entry = k.entry;
	info->kernel_start = k.load_start;
	info->kernel_end = k.load_end;
	info->initrd_gpa = initrd_gpa;
	info->initrd_size = initrd_size;
	if (k.kind == BOOT_IMAGE_PVH) {
		info->mode = BOOT_ENTRY_PVH32;
		info->params_gpa = LAYOUT_PVH_INFO_ADDR;
		ret = boot_write_pvh_start_info(gm, req, initrd_gpa, initrd_size);
	} else {
		info->mode = BOOT_ENTRY_LINUX64;
		info->params_gpa = LAYOUT_BOOT_PARAMS_ADDR;
		ret = boot_write_zero_page(gm, &k, req, initrd_gpa, initrd_size);
	}
	if (!ret)
		ret = boot_write_page_tables(gm);
	if (!ret)
		ret = boot_write_gdt(gm);
	if (ret)
		ERR("cannot write boot structures: %s", strerror(-ret));
	return ret;
}
