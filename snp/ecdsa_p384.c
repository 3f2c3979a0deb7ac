// SPDX-License-Identifier: MIT
/* ECDSA P-384 signatures with a lazily loaded libcrypto (see ecdsa_p384.h). */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
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

#define LIBCRYPTO_SONAME "libcrypto.so.3"
#define P384_BYTES       48
#define SIG_DER_MAX      128 /* SEQUENCE of two INTEGERs of at most 49 bytes */

/* The entry points, typed from OpenSSL's own prototypes. */
static struct {
	__typeof__(BIO_new_mem_buf) *bio_new_mem_buf;
	__typeof__(BIO_free) *bio_free;
	__typeof__(PEM_read_bio_PrivateKey) *pem_read_key;
	__typeof__(EVP_PKEY_free) *pkey_free;
	__typeof__(EVP_PKEY_is_a) *pkey_is_a;
	__typeof__(EVP_PKEY_get_utf8_string_param) *pkey_get_string;
	__typeof__(EVP_PKEY_get_bn_param) *pkey_get_bn;
	__typeof__(BN_bn2lebinpad) *bn2lebinpad;
	__typeof__(BN_free) *bn_free;
	__typeof__(EVP_MD_CTX_new) *md_ctx_new;
	__typeof__(EVP_MD_CTX_free) *md_ctx_free;
	__typeof__(EVP_DigestSignInit_ex) *sign_init;
	__typeof__(EVP_DigestSign) *sign;
	__typeof__(d2i_ECDSA_SIG) *d2i_sig;
	__typeof__(ECDSA_SIG_get0_r) *sig_r;
	__typeof__(ECDSA_SIG_get0_s) *sig_s;
	__typeof__(ECDSA_SIG_free) *sig_free;
	int status; /* 0 loaded, negative errno */
} ssl;

static pthread_once_t ssl_once = PTHREAD_ONCE_INIT;

#define LOAD(field, name) (ssl.field = (__typeof__(ssl.field))dlsym(lib, name), ok &= !!ssl.field)

static void ssl_load(void)
{
	void *lib = dlopen(LIBCRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
	int ok = 1;

	if (!lib) {
		ssl.status = -ENOSYS;
		return;
	}
	LOAD(bio_new_mem_buf, "BIO_new_mem_buf");
	LOAD(bio_free, "BIO_free");
	LOAD(pem_read_key, "PEM_read_bio_PrivateKey");
	LOAD(pkey_free, "EVP_PKEY_free");
	LOAD(pkey_is_a, "EVP_PKEY_is_a");
	LOAD(pkey_get_string, "EVP_PKEY_get_utf8_string_param");
	LOAD(pkey_get_bn, "EVP_PKEY_get_bn_param");
	LOAD(bn2lebinpad, "BN_bn2lebinpad");
	LOAD(bn_free, "BN_free");
	LOAD(md_ctx_new, "EVP_MD_CTX_new");
	LOAD(md_ctx_free, "EVP_MD_CTX_free");
	LOAD(sign_init, "EVP_DigestSignInit_ex");
	LOAD(sign, "EVP_DigestSign");
	LOAD(d2i_sig, "d2i_ECDSA_SIG");
	LOAD(sig_r, "ECDSA_SIG_get0_r");
	LOAD(sig_s, "ECDSA_SIG_get0_s");
	LOAD(sig_free, "ECDSA_SIG_free");
	/* The library stays loaded until exit. */
	ssl.status = ok ? 0 : -ENOSYS;
}

static int ssl_ready(struct error *e)
{
	pthread_once(&ssl_once, ssl_load);
	if (ssl.status)
		return error_set(e, ERROR_HOST, ssl.status,
				 "cannot use %s (OpenSSL 3) for ECDSA signatures",
				 LIBCRYPTO_SONAME);
	return 0;
}

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

	if (!ssl.pkey_is_a(pkey, "EC"))
		return error_set(e, ERROR_INPUT, EINVAL,
				 "key %s: not an EC key (ECDSA P-384 needed)", path);
	if (!ssl.pkey_get_string(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &len) ||
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
	int ret = ssl_ready(e);

	if (ret)
		return ret;
	ret = read_whole_file(path, &pem, &len);
	if (ret)
		return error_set(e, ERROR_INPUT, ret, "key %s: %s", path,
				 ret == -EINVAL ? "not a regular file" : strerror(-ret));
	bio = len <= INT32_MAX ? ssl.bio_new_mem_buf(pem, (int)len) : NULL;
	if (bio)
		pkey = ssl.pem_read_key(bio, NULL, no_passphrase, NULL);
	ssl.bio_free(bio);
	free(pem);
	if (!pkey)
		return error_set(e, ERROR_INPUT, EINVAL,
				 "key %s: not an unencrypted PEM private key", path);
	ret = check_curve(pkey, path, e);
	if (!ret && !(*key = calloc(1, sizeof(**key))))
		ret = error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	if (ret) {
		ssl.pkey_free(pkey);
		return ret;
	}
	(*key)->pkey = pkey;
	return 0;
}

void p384_key_free(struct p384_key *key)
{
	if (!key)
		return;
	ssl.pkey_free(key->pkey);
	free(key);
}

/* A number of at most 48 bytes, little endian, zero-extended to P384_FIELD_LEN bytes. */
static int put_le(const BIGNUM *bn, uint8_t *out)
{
	memset(out, 0, P384_FIELD_LEN);
	return ssl.bn2lebinpad(bn, out, P384_BYTES) == P384_BYTES ? 0 : -ERANGE;
}

int p384_public(const struct p384_key *key, uint8_t *qx, uint8_t *qy, struct error *e)
{
	BIGNUM *x = NULL, *y = NULL;
	int ret = -EIO;

	if (ssl.pkey_get_bn(key->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) &&
	    ssl.pkey_get_bn(key->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y))
		ret = put_le(x, qx) ? -ERANGE : put_le(y, qy);
	ssl.bn_free(x);
	ssl.bn_free(y);
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
	EVP_MD_CTX *ctx = ssl.md_ctx_new();
	ECDSA_SIG *sig = NULL;
	int ret = -EIO;

	if (ctx && ssl.sign_init(ctx, NULL, "SHA384", NULL, NULL, key->pkey, NULL) == 1 &&
	    ssl.sign(ctx, der, &der_len, msg, len) == 1)
		sig = ssl.d2i_sig(NULL, &p, (long)der_len);
	if (sig)
		ret = put_le(ssl.sig_r(sig), r) ? -ERANGE : put_le(ssl.sig_s(sig), s);
	ssl.sig_free(sig);
	ssl.md_ctx_free(ctx);
	if (ret)
		return error_set(e, ERROR_HOST, ret, "ECDSA P-384 signing failed");
	return 0;
}
