/* SPDX-License-Identifier: MIT */
/*
 * JSON request bodies, shared by the API dialects (vmm/api_fc.c, vmm/api_ch.c): a body is parsed
 * strictly (duplicate keys refused), then checked against its list of fields (names, types,
 * required ones; null stands for an absent optional field) before any value is looked at, so that
 * a bad body is refused as a whole with one line naming the field.  Rate limiters (Firecracker's
 * RateLimiter and Cloud Hypervisor's RateLimiterConfig have the same shape) are parsed here too.
 */
#ifndef CVMM_API_JSON_H
#define CVMM_API_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct api_request;
struct api_response;
struct api_vmm;
struct error;
struct rate_limit_config;

enum jtype {
	J_STR,
	J_BOOL,
	J_UINT,
	J_OBJ,
	J_ARR,
};

struct jfield {
	const char *name;
	enum jtype type;
	bool required;
};

/* The body as JSON; a usage error naming the line and column when it is not JSON. */
json_t *api_json_load(const char *text, size_t len, struct error *e);

/*
 * o is an object with only these fields, each of its type (null stands for an absent optional
 * field), and every required one present.  what names o in the message ("vm.create.memory").
 */
int api_check_fields(const json_t *o, const char *what, const struct jfield *f, size_t n,
		     struct error *e);

/* Field getters for a checked object: absent and null read as "not given". */
static inline bool jhas(const json_t *o, const char *name)
{
	const json_t *v = json_object_get(o, name);

	return v && !json_is_null(v);
}

static inline const char *jstr(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

static inline bool jbool(const json_t *o, const char *name, bool dflt)
{
	return jhas(o, name) ? json_is_true(json_object_get(o, name)) : dflt;
}

static inline uint64_t juint(const json_t *o, const char *name, uint64_t dflt)
{
	return jhas(o, name) ? (uint64_t)json_integer_value(json_object_get(o, name)) : dflt;
}

/*
 * A rate limiter {bandwidth, ops}, each a token bucket {size, one_time_burst, refill_time}, into
 * cvmm's (vmm/config.h; its value limits are config_validate()'s).  null: no limit.
 */
int api_parse_limiter(const json_t *o, const char *what, struct rate_limit_config *l,
		      struct error *e);
bool api_limiter_limits(const struct rate_limit_config *l);
/* A limiter cvmm cannot apply there (why): only an empty one, or buckets of size 0, pass. */
int api_refuse_limits(const json_t *o, const char *what, const char *why, struct error *e);

/* What a request does with its checked body; param: the path's {} segment, if any. */
typedef int (*api_apply_fn)(struct api_vmm *a, const json_t *body, const char *param,
			    struct error *e);

/*
 * The answer of a request that ended with e: ok_status (204, 200) without a body when nothing
 * went wrong, else error_http_status(e) with the dialect's error body for e's message.
 */
void api_answer(struct api_response *resp, const struct error *e, int ok_status,
		char *(*error_body)(const char *message));
/* 200 with o as its body (o is released); 500 when it cannot be written. */
void api_answer_json(struct api_response *resp, json_t *o);
/* Parses the request's body as JSON, hands it to fn, answers 204 or the error. */
void api_run_apply(struct api_vmm *a, const struct api_request *req, struct api_response *resp,
		   api_apply_fn fn, char *(*error_body)(const char *message));

/* A client's text quoted in an answer: printable ASCII only (hence valid UTF-8), bounded. */
void api_clean_text(char *out, size_t cap, const char *in);

/* "xx:xx:xx:xx:xx:xx" into six bytes; -EINVAL for anything else. */
int api_parse_mac(const char *s, uint8_t mac[6]);

#endif
