// SPDX-License-Identifier: MIT
/* Identity page tables (first 4 GiB, 2 MiB pages) and the boot GDT for the 64-bit entry. */
#include <errno.h>
#include <string.h>

#include "boot/boot.h"
#include "vmm/layout.h"
#include "vmm/memory.h"
#include "vmm/util.h"

#define PTE_PRESENT  (1ULL << 0)
#define PTE_WRITE    (1ULL << 1)
#define PTE_LARGE    (1ULL << 7)

int boot_write_page_tables(struct guest_mem *gm)
{
	uint64_t *pml4 = guest_mem_ptr(gm, LAYOUT_PML4_ADDR, 4096);
	uint64_t *pdpt = guest_mem_ptr(gm, LAYOUT_PDPT_ADDR, 4096);
	uint64_t *pd = guest_mem_ptr(gm, LAYOUT_PD_ADDR, 4 * 4096);

	if (!pml4 || !pdpt || !pd)
		return -EFAULT;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = LAYOUT_PDPT_ADDR | PTE_PRESENT | PTE_WRITE;
	for (unsigned i = 0; i < 4; i++)
		pdpt[i] = (LAYOUT_PD_ADDR + i * 4096ULL) | PTE_PRESENT | PTE_WRITE;
	for (unsigned i = 0; i < 4 * 512; i++)
		pd[i] = (uint64_t)i * MiB(2) | PTE_PRESENT | PTE_WRITE | PTE_LARGE;
	return 0;
}

/* Flat descriptors: base 0, limit 4 GiB (G=1). */
#define GDT_CODE32 0x00cf9b000000ffffULL /* P, DPL0, code exec/read, D=1 */
#define GDT_CODE64 0x00af9b000000ffffULL /* P, DPL0, code exec/read, L=1 */
#define GDT_DATA   0x00cf93000000ffffULL /* P, DPL0, data read/write, D/B=1 */
#define GDT_TSS64  0x00008b0000000067ULL /* P, busy 64-bit TSS, limit 0x67 */

int boot_write_gdt(struct guest_mem *gm)
{
	uint64_t *gdt = guest_mem_ptr(gm, LAYOUT_GDT_ADDR, BOOT_GDT_ENTRIES * 8);

	if (!gdt)
		return -EFAULT;
	gdt[0] = 0;
	gdt[BOOT_GDT_CODE32 / 8] = GDT_CODE32;
	gdt[BOOT_GDT_CODE64 / 8] = GDT_CODE64;
	gdt[BOOT_GDT_DATA / 8] = GDT_DATA;
	gdt[BOOT_GDT_TSS / 8] = GDT_TSS64;
	gdt[BOOT_GDT_TSS / 8 + 1] = 0;
	return 0;
}
