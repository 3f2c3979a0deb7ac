// SPDX-License-Identifier: MIT
/* ID blocks: signing them for `cvmm snp-id-block`, and checking the ones a launch is given. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boot/launch_plan.h"
#include "snp/ecdsa_p384.h"
#include "snp/id_block.h"
#include "snp/snp_measure.h"
#include "vmm/error.h"
#include "vmm/util.h"

_Static_assert(SNP_ECC_LEN == P384_FIELD_LEN, "SEV-SNP's ECC number layout");

/* The public key of k into pub, and the signature of msg by k into sig. */
static int sign_with(const char *path, const void *msg, size_t len, struct snp_public_key *pub,
		     struct snp_signature *sig, struct error *e)
{
	struct p384_key *k;
	int ret = p384_key_load(path, &k, e);

	if (ret)
		return ret;
	pub->curve = SNP_CURVE_P384;
	ret = p384_public(k, pub->qx, pub->qy, e);
	if (!ret)
		ret = p384_sign(k, msg, len, sig->r, sig->s, e);
	p384_key_free(k);
	return ret;
}

int snp_id_auth_sign(const struct snp_id_block *block, const char *id_key_pem,
		     const char *author_key_pem, struct snp_id_auth *auth, struct error *e)
{
	int ret;

	memset(auth, 0, sizeof(*auth));
	auth->id_key_algo = SNP_ALGO_ECDSA_P384_SHA384;
	ret = sign_with(id_key_pem, block, sizeof(*block), &auth->id_key, &auth->id_block_sig, e);
	if (ret || !author_key_pem)
		return ret;
	auth->auth_key_algo = SNP_ALGO_ECDSA_P384_SHA384;
	return sign_with(author_key_pem, &auth->id_key, sizeof(auth->id_key), &auth->author_key,
			 &auth->id_key_sig, e);
}

/* Exactly len bytes of path into buf. */
static int read_exact_file(const char *what, const char *path, void *buf, size_t len,
			   struct error *e)
{
	uint8_t *data;
	size_t got;
	int ret = read_whole_file(path, &data, &got);

	if (ret)
		return error_set(e, ERROR_INPUT, ret, "%s %s: %s", what, path,
				 ret == -EINVAL ? "not a regular file" : strerror(-ret));
	if (got != len) {
		free(data);
		return error_set(e, ERROR_INPUT, EINVAL, "%s %s: %zu bytes, not %zu", what, path,
				 got, len);
	}
	memcpy(buf, data, len);
	free(data);
	return 0;
}

static void hex(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static int check_blocks(const struct snp_id_auth_files *f, const char *block_path,
			const char *auth_path, uint64_t policy, const uint8_t *ld,
			struct error *e)
{
	const struct snp_id_auth *a = &f->auth;
	char want[2 * SNP_LD_LEN + 1], got[2 * SNP_LD_LEN + 1];

	if (f->block.version != SNP_ID_BLOCK_VERSION)
		return error_set(e, ERROR_INPUT, EINVAL, "--snp-id-block %s: version %u, not %u",
				 block_path, f->block.version, SNP_ID_BLOCK_VERSION);
	if (a->id_key_algo != SNP_ALGO_ECDSA_P384_SHA384 || a->id_key.curve != SNP_CURVE_P384 ||
	    (a->auth_key_algo && (a->auth_key_algo != SNP_ALGO_ECDSA_P384_SHA384 ||
				  a->author_key.curve != SNP_CURVE_P384)))
		return error_set(e, ERROR_INPUT, EINVAL, "--snp-id-auth %s: keys are not ECDSA "
				 "P-384 with SHA-384 (algorithm %u/%u, curve %u/%u)", auth_path,
				 a->id_key_algo, a->auth_key_algo, a->id_key.curve,
				 a->author_key.curve);
	if (f->block.policy != policy)
		return error_set(e, ERROR_INPUT, EINVAL, "--snp-id-block %s: signed for policy "
				 "0x%llx, the launch's is 0x%llx (--snp-policy)", block_path,
				 (unsigned long long)f->block.policy, (unsigned long long)policy);
	if (memcmp(f->block.ld, ld, SNP_LD_LEN)) {
		hex(f->block.ld, SNP_LD_LEN, got);
		hex(ld, SNP_LD_LEN, want);
		return error_set(e, ERROR_INPUT, EINVAL,
				 "--snp-id-block %s: signed for launch digest %s, this launch's "
				 "is %s", block_path, got, want);
	}
	return 0;
}

int snp_id_auth_load(const char *block_path, const char *auth_path, uint64_t policy,
		     const struct launch_plan *plan, struct snp_id_auth_files **out,
		     struct error *e)
{
	struct snp_id_auth_files *f = calloc(1, sizeof(*f));
	uint8_t ld[SNP_LD_LEN];
	int ret;

	if (!f)
		return error_set(e, ERROR_HOST, ENOMEM, "out of memory");
	ret = read_exact_file("--snp-id-block", block_path, &f->block, sizeof(f->block), e);
	if (!ret)
		ret = read_exact_file("--snp-id-auth", auth_path, &f->auth, sizeof(f->auth), e);
	if (!ret) {
		ret = snp_launch_digest(plan, ld);
		if (ret)
			error_set(e, ERROR_HOST, ret, "computing the launch digest failed: %s",
				  strerror(-ret));
	}
	if (!ret)
		ret = check_blocks(f, block_path, auth_path, policy, ld, e);
	if (ret) {
		free(f);
		return ret;
	}
	*out = f;
	return 0;
}
