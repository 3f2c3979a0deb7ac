// SPDX-License-Identifier: MIT
/* The limits table: names, defaults, ranges; parsing of --limits and the checks. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "vmm/error.h"
#include "vmm/kv_list.h"
#include "vmm/limits.h"
#include "vmm/util.h"

struct limit_row {
	const char *name;
	size_t offset;
	unsigned dflt, min, max;
};

#define ROW(field, d, lo, hi) { #field, offsetof(struct vm_limits, field), d, lo, hi }

static const struct limit_row rows[] = {
	ROW(vsock_conns, 1024, 1, 65536),
	ROW(vsock_handshakes, 64, 1, 65536),
	ROW(vsock_handshake_ms, 2000, 100, 60000),
	ROW(vsock_buf_kib, 256, 4, 16384),
	ROW(vsock_mem_mib, 64, 1, 65536),
	ROW(serial_file_mib, 64, 1, 1048576),
};

static unsigned *field(struct vm_limits *l, const struct limit_row *r)
{
	return (unsigned *)((char *)l + r->offset);
}

void limits_init(struct vm_limits *l)
{
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		*field(l, &rows[i]) = rows[i].dflt;
}

int limits_parse(struct vm_limits *l, const char *spec, struct error *e)
{
	const char *cursor = spec;
	struct kv_pair kv;
	int r;

	while ((r = kv_list_next(&cursor, &kv, e)) > 0) {
		const struct limit_row *row = NULL;
		uint64_t v;

		for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
			if (!strcmp(rows[i].name, kv.key))
				row = &rows[i];
		if (!row)
			return error_set(e, ERROR_USAGE, EINVAL,
					 "unknown limit '%s' (expected vsock_conns, vsock_handshakes, "
					 "vsock_handshake_ms, vsock_buf_kib, vsock_mem_mib, "
					 "serial_file_mib)", kv.key);
		if (parse_u64(kv.val, &v, false) || v < row->min || v > row->max)
			return error_set(e, ERROR_USAGE, EINVAL, "%s=%s: expected %u to %u", kv.key,
					 kv.val, row->min, row->max);
		*field(l, row) = (unsigned)v;
	}
	return r < 0 ? -EINVAL : 0;
}

int limits_validate(const struct vm_limits *l, struct error *e)
{
	struct vm_limits copy = *l;

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		unsigned v = *field(&copy, &rows[i]);

		if (v < rows[i].min || v > rows[i].max)
			return error_set(e, ERROR_USAGE, EINVAL, "--limits %s=%u: expected %u to %u",
					 rows[i].name, v, rows[i].min, rows[i].max);
	}
	if ((uint64_t)l->vsock_buf_kib > (uint64_t)l->vsock_mem_mib * 1024)
		return error_set(e, ERROR_USAGE, EINVAL,
				 "--limits: vsock_buf_kib=%u is more than vsock_mem_mib=%u holds",
				 l->vsock_buf_kib, l->vsock_mem_mib);
	return 0;
}
