// SPDX-License-Identifier: MIT
/*
 * SEV-SNP ID blocks: `cvmm snp-id-block` writes a 96-byte block and a 4 KiB auth block that
 * OpenSSL, used directly here as the independent check, verifies with the public key taken from
 * the auth block (and the ID key with the author key); keys that are not unencrypted P-384 PEM
 * are refused as the user's mistake; --from-measure signs what `cvmm measure` predicts, and a
 * launch takes the result.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "snp/id_block.h"
#include "snp/snp_measure.h"
#include "snp/snp_policy.h"
#include "tests/unit/input_files.h"
#include "vmm/cmd_snp_id_block.h"
#include "vmm/config.h"
#include "vmm/error.h"
#include "vmm/launch.h"
#include "vmm/log.h"
#include "vmm/util.h"

static char dir[64], id_key[96], author_key[96], p256_key[96], rsa_key[96], enc_key[96],
	garbage[96], out[96], fw[96];

static void write_key(const char *path, EVP_PKEY *pkey, bool encrypt)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_non_null(pkey);
	if (encrypt)
		assert_true(PEM_write_PrivateKey(f, pkey, EVP_aes_128_cbc(), NULL, 0, NULL,
						 "secret"));
	else
		assert_true(PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL));
	fclose(f);
	EVP_PKEY_free(pkey);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/cvmm-idblock-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(id_key, sizeof(id_key), "%s/id.pem", dir);
	snprintf(author_key, sizeof(author_key), "%s/author.pem", dir);
	snprintf(p256_key, sizeof(p256_key), "%s/p256.pem", dir);
	snprintf(rsa_key, sizeof(rsa_key), "%s/rsa.pem", dir);
	snprintf(enc_key, sizeof(enc_key), "%s/encrypted.pem", dir);
	snprintf(garbage, sizeof(garbage), "%s/garbage.pem", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(fw, sizeof(fw), "%s/fw.fd", dir);
	assert_int_equal(mkdir(out, 0755), 0);
	write_key(id_key, EVP_EC_gen("P-384"), false);
	write_key(author_key, EVP_EC_gen("P-384"), false);
	write_key(p256_key, EVP_EC_gen("P-256"), false);
	write_key(rsa_key, EVP_RSA_gen(1024), false);
	write_key(enc_key, EVP_EC_gen("P-384"), true);
	input_write_file(garbage, "-----BEGIN PRIVATE KEY-----\nnope\n", 34);
	log_threshold = LOG_ERROR;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* ---- the independent check: OpenSSL with the key from the auth block ---- */

static void le_to_be(const uint8_t *le, uint8_t *be, size_t n)
{
	for (size_t i = 0; i < n; i++)
		be[i] = le[n - 1 - i];
}

