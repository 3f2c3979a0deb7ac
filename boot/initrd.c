// SPDX-License-Identifier: MIT
/* Places the initrd as high in low RAM as the kernel allows, above the kernel image. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/boot.h"
#include "vmm/memory.h"
#include "vmm/util.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

int boot_load_initrd(struct guest_mem *gm, const char *path, const struct boot_kernel *k,
		     uint64_t *gpa, uint64_t *size, char *err, size_t errlen)
{
	uint64_t top, low_end, addr, len;
	struct stat st;
	void *dst;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		ERR("initrd %s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ERR("initrd %s: not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	len = (uint64_t)st.st_size;
	*gpa = 0;
	*size = 0;
	if (len == 0) {
		close(fd);
		return 0;
	}

	low_end = gm->regions[0].gpa + gm->regions[0].size;
	top = MIN(low_end, (uint64_t)k->initrd_addr_max + 1);
	if (len > top || ALIGN_DOWN(top - len, GUEST_PAGE_SIZE) < ALIGN_UP(k->load_end,
									     GUEST_PAGE_SIZE)) {
		ERR("initrd %s (%llu MiB) does not fit between the kernel end (0x%llx) and 0x%llx; "
		    "give the guest more memory", path, (unsigned long long)(len >> 20),
		    (unsigned long long)k->load_end, (unsigned long long)top);
		close(fd);
		return -ENOSPC;
	}
	addr = ALIGN_DOWN(top - len, GUEST_PAGE_SIZE);
	dst = guest_mem_ptr(gm, addr, len);
	guest_mem_populate(gm, addr, len);
	ret = dst ? pread_exact(fd, dst, len, 0) : -EFAULT;
	close(fd);
	if (ret) {
		ERR("initrd %s: cannot read: %s", path, strerror(-ret));
		return ret;
	}
	*gpa = addr;
	*size = len;
	return 0;
}
