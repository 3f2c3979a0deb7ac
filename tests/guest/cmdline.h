/* SPDX-License-Identifier: MIT */
/* Kernel-style command line: space-separated "key=value" or "flag" tokens. */
#ifndef GUEST_CMDLINE_H
#define GUEST_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct token {
	const char *key;
	size_t key_len;
	const char *val; /* NULL for a token without '=' */
	size_t val_len;
};

/* Iterates tokens: start with *pos = cmdline; returns false at the end. */
bool cmdline_next(const char **pos, struct token *tok);
/* The value of the last token whose key is key (later tokens override earlier ones). */
bool cmdline_get(const char *cmdline, const char *key, const char **val, size_t *len);
/* A numeric option (decimal, or hex with 0x); false when absent or malformed. */
bool cmdline_get_u64(const char *cmdline, const char *key, uint64_t *out);
/*
 * The next comma-separated item of list[0..len) from *pos (start at 0): item and its length;
 * false at the end.  Empty items are returned too.
 */
bool list_next(const char *list, size_t len, size_t *pos, const char **item, size_t *item_len);
/* True if name is one of the comma-separated items of list[0..len). */
bool list_contains(const char *list, size_t len, const char *name);

#endif
