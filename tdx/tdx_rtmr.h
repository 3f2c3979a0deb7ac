/* SPDX-License-Identifier: MIT */
/*
 * RTMR[0..2] of a TD that TDVF (OVMF's IntelTdx build) boots directly: the kernel, initrd and
 * command line through fw_cfg.  The events follow the model of virtee/tdx-measure, the
 * independent reference for OVMF's TDX measured boot (recent OVMF, which measures the kernel
 * image unpatched; cvmm never patches it):
 *
 *   RTMR[0]  the TD HOB (up to its end HOB), the CFV's raw data, the EFI variables SecureBoot,
 *            PK, KEK, db, dbx (all empty), a separator, the ACPI loader script, RSDP and tables
 *            files as fw_cfg serves them, BootOrder {0} and the Boot0000 option OVMF creates for
 *            direct boot
 *   RTMR[1]  the kernel's Authenticode SHA-384, "Calling EFI Application from Boot Option", a
 *            separator, "Exit Boot Services Invocation", "Exit Boot Services Returned with
 *            Success"
 *   RTMR[2]  the command line as UTF-16 with its NUL (" initrd=initrd" appended when there is
 *            an initrd), then the initrd's SHA-384 (Linux's EFI stub)
 *
 * Each register starts at 48 zero bytes and is extended as SHA-384(register || event digest).
 * These are predictions of one firmware's behaviour; other OVMF versions log other events.
 */
#ifndef CVMM_TDX_TDX_RTMR_H
#define CVMM_TDX_TDX_RTMR_H

#include <stddef.h>
#include <stdint.h>

struct error;

#define TDX_RTMR_SIZE 48

struct tdx_rtmr_inputs {
	const uint8_t *hob;    /* the TD HOB as written, end HOB included */
	size_t hob_len;
	const uint8_t *cfv;    /* the CFV section's raw data */
	size_t cfv_len;
	const uint8_t *acpi_loader, *acpi_rsdp, *acpi_tables; /* the fw_cfg files */
	size_t acpi_loader_len, acpi_rsdp_len, acpi_tables_len;
	const uint8_t *kernel; /* a PE/COFF image (a bzImage with its EFI stub) */
	size_t kernel_len;
	const uint8_t *initrd; /* NULL: none */
	size_t initrd_len;
	const char *cmdline;   /* the final command line */
};

/* The three registers; an input error when the kernel is not PE/COFF or its sections overrun. */
int tdx_rtmr_predict(const struct tdx_rtmr_inputs *in, uint8_t rtmr[3][TDX_RTMR_SIZE],
		     struct error *e);

/* The Authenticode SHA-384 of a PE/COFF image as tdx-measure computes it; -ENOEXEC if not PE. */
int tdx_authenticode_sha384(const uint8_t *img, size_t len, uint8_t out[TDX_RTMR_SIZE]);

#endif
