/* SPDX-License-Identifier: MIT */
/*
 * A small printf: %d %i %u %x %X %p %s %c %%, flags '-' and '0', width, precision (also ".*"
 * for strings that are not NUL-terminated), length modifiers hh h l ll z.
 */
#ifndef GUEST_PRINTF_H
#define GUEST_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Formats to COM1; lines longer than 255 bytes are cut. */
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
