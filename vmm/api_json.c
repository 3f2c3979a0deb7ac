// SPDX-License-Identifier: MIT
/* JSON request bodies: strict parsing and checks by field list, shared by the API dialects. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/api_http.h"
#include "vmm/api_json.h"
#include "vmm/config.h"
#include "vmm/error.h"
#include "vmm/util.h"

#define BAD(...) error_set(e, ERROR_USAGE, EINVAL, __VA_ARGS__)

static const char *const jtype_names[] = {
	[J_STR] = "a string",
	[J_BOOL] = "a boolean",
	[J_UINT] = "a non-negative integer",
	[J_OBJ] = "an object",
	[J_ARR] = "an array",
};

json_t *api_json_load(const char *text, size_t len, struct error *e)
{
	json_error_t je;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);

	if (!o)
		BAD("malformed JSON: %s (line %d, column %d)", je.text, je.line, je.column);
	return o;
}

void api_answer(struct api_response *resp, const struct error *e, int ok_status,
		char *(*error_body)(const char *message))
{
	if (!error_is_set(e)) {
		resp->status = ok_status;
		return;
	}
	resp->status = error_http_status(e);
	resp->body = error_body(e->msg);
}

void api_answer_json(struct api_response *resp, json_t *o)
{
	resp->body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	resp->status = resp->body ? 200 : 500;
	json_decref(o);
}

void api_run_apply(struct api_vmm *a, const struct api_request *req, struct api_response *resp,
		   api_apply_fn fn, char *(*error_body)(const char *message))
{
	struct error e = ERROR_INIT;
	json_t *body = api_json_load(req->body, req->body_len, &e);

	if (body)
		fn(a, body, req->param, &e);
	json_decref(body);
	api_answer(resp, &e, 204, error_body);
}

static bool type_ok(const json_t *v, enum jtype t)
{
	switch (t) {
	case J_STR:
		return json_is_string(v);
	case J_BOOL:
		return json_is_boolean(v);
	case J_UINT:
		return json_is_integer(v) && json_integer_value(v) >= 0;
	case J_OBJ:
		return json_is_object(v);
	case J_ARR:
		return json_is_array(v);
	}
	return false;
}

int api_check_fields(const json_t *o, const char *what, const struct jfield *f, size_t n,
		     struct error *e)
{
	const char *key;
	json_t *val;

	if (!json_is_object(o))
		return BAD("%s: expected a JSON object", what);
	json_object_foreach((json_t *)o, key, val) {
		size_t i;

		for (i = 0; i < n && strcmp(f[i].name, key); i++)
			;
		if (i == n)
			return BAD("%s: unknown field '%s'", what, key);
		if (json_is_null(val) && !f[i].required)
			continue;
		if (!type_ok(val, f[i].type))
			return BAD("%s: '%s' must be %s", what, key, jtype_names[f[i].type]);
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *v = json_object_get(o, f[i].name);

		if (f[i].required && (!v || json_is_null(v)))
			return BAD("%s: missing required field '%s'", what, f[i].name);
	}
	return 0;
}

static int parse_bucket(const json_t *o, const char *what, struct rl_bucket_config *b,
			struct error *e)
{
	static const struct jfield f[] = {
		{ "size", J_UINT, true },
		{ "one_time_burst", J_UINT, false },
		{ "refill_time", J_UINT, true },
	};
	int ret = api_check_fields(o, what, f, ARRAY_SIZE(f), e);

	if (ret)
		return ret;
	b->size = juint(o, "size", 0);
	b->one_time_burst = juint(o, "one_time_burst", 0);
	b->refill_time_ms = juint(o, "refill_time", 0);
	if (b->size && !b->refill_time_ms)
		return BAD("%s: refill_time must be positive when size is", what);
	return 0;
}

int api_parse_limiter(const json_t *o, const char *what, struct rate_limit_config *l,
		      struct error *e)
{
	static const struct jfield f[] = {
		{ "bandwidth", J_OBJ, false },
		{ "ops", J_OBJ, false },
	};
	char sub[96];
	int ret;

	memset(l, 0, sizeof(*l));
	if (!o || json_is_null(o))
		return 0;
	ret = api_check_fields(o, what, f, ARRAY_SIZE(f), e);
	if (!ret && jhas(o, "bandwidth")) {
		snprintf(sub, sizeof(sub), "%s.bandwidth", what);
		ret = parse_bucket(json_object_get(o, "bandwidth"), sub, &l->bandwidth, e);
	}
	if (!ret && jhas(o, "ops")) {
		snprintf(sub, sizeof(sub), "%s.ops", what);
		ret = parse_bucket(json_object_get(o, "ops"), sub, &l->ops, e);
	}
	return ret;
}

bool api_limiter_limits(const struct rate_limit_config *l)
{
	return l->bandwidth.size || l->ops.size;
}

int api_refuse_limits(const json_t *o, const char *what, const char *why, struct error *e)
{
	struct rate_limit_config l;
	int ret = api_parse_limiter(o, what, &l, e);

	if (!ret && api_limiter_limits(&l))
		return BAD("%s: %s (only an empty limiter, or buckets of size 0, are accepted)", what,
			   why);
	return ret;
}

void api_clean_text(char *out, size_t cap, const char *in)
{
	size_t i = 0;

	for (; in && in[i] && i + 1 < cap; i++)
		out[i] = in[i] >= 0x20 && in[i] < 0x7f ? in[i] : '?';
	if (cap)
		out[i] = 0;
}

int api_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
				      &v[4], &v[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (s[3 * i + 2] != ':' && i < 5)
			return -EINVAL;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}
