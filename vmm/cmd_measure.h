/* SPDX-License-Identifier: MIT */
#ifndef CVMM_VMM_CMD_MEASURE_H
#define CVMM_VMM_CMD_MEASURE_H

/*
 * `cvmm measure`: predicts the launch measurement (TDX MRTD, SNP launch digest) of a
 * confidential VM from the same launch plan the launch uses.  argv[0] is "measure".
 * Returns the process exit status: 0, 2 for bad usage or unusable input files, 3 otherwise.
 */
int cmd_measure(int argc, char **argv);

#endif
