/* SPDX-License-Identifier: MIT */
/*
 * QEMU's firmware configuration interface (fw_cfg) on x86 port I/O, as OVMF (AmdSev and IntelTdx
 * builds included) reads it: the kernel, initrd and command line of direct boot, the e820 map,
 * ACPI tables and named files.  Read-only for the guest; see docs/fw-cfg.md.
 *
 * The device model needs only guest memory (for DMA): the owner registers fw_cfg_pio() on the
 * port I/O bus at FW_CFG_PIO_BASE for FW_CFG_PIO_LEN ports with the struct fw_cfg as opaque.
 *
 * Selector keys, the ID bits, the DMA control bits and the directory / DMA descriptor layouts come
 * from <linux/qemu_fw_cfg.h> (the same numbers as QEMU's include/standard-headers copy).  The port
 * numbers, the x86 arch-local keys and cvmm's own limits, which that header lacks, are below:
 * ports and keys as QEMU's hw/i386/fw_cfg.c and hw/nvram/fw_cfg.c define them.
 */
#ifndef CVMM_FW_CFG_H
#define CVMM_FW_CFG_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include <linux/qemu_fw_cfg.h>

#include "boot/boot.h"

struct device_kind;
struct guest_mem;

/* x86 ports: 16-bit selector writes at 0x510, 8-bit data reads at 0x510/0x511 (QEMU decodes both),
 * DMA address as two big-endian 32-bit halves, high at 0x514, low at 0x518 (the low one starts the
 * transfer); reads of 0x514..0x51b return the DMA signature "QEMU CFG". */
#define FW_CFG_PORT_SEL      0x510
#define FW_CFG_PORT_DATA     0x511
#define FW_CFG_PORT_DMA_HIGH 0x514
#define FW_CFG_PORT_DMA_LOW  0x518
#define FW_CFG_PIO_BASE      FW_CFG_PORT_SEL
#define FW_CFG_PIO_LEN       12 /* 0x510..0x51b; 0x512/0x513 are unused and read as all ones */

/* x86 arch-local keys (QEMU's hw/i386/fw_cfg.h).  OVMF reads the "etc/e820" file instead. */
#define FW_CFG_ACPI_TABLES    (FW_CFG_ARCH_LOCAL + 0)
#define FW_CFG_SMBIOS_ENTRIES (FW_CFG_ARCH_LOCAL + 1)
#define FW_CFG_IRQ0_OVERRIDE  (FW_CFG_ARCH_LOCAL + 2)
#define FW_CFG_E820_TABLE     (FW_CFG_ARCH_LOCAL + 3)
#define FW_CFG_HPET           (FW_CFG_ARCH_LOCAL + 4)

/* The signature at FW_CFG_SIGNATURE. */
#define FW_CFG_SIGNATURE_BYTES "QEMU"

/*
 * cvmm's limits.  A DMA READ is at most FW_CFG_DMA_MAX_LEN bytes (item bytes plus the zeros past
 * the item's end), so one port write holds the vCPU for at most one 4 MiB copy; a longer READ is
 * refused with the ERROR bit and nothing is written.  OVMF reads kernel and initrd in 1 MiB chunks
 * and every other item whole, all far below it.  SKIP only moves the offset and has no cap.
 */
#define FW_CFG_DMA_MAX_LEN   (4u << 20)
#define FW_CFG_MAX_FILES     256 /* keys FW_CFG_FILE_FIRST .. FW_CFG_FILE_FIRST + 255 */
#define FW_CFG_MAX_ITEM_LEN  (UINT32_MAX - 1) /* sizes are 32-bit in the directory and DMA */

struct fw_cfg;

/*
 * A device with the signature, FW_CFG_ID (traditional and DMA interfaces) and an empty file
 * directory, the selector on the signature.  @gm is the memory DMA goes through (guest_mem_dma():
 * RAM and, in confidential VMs, shared pages only); it must outlive the device.  NULL on ENOMEM.
 */
struct fw_cfg *fw_cfg_create(const struct guest_mem *gm);
void fw_cfg_destroy(struct fw_cfg *fc);

/*
 * Items and files.  Adding returns 0, -EEXIST for a key or name already present, -EINVAL for a key
 * that is not a plain item key (a file key >= FW_CFG_FILE_FIRST, FW_CFG_FILE_DIR, the write
 * channel bit) or a name that is empty or longer than FW_CFG_MAX_FILE_PATH - 1 bytes, -E2BIG for
 * more than FW_CFG_MAX_ITEM_LEN bytes, -ENOSPC past FW_CFG_MAX_FILES, -ENOMEM.
 *
 * fw_cfg_add_item() and fw_cfg_add_file() copy @data.  The _ref variants borrow it: the bytes must
 * stay mapped and unchanged until fw_cfg_destroy() (meant for kernel and initrd, which can be
 * large: a read-only mapping of the file costs no copy).
 *
 * Files are kept sorted by name, as QEMU does: file k of the directory has key
 * FW_CFG_FILE_FIRST + k, so adding a file renumbers the files after it.  Add everything before the
 * guest runs.
 */
