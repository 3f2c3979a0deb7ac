// SPDX-License-Identifier: MIT
/*
 * acpi: RSDP (passed by the VMM, else found by scanning 0xe0000-0xfffff) with valid checksums,
 * XSDT (or RSDT for revision 0) whose every table has a valid header and checksum, a FADT whose
 * DSDT (X_DSDT if set) is valid, and a MADT.
 * madt-cpus: the MADT has exactly cvmmtest.vcpus enabled Local APIC (or x2APIC) entries, with
 * distinct APIC IDs.
 */
#include <stdarg.h>

#include "tests/guest/acpi.h"
#include "tests/guest/cmdline.h"
#include "tests/guest/guest.h"
#include "tests/guest/io.h"
#include "tests/guest/libc.h"
#include "tests/guest/printf.h"

#define ACPI_HDR_LEN   36
#define ACPI_MAX_LEN   (1u << 20)
#define MMIO_START     0xfec00000ULL
#define DEFAULT_LAPIC  0xfee00000ULL
#define DEFAULT_IOAPIC 0xfec00000ULL

static struct acpi_info info;
static bool scanned;

static uint8_t sum_bytes(const uint8_t *p, uint32_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Keeps table reads inside RAM-ish memory: below the APIC/firmware MMIO area. */
static bool table_range_ok(uint64_t addr, uint64_t len)
{
	return addr && phys_range_ok(addr, len) && addr + len <= MMIO_START;
}

static bool in_madt;

static __attribute__((format(printf, 1, 2))) bool fail(const char *fmt, ...)
{
	va_list ap;

	if (in_madt)
		info.madt_bad = true;
	if (info.error[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(info.error, sizeof(info.error), fmt, ap);
		va_end(ap);
	}
	return false;
}

/* A table with signature sig at addr: length sane, checksum zero.  Returns it or NULL. */
static const uint8_t *get_table(uint64_t addr, const char *sig)
{
	const uint8_t *t;
	uint32_t len;

	if (!table_range_ok(addr, ACPI_HDR_LEN)) {
		fail("table pointer 0x%lx (%s) is out of range", addr, sig ? sig : "?");
		return NULL;
	}
	t = phys_ptr(addr);
	len = rd32(t + 4);
	if (sig && memcmp(t, sig, 4)) {
		fail("table at 0x%lx is not %s", addr, sig);
		return NULL;
	}
	if (len < ACPI_HDR_LEN || len > ACPI_MAX_LEN || !table_range_ok(addr, len)) {
		fail("table at 0x%lx (%s) has a bad length", addr, sig ? sig : "?");
		return NULL;
	}
	if (sum_bytes(t, len)) {
		fail("table at 0x%lx (%s) has a bad checksum", addr, sig ? sig : "?");
		return NULL;
	}
	return t;
}

static bool rsdp_valid(const uint8_t *r)
{
	uint32_t len;

	if (memcmp(r, "RSD PTR ", 8) || sum_bytes(r, 20))
		return false;
	if (r[15] < 2)
		return true;
	len = rd32(r + 20);
	return len >= 36 && len <= 4096 && table_range_ok((uintptr_t)r, len) && !sum_bytes(r, len);
}

static uint64_t find_rsdp(void)
{
	if (boot.rsdp_addr) {
		if (table_range_ok(boot.rsdp_addr, 36) && rsdp_valid(phys_ptr(boot.rsdp_addr)))
			return boot.rsdp_addr;
		fail("RSDP passed at 0x%lx is invalid", boot.rsdp_addr);
		return 0;
	}
	for (uint64_t a = 0xe0000; a < 0x100000; a += 16) {
		if (rsdp_valid(phys_ptr(a))) {
			info.rsdp_scanned = true;
			return a;
		}
	}
	fail("no RSDP passed and none in 0xe0000-0xfffff");
	return 0;
}

static void parse_madt(const uint8_t *m)
{
	uint32_t len = rd32(m + 4), off = 44;

	in_madt = true;
	info.has_madt = true;
	info.lapic_base = rd32(m + 36);
	info.com1_gsi = 4;
	while (off + 2 <= len) {
		const uint8_t *e = m + off;
		uint8_t type = e[0], elen = e[1];
		uint32_t id, flags;

		if (elen < 2 || elen > len - off) {
			fail("MADT entry at offset %u has a bad length", off);
			break;
		}
		if ((type == 0 && elen >= 8) || (type == 9 && elen >= 16)) {
			id = type == 0 ? e[3] : rd32(e + 4);
			flags = type == 0 ? rd32(e + 4) : rd32(e + 8);
			if (flags & 1) {
				for (uint32_t i = 0; i < info.n_cpus; i++)
					if (info.cpu_apic_id[i] == id)
						fail("MADT lists APIC ID %u twice", id);
				if (info.n_cpus == ACPI_MAX_CPUS)
					fail("MADT lists more than %d CPUs", ACPI_MAX_CPUS);
				else
					info.cpu_apic_id[info.n_cpus++] = id;
			}
		} else if (type == 1 && elen >= 12 && !info.has_ioapic) {
			info.has_ioapic = true;
			info.ioapic_addr = rd32(e + 4);
			info.ioapic_gsi_base = rd32(e + 8);
		} else if (type == 2 && elen >= 10 && e[2] == 0 && e[3] == 4) {
			info.com1_gsi = rd32(e + 4);
			info.com1_flags = rd16(e + 8);
		} else if (type == 5 && elen >= 12) {
			info.lapic_base = rd64(e + 4);
		}
		off += elen;
	}
	if (!info.n_cpus)
		fail("MADT has no enabled Local APIC");
	in_madt = false;
}

static bool parse_fadt(const uint8_t *f)
{
	uint32_t len = rd32(f + 4);
	uint64_t dsdt = len >= 44 ? rd32(f + 40) : 0;
	const uint8_t *d;

	if (len >= 148 && rd64(f + 140))
		dsdt = rd64(f + 140);
	d = get_table(dsdt, "DSDT");
	if (d)
		snprintf(info.summary + strlen(info.summary),
			 sizeof(info.summary) - strlen(info.summary), " DSDT(%u)", rd32(d + 4));
	return d != NULL;
}

static void scan(void)
{
	const uint8_t *rsdp, *root;
	bool xsdt, have_fadt = false;
	uint32_t n, width;

	info.lapic_base = DEFAULT_LAPIC;
	info.ioapic_addr = DEFAULT_IOAPIC;
	info.com1_gsi = 4;
	info.rsdp_addr = find_rsdp();
	if (!info.rsdp_addr)
		return;
	rsdp = phys_ptr(info.rsdp_addr);
	xsdt = rsdp[15] >= 2 && rd64(rsdp + 24);
	root = xsdt ? get_table(rd64(rsdp + 24), "XSDT") : get_table(rd32(rsdp + 16), "RSDT");
	if (!root)
		return;
	width = xsdt ? 8 : 4;
	n = (rd32(root + 4) - ACPI_HDR_LEN) / width;
	snprintf(info.summary, sizeof(info.summary), "RSDP 0x%lx%s %s:", info.rsdp_addr,
		 info.rsdp_scanned ? " (scanned)" : "", xsdt ? "XSDT" : "RSDT");
	if (n > ACPI_MAX_TABLES) {
		fail("%s lists %u tables", xsdt ? "XSDT" : "RSDT", n);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *p = root + ACPI_HDR_LEN + i * width;
		const uint8_t *t = get_table(width == 8 ? rd64(p) : rd32(p), NULL);
		size_t used = strlen(info.summary);

		if (!t)
			return;
		snprintf(info.summary + used, sizeof(info.summary) - used, " %.4s", (const char *)t);
		if (!memcmp(t, "FACP", 4)) {
			have_fadt = true;
			if (!parse_fadt(t))
				return;
		} else if (!memcmp(t, "APIC", 4)) {
			if (rd32(t + 4) < 44) {
				fail("MADT at %p is too short", (const void *)t);
				return;
			}
			parse_madt(t);
		}
	}
	if (!have_fadt)
		fail("no FADT (FACP) in the %s", xsdt ? "XSDT" : "RSDT");
	if (!info.has_madt)
		fail("no MADT (APIC) in the %s", xsdt ? "XSDT" : "RSDT");
	info.ok = info.error[0] == '\0';
}

const struct acpi_info *acpi_get(void)
{
	if (!scanned) {
		scanned = true;
		scan();
	}
	return &info;
}

bool check_acpi(struct check_result *res)
{
	const struct acpi_info *a = acpi_get();

	if (!a->ok) {
		result_add(res, "%s", a->error);
		return false;
	}
	result_add(res, "%s", a->summary);
	return true;
}

bool check_madt_cpus(struct check_result *res)
{
	const struct acpi_info *a = acpi_get();
	uint64_t want;

	if (!a->has_madt || !a->n_cpus) {
		result_add(res, "%s", a->error[0] ? a->error : "no MADT");
		return false;
	}
	result_add(res, "%u enabled CPUs, APIC IDs", a->n_cpus);
	for (uint32_t i = 0; i < a->n_cpus && res->len < sizeof(res->detail) - 16; i++)
		result_cat(res, "%s%u", i ? "," : " ", a->cpu_apic_id[i]);
	if (a->madt_bad) {
		result_add(res, "%s", a->error);
		return false;
	}
	if (!cmdline_get_u64(boot.cmdline, "cvmmtest.vcpus", &want)) {
		result_add(res, "no cvmmtest.vcpus to compare with");
		return true;
	}
	if (want != a->n_cpus) {
		result_add(res, "expected %lu", want);
		return false;
	}
	return true;
}