static EVP_PKEY *pubkey_of(const struct snp_public_key *k)
{
	uint8_t point[1 + 2 * 48];
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM *params;

	assert_int_equal(k->curve, SNP_CURVE_P384);
	/* Only 48 of the 72 little-endian bytes carry the coordinate. */
	for (int i = 48; i < SNP_ECC_LEN; i++)
		assert_int_equal(k->qx[i] | k->qy[i], 0);
	point[0] = 4;
	le_to_be(k->qx, point + 1, 48);
	le_to_be(k->qy, point + 49, 48);
	assert_true(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "P-384", 0));
	assert_true(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point,
						     sizeof(point)));
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_true(EVP_PKEY_fromdata_init(ctx) == 1);
	assert_true(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* 1 when sig (r, s little endian) is key's signature of SHA-384(msg). */
static int openssl_verify(const struct snp_public_key *key, const struct snp_signature *sig,
			  const void *msg, size_t len)
{
	EVP_PKEY *pkey = pubkey_of(key);
	ECDSA_SIG *s = ECDSA_SIG_new();
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *der = NULL;
	int der_len, ok;

	assert_true(ECDSA_SIG_set0(s, BN_lebin2bn(sig->r, SNP_ECC_LEN, NULL),
				   BN_lebin2bn(sig->s, SNP_ECC_LEN, NULL)));
	der_len = i2d_ECDSA_SIG(s, &der);
	assert_true(der_len > 0);
	assert_true(EVP_DigestVerifyInit_ex(ctx, NULL, "SHA384", NULL, NULL, pkey, NULL) == 1);
	ok = EVP_DigestVerify(ctx, der, (size_t)der_len, msg, len);
	OPENSSL_free(der);
	EVP_MD_CTX_free(ctx);
	ECDSA_SIG_free(s);
	EVP_PKEY_free(pkey);
	return ok;
}

/* The ID block's signature, checked with the ID key of the auth block. */
static int verify_block(const struct snp_id_auth *auth, const struct snp_id_block *block)
{
	return openssl_verify(&auth->id_key, &auth->id_block_sig, block, sizeof(*block));
}

/* The public key of a PEM private key file, as OpenSSL reads it. */
static void file_pubkey(const char *path, uint8_t *qx_be)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	BIGNUM *x = NULL;

	fclose(f);
	assert_non_null(pkey);
	assert_true(EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x));
	assert_int_equal(BN_bn2binpad(x, qx_be, 48), 48);
	BN_free(x);
	EVP_PKEY_free(pkey);
}

/* ---- the files `cvmm snp-id-block` writes ---- */

