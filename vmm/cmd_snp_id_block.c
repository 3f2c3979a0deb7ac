// SPDX-License-Identifier: MIT
/*
 * `cvmm snp-id-block`: signs an SEV-SNP ID block for a launch digest (given, or predicted from
 * `cvmm measure` options) and writes it with its authentication block.  UUIDs are parsed with
 * libuuid, signatures made with libcrypto (snp/ecdsa_p384.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "snp/id_block.h"
#include "snp/snp_measure.h"
#include "snp/snp_policy.h"
#include "vmm/cli.h"
#include "vmm/cmd_snp_id_block.h"
#include "vmm/config.h"
#include "vmm/error.h"
#include "vmm/exit_status.h"
#include "vmm/launch.h"
#include "vmm/log.h"
#include "vmm/util.h"

#define BAD(...)       error_set(e, ERROR_USAGE, EINVAL, __VA_ARGS__)

struct id_args {
	const char *key, *author_key, *out_dir, *family_id, *image_id, *measurement;
	int measure_argc; /* --from-measure: the words after it */
	char **measure_argv;
	uint64_t svn, policy;
	bool policy_set, help;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: cvmm snp-id-block --key KEY.pem --measurement HEX --out DIR [OPTIONS]\n"
		"       cvmm snp-id-block --key KEY.pem --out DIR [OPTIONS] --from-measure "
		"MEASURE-OPTIONS...\n\n"
		"Writes DIR/id-block.bin (96 bytes) and DIR/id-auth.bin (4096 bytes) for\n"
		"--snp-id-block and --snp-id-auth: the launch digest, policy and IDs, signed\n"
		"with an ECDSA P-384 key.\n\noptions:\n"
		"  --key KEY.pem            ID key: PEM, unencrypted ECDSA P-384 private key\n"
		"  --author-key KEY.pem     author key, signs the ID key (optional)\n"
		"  --measurement HEX        the launch digest (96 hex digits, `cvmm measure`)\n"
		"  --from-measure ...       the rest are `cvmm measure --tee snp` options\n"
		"  --family-id UUID         family ID (default all zero)\n"
		"  --image-id UUID          image ID (default all zero)\n"
		"  --svn N                  guest security version number (default 0)\n"
		"  --policy BITS            guest policy (default --snp-policy of --from-measure, "
		"else 0x30000)\n"
		"  --out DIR                where the two files go\n");
}

static int parse_args(int argc, char **argv, struct id_args *a, struct error *e)
{
	static const char *const with_value[] = { "--key", "--author-key", "--measurement",
						   "--family-id", "--image-id", "--svn",
						   "--policy", "--out" };
	const char **slots[] = { &a->key, &a->author_key, &a->measurement, &a->family_id,
				 &a->image_id, NULL, NULL, &a->out_dir };

	for (int i = 1; i < argc; i++) {
		size_t k;

		if (!strcmp(argv[i], "--help")) {
			a->help = true;
			return 0;
		}
		if (!strcmp(argv[i], "--from-measure")) {
			a->measure_argc = argc - i;
			a->measure_argv = argv + i;
			break;
		}
		for (k = 0; k < ARRAY_SIZE(with_value) && strcmp(argv[i], with_value[k]); k++)
			;
		if (k == ARRAY_SIZE(with_value))
			return BAD("unknown option '%s' (see cvmm snp-id-block --help)", argv[i]);
		if (i + 1 == argc)
			return BAD("%s needs an argument", argv[i]);
		i++;
		if (slots[k]) {
			*slots[k] = argv[i];
		} else if (!strcmp(argv[i - 1], "--svn")) {
			if (parse_u64(argv[i], &a->svn, false) || a->svn > UINT32_MAX)
				return BAD("--svn: '%s' is not a 32-bit number", argv[i]);
		} else {
			if (parse_u64(argv[i], &a->policy, false))
				return BAD("--policy: '%s' is not a 64-bit policy", argv[i]);
			a->policy_set = true;
		}
	}
	if (!a->key || !a->out_dir)
		return BAD("--key KEY.pem and --out DIR are required");
	if (!a->measurement == !a->measure_argv)
		return BAD("give either --measurement HEX or --from-measure MEASURE-OPTIONS");
	return 0;
}

