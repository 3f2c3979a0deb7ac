/* SPDX-License-Identifier: MIT */
/*
 * Errors as values with a class.  The function that first knows what went wrong records one line
 * and whose fault it is; callers add context in front and pass the error up; the top level turns
 * the class into cvmm's exit status or an HTTP status.  Functions still return negative errno, so
 * a caller can branch on the cause without reading the message.
 *
 *   usage  the command line, configuration or API request is wrong          exit 2, HTTP 400
 *   input  an input file the user named is unusable (kernel, disk, ...)     exit 2, HTTP 400
 *   host   KVM, the kernel or a host resource failed                        exit 3, HTTP 500
 *   guest  the guest did something fatal (triple fault, crash report)       exit 1, HTTP 500
 */
#ifndef CVMM_ERROR_H
#define CVMM_ERROR_H

#include <stdbool.h>

enum error_class {
	ERROR_NONE = 0,
	ERROR_USAGE,
	ERROR_INPUT,
	ERROR_HOST,
	ERROR_GUEST,
};

#define ERROR_MSG_MAX 512

struct error {
	enum error_class cls;
	int errnum; /* positive errno of the cause */
	char msg[ERROR_MSG_MAX];
};

#define ERROR_INIT { .cls = ERROR_NONE }

/*
 * Records an error unless one is already recorded (the first one wins: it is the cause) and
 * returns -errnum (errnum may be given with either sign; 0 means EINVAL).  e may be NULL.
 */
int error_set(struct error *e, enum error_class cls, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Puts context in front of the recorded message: "kernel /boot/x: " + message. */
void error_prefix(struct error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void error_clear(struct error *e);

static inline bool error_is_set(const struct error *e)
{
	return e && e->cls != ERROR_NONE;
}

const char *error_class_name(enum error_class cls);
/* cvmm's exit status for the recorded error (0 when none is recorded). */
int error_exit_status(const struct error *e);
/* The HTTP status an API request that failed with this error answers (200 when none). */
int error_http_status(const struct error *e);

#endif
