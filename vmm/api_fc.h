/* SPDX-License-Identifier: MIT */
/*
 * The Firecracker-compatible API: its routes, the JSON bodies of Firecracker's swagger (with the
 * fields Kata's fc drivers send, and cvmm's confidential extensions), and --config-file, which is
 * the same JSON as the API.  Parsing is strict: an unknown field, a wrong type or a bad value is a
 * 400 naming the field; nothing reaches the VM before the whole body has been checked.
 */
#ifndef CVMM_API_FC_H
#define CVMM_API_FC_H

#include <stddef.h>

#include "vmm/api_http.h"

struct api_vmm;
struct error;

/* The route table, its handlers working on a. */
void api_fc_routes(struct api_vmm *a, struct api_routes *out);

/* A --config-file document: each section applied as its PUT would be (logger and metrics first). */
int api_fc_load_config(struct api_vmm *a, const char *json, size_t len, struct error *e);

/* {"fault_message": message} (malloc'd). */
char *api_fc_error_body(const char *message);

#endif
