// SPDX-License-Identifier: MIT
/*
 * RSDP, XSDT, FADT and MADT (ACPI 6.x, 5.2), and the layout of all tables in guest memory.
 * Fields are written at their specification offsets, little endian, into zeroed tables.
 */
#include <errno.h>
#include <string.h>

#include "boot/acpi_priv.h"
#include "vmm/util.h"

#define TABLE_ALIGN 16

/* RSDP (5.2.5.3). */
#define RSDP_LEN             36
#define RSDP_V1_LEN          20
#define RSDP_CSUM_OFF        8
#define RSDP_OEM_OFF         9
#define RSDP_REVISION_OFF    15
#define RSDP_LENGTH_OFF      20
#define RSDP_XSDT_OFF        24
#define RSDP_EXT_CSUM_OFF    32

/* XSDT (5.2.8): the header, then 64-bit table addresses. */
#define XSDT_NR_ENTRIES 2
#define XSDT_LEN        (ACPI_HEADER_LEN + 8 * XSDT_NR_ENTRIES)

/* FADT (5.2.9), revision 6.5. */
#define FADT_LEN              276
#define FADT_REVISION         6
#define FADT_MINOR_REVISION   5
#define FADT_DSDT_OFF         40
#define FADT_SCI_INT_OFF      46
#define FADT_IAPC_BOOT_OFF    109
#define FADT_FLAGS_OFF        112
#define FADT_RESET_REG_OFF    116
#define FADT_RESET_VALUE_OFF  128
#define FADT_MINOR_OFF        131
#define FADT_X_DSDT_OFF       140
#define FADT_SLEEP_CTL_OFF    244
#define FADT_SLEEP_STS_OFF    256

/*
 * Unused on a hardware-reduced platform, but Linux takes an interrupt source override whose
 * source IRQ equals SCI_INT for the SCI's own and reprograms it level/active-low, so SCI_INT must
 * not be 0 (the IRQ0 -> GSI 2 override).  9 is the customary ISA SCI.
 */
#define FADT_SCI_INT 9

#define IAPC_BOOT_8042            (1u << 1)
#define IAPC_BOOT_VGA_NOT_PRESENT (1u << 2)
#define IAPC_BOOT_CMOS_RTC_ABSENT (1u << 5)

#define FADT_F_PWR_BUTTON      (1u << 4) /* power button, if any, is a control-method device */
#define FADT_F_SLP_BUTTON      (1u << 5)
#define FADT_F_RESET_REG_SUP   (1u << 10)
#define FADT_F_HW_REDUCED_ACPI (1u << 20)

/* Generic Address Structure (5.2.3.2). */
#define GAS_SPACE_SYSTEM_IO 1
#define GAS_ACCESS_BYTE     1

/* MADT (5.2.12). */
#define MADT_REVISION        5
#define MADT_LAPIC_ADDR_OFF  36
#define MADT_FLAGS_OFF       40
#define MADT_PCAT_COMPAT     (1u << 0)
#define MADT_LAPIC           0
#define MADT_LAPIC_LEN       8
#define MADT_LAPIC_ENABLED   (1u << 0)
#define MADT_IOAPIC          1
#define MADT_IOAPIC_LEN      12
#define MADT_ISO             2
#define MADT_ISO_LEN         10
#define MADT_LAPIC_NMI       4
#define MADT_LAPIC_NMI_LEN   6
#define MADT_ALL_PROCESSORS  0xff
#define MPS_INTI_EDGE_HIGH   0x0005 /* polarity active high (01), trigger edge (01 << 2) */

#define DSDT_REVISION 2 /* 64-bit integers */

#define FOUR_GIB 0x100000000ULL

void acpi_table_begin(uint8_t *t, const char *sig, uint32_t len, uint8_t revision,
		      const char *oem_table_id)
{
	memset(t, 0, len);
	memcpy(t, sig, 4);
	acpi_put_le(t + ACPI_HEADER_LENGTH_OFF, len, 4);
	t[8] = revision;
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memcpy(t + 16, oem_table_id, 8);
	acpi_put_le(t + 24, ACPI_OEM_REVISION, 4);
	memcpy(t + 28, ACPI_CREATOR_ID, 4);
	acpi_put_le(t + 32, ACPI_CREATOR_REVISION, 4);
}

void acpi_table_seal(uint8_t *t, uint32_t len)
{
	t[ACPI_HEADER_CSUM_OFF] = 0;
	t[ACPI_HEADER_CSUM_OFF] = acpi_checksum(t, len);
}

struct acpi_layout {
	size_t rsdp, xsdt, fadt, madt, dsdt;
	size_t madt_len, dsdt_len, total;
};

static size_t madt_len(const struct acpi_config *cfg)
{
	return ACPI_HEADER_LEN + 8 + (size_t)cfg->nr_cpus * MADT_LAPIC_LEN + MADT_IOAPIC_LEN +
	       (cfg->legacy_pic ? MADT_ISO_LEN : 0) + MADT_LAPIC_NMI_LEN;
}