static int parse_uuid(const char *text, uint8_t out[16], const char *opt, struct error *e)
{
	if (!text)
		return 0; /* all zero */
	/* RFC 4122 byte order: the bytes of the text, left to right. */
	if (uuid_parse(text, out))
		return BAD("%s: '%s' is not a UUID", opt, text);
	return 0;
}

/* The launch digest `cvmm measure` prints for these options, and their policy. */
static int predicted_digest(struct id_args *a, uint8_t *ld, uint64_t *policy, struct error *e)
{
	struct launch_inputs li;
	struct cli_extra extra;
	struct vm_config cfg;
	int ret;

	ret = cli_parse(a->measure_argc, a->measure_argv, CLI_MEASURE, &cfg, &extra, e);
	if (!ret && (cfg.tee != TEE_SNP || !cfg.snp.vcpu_sig_set))
		ret = BAD("--from-measure needs --tee snp and --vcpu-sig SIG");
	if (!ret)
		ret = config_validate(&cfg, CONFIG_CHECK_MEASURE, e);
	if (!ret)
		ret = launch_inputs_build(&cfg, &li, e);
	if (!ret) {
		ret = snp_launch_digest(&li.plan, ld);
		if (ret)
			error_set(e, ERROR_HOST, ret, "computing the launch digest failed: %s",
				  strerror(-ret));
		launch_inputs_free(&li);
	}
	*policy = cfg.snp.policy;
	config_free(&cfg);
	if (ret)
		error_prefix(e, "--from-measure: ");
	return ret;
}

static int write_file(const char *dir, const char *name, const void *data, size_t len,
		      struct error *e)
{
	char path[CONFIG_PATH_MAX + 32];
	bool ok;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	errno = EIO; /* what a short write says */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ok = fd >= 0 && write(fd, data, len) == (ssize_t)len;
	if (fd >= 0 && close(fd))
		ok = false;
	if (!ok)
		return error_set(e, ERROR_INPUT, errno, "cannot write %s: %s", path,
				 strerror(errno));
	printf("%s\n", path);
	return 0;
}

static int build_and_write(struct id_args *a, struct error *e)
{
	struct snp_id_block block = { .version = SNP_ID_BLOCK_VERSION };
	struct snp_id_auth auth;
	uint64_t policy = SNP_POLICY_DEFAULT;
	int ret;

	if (a->measurement && parse_hex_bytes(a->measurement, block.ld, sizeof(block.ld)))
		return BAD("--measurement: '%s' is not 96 hex digits", a->measurement);
	ret = parse_uuid(a->family_id, block.family_id, "--family-id", e);
	if (!ret)
		ret = parse_uuid(a->image_id, block.image_id, "--image-id", e);
	if (!ret && a->measure_argv)
		ret = predicted_digest(a, block.ld, &policy, e);
	if (ret)
		return ret;
	block.guest_svn = (uint32_t)a->svn;
	block.policy = a->policy_set ? a->policy : policy;
	ret = snp_policy_check(block.policy, e);
	if (!ret)
		ret = snp_id_auth_sign(&block, a->key, a->author_key, &auth, e);
	if (!ret)
		ret = write_file(a->out_dir, "id-block.bin", &block, sizeof(block), e);
	if (!ret)
		ret = write_file(a->out_dir, "id-auth.bin", &auth, sizeof(auth), e);
	return ret;
}

int cmd_snp_id_block(int argc, char **argv)
{
	struct error e = ERROR_INIT;
	struct id_args a = { 0 };
	int ret = parse_args(argc, argv, &a, &e);

	if (!ret && a.help) {
		usage(stdout);
		return VM_EXIT_OK;
	}
	if (!ret)
		ret = build_and_write(&a, &e);
	if (fflush(stdout) && !ret)
		ret = error_set(&e, ERROR_HOST, EIO, "writing the result failed");
	if (!ret)
		return VM_EXIT_OK;
	log_error("snp-id-block: %s", e.msg);
	return error_exit_status(&e);
}
