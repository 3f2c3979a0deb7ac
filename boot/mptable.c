// SPDX-License-Identifier: MIT
/* The MP table (Intel MultiProcessor Specification 1.4, chapter 4), little endian, packed. */
#include <errno.h>
#include <string.h>

#include "boot/mptable.h"

#define FPS_LEN        16
#define HDR_LEN        44
#define CPU_LEN        20
#define ENTRY_LEN      8
#define SPEC_REV       4
#define LAPIC_VERSION  0x14
#define IOAPIC_VERSION 0x11

enum { E_CPU, E_BUS, E_IOAPIC, E_IOINT, E_LINT };
enum { INT_INT = 0, INT_NMI = 1, INT_EXTINT = 3 };

#define CPU_ENABLED   0x1
#define CPU_BOOT      0x2
#define CPU_SIGNATURE 0x600 /* family 6: the signature only says "some P6 or later" */
#define CPU_FEATURES  0x201 /* FPU, APIC */
#define FLAGS_EDGE_HIGH 0x5 /* polarity active high (01), trigger edge (01 << 2) */
#define FLAGS_CONFORM 0x0
#define BUS_ISA       0
#define ALL_LAPICS    0xff

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	while (n--)
		sum = (uint8_t)(sum + *p++);
	return (uint8_t)-sum;
}

static unsigned nr_ioints(const struct mptable_config *cfg)
{
	return (cfg->legacy_pic ? 2 : 0) + (cfg->keyboard ? 1 : 0) + (cfg->com1 ? 1 : 0) +
	       cfg->nr_irqs;
}

static bool config_ok(const struct mptable_config *cfg)
{
	if (!cfg->nr_cpus || cfg->nr_cpus > MPTABLE_MAX_CPUS || cfg->nr_irqs > MPTABLE_MAX_IRQS ||
	    (cfg->nr_irqs && !cfg->irqs) || !cfg->ioapic_pins || cfg->ioapic_pins > 256 ||
	    cfg->lapic_addr >> 32 || cfg->ioapic_addr >> 32 || (cfg->com1 && cfg->com1_irq > 15))
		return false;
	for (unsigned i = 0; i < cfg->nr_irqs; i++)
		if (cfg->irqs[i] >= cfg->ioapic_pins)
			return false;
	return true;
}

size_t mptable_size(const struct mptable_config *cfg)
{
	if (!config_ok(cfg))
		return 0;
	return FPS_LEN + HDR_LEN + cfg->nr_cpus * CPU_LEN +
	       (1 /* bus */ + 1 /* ioapic */ + nr_ioints(cfg) + 2 /* lints */) * ENTRY_LEN;
}

static uint8_t *ioint(uint8_t *e, const struct mptable_config *cfg, uint8_t type, uint16_t flags,
		      uint8_t irq, uint8_t pin)
{
	e[0] = E_IOINT;
	e[1] = type;
	put_le(e + 2, flags, 2);
	e[4] = BUS_ISA;
	e[5] = irq;
	e[6] = cfg->ioapic_id;
	e[7] = pin;
	return e + ENTRY_LEN;
}

static uint8_t *lint(uint8_t *e, uint8_t type, uint8_t lintin)
{
	e[0] = E_LINT;
	e[1] = type;
	put_le(e + 2, FLAGS_CONFORM, 2);
	e[4] = BUS_ISA;
	e[5] = 0;
	e[6] = ALL_LAPICS;
	e[7] = lintin;
	return e + ENTRY_LEN;
}

int mptable_build(const struct mptable_config *cfg, uint8_t *buf, size_t size, uint64_t gpa)
{
	size_t len = mptable_size(cfg);
	uint8_t *fps = buf, *hdr = buf + FPS_LEN, *e;
	unsigned entries;

	if (!len || gpa & 15 || gpa + len > 0x100000000ULL)
		return -EINVAL;
	if (len > size)
		return -ENOSPC;
	memset(buf, 0, len);

	memcpy(fps, "_MP_", 4);
	put_le(fps + 4, gpa + FPS_LEN, 4);
	fps[8] = 1; /* length in 16-byte units */
	fps[9] = SPEC_REV;
	/* Feature bytes 0: a configuration table is present (no default configuration). */
	fps[10] = checksum(fps, FPS_LEN);

	e = hdr + HDR_LEN;
	for (unsigned i = 0; i < cfg->nr_cpus; i++, e += CPU_LEN) {
		e[0] = E_CPU;
		e[1] = (uint8_t)i;
		e[2] = LAPIC_VERSION;
		e[3] = CPU_ENABLED | (i == 0 ? CPU_BOOT : 0);
		put_le(e + 4, CPU_SIGNATURE, 4);
		put_le(e + 8, CPU_FEATURES, 4);
	}
	e[0] = E_BUS;
	e[1] = BUS_ISA;
	memcpy(e + 2, "ISA   ", 6);
	e += ENTRY_LEN;
	e[0] = E_IOAPIC;
	e[1] = cfg->ioapic_id;
	e[2] = IOAPIC_VERSION;
	e[3] = 1; /* enabled */
	put_le(e + 4, cfg->ioapic_addr, 4);
	e += ENTRY_LEN;
	if (cfg->legacy_pic) {
		e = ioint(e, cfg, INT_EXTINT, FLAGS_CONFORM, 0, 0);
		e = ioint(e, cfg, INT_INT, FLAGS_CONFORM, 0, 2);
	}
	if (cfg->keyboard)
		e = ioint(e, cfg, INT_INT, FLAGS_CONFORM, 1, 1);
	if (cfg->com1)
		e = ioint(e, cfg, INT_INT, FLAGS_CONFORM, cfg->com1_irq, cfg->com1_irq);
	for (unsigned i = 0; i < cfg->nr_irqs; i++)
		e = ioint(e, cfg, INT_INT, FLAGS_EDGE_HIGH, (uint8_t)cfg->irqs[i],
			  (uint8_t)cfg->irqs[i]);
	e = lint(e, INT_EXTINT, 0);
	e = lint(e, INT_NMI, 1);

	entries = cfg->nr_cpus + 2 + nr_ioints(cfg) + 2;
	memcpy(hdr, "PCMP", 4);
	put_le(hdr + 4, (uint64_t)(e - hdr), 2);
	hdr[6] = SPEC_REV;
	memcpy(hdr + 8, "CVMM    ", 8);
	memcpy(hdr + 16, "CVMM        ", 12);
	put_le(hdr + 34, entries, 2);
	put_le(hdr + 36, cfg->lapic_addr, 4);
	hdr[7] = checksum(hdr, (size_t)(e - hdr));
	return (int)len;
}
