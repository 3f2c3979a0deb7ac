/* SPDX-License-Identifier: MIT */
/*
 * Guest physical address layout of a cvmm VM (x86-64).
 *
 *   0x0000_0000 .. 0x0009_fc00   low RAM (e820 RAM)
 *   0x0009_fc00 .. 0x0010_0000   reserved: boot structures, ACPI tables (e820 reserved)
 *   0x0010_0000 .. LOW_RAM_END    RAM: kernel, initrd, free memory
 *   0xc000_0000 .. 0x1_0000_0000  32-bit MMIO hole: virtio-mmio, IOAPIC, LAPIC (SNP/TDX firmware
 *                                 sits just below 4 GiB)
 *   0x1_0000_0000 ..              RAM beyond what fits below the hole
 */
#ifndef CVMM_LAYOUT_H
#define CVMM_LAYOUT_H

#define LAYOUT_MMIO_HOLE_START  0xc0000000ULL
#define LAYOUT_MMIO_HOLE_END    0x100000000ULL
#define LAYOUT_HIGH_RAM_START   0x100000000ULL

/* Low-memory boot structures (all below 0x9fc00 are ordinary RAM the guest may reuse). */
#define LAYOUT_GDT_ADDR         0x500ULL
#define LAYOUT_PVH_INFO_ADDR    0x6000ULL   /* hvm_start_info, then its memmap and module list */
#define LAYOUT_BOOT_PARAMS_ADDR 0x7000ULL   /* Linux zero page */
#define LAYOUT_BOOT_STACK_TOP   0x8ff0ULL
#define LAYOUT_PML4_ADDR        0x9000ULL
#define LAYOUT_PDPT_ADDR        0xa000ULL
#define LAYOUT_PD_ADDR          0xb000ULL   /* 4 pages: identity map of the first 4 GiB */
#define LAYOUT_CMDLINE_ADDR     0x20000ULL
#define LAYOUT_CMDLINE_MAX      4096ULL
#define LAYOUT_EBDA_START       0x9fc00ULL
#define LAYOUT_MPTABLE_START    0x9fc00ULL  /* MP floating pointer + table (acpi=off guests) */
#define LAYOUT_MPTABLE_END      0xe0000ULL
#define LAYOUT_ACPI_START       0xe0000ULL  /* RSDP first, then the other tables */
#define LAYOUT_ACPI_END         0x100000ULL
#define LAYOUT_KERNEL_ADDR      0x100000ULL /* default load address (1 MiB) */

/* MMIO devices (vmm/resources.h hands out the virtio-mmio windows and their pins). */
#define LAYOUT_VIRTIO_MMIO_BASE 0xd0000000ULL
#define LAYOUT_VIRTIO_MMIO_SIZE 0x1000ULL
#define LAYOUT_VIRTIO_MMIO_MAX  32
#define LAYOUT_IOAPIC_ADDR      0xfec00000ULL
#define LAYOUT_IOAPIC_SIZE      0x1000ULL
#define LAYOUT_LAPIC_ADDR       0xfee00000ULL
/* KVM's TSS and identity-map pages (needed on Intel without unrestricted guest). */
#define LAYOUT_KVM_IDENTITY_MAP 0xfeffc000ULL
#define LAYOUT_KVM_TSS          0xfeffd000ULL

/* Legacy I/O ports and IRQs. */
#define LAYOUT_COM1_PORT        0x3f8
#define LAYOUT_COM1_IRQ         4
#define LAYOUT_I8042_PORT_DATA  0x60
#define LAYOUT_I8042_PORT_CMD   0x64
#define LAYOUT_DEBUG_EXIT_PORT  0x501
#define LAYOUT_BOOT_TIMER_PORT  0x502
/* ACPI hardware-reduced sleep control/status and reset registers (FADT), one byte each. */
#define LAYOUT_ACPI_SLEEP_CTL_PORT 0x600
#define LAYOUT_ACPI_SLEEP_STS_PORT 0x601
#define LAYOUT_ACPI_RESET_PORT     0x602
#define LAYOUT_ACPI_RESET_VALUE    1
#define LAYOUT_IOAPIC_PINS      24

#endif
