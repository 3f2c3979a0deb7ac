/* SPDX-License-Identifier: MIT */
#ifndef CVMM_UTIL_H
#define CVMM_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KiB(x) ((uint64_t)(x) << 10)
#define MiB(x) ((uint64_t)(x) << 20)
#define GiB(x) ((uint64_t)(x) << 30)

#define ALIGN_UP(x, a)   (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* True when [off, off+len) lies inside [0, size), without overflow. */
static inline bool range_within(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

/* Parses an unsigned integer (decimal, 0x hex) with an optional K/M/G suffix when allow_suffix. */
int parse_u64(const char *s, uint64_t *out, bool allow_suffix);

/* Parses exactly 2 * len hex digits (no prefix) into out; -EINVAL otherwise. */
int parse_hex_bytes(const char *s, uint8_t *out, size_t len);

/* pread()s exactly len bytes at off; -EIO on a short file, -errno on failure. */
int pread_exact(int fd, void *buf, size_t len, uint64_t off);

/*
 * Decodes exactly len bytes written as 2 * len hex digits or as standard base64 (padding
 * optional, no whitespace); -EINVAL for anything else, out untouched then.
 */
int parse_bytes(const char *s, uint8_t *out, size_t len);

/* Reads a whole regular file into a malloc'd buffer; negative errno on failure. */
int read_whole_file(const char *path, uint8_t **data, size_t *len);

#endif
