// SPDX-License-Identifier: MIT
/* Places the initrd as high in low RAM as the kernel allows, above the kernel image. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/boot.h"
#include "vmm/error.h"
#include "vmm/memory.h"
#include "vmm/util.h"

int boot_initrd_open(struct boot_initrd *rd, const char *path, const struct boot_kernel *k,
		     const struct guest_mem *layout, struct error *e)
{
	uint64_t top, low_end, len;
	struct stat st;
	int fd;

	*rd = (struct boot_initrd){ .fd = -1 };
	if (!path)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_set(e, ERROR_INPUT, errno, "initrd %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return error_set(e, ERROR_INPUT, EINVAL, "initrd %s: not a regular file", path);
	}
	len = (uint64_t)st.st_size;
	rd->fd = fd;
	if (len == 0)
		return 0;

	low_end = layout->regions[0].gpa + layout->regions[0].size;
	top = MIN(low_end, (uint64_t)k->initrd_addr_max + 1);
	if (len > top ||
	    ALIGN_DOWN(top - len, GUEST_PAGE_SIZE) < ALIGN_UP(k->load_end, GUEST_PAGE_SIZE)) {
		boot_initrd_close(rd);
		return error_set(e, ERROR_INPUT, ENOSPC,
				 "initrd %s (%llu MiB) does not fit between the kernel end (0x%llx) "
				 "and 0x%llx; give the guest more memory", path,
				 (unsigned long long)(len >> 20), (unsigned long long)k->load_end,
				 (unsigned long long)top);
	}
	rd->size = len;
	rd->gpa = ALIGN_DOWN(top - len, GUEST_PAGE_SIZE);
	return 0;
}

void boot_initrd_close(struct boot_initrd *rd)
{
	if (rd->fd >= 0)
		close(rd->fd);
	rd->fd = -1;
}

int boot_initrd_load(const struct boot_initrd *rd, struct guest_mem *gm, struct error *e)
{
	void *dst;
	int ret;

	if (!rd->size)
		return 0;
	dst = guest_mem_ptr(gm, rd->gpa, rd->size);
	if (!dst)
		return error_set(e, ERROR_HOST, EFAULT, "initrd: [0x%llx, +0x%llx) is not guest RAM",
				 (unsigned long long)rd->gpa, (unsigned long long)rd->size);
	guest_mem_populate(gm, rd->gpa, rd->size);
	/* The file was sized when it was opened: a shorter file now is an error, not zeros. */
	ret = pread_exact(rd->fd, dst, rd->size, 0);
	if (ret)
		return error_set(e, ERROR_INPUT, ret, "initrd: cannot read: %s%s", strerror(-ret),
				 ret == -EIO ? " (the file shrank after cvmm opened it)" : "");
	return 0;
}
