/* SPDX-License-Identifier: MIT */
/*
 * ECDSA P-384 with SHA-384 through OpenSSL 3's EVP API, as SEV-SNP's ID and author keys use it
 * (libcrypto is linked statically, as for vmm/digest.h; only `cvmm snp-id-block` signs).
 * Numbers cross this interface little endian, zero-extended to P384_FIELD_LEN bytes (SEV-SNP's
 * layout).
 */
#ifndef CVMM_SNP_ECDSA_P384_H
#define CVMM_SNP_ECDSA_P384_H

#include <stddef.h>
#include <stdint.h>

struct error;
struct p384_key;

#define P384_FIELD_LEN 72

/* A private key from a PEM file; an input error unless it is an unencrypted P-384 key. */
int p384_key_load(const char *path, struct p384_key **key, struct error *e);
void p384_key_free(struct p384_key *key);
/* The public point's coordinates. */
int p384_public(const struct p384_key *key, uint8_t *qx, uint8_t *qy, struct error *e);
/* r and s of the signature of SHA-384(msg). */
int p384_sign(const struct p384_key *key, const void *msg, size_t len, uint8_t *r, uint8_t *s,
	      struct error *e);

#endif
