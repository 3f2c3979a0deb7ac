// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/util.h"

int parse_u64(const char *s, uint64_t *out, bool allow_suffix)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	if (*end && allow_suffix) {
		switch (*end) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		default: return -EINVAL;
		}
		end++;
	}
	if (*end)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int base64_digit(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int parse_hex_bytes(const char *s, uint8_t *out, size_t len)
{
	if (strlen(s) != 2 * len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* Standard base64 of exactly len bytes: ceil(len / 3) * 4 characters with '=', or without. */
static int parse_base64_bytes(const char *s, size_t slen, uint8_t *out, size_t len)
{
	size_t unpadded = (len * 4 + 2) / 3, o = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (slen != unpadded && slen != (len + 2) / 3 * 4)
		return -EINVAL;
	for (size_t i = unpadded; i < slen; i++)
		if (s[i] != '=')
			return -EINVAL;
	for (size_t i = 0; i < unpadded; i++) {
		int d = base64_digit(s[i]);

		if (d < 0)
			return -EINVAL;
		acc = acc << 6 | (uint32_t)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* The bits left over must be zero (one canonical spelling per value). */
	return acc & ((1u << bits) - 1) ? -EINVAL : 0;
}

int parse_bytes(const char *s, uint8_t *out, size_t len)
{
	size_t slen = s ? strlen(s) : 0;
	uint8_t tmp[256];
	int ret;

	if (!len || len > sizeof(tmp))
		return -EINVAL;
	ret = slen == 2 * len ? parse_hex_bytes(s, tmp, len) : -EINVAL;
	if (ret) /* a short value may have a base64 spelling as long as its hex one */
		ret = parse_base64_bytes(s, slen, tmp, len);
	if (!ret)
		memcpy(out, tmp, len);
	return ret;
}

int read_whole_file(const char *path, uint8_t **data, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto out;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			free(buf);
			goto out;
		}
		done += n;
	}
	*data = buf;
	*len = done;
	err = 0;
out:
	close(fd);
	return err;
}

int pread_exact(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}
