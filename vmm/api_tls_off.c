// SPDX-License-Identifier: MIT
/*
 * GnuTLS, absent.  Debian's static libmicrohttpd is built with HTTPS support and so refers to
 * GnuTLS, which cannot be linked statically there (no static p11-kit).  cvmm serves its API on a
 * Unix socket and never asks libmicrohttpd for TLS (no MHD_USE_TLS), so the static cvmm links these
 * definitions in GnuTLS's place (Makefile: STATIC=1 only): the library's start-up
 * (gnutls_global_init in libmicrohttpd's constructor) succeeds and does nothing, and every other
 * entry point, reachable only through a TLS connection, aborts.  Dynamic builds use the real
 * GnuTLS and never pull this file in.  The declarations are deliberately untyped beyond the
 * symbol: nothing in cvmm calls them.
 */
#include <stdlib.h>

int gnutls_global_init(void);
void gnutls_global_deinit(void);
extern void *(*gnutls_malloc)(size_t);

int gnutls_global_init(void)
{
	return 0;
}

void gnutls_global_deinit(void)
{
}

void *(*gnutls_malloc)(size_t) = malloc;

/* Only a TLS connection reaches these. */
#define TLS_ABSENT(name)                                                                        \
	int name(void);                                                                        \
	int name(void)                                                                         \
	{                                                                                      \
		abort();                                                                       \
	}
TLS_ABSENT(gnutls_alpn_set_protocols)
TLS_ABSENT(gnutls_bye)
TLS_ABSENT(gnutls_certificate_allocate_credentials)
TLS_ABSENT(gnutls_certificate_free_credentials)
TLS_ABSENT(gnutls_certificate_server_set_request)
TLS_ABSENT(gnutls_certificate_set_dh_params)
TLS_ABSENT(gnutls_certificate_set_retrieve_function2)
TLS_ABSENT(gnutls_certificate_set_retrieve_function3)
TLS_ABSENT(gnutls_certificate_set_x509_key_mem)
TLS_ABSENT(gnutls_certificate_set_x509_key_mem2)
TLS_ABSENT(gnutls_certificate_set_x509_trust_mem)
TLS_ABSENT(gnutls_cipher_get)
TLS_ABSENT(gnutls_credentials_set)
TLS_ABSENT(gnutls_deinit)
TLS_ABSENT(gnutls_dh_params_deinit)
TLS_ABSENT(gnutls_dh_params_import_pkcs3)
TLS_ABSENT(gnutls_dh_params_init)
TLS_ABSENT(gnutls_handshake)
TLS_ABSENT(gnutls_init)
TLS_ABSENT(gnutls_priority_deinit)
TLS_ABSENT(gnutls_priority_init)
TLS_ABSENT(gnutls_priority_set)
TLS_ABSENT(gnutls_protocol_get_version)
TLS_ABSENT(gnutls_psk_allocate_server_credentials)
TLS_ABSENT(gnutls_psk_free_server_credentials)
TLS_ABSENT(gnutls_psk_set_server_credentials_function)
TLS_ABSENT(gnutls_record_check_pending)
TLS_ABSENT(gnutls_record_get_direction)
TLS_ABSENT(gnutls_record_recv)
TLS_ABSENT(gnutls_record_send)
TLS_ABSENT(gnutls_session_get_ptr)
TLS_ABSENT(gnutls_session_set_ptr)
TLS_ABSENT(gnutls_strerror)
TLS_ABSENT(gnutls_transport_set_int2)
