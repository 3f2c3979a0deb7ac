/* SPDX-License-Identifier: MIT */
/*
 * Test support for tests that need a real TAP device: they run in a private network namespace
 * (so no interface of the host is touched), as root, with a working /dev/net/tun.
 */
#ifndef CVMM_TEST_TAP_ENV_H
#define CVMM_TEST_TAP_ENV_H

#include <stdbool.h>
#include <stddef.h>

/* Moves the process into its own network namespace once; false with a one-line reason. */
bool tap_env_enter(char *why, size_t len);
/* Sets the interface's MTU, turns IPv6 off on it (no autoconfiguration chatter) and brings it
 * up.  0 or -errno. */
int tap_env_if_up(const char *ifname, unsigned mtu);
/* A tap (or tun) queue opened the way another program (a Kata shim) would: TUNSETIFF with these
 * IFF_ flags, blocking, the kernel's default header size.  The fd, or -errno. */
int tap_env_open_queue(const char *ifname, short flags);
/* An AF_PACKET socket bound to ifname for ethertype (host order), non-blocking; or -errno. */
int tap_env_packet_socket(const char *ifname, unsigned short ethertype);

#endif
