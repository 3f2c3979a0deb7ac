/* SPDX-License-Identifier: MIT */
/*
 * The SEV-SNP ID block and its authentication block (SEV-SNP firmware ABI, SNP_LAUNCH_FINISH):
 * a guest owner signs the launch digest it expects, with the guest policy and its own family and
 * image IDs, and the firmware refuses to finish a launch whose digest or policy differ.  The
 * attestation report then carries the IDs and a digest of the signing key.
 *
 * Signatures are ECDSA P-384 over SHA-384; r, s and the public key's coordinates are stored little
 * endian, zero-extended to 72 bytes.  The author key, optional, signs the ID key.
 */
#ifndef CVMM_SNP_ID_BLOCK_H
#define CVMM_SNP_ID_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/kvm_uapi_ext.h"

struct error;
struct launch_plan;

#define SNP_ID_BLOCK_VERSION       1
#define SNP_ALGO_ECDSA_P384_SHA384 1
#define SNP_CURVE_P384             2
#define SNP_ECC_LEN                72 /* r, s, qx, qy: little endian, zero-extended */
#define SNP_LD_LEN                 48

struct snp_id_block {
	uint8_t ld[SNP_LD_LEN]; /* the expected launch digest */
	uint8_t family_id[16];
	uint8_t image_id[16];
	uint32_t version;       /* SNP_ID_BLOCK_VERSION */
	uint32_t guest_svn;
	uint64_t policy;        /* must equal the launch's policy */
} __attribute__((packed));

struct snp_signature {
	uint8_t r[SNP_ECC_LEN];
	uint8_t s[SNP_ECC_LEN];
	uint8_t reserved[512 - 2 * SNP_ECC_LEN];
} __attribute__((packed));

struct snp_public_key {
	uint32_t curve; /* SNP_CURVE_P384 */
	uint8_t qx[SNP_ECC_LEN];
	uint8_t qy[SNP_ECC_LEN];
	uint8_t reserved[1028 - 4 - 2 * SNP_ECC_LEN];
} __attribute__((packed));

struct snp_id_auth {
	uint32_t id_key_algo;   /* SNP_ALGO_ECDSA_P384_SHA384 */
	uint32_t auth_key_algo; /* the same, or 0 without an author key */
	uint8_t reserved0[56];
	struct snp_signature id_block_sig; /* over the 96-byte ID block, by the ID key */
	struct snp_public_key id_key;
	uint8_t reserved1[60];
	struct snp_signature id_key_sig;   /* over id_key, by the author key */
	struct snp_public_key author_key;
	uint8_t reserved2[892];
} __attribute__((packed));

_Static_assert(sizeof(struct snp_id_block) == KVM_SEV_SNP_ID_BLOCK_SIZE, "ID block size");
_Static_assert(sizeof(struct snp_id_auth) == KVM_SEV_SNP_ID_AUTH_SIZE, "ID auth size");
_Static_assert(offsetof(struct snp_id_block, policy) == 88, "ID block policy");
_Static_assert(offsetof(struct snp_id_auth, id_block_sig) == 0x40, "ID auth: block signature");
_Static_assert(offsetof(struct snp_id_auth, id_key) == 0x240, "ID auth: ID key");
_Static_assert(offsetof(struct snp_id_auth, id_key_sig) == 0x680, "ID auth: ID key signature");
_Static_assert(offsetof(struct snp_id_auth, author_key) == 0x880, "ID auth: author key");
_Static_assert(sizeof(struct snp_public_key) == 1028, "public key size");

/* What LAUNCH_FINISH is given: both blocks as read from the user's files. */
struct snp_id_auth_files {
	struct snp_id_block block;
	struct snp_id_auth auth;
};

/*
 * Signs block with the ID key (and the ID key with the author key, if one is named): PEM files of
 * ECDSA P-384 private keys.  An input error for a key that is unreadable, encrypted, or not P-384.
 */
int snp_id_auth_sign(const struct snp_id_block *block, const char *id_key_pem,
		     const char *author_key_pem, struct snp_id_auth *auth, struct error *e);

/*
 * Reads an ID block and its auth block for a launch with this policy and plan: exact sizes, the
 * block's version, the algorithms and curves, its policy equal to the launch's and its launch
 * digest equal to the plan's.  The signatures are the firmware's to check.  *out is malloc'd.
 */
int snp_id_auth_load(const char *block_path, const char *auth_path, uint64_t policy,
		     const struct launch_plan *plan, struct snp_id_auth_files **out,
		     struct error *e);

#endif