static int run(const char *const *words, char *err, size_t len)
{
	char *argv[40] = { "snp-id-block" };
	int null = open("/dev/null", O_WRONLY), saved = dup(2), saved_out = dup(1);
	int argc = 1, status, fd;
	char path[128];

	snprintf(path, sizeof(path), "%s/stderr", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	while (*words)
		argv[argc++] = (char *)*words++;
	fflush(stderr);
	fflush(stdout);
	dup2(fd, 2);
	dup2(null, 1); /* the paths it prints */
	status = cmd_snp_id_block(argc, argv);
	fflush(stderr);
	fflush(stdout);
	dup2(saved, 2);
	dup2(saved_out, 1);
	close(saved);
	close(saved_out);
	close(null);
	if (err) {
		ssize_t n = pread(fd, err, len - 1, 0);

		err[n > 0 ? n : 0] = 0;
	}
	close(fd);
	return status;
}

static void read_out(struct snp_id_block *block, struct snp_id_auth *auth)
{
	char path[128];
	uint8_t *data;
	size_t len;

	snprintf(path, sizeof(path), "%s/id-block.bin", out);
	assert_int_equal(read_whole_file(path, &data, &len), 0);
	assert_int_equal(len, sizeof(*block));
	memcpy(block, data, len);
	free(data);
	snprintf(path, sizeof(path), "%s/id-auth.bin", out);
	assert_int_equal(read_whole_file(path, &data, &len), 0);
	assert_int_equal(len, sizeof(*auth));
	memcpy(auth, data, len);
	free(data);
}

#define LD_HEX                                                                              \
	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff0011223344556677889" \
	"9aabbccddeeff"

static void test_signed_block_verifies(void **state)
{
	struct snp_id_block block;
	struct snp_id_auth auth;
	uint8_t ld[48], qx[48], qx_le_be[48];
	static const uint8_t family[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
					    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };

	assert_int_equal(run((const char *const[]){ "--key", id_key, "--measurement", LD_HEX,
						    "--family-id",
						    "12345678-9abc-def0-1122-334455667788",
						    "--svn", "7", "--out", out, NULL },
			     NULL, 0),
			 0);
	read_out(&block, &auth);
	assert_int_equal(parse_hex_bytes(LD_HEX, ld, sizeof(ld)), 0);
	assert_memory_equal(block.ld, ld, 48);
	assert_memory_equal(block.family_id, family, 16);
	assert_memory_equal(block.image_id, (uint8_t[16]){ 0 }, 16);
	assert_int_equal(block.version, 1);
	assert_int_equal(block.guest_svn, 7);
	assert_int_equal(block.policy, SNP_POLICY_DEFAULT);
	assert_int_equal(auth.id_key_algo, SNP_ALGO_ECDSA_P384_SHA384);
	assert_int_equal(auth.auth_key_algo, 0);
	/* OpenSSL verifies the block with the key from the auth block... */
	assert_int_equal(verify_block(&auth, &block), 1);
	/* ...which is the key file's... */
	file_pubkey(id_key, qx);
	le_to_be(auth.id_key.qx, qx_le_be, 48);
	assert_memory_equal(qx, qx_le_be, 48);
	/* ...and not for any other block. */
	block.guest_svn = 8;
	assert_int_equal(verify_block(&auth, &block), 0);
	/* Nothing outside the documented fields. */
	for (size_t i = 0; i < sizeof(auth.reserved2); i++)
		assert_int_equal(auth.reserved2[i] | auth.author_key.reserved[i % 880], 0);
}

static void test_author_key(void **state)
{
	struct snp_id_block block;
	struct snp_id_auth auth;

	assert_int_equal(run((const char *const[]){ "--key", id_key, "--author-key", author_key,
						    "--measurement", LD_HEX, "--policy", "0xb0000",
						    "--out", out, NULL },
			     NULL, 0),
			 0);
	read_out(&block, &auth);
	assert_int_equal(block.policy, 0xb0000);
	assert_int_equal(auth.auth_key_algo, SNP_ALGO_ECDSA_P384_SHA384);
	assert_int_equal(verify_block(&auth, &block), 1);
	assert_int_equal(openssl_verify(&auth.author_key, &auth.id_key_sig, &auth.id_key,
					sizeof(auth.id_key)),
			 1);
	/* The author key signs the ID key, not the block. */
	assert_int_equal(openssl_verify(&auth.author_key, &auth.id_block_sig, &block,
					sizeof(block)),
			 0);
}

static void expect_status(int status, const char *needle, const char *const *words)
{
	char err[1024];
	int got = run(words, err, sizeof(err));

	if (got != status || !strstr(err, needle) || strchr(err, '\n') != strrchr(err, '\n'))
		fail_msg("want status %d and one line with '%s', got %d '%s'", status, needle, got,
			 err);
}

static void test_bad_keys_and_words(void **state)
{
#define KEYED(key, ...) (const char *const[]){ "--key", key, "--measurement", LD_HEX, \
					     "--out", out, __VA_ARGS__ NULL }
	expect_status(2, "not an EC key (ECDSA P-384 needed)", KEYED(rsa_key));
	expect_status(2, "an EC key on prime256v1, not P-384", KEYED(p256_key));
	expect_status(2, "not an unencrypted PEM private key", KEYED(enc_key));
	expect_status(2, "not an unencrypted PEM private key", KEYED(garbage));
	expect_status(2, "No such file", KEYED("/nonexistent/key.pem"));
	expect_status(2, "not a regular file", KEYED(dir));
	expect_status(2, "is not a UUID", KEYED(id_key, "--image-id", "not-a-uuid",));
	expect_status(2, "bit 20 (single socket)", KEYED(id_key, "--policy", "0x130000",));
	expect_status(2, "not 96 hex digits",
		      (const char *const[]){ "--key", id_key, "--measurement", "abcd", "--out",
					     out, NULL });
	expect_status(2, "either --measurement HEX or --from-measure",
		      (const char *const[]){ "--key", id_key, "--out", out, NULL });
	expect_status(2, "--key KEY.pem and --out DIR are required",
		      (const char *const[]){ "--measurement", LD_HEX, NULL });
	expect_status(2, "unknown option", KEYED(id_key, "--frobnicate",));
	expect_status(2, "cannot write", (const char *const[]){ "--key", id_key, "--measurement",
								LD_HEX, "--out",
								"/nonexistent/dir", NULL });
#undef KEYED
}

