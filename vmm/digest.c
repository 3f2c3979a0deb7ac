// SPDX-License-Identifier: MIT
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <openssl/evp.h>

#include "vmm/digest.h"
#include "vmm/log.h"

/* The algorithms, fetched once: fetching per hash is what makes small EVP hashes slow. */
static struct {
	EVP_MD *md[2];
	int status; /* 0 ready, negative errno */
} evp;

static pthread_once_t evp_once = PTHREAD_ONCE_INIT;

static void evp_load(void)
{
	evp.md[DIGEST_SHA256] = EVP_MD_fetch(NULL, "SHA256", NULL);
	evp.md[DIGEST_SHA384] = EVP_MD_fetch(NULL, "SHA384", NULL);
	if (!evp.md[DIGEST_SHA256] || !evp.md[DIGEST_SHA384]) {
		log_error("OpenSSL offers no SHA-256/SHA-384 implementation");
		evp.status = -ENOSYS;
	}
}

struct digest {
	EVP_MD_CTX *ctx;
	enum digest_alg alg;
};

size_t digest_size(enum digest_alg alg)
{
	return alg == DIGEST_SHA256 ? 32 : 48;
}

int digest_reset(struct digest *d)
{
	return EVP_DigestInit_ex2(d->ctx, evp.md[d->alg], NULL) ? 0 : -EIO;
}

int digest_new(struct digest **out, enum digest_alg alg)
{
	struct digest *d;
	int ret;

	if (alg != DIGEST_SHA256 && alg != DIGEST_SHA384)
		return -EINVAL;
	pthread_once(&evp_once, evp_load);
	if (evp.status)
		return evp.status;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->alg = alg;
	d->ctx = EVP_MD_CTX_new();
	if (!d->ctx) {
		free(d);
		return -ENOMEM;
	}
	ret = digest_reset(d);
	if (ret) {
		digest_free(d);
		return ret;
	}
	*out = d;
	return 0;
}

int digest_update(struct digest *d, const void *data, size_t len)
{
	return EVP_DigestUpdate(d->ctx, data, len) ? 0 : -EIO;
}

int digest_final(struct digest *d, uint8_t *out)
{
	unsigned int n = 0;

	if (!EVP_DigestFinal_ex(d->ctx, out, &n) || n != digest_size(d->alg))
		return -EIO;
	return 0;
}

void digest_free(struct digest *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

int digest_oneshot(enum digest_alg alg, const void *data, size_t len, uint8_t *out)
{
	struct digest *d;
	int ret = digest_new(&d, alg);

	if (ret)
		return ret;
	ret = digest_update(d, data, len);
	if (!ret)
		ret = digest_final(d, out);
	digest_free(d);
	return ret;
}
