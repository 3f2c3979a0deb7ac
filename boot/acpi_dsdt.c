// SPDX-License-Identifier: MIT
/* The DSDT: COM1, the virtio-mmio devices and the processors under \_SB, and \_S5. */
#include <stdio.h>

#include "boot/acpi_priv.h"

#define COM1_PORT_COUNT 8
#define STA_PRESENT_ENABLED_SHOWN_OK 0x0f

static void dsdt_com1(const struct acpi_config *cfg, struct aml *aml)
{
	struct aml_pkg dev, sta, crs;

	dev = aml_device_open(aml, "COM1");
	aml_name_eisaid(aml, "_HID", "PNP0501");
	aml_name_integer(aml, "_UID", 1);
	sta = aml_method_open(aml, "_STA", 0, false);
	aml_return(aml);
	aml_integer(aml, STA_PRESENT_ENABLED_SHOWN_OK);
	aml_close(aml, sta);
	aml_name(aml, "_CRS");
	crs = aml_restemplate_open(aml);
	aml_res_io(aml, true, cfg->com1_port, cfg->com1_port, 1, COM1_PORT_COUNT);
	aml_res_irq_noflags(aml, cfg->com1_irq);
	aml_restemplate_close(aml, crs);
	aml_close(aml, dev);
}

/* Linux's virtio_mmio driver binds LNRO0005 and takes the first memory and IRQ resources. */
static void dsdt_virtio(const struct acpi_virtio_dev *v, unsigned index, struct aml *aml)
{
	struct aml_pkg dev, crs;
	char name[12];

	snprintf(name, sizeof(name), "V%03X", index);
	dev = aml_device_open(aml, name);
	aml_name_string(aml, "_HID", "LNRO0005");
	aml_name_integer(aml, "_UID", index);
	aml_name(aml, "_CRS");
	crs = aml_restemplate_open(aml);
	aml_res_memory32_fixed(aml, true, (uint32_t)v->base, v->size);
	aml_res_interrupt(aml, AML_INT_CONSUMER | AML_INT_EDGE, v->irq);
	aml_restemplate_close(aml, crs);
	aml_close(aml, dev);
}

/* _UID matches the ACPI Processor UID of the vCPU's MADT entry. */
static void dsdt_cpu(unsigned index, struct aml *aml)
{
	struct aml_pkg dev;
	char name[12];

	snprintf(name, sizeof(name), "C%03X", index);
	dev = aml_device_open(aml, name);
	aml_name_string(aml, "_HID", "ACPI0007");
	aml_name_integer(aml, "_UID", index);
	aml_close(aml, dev);
}

/* \_S5: SLP_TYPa (written to the sleep control register on poweroff), SLP_TYPb, reserved. */
static void dsdt_s5(struct aml *aml)
{
	struct aml_pkg pkg;

	aml_name(aml, "_S5");
	pkg = aml_package_open(aml, 4);
	aml_integer(aml, ACPI_S5_SLP_TYP);
	aml_integer(aml, 0);
	aml_integer(aml, 0);
	aml_integer(aml, 0);
	aml_close(aml, pkg);
}

void acpi_dsdt_body(const struct acpi_config *cfg, struct aml *aml)
{
	struct aml_pkg sb;

	sb = aml_scope_open(aml, "\\_SB");
	if (cfg->com1)
		dsdt_com1(cfg, aml);
	for (unsigned i = 0; i < cfg->nr_virtio; i++)
		dsdt_virtio(&cfg->virtio[i], i, aml);
	for (unsigned i = 0; i < cfg->nr_cpus; i++)
		dsdt_cpu(i, aml);
	aml_close(aml, sb);
	dsdt_s5(aml);
}
