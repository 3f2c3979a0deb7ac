// SPDX-License-Identifier: MIT
/* SEV hashes table: SHA-256 of kernel, initrd and command line for measured direct boot. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#include "boot/firmware.h"
#include "snp/sev_hashes.h"
#include "vmm/digest.h"
#include "vmm/error.h"

/* Every problem found here is the input file's. */
#define ERR(code, ...) (error_set(e, ERROR_INPUT, code, __VA_ARGS__), (code))

#define READ_CHUNK (64u << 10) /* stays in L2 between read() and the hash */

static const struct fw_guid table_guid =
	FW_GUID_INIT(0x9438d606, 0x4f22, 0x4cc9, 0xb4, 0x79, 0xa7, 0x93, 0xd4, 0x11, 0xfd, 0x21);
static const struct fw_guid cmdline_guid =
	FW_GUID_INIT(0x97d02dd8, 0xbd20, 0x4c94, 0xaa, 0x78, 0xe7, 0x71, 0x4d, 0x36, 0xab, 0x2a);
static const struct fw_guid initrd_guid =
	FW_GUID_INIT(0x44baf731, 0x3a2f, 0x4bd7, 0x9a, 0xf1, 0x41, 0xe2, 0x91, 0x69, 0x78, 0x1d);
static const struct fw_guid kernel_guid =
	FW_GUID_INIT(0x4de79437, 0xabd2, 0x427f, 0xb8, 0x35, 0xd5, 0xb1, 0x72, 0xd2, 0x04, 0x5b);

static int sha256(const void *data, size_t len, uint8_t out[SEV_HASH_SIZE])
{
	return digest_oneshot(DIGEST_SHA256, data, len, out);
}

static int hash_cmdline(const char *cmdline, uint8_t out[SEV_HASH_SIZE])
{
	if (!cmdline)
		cmdline = "";
	return sha256(cmdline, strlen(cmdline) + 1, out);
}

/* Streams a file through SHA-256 with one reusable buffer. */
static int sha256_file(const char *path, uint8_t *buf, uint8_t out[SEV_HASH_SIZE])
{
	struct digest *ctx;
	int fd, ret;

	ret = digest_new(&ctx, DIGEST_SHA256);
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out_ctx;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (;;) {
		ssize_t got = read(fd, buf, READ_CHUNK);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ret = -errno;
			goto out;
		}
		if (got == 0)
			break;
		ret = digest_update(ctx, buf, (size_t)got);
		if (ret)
			goto out;
	}
	ret = digest_final(ctx, out);
out:
	close(fd);
out_ctx:
	digest_free(ctx);
	return ret;
}

int sev_hashes_from_files(struct sev_hashes *h, const char *kernel, const char *initrd,
			  const char *cmdline, struct error *e)
{
	uint8_t *buf = malloc(READ_CHUNK);
	int ret;

	if (!buf)
		return ERR(-ENOMEM, "out of memory");
	ret = sha256_file(kernel, buf, h->kernel);
	if (ret) {
		error_set(e, ERROR_INPUT, ret, "kernel %s: %s", kernel, strerror(-ret));
		goto out;
	}
	ret = initrd ? sha256_file(initrd, buf, h->initrd) : sha256(NULL, 0, h->initrd);
	if (ret) {
		error_set(e, ERROR_INPUT, ret, "initrd %s: %s", initrd ? initrd : "", strerror(-ret));
		goto out;
	}
	ret = hash_cmdline(cmdline, h->cmdline);
	if (ret)
		error_set(e, ERROR_HOST, ret, "cannot hash the command line");
out:
	free(buf);
	return ret;
}

int sev_hashes_from_buffers(struct sev_hashes *h, const uint8_t *kernel, size_t kernel_len,
			    const uint8_t *initrd, size_t initrd_len, const char *cmdline)
{
	if (sha256(kernel, kernel_len, h->kernel) || sha256(initrd, initrd_len, h->initrd) ||
	    hash_cmdline(cmdline, h->cmdline))
		return -EIO;
	return 0;
}

static uint8_t *put_entry(uint8_t *p, const struct fw_guid *guid, const uint8_t *hash)
{
	const uint16_t len = 16 + 2 + SEV_HASH_SIZE;

	memcpy(p, guid->b, 16);
	p[16] = (uint8_t)len;
	p[17] = (uint8_t)(len >> 8);
	memcpy(p + 18, hash, SEV_HASH_SIZE);
	return p + len;
}

void sev_hashes_table(const struct sev_hashes *h, uint8_t out[SEV_HASHES_TABLE_PADDED])
{
	uint8_t *p = out;

	memset(out, 0, SEV_HASHES_TABLE_PADDED);
	memcpy(p, table_guid.b, 16);
	p[16] = (uint8_t)SEV_HASHES_TABLE_LEN;
	p[17] = (uint8_t)(SEV_HASHES_TABLE_LEN >> 8);
	p += 18;
	p = put_entry(p, &cmdline_guid, h->cmdline);
	p = put_entry(p, &initrd_guid, h->initrd);
	put_entry(p, &kernel_guid, h->kernel);
}