/* --from-measure signs what `cvmm measure` predicts; the launch inputs then accept the files. */
static void test_from_measure(void **state)
{
	struct error e = ERROR_INIT;
	struct snp_id_block block;
	struct snp_id_auth auth;
	struct snp_id_auth_files *loaded = NULL;
	struct launch_inputs li;
	struct vm_config cfg;
	uint8_t ld[48];
	char block_path[128], auth_path[128];

	{
		uint8_t *data;
		size_t len;

		assert_int_equal(read_whole_file("tests/vectors/ovmf_AmdSev_suffix.bin", &data,
						 &len), 0);
		input_write_file(fw, data, len);
		free(data);
	}
	assert_int_equal(run((const char *const[]){ "--key", id_key, "--out", out,
						    "--from-measure", "--tee", "snp", "--firmware",
						    fw, "--vcpus", "2", "--vcpu-sig", "0x800f12",
						    "--snp-policy", "0xb0000", NULL },
			     NULL, 0),
			 0);
	read_out(&block, &auth);
	assert_int_equal(block.policy, 0xb0000);
	assert_int_equal(verify_block(&auth, &block), 1);

	config_init(&cfg);
	cfg.tee = TEE_SNP;
	config_set_string(&cfg.firmware, fw, "--firmware", NULL);
	cfg.vcpus = 2;
	cfg.snp.vcpu_sig = 0x800f12;
	cfg.snp.vcpu_sig_set = true;
	cfg.snp.policy = 0xb0000;
	snprintf(block_path, sizeof(block_path), "%s/id-block.bin", out);
	snprintf(auth_path, sizeof(auth_path), "%s/id-auth.bin", out);
	config_set_string(&cfg.snp.id_block, block_path, "--snp-id-block", NULL);
	config_set_string(&cfg.snp.id_auth, auth_path, "--snp-id-auth", NULL);
	assert_int_equal(launch_inputs_build(&cfg, &li, &e), 0);
	assert_int_equal(snp_launch_digest(&li.plan, ld), 0);
	assert_memory_equal(block.ld, ld, 48);
	assert_non_null(li.snp_id);
	assert_memory_equal(&li.snp_id->auth, &auth, sizeof(auth));
	launch_inputs_free(&li);

	/* The loader's own checks: sizes, version, algorithms. */
	auth.id_key.curve = 1;
	input_write_file(auth_path, &auth, sizeof(auth));
	assert_true(snp_id_auth_load(block_path, auth_path, 0xb0000, &(struct launch_plan){ 0 },
				     &loaded, &e) < 0);
	assert_non_null(strstr(e.msg, "not ECDSA P-384"));
	error_clear(&e);
	block.version = 2;
	input_write_file(block_path, &block, sizeof(block));
	assert_true(snp_id_auth_load(block_path, auth_path, 0xb0000, &(struct launch_plan){ 0 },
				     &loaded, &e) < 0);
	assert_non_null(strstr(e.msg, "version 2, not 1"));
	assert_null(loaded);
	config_free(&cfg);

	/* --from-measure's own refusals. */
	expect_status(2, "--from-measure needs --tee snp and --vcpu-sig",
		      (const char *const[]){ "--key", id_key, "--out", out, "--from-measure",
					     "--tee", "snp", "--firmware", fw, NULL });
	expect_status(2, "--from-measure: firmware",
		      (const char *const[]){ "--key", id_key, "--out", out, "--from-measure",
					     "--tee", "snp", "--firmware", "/nonexistent",
					     "--vcpu-sig", "1", NULL });
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signed_block_verifies),
		cmocka_unit_test(test_author_key),
		cmocka_unit_test(test_bad_keys_and_words),
		cmocka_unit_test(test_from_measure),
	};

	return cmocka_run_group_tests_name("snp_id_block", tests, setup, teardown);
}
