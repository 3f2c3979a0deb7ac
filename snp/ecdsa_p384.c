// SPDX-License-Identifier: MIT
/* ECDSA P-384 signatures through OpenSSL's EVP API (see ecdsa_p384.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "snp/ecdsa_p384.h"
#include "vmm/error.h"
#include "vmm/util.h"

#define P384_BYTES       48
#define SIG_DER_MAX      128 /* SEQUENCE of two INTEGERs of at most 49 bytes */

struct p384_key {
	EVP_PKEY *pkey;
};

/* No passphrase: an encrypted key fails to load instead of prompting on the terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

static int check_curve(EVP_PKEY *pkey, const char *path, struct error *e)
{
	char group[64] = "";
	size_t len = 0;

	if (!EVP_PKEY_is_a(pkey, "EC"))
		return error_set(e, ERROR_INPUT, EINVAL,
				 "key %s: not an EC key (ECDSA P-384 needed)", path);
	if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len) ||
	    (strcmp(group, "secp384r1") && strcmp(group, "P-384")))
		return error_set(e, ERROR_INPUT, EINVAL, "key %s: an EC key on %s, not P-384 "
				 "(secp384r1)", path, *group ? group : "an unnamed curve");
	return 0;
}

int p384_key_load(const char *path, struct p384_key **key, struct error *e)
{
	uint8_t *pem = NULL;
	size_t len = 0;
	EVP_PKEY *pkey = NULL;
	BIO *bio;
	int ret = read_whole_file(path, &pem, &len);

	if (ret)
		return error_set(e, ERROR_INPUT, ret, "key %s: %s", path,
				 ret == -EINVAL ? "not a regular file" : strerror(-ret));
	bio = len <= INT32_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
	if (bio)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	free(pem);
	if (!pkey)
		return error_set(e, ERROR_INPUT, EINVAL,
				 "key %s: not an unencrypted PEM private key", path);
	ret = check_curve(pkey, path, e);
	if (!ret && !(*key = calloc(1, sizeof(**key))))
		ret = error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	if (ret) {
		EVP_PKEY_free(pkey);
		return ret;
	}
	(*key)->pkey = pkey;
	return 0;
}

void p384_key_free(struct p384_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

/* A number of at most 48 bytes, little endian, zero-extended to P384_FIELD_LEN bytes. */
static int put_le(const BIGNUM *bn, uint8_t *out)
{
	memset(out, 0, P384_FIELD_LEN);
	return BN_bn2lebinpad(bn, out, P384_BYTES) == P384_BYTES ? 0 : -ERANGE;
}

int p384_public(const struct p384_key *key, uint8_t *qx, uint8_t *qy, struct error *e)
{
	BIGNUM *x = NULL, *y = NULL;
	int ret = -EIO;

	if (EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) &&
	    EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y))
		ret = put_le(x, qx) ? -ERANGE : put_le(y, qy);
	BN_free(x);
	BN_free(y);
	if (ret)
		return error_set(e, ERROR_HOST, ret, "cannot read the P-384 public key");
	return 0;
}

int p384_sign(const struct p384_key *key, const void *msg, size_t len, uint8_t *r, uint8_t *s,
	      struct error *e)
{
	uint8_t der[SIG_DER_MAX];
	const uint8_t *p = der;
	size_t der_len = sizeof(der);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	ECDSA_SIG *sig = NULL;
	int ret = -EIO;

	if (ctx && EVP_DigestSignInit_ex(ctx, NULL, "SHA384", NULL, NULL, key->pkey, NULL) == 1 &&
	    EVP_DigestSign(ctx, der, &der_len, msg, len) == 1)
		sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (sig)
		ret = put_le(ECDSA_SIG_get0_r(sig), r) ? -ERANGE : put_le(ECDSA_SIG_get0_s(sig), s);
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(ctx);
	if (ret)
		return error_set(e, ERROR_HOST, ret, "ECDSA P-384 signing failed");
	return 0;
}
