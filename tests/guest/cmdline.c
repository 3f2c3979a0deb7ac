// SPDX-License-Identifier: MIT
#include "tests/guest/cmdline.h"
#include "tests/guest/guest.h"
#include "tests/guest/libc.h"

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool cmdline_next(const char **pos, struct token *tok)
{
	const char *p = *pos, *start;

	while (*p && is_space(*p))
		p++;
	if (!*p)
		return false;
	start = p;
	while (*p && !is_space(*p) && *p != '=')
		p++;
	tok->key = start;
	tok->key_len = (size_t)(p - start);
	tok->val = NULL;
	tok->val_len = 0;
	if (*p == '=') {
		tok->val = ++p;
		while (*p && !is_space(*p))
			p++;
		tok->val_len = (size_t)(p - tok->val);
	}
	*pos = p;
	return true;
}

static bool key_is(const struct token *tok, const char *key)
{
	size_t n = strlen(key);

	return tok->key_len == n && !memcmp(tok->key, key, n);
}

bool cmdline_get(const char *cmdline, const char *key, const char **val, size_t *len)
{
	const char *pos = cmdline;
	struct token tok;
	bool found = false;

	while (cmdline_next(&pos, &tok)) {
		if (tok.val && key_is(&tok, key)) {
			*val = tok.val;
			*len = tok.val_len;
			found = true;
		}
	}
	return found;
}

bool cmdline_get_u64(const char *cmdline, const char *key, uint64_t *out)
{
	const char *v;
	size_t n;

	return cmdline_get(cmdline, key, &v, &n) && parse_u64(v, n, out);
}

bool list_next(const char *list, size_t len, size_t *pos, const char **item, size_t *item_len)
{
	size_t i = *pos, j = i;

	if (i > len)
		return false;
	while (j < len && list[j] != ',')
		j++;
	*item = list + i;
	*item_len = j - i;
	*pos = j + 1;
	return true;
}

bool list_contains(const char *list, size_t len, const char *name)
{
	size_t n = strlen(name), pos = 0, item_len;
	const char *item;

	while (list_next(list, len, &pos, &item, &item_len))
		if (item_len == n && !memcmp(item, name, n))
			return true;
	return false;
}

/* cvmmtest.cmdline_check=<word> must be there; the word is echoed for the host to compare. */
bool check_cmdline(struct check_result *res)
{
	const char *word;
	size_t len;

	if (!boot.has_cmdline) {
		result_add(res, "no command line passed");
		return false;
	}
	if (boot.cmdline_truncated) {
		result_add(res, "command line longer than %d bytes", BOOT_CMDLINE_MAX - 1);
		return false;
	}
	if (!cmdline_get(boot.cmdline, "cvmmtest.cmdline_check", &word, &len) || !len) {
		result_add(res, "no cvmmtest.cmdline_check=<word> among %zu bytes",
			   strlen(boot.cmdline));
		return false;
	}
	result_add(res, "cmdline_check=%.*s", (int)len, word);
	return true;
}
