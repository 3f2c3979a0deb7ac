// SPDX-License-Identifier: MIT
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <openssl/evp.h>

#include "vmm/digest.h"
#include "vmm/log.h"

#define LIBCRYPTO_SONAME "libcrypto.so.3"

/* The EVP entry points, typed from OpenSSL's own prototypes. */
static struct {
	__typeof__(EVP_MD_CTX_new) *ctx_new;
	__typeof__(EVP_MD_CTX_free) *ctx_free;
	__typeof__(EVP_MD_fetch) *md_fetch;
	__typeof__(EVP_MD_free) *md_free;
	__typeof__(EVP_DigestInit_ex2) *init;
	__typeof__(EVP_DigestUpdate) *update;
	__typeof__(EVP_DigestFinal_ex) *final;
	EVP_MD *md[2];
	int status; /* 0 loaded, negative errno */
} evp;

static pthread_once_t evp_once = PTHREAD_ONCE_INIT;

static void *sym(void *lib, const char *name, int *ok)
{
	void *p = dlsym(lib, name);

	if (!p)
		*ok = 0;
	return p;
}

static void evp_load(void)
{
	void *lib = dlopen(LIBCRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
	int ok = 1;

	if (!lib) {
		log_error("cannot load %s: %s", LIBCRYPTO_SONAME, dlerror());
		evp.status = -ENOSYS;
		return;
	}
	evp.ctx_new = (__typeof__(evp.ctx_new))sym(lib, "EVP_MD_CTX_new", &ok);
	evp.ctx_free = (__typeof__(evp.ctx_free))sym(lib, "EVP_MD_CTX_free", &ok);
	evp.md_fetch = (__typeof__(evp.md_fetch))sym(lib, "EVP_MD_fetch", &ok);
	evp.md_free = (__typeof__(evp.md_free))sym(lib, "EVP_MD_free", &ok);
	evp.init = (__typeof__(evp.init))sym(lib, "EVP_DigestInit_ex2", &ok);
	evp.update = (__typeof__(evp.update))sym(lib, "EVP_DigestUpdate", &ok);
	evp.final = (__typeof__(evp.final))sym(lib, "EVP_DigestFinal_ex", &ok);
	if (!ok) {
		log_error("%s lacks the OpenSSL 3 EVP functions cvmm needs", LIBCRYPTO_SONAME);
		evp.status = -ENOSYS;
		return;
	}
	/* Fetched once: fetching per hash is what makes small EVP hashes slow. */
	evp.md[DIGEST_SHA256] = evp.md_fetch(NULL, "SHA256", NULL);
	evp.md[DIGEST_SHA384] = evp.md_fetch(NULL, "SHA384", NULL);
	if (!evp.md[DIGEST_SHA256] || !evp.md[DIGEST_SHA384]) {
		log_error("OpenSSL offers no SHA-256/SHA-384 implementation");
		evp.status = -ENOSYS;
	}
	/* The library stays loaded until exit. */
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
	return evp.init(d->ctx, evp.md[d->alg], NULL) ? 0 : -EIO;
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
	d->ctx = evp.ctx_new();
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
	return evp.update(d->ctx, data, len) ? 0 : -EIO;
}

int digest_final(struct digest *d, uint8_t *out)
{
	unsigned int n = 0;

	if (!evp.final(d->ctx, out, &n) || n != digest_size(d->alg))
		return -EIO;
	return 0;
}

void digest_free(struct digest *d)
{
	if (!d)
		return;
	evp.ctx_free(d->ctx);
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
