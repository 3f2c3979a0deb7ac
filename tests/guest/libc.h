/* SPDX-License-Identifier: MIT */
/* The few libc pieces the freestanding guest needs. */
#ifndef GUEST_LIBC_H
#define GUEST_LIBC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);

/* Parses all of s[0..len) as an unsigned number (decimal, or hex with 0x); false on junk. */
bool parse_u64(const char *s, size_t len, uint64_t *out);
/* Same, but always hexadecimal (an optional 0x prefix is accepted). */
bool parse_hex_u64(const char *s, size_t len, uint64_t *out);

/* CRC-32 (IEEE 802.3, as zlib's crc32()); start with crc = 0. */
uint32_t crc32(uint32_t crc, const void *buf, size_t len);

#endif
