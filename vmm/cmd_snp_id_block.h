/* SPDX-License-Identifier: MIT */
#ifndef CVMM_VMM_CMD_SNP_ID_BLOCK_H
#define CVMM_VMM_CMD_SNP_ID_BLOCK_H

/*
 * `cvmm snp-id-block --key KEY.pem --measurement HEX|--from-measure MEASURE-OPTIONS...
 *  [--author-key KEY.pem] [--family-id UUID] [--image-id UUID] [--svn N] [--policy BITS]
 *  --out DIR`: writes DIR/id-block.bin (96 bytes) and DIR/id-auth.bin (4096 bytes), which a launch
 * takes with --snp-id-block and --snp-id-auth.  --from-measure takes every remaining word as
 * `cvmm measure` options and signs the digest they predict; --policy then defaults to their
 * --snp-policy.  argv[0] is "snp-id-block".  Returns the exit status: 0, 2 for bad usage or input
 * (an unusable key), 3 for a host failure.
 */
int cmd_snp_id_block(int argc, char **argv);

#endif
