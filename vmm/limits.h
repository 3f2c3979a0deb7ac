/* SPDX-License-Identifier: MIT */
/*
 * Limits on what a guest or a host client can make cvmm hold.  Each has a default that serves
 * the usual sandbox, can be set with --limits KEY=VALUE,... (or by the sandbox policy), and is
 * enforced by the device it concerns, which counts every refusal (vm_get_counters()).
 *
 *   vsock_conns         connections at once, host handshakes included             1024
 *   vsock_handshakes    host clients that have not sent their CONNECT line yet     64
 *                       (they count as connections too)
 *   vsock_handshake_ms  time a host client has to send that line                  2000
 *   vsock_buf_kib       buffer (and credit given to the guest) per connection      256
 *   vsock_mem_mib       buffer memory over all connections: each connection        64
 *                       reserves vsock_buf_kib when it is set up, or is refused
 *   serial_file_mib     bytes --serial file:PATH may grow to; the rest is dropped  64
 *
 * See docs/sandbox.md.
 */
#ifndef CVMM_LIMITS_H
#define CVMM_LIMITS_H

#include <stdint.h>

struct error;

struct vm_limits {
	unsigned vsock_conns;
	unsigned vsock_handshakes;
	unsigned vsock_handshake_ms;
	unsigned vsock_buf_kib;
	unsigned vsock_mem_mib;
	unsigned serial_file_mib;
};

void limits_init(struct vm_limits *l);
/* Sets the keys of "key=value,..." (others keep their value); one usage error line otherwise. */
int limits_parse(struct vm_limits *l, const char *spec, struct error *e);
/* Each value within its range, and the combinations (a connection's buffer fits the memory). */
int limits_validate(const struct vm_limits *l, struct error *e);

#endif