static int check_config(const struct acpi_config *cfg)
{
	if (cfg->nr_cpus == 0 || cfg->nr_cpus > ACPI_MAX_CPUS)
		return -EINVAL;
	if (!cfg->lapic_addr || cfg->lapic_addr >= FOUR_GIB || !cfg->ioapic_addr ||
	    cfg->ioapic_addr >= FOUR_GIB)
		return -EINVAL;
	if (cfg->com1 && (cfg->com1_irq > 15 || cfg->com1_port > 0x10000 - 8))
		return -EINVAL;
	if (cfg->nr_virtio > ACPI_MAX_VIRTIO || (cfg->nr_virtio && !cfg->virtio))
		return -EINVAL;
	for (unsigned i = 0; i < cfg->nr_virtio; i++) {
		const struct acpi_virtio_dev *v = &cfg->virtio[i];

		if (!v->size || v->base >= FOUR_GIB || v->size > FOUR_GIB - v->base)
			return -EINVAL;
	}
	/* Address 0 in a Generic Address Structure means "not implemented". */
	if (!cfg->sleep_ctl_port || !cfg->sleep_sts_port || !cfg->reset_port)
		return -EINVAL;
	return 0;
}

static void put_gas_io8(uint8_t *p, uint16_t port)
{
	p[0] = GAS_SPACE_SYSTEM_IO;
	p[1] = 8; /* register bit width */
	p[2] = 0; /* bit offset */
	p[3] = GAS_ACCESS_BYTE;
	acpi_put_le(p + 4, port, 8);
}

static void build_rsdp(uint8_t *t, uint64_t xsdt_gpa)
{
	memset(t, 0, RSDP_LEN);
	memcpy(t, "RSD PTR ", 8);
	memcpy(t + RSDP_OEM_OFF, ACPI_OEM_ID, 6);
	t[RSDP_REVISION_OFF] = 2;
	/* No RSDT: ACPI 2.0+ guests use the XSDT. */
	acpi_put_le(t + RSDP_LENGTH_OFF, RSDP_LEN, 4);
	acpi_put_le(t + RSDP_XSDT_OFF, xsdt_gpa, 8);
	t[RSDP_CSUM_OFF] = acpi_checksum(t, RSDP_V1_LEN);
	t[RSDP_EXT_CSUM_OFF] = acpi_checksum(t, RSDP_LEN);
}

static void build_xsdt(uint8_t *t, uint64_t fadt_gpa, uint64_t madt_gpa)
{
	acpi_table_begin(t, "XSDT", XSDT_LEN, 1, "CVMMXSDT");
	acpi_put_le(t + ACPI_HEADER_LEN, fadt_gpa, 8);
	acpi_put_le(t + ACPI_HEADER_LEN + 8, madt_gpa, 8);
	acpi_table_seal(t, XSDT_LEN);
}

static void build_fadt(const struct acpi_config *cfg, uint8_t *t, uint64_t dsdt_gpa)
{
	uint32_t flags = FADT_F_HW_REDUCED_ACPI | FADT_F_RESET_REG_SUP | FADT_F_PWR_BUTTON |
			 FADT_F_SLP_BUTTON;
	uint16_t boot = IAPC_BOOT_VGA_NOT_PRESENT | IAPC_BOOT_CMOS_RTC_ABSENT;

	if (cfg->i8042)
		boot |= IAPC_BOOT_8042;
	acpi_table_begin(t, "FACP", FADT_LEN, FADT_REVISION, "CVMMFACP");
	/*
	 * Hardware-reduced: no FACS, SMI command port, PM1/PM2/PM timer/GPE blocks; the fixed
	 * fields for them stay zero.
	 */
	acpi_put_le(t + FADT_SCI_INT_OFF, FADT_SCI_INT, 2);
	if (dsdt_gpa < FOUR_GIB)
		acpi_put_le(t + FADT_DSDT_OFF, dsdt_gpa, 4);
	acpi_put_le(t + FADT_IAPC_BOOT_OFF, boot, 2);
	acpi_put_le(t + FADT_FLAGS_OFF, flags, 4);
	put_gas_io8(t + FADT_RESET_REG_OFF, cfg->reset_port);
	t[FADT_RESET_VALUE_OFF] = cfg->reset_value;
	t[FADT_MINOR_OFF] = FADT_MINOR_REVISION;
	acpi_put_le(t + FADT_X_DSDT_OFF, dsdt_gpa, 8);
	put_gas_io8(t + FADT_SLEEP_CTL_OFF, cfg->sleep_ctl_port);
	put_gas_io8(t + FADT_SLEEP_STS_OFF, cfg->sleep_sts_port);
	acpi_table_seal(t, FADT_LEN);
}

