/* SPDX-License-Identifier: MIT */
/* Walking "key=value,key=value" option values (--drive, --vsock, --net). */
#ifndef CVMM_KV_LIST_H
#define CVMM_KV_LIST_H

struct error;

#define KV_KEY_MAX 32
#define KV_VAL_MAX 4097 /* a path of CONFIG_PATH_MAX bytes and its NUL */

struct kv_pair {
	char key[KV_KEY_MAX];
	char val[KV_VAL_MAX];
};

/*
 * Reads the pair at *cursor into pair and moves *cursor past it and its comma.  Returns 1 when a
 * pair was read, 0 at the end of the text, -EINVAL with a usage error in e when the text is not
 * key=value (no '=', empty or over-long key, value over KV_VAL_MAX - 1 characters).  Values
 * cannot contain commas; a value may contain '='.
 */
int kv_list_next(const char **cursor, struct kv_pair *pair, struct error *e);

#endif
