/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 / SHA-384 through OpenSSL 3's EVP API.  cvmm is linked statically (see the Makefile):
 * libcrypto's code is in the binary but costs nothing until a hash is taken (no load time, no
 * resident pages for a plain VM run); the algorithms are fetched once, on first use.
 */
#ifndef CVMM_DIGEST_H
#define CVMM_DIGEST_H

#include <stddef.h>
#include <stdint.h>

enum digest_alg {
	DIGEST_SHA256,
	DIGEST_SHA384,
};

#define DIGEST_MAX_SIZE 48

struct digest;

/* -ENOSYS (with one line logged) when OpenSSL has no such algorithm, -ENOMEM, -EIO. */
int digest_new(struct digest **d, enum digest_alg alg);
/* Starts a new hash on d (digest_new() already did for the first). */
int digest_reset(struct digest *d);
int digest_update(struct digest *d, const void *data, size_t len);
/* Writes the digest (32 or 48 bytes) to out. */
int digest_final(struct digest *d, uint8_t *out);
void digest_free(struct digest *d);
size_t digest_size(enum digest_alg alg);
int digest_oneshot(enum digest_alg alg, const void *data, size_t len, uint8_t *out);

#endif