static void build_madt(const struct acpi_config *cfg, uint8_t *t, size_t len)
{
	uint8_t *e = t + ACPI_HEADER_LEN + 8;

	acpi_table_begin(t, "APIC", (uint32_t)len, MADT_REVISION, "CVMMAPIC");
	acpi_put_le(t + MADT_LAPIC_ADDR_OFF, cfg->lapic_addr, 4);
	acpi_put_le(t + MADT_FLAGS_OFF, cfg->legacy_pic ? MADT_PCAT_COMPAT : 0, 4);

	for (unsigned i = 0; i < cfg->nr_cpus; i++, e += MADT_LAPIC_LEN) {
		e[0] = MADT_LAPIC;
		e[1] = MADT_LAPIC_LEN;
		e[2] = (uint8_t)i; /* ACPI Processor UID */
		e[3] = (uint8_t)i; /* APIC ID */
		acpi_put_le(e + 4, MADT_LAPIC_ENABLED, 4);
	}

	e[0] = MADT_IOAPIC;
	e[1] = MADT_IOAPIC_LEN;
	e[2] = cfg->ioapic_id;
	acpi_put_le(e + 4, cfg->ioapic_addr, 4);
	acpi_put_le(e + 8, cfg->ioapic_gsi_base, 4);
	e += MADT_IOAPIC_LEN;

	if (cfg->legacy_pic) {
		/* The PIT's IRQ0 is wired to IOAPIC pin 2; flags 0: ISA-conforming edge, high. */
		e[0] = MADT_ISO;
		e[1] = MADT_ISO_LEN;
		e[2] = 0; /* bus: ISA */
		e[3] = 0; /* source IRQ */
		acpi_put_le(e + 4, 2, 4);
		e += MADT_ISO_LEN;
	}

	e[0] = MADT_LAPIC_NMI;
	e[1] = MADT_LAPIC_NMI_LEN;
	e[2] = MADT_ALL_PROCESSORS;
	acpi_put_le(e + 3, MPS_INTI_EDGE_HIGH, 2);
	e[5] = 1; /* LINT1 */

	acpi_table_seal(t, (uint32_t)len);
}

/* Writes the DSDT of len bytes (as measured by plan_layout) at t. */
static int build_dsdt(const struct acpi_config *cfg, uint8_t *t, size_t len)
{
	struct aml aml;

	acpi_table_begin(t, "DSDT", (uint32_t)len, DSDT_REVISION, "CVMMDSDT");
	aml_init(&aml, t + ACPI_HEADER_LEN, len - ACPI_HEADER_LEN);
	acpi_dsdt_body(cfg, &aml);
	if (aml_error(&aml))
		return aml_error(&aml);
	if (aml_len(&aml) != len - ACPI_HEADER_LEN)
		return -EINVAL;
	acpi_table_seal(t, (uint32_t)len);
	return 0;
}

static int plan_layout(const struct acpi_config *cfg, struct acpi_layout *lay)
{
	struct aml aml;

	aml_init(&aml, NULL, 0); /* measure only */
	acpi_dsdt_body(cfg, &aml);
	if (aml_error(&aml))
		return aml_error(&aml);

	lay->rsdp = 0;
	lay->xsdt = ALIGN_UP(lay->rsdp + RSDP_LEN, TABLE_ALIGN);
	lay->fadt = ALIGN_UP(lay->xsdt + XSDT_LEN, TABLE_ALIGN);
	lay->madt = ALIGN_UP(lay->fadt + FADT_LEN, TABLE_ALIGN);
	lay->madt_len = madt_len(cfg);
	lay->dsdt = ALIGN_UP(lay->madt + lay->madt_len, TABLE_ALIGN);
	lay->dsdt_len = ACPI_HEADER_LEN + aml_len(&aml);
	lay->total = lay->dsdt + lay->dsdt_len;
	/* nr_cpus and nr_virtio are bounded, so this stays far below UINT32_MAX. */
	return lay->total <= UINT32_MAX ? 0 : -EINVAL;
}

int acpi_build(const struct acpi_config *cfg, uint8_t *buf, size_t size, uint64_t base_gpa)
{
	struct acpi_layout lay;
	int ret;

	if (!cfg || (!buf && size) || !IS_ALIGNED(base_gpa, TABLE_ALIGN) ||
	    size > UINT64_MAX - base_gpa)
		return -EINVAL;
	ret = check_config(cfg);
	if (ret)
		return ret;
	ret = plan_layout(cfg, &lay);
	if (ret)
		return ret;
	if (lay.total > size)
		return -ENOSPC;

	memset(buf, 0, lay.total); /* padding between tables */
	build_rsdp(buf + lay.rsdp, base_gpa + lay.xsdt);
	build_xsdt(buf + lay.xsdt, base_gpa + lay.fadt, base_gpa + lay.madt);
	build_fadt(cfg, buf + lay.fadt, base_gpa + lay.dsdt);
	build_madt(cfg, buf + lay.madt, lay.madt_len);
	ret = build_dsdt(cfg, buf + lay.dsdt, lay.dsdt_len);
	if (ret)
		return ret;
	return (int)lay.total;
}
