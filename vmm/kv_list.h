/* SPDX-License-Identifier: MIT */
/* Walking "key=value,key=value" option values (device specs such as --net). */
#ifndef CVMM_KV_LIST_H
#define CVMM_KV_LIST_H

#include <stddef.h>

#define KV_KEY_MAX 32
#define KV_VAL_MAX 256

struct kv_pair {
	char key[KV_KEY_MAX];
	char val[KV_VAL_MAX];
};

/*
 * Reads the pair at *cursor into pair and moves *cursor past it and its comma.  Returns 1 when a
 * pair was read, 0 at the end of the text, -1 with one line in err when the text is not
 * key=value (empty or over-long key, value over KV_VAL_MAX - 1 characters).  Values cannot
 * contain commas.
 */
int kv_list_next(const char **cursor, struct kv_pair *pair, char *err, size_t errlen);

#endif