int fw_cfg_add_item(struct fw_cfg *fc, uint16_t key, const void *data, size_t len);
int fw_cfg_add_item_ref(struct fw_cfg *fc, uint16_t key, const void *data, size_t len);
int fw_cfg_add_file(struct fw_cfg *fc, const char *name, const void *data, size_t len);
int fw_cfg_add_file_ref(struct fw_cfg *fc, const char *name, const void *data, size_t len);

/* Little-endian integers, as QEMU's fw_cfg_add_i16/i32/i64 store them. */
int fw_cfg_add_u16(struct fw_cfg *fc, uint16_t key, uint16_t value);
int fw_cfg_add_u32(struct fw_cfg *fc, uint16_t key, uint32_t value);
int fw_cfg_add_u64(struct fw_cfg *fc, uint16_t key, uint64_t value);

/* "etc/e820": one packed {le64 address, le64 length, le32 type} entry per range. */
int fw_cfg_add_e820(struct fw_cfg *fc, const struct boot_mem_range *ranges, unsigned nr);

/* Direct Linux boot through the firmware (OVMF's QemuKernelLoaderFsDxe). */
struct fw_cfg_linux {
	const uint8_t *kernel; /* a bzImage, borrowed (see above) */
	size_t kernel_len;
	const uint8_t *initrd; /* borrowed; NULL for none */
	size_t initrd_len;
	const char *cmdline;   /* copied; NULL is the empty command line */
	uint64_t initrd_limit; /* the initrd ends below this (QEMU: low RAM minus its ACPI area);
				* 0: only the kernel's own limit */
};

/*
 * Splits the bzImage as QEMU's x86_load_linux() does: the first (setup_sects + 1) * 512 bytes
 * (setup_sects 0 meaning 4) are FW_CFG_SETUP_DATA, the rest FW_CFG_KERNEL_DATA, each with its
 * _SIZE item; the whole file is also the file "etc/boot/kernel" (QEMU 10).  The setup bytes are the
 * file's own, never patched (QEMU patches them only for non-SEV guests; OVMF boots through the
 * EFI stub and does not read them), so the "kernel" blob OVMF hashes is the file cvmm measured.
 * FW_CFG_CMDLINE_SIZE/_DATA hold the command line with its NUL; FW_CFG_INITRD_SIZE/_DATA the
 * initrd.  FW_CFG_SETUP_ADDR, _KERNEL_ADDR, _CMDLINE_ADDR and _INITRD_ADDR get QEMU's values
 * for the kernel's boot protocol.
 *
 * -ENOEXEC when the kernel is not a bzImage ("HdrS"), is shorter than its setup, or predates
 * boot protocol 2.00 and an initrd is given; -E2BIG when the initrd does not fit below its limit or
 * a part is over FW_CFG_MAX_ITEM_LEN; nothing is added then.  -EEXIST or -ENOMEM from adding
 * leave some of the items in place: destroy the device.
 */
int fw_cfg_add_linux(struct fw_cfg *fc, const struct fw_cfg_linux *linux_boot);

/*
 * fw_cfg_add_linux()'s checks alone, before anything exists: 0, -ENOEXEC or -E2BIG as there.  Only
 * the setup header is read, so @kernel may hold just the file's first FW_CFG_LINUX_HEADER_LEN
 * bytes (or all of a shorter file) while kernel_len is the file's size; of the initrd only its
 * length and whether the pointer is NULL matter.
 */
#define FW_CFG_LINUX_HEADER_LEN 0x290
int fw_cfg_linux_check(const struct fw_cfg_linux *linux_boot);

/*
 * ACPI tables for firmware that places them itself (OVMF's AcpiPlatformDxe): the RSDP as
 * "etc/acpi/rsdp", the other tables as "etc/acpi/tables", and the "etc/table-loader" commands
 * (QEMU's BIOS linker/loader, 128 bytes each) that allocate both, patch every pointer between
 * tables and recompute every checksum.  acpi is acpi_build()'s block laid out for base, RSDP
 * first (see boot/acpi_walk.h).  -EINVAL for a block acpi_walk() refuses, else as adding files.
 */
int fw_cfg_add_acpi(struct fw_cfg *fc, const uint8_t *acpi, size_t len, uint64_t base);

/* The three files fw_cfg_add_acpi() adds, as bytes (firmware measures them: TDX RTMR[0]). */
struct fw_cfg_acpi_files {
	uint8_t rsdp[36];
	uint8_t *tables;
	size_t tables_len;
	uint8_t *loader;
	size_t loader_len;
};

int fw_cfg_acpi_files(const uint8_t *acpi, size_t len, uint64_t base,
		      struct fw_cfg_acpi_files *out);
void fw_cfg_acpi_files_free(struct fw_cfg_acpi_files *f);

/* Back to the power-on state: the signature selected at offset 0, no DMA address half latched. */
void fw_cfg_reset(struct fw_cfg *fc);

/* The device-table row (devices/fw_cfg_device.c): one instance for firmware boots. */
extern const struct device_kind fw_cfg_device;

/* The port I/O handler (bus_access_fn) for [FW_CFG_PIO_BASE, FW_CFG_PIO_BASE + FW_CFG_PIO_LEN). */
void fw_cfg_pio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

/*
 * DMA transfers answered with the ERROR bit (bad descriptor or buffer, WRITE, over the cap).  The
 * first one of each device is also logged as a warning, with its reason.
 */
uint64_t fw_cfg_dma_errors(const struct fw_cfg *fc);

#endif
