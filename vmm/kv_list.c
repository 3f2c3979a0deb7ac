// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>

#include "vmm/error.h"
#include "vmm/kv_list.h"

int kv_list_next(const char **cursor, struct kv_pair *pair, struct error *e)
{
	const char *p = *cursor;
	size_t item_len, key_len, val_len;
	const char *eq;

	if (!*p)
		return 0;
	item_len = strcspn(p, ",");
	eq = memchr(p, '=', item_len);
	if (!eq)
		return error_set(e, ERROR_USAGE, EINVAL, "expected key=value at '%.*s'",
				 (int)item_len, p);
	key_len = (size_t)(eq - p);
	val_len = item_len - key_len - 1;
	if (key_len == 0 || key_len >= sizeof(pair->key))
		return error_set(e, ERROR_USAGE, EINVAL, "bad key at '%.*s'", (int)item_len, p);
	if (val_len >= sizeof(pair->val))
		return error_set(e, ERROR_USAGE, EINVAL, "value of '%.*s' is too long",
				 (int)key_len, p);
	memcpy(pair->key, p, key_len);
	pair->key[key_len] = 0;
	memcpy(pair->val, eq + 1, val_len);
	pair->val[val_len] = 0;
	*cursor = p[item_len] ? p + item_len + 1 : p + item_len;
	return 1;
}
