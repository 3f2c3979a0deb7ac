/* SPDX-License-Identifier: MIT */
/*
 * The SEV hashes table of measured direct boot (OVMF AmdSev builds): SHA-256 of the kernel
 * command line, initrd and kernel, placed in the firmware's KERNEL_HASHES page so the launch
 * digest covers them and OVMF can verify what it loads.
 */
#ifndef CVMM_SNP_SEV_HASHES_H
#define CVMM_SNP_SEV_HASHES_H

#include <stddef.h>
#include <stdint.h>

struct error;

#define SEV_HASH_SIZE           32
#define SEV_HASHES_TABLE_LEN    168 /* GUID, u16 length, three {GUID, u16, SHA-256} entries */
#define SEV_HASHES_TABLE_PADDED 176

struct sev_hashes {
	uint8_t cmdline[SEV_HASH_SIZE]; /* of the command line and its NUL ("\0" when none) */
	uint8_t initrd[SEV_HASH_SIZE];  /* of the initrd file (of nothing when none) */
	uint8_t kernel[SEV_HASH_SIZE];  /* of the kernel file as is */
};

/* From files, streamed through SHA-256.  initrd and cmdline may be NULL.  One line in err. */
int sev_hashes_from_files(struct sev_hashes *h, const char *kernel, const char *initrd,
			  const char *cmdline, struct error *e);

/* From memory (initrd may be NULL with initrd_len 0; cmdline may be NULL). */
int sev_hashes_from_buffers(struct sev_hashes *h, const uint8_t *kernel, size_t kernel_len,
			    const uint8_t *initrd, size_t initrd_len, const char *cmdline);

/* The table, zero-padded to SEV_HASHES_TABLE_PADDED bytes. */
void sev_hashes_table(const struct sev_hashes *h, uint8_t out[SEV_HASHES_TABLE_PADDED]);

#endif
