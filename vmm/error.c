// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmm/error.h"
#include "vmm/util.h"

int error_set(struct error *e, enum error_class cls, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (errnum < 0)
		errnum = -errnum;
	if (!errnum)
		errnum = 22; /* EINVAL */
	if (!e || e->cls != ERROR_NONE)
		return -errnum;
	e->cls = cls;
	e->errnum = errnum;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return -errnum;
}

void error_prefix(struct error *e, const char *fmt, ...)
{
	char msg[ERROR_MSG_MAX];
	va_list ap;
	int n;

	if (!error_is_set(e))
		return;
	memcpy(msg, e->msg, sizeof(msg));
	va_start(ap, fmt);
	n = vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(e->msg))
		memcpy(e->msg + n, msg, MIN(strlen(msg) + 1, sizeof(e->msg) - (size_t)n - 1));
	e->msg[sizeof(e->msg) - 1] = 0;
}

void error_clear(struct error *e)
{
	if (!e)
		return;
	e->cls = ERROR_NONE;
	e->errnum = 0;
	e->msg[0] = 0;
}

const char *error_class_name(enum error_class cls)
{
	switch (cls) {
	case ERROR_NONE:
		return "none";
	case ERROR_USAGE:
		return "usage";
	case ERROR_INPUT:
		return "input";
	case ERROR_HOST:
		return "host";
	case ERROR_GUEST:
		return "guest";
	}
	return "?";
}

int error_exit_status(const struct error *e)
{
	switch (e ? e->cls : ERROR_NONE) {
	case ERROR_NONE:
		return 0;
	case ERROR_GUEST:
		return 1;
	case ERROR_USAGE:
	case ERROR_INPUT:
		return 2;
	case ERROR_HOST:
		return 3;
	}
	return 3;
}

int error_http_status(const struct error *e)
{
	switch (e ? e->cls : ERROR_NONE) {
	case ERROR_NONE:
		return 200;
	case ERROR_USAGE:
	case ERROR_INPUT:
		return 400;
	case ERROR_HOST:
	case ERROR_GUEST:
		return 500;
	}
	return 500;
}
