// SPDX-License-Identifier: MIT
/*
 * Unit tests of the ACPI tables: pointers and gpa arithmetic from the RSDP down, checksums and
 * lengths, FADT and MADT fields, DSDT contents, -ENOSPC/-EINVAL handling, and an independent
 * check with acpica's iasl (disassemble every table, recompile the DSDT, compare the AML).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "boot/acpi.h"
#include "vmm/util.h"

#define BASE_GPA 0xe0000ULL
#define BUF_SIZE 0x20000
#define HDR_LEN  36

static uint8_t buf[BUF_SIZE];

static const struct acpi_virtio_dev test_virtio[] = {
	{ 0xd0000000, 0x1000, 5 },
	{ 0xd0001000, 0x1000, 6 },
	{ 0xd0002000, 0x1000, 17 },
};

static struct acpi_config make_config(unsigned nr_cpus, bool legacy_pic)
{
	struct acpi_config cfg = {
		.nr_cpus = nr_cpus,
		.legacy_pic = legacy_pic,
		.ioapic_addr = 0xfec00000,
		.ioapic_id = 0,
		.ioapic_gsi_base = 0,
		.lapic_addr = 0xfee00000,
		.com1 = true,
		.com1_port = 0x3f8,
		.com1_irq = 4,
		.virtio = test_virtio,
		.nr_virtio = ARRAY_SIZE(test_virtio),
		.sleep_ctl_port = 0x600,
		.sleep_sts_port = 0x601,
		.reset_port = 0x602,
		.reset_value = 1,
	};
	return cfg;
}

static uint64_t rd(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

struct tables {
	const uint8_t *rsdp, *xsdt, *fadt, *madt, *dsdt;
	size_t off[5], len[5];
};

/* Finds the table a guest would find at gpa and checks its header, length and checksum. */
static const uint8_t *table_at(const uint8_t *b, int total, uint64_t base, uint64_t gpa,
			       const char *sig, size_t *off, size_t *len)
{
	const uint8_t *t;

	assert_true(gpa >= base);
	*off = gpa - base;
	assert_true(*off % 16 == 0);
	assert_true(*off + HDR_LEN <= (size_t)total);
	t = b + *off;
	assert_memory_equal(t, sig, 4);
	*len = rd(t + 4, 4);
	assert_true(*len >= HDR_LEN && *off + *len <= (size_t)total);
	assert_int_equal(sum(t, *len), 0);
	assert_memory_equal(t + 10, "CVMM  ", 6);
	return t;
}

static void walk(const uint8_t *b, int total, uint64_t base, struct tables *tb)
{
	uint64_t dsdt_gpa;

	assert_true(total > 0);
	tb->rsdp = b;
	tb->off[0] = 0;
	tb->len[0] = 36;
	assert_memory_equal(b, "RSD PTR ", 8);
	assert_int_equal(sum(b, 20), 0);
	assert_int_equal(sum(b, 36), 0);
	assert_int_equal(b[15], 2);
	assert_int_equal(rd(b + 20, 4), 36);
	assert_memory_equal(b + 9, "CVMM  ", 6);

	tb->xsdt = table_at(b, total, base, rd(b + 24, 8), "XSDT", &tb->off[1], &tb->len[1]);
	assert_int_equal(tb->len[1], HDR_LEN + 2 * 8);
	tb->fadt = table_at(b, total, base, rd(tb->xsdt + 36, 8), "FACP", &tb->off[2], &tb->len[2]);
	tb->madt = table_at(b, total, base, rd(tb->xsdt + 44, 8), "APIC", &tb->off[3], &tb->len[3]);
	dsdt_gpa = rd(tb->fadt + 140, 8);
	tb->dsdt = table_at(b, total, base, dsdt_gpa, "DSDT", &tb->off[4], &tb->len[4]);
	assert_int_equal(rd(tb->fadt + 40, 4), dsdt_gpa < 0x100000000ULL ? dsdt_gpa : 0);

	/* In order, without overlap, and the DSDT ends exactly at the size returned. */
	for (int i = 1; i < 5; i++)
		assert_true(tb->off[i - 1] + tb->len[i - 1] <= tb->off[i]);
	assert_int_equal(tb->off[4] + tb->len[4], total);
}

static int build(const struct acpi_config *cfg, uint64_t base, struct tables *tb)
{
	int total;

	memset(buf, 0xa5, sizeof(buf));
	total = acpi_build(cfg, buf, sizeof(buf), base);
	assert_true(total > 0);
	walk(buf, total, base, tb);
	for (size_t i = (size_t)total; i < sizeof(buf); i++)
		if (buf[i] != 0xa5)
			fail_msg("byte %zu past the tables was written", i);
	return total;
}

static void test_pointers_and_checksums(void **state)
{
	static const uint64_t bases[] = { BASE_GPA, 0x10, 0xfffe0000ULL, 0x100000000ULL,
					  0x7fffffff0000ULL };
	struct acpi_config cfg = make_config(2, true);
	struct tables tb;

	for (size_t i = 0; i < ARRAY_SIZE(bases); i++)
		build(&cfg, bases[i], &tb);
}

static void test_fadt(void **state)
{
	struct acpi_config cfg = make_config(1, false);
	struct tables tb;
	const uint8_t *f;
	uint32_t flags;
	uint16_t boot;

	build(&cfg, BASE_GPA, &tb);
	f = tb.fadt;
	assert_int_equal(tb.len[2], 276);
	assert_int_equal(f[8], 6);    /* revision */
	assert_int_equal(f[131], 5);  /* minor revision: 6.5 */
	flags = (uint32_t)rd(f + 112, 4);
	assert_true(flags & (1u << 20)); /* HW_REDUCED_ACPI */
	assert_true(flags & (1u << 10)); /* RESET_REG_SUP */
	boot = (uint16_t)rd(f + 109, 2);
	assert_true(boot & (1u << 2));   /* VGA not present */
	assert_false(boot & (1u << 3));  /* MSI not disabled */
	assert_false(boot & (1u << 1));  /* no 8042 unless asked for */
	/* Hardware-reduced: FACS, SMI and every legacy PM/GPE block field stay zero. */
	for (size_t off = 36; off < 96; off++)
		if (off < 40 || (off >= 44 && off != 46 && off != 47))
			assert_int_equal(f[off], 0);
	/* SCI_INT must not name the IRQ0 override's source, or Linux takes that for the SCI's. */
	assert_int_not_equal(rd(f + 46, 2), 0);
	for (size_t off = 132; off < 140; off++)
		assert_int_equal(f[off], 0); /* X_FIRMWARE_CTRL */
	for (size_t off = 148; off < 244; off++)
		assert_int_equal(f[off], 0); /* X_PM1a_EVT_BLK .. X_GPE1_BLK */
	/* Reset register: SystemIO, 8 bits, offset 0, byte access, the port; then the value. */
	assert_memory_equal(f + 116, ((const uint8_t[]){ 1, 8, 0, 1, 0x02, 0x06, 0, 0, 0, 0, 0, 0 }),
			    12);
	assert_int_equal(f[128], 1);
	assert_memory_equal(f + 244, ((const uint8_t[]){ 1, 8, 0, 1, 0x00, 0x06, 0, 0, 0, 0, 0, 0 }),
			    12);
	assert_memory_equal(f + 256, ((const uint8_t[]){ 1, 8, 0, 1, 0x01, 0x06, 0, 0, 0, 0, 0, 0 }),
			    12);

	cfg.i8042 = true;
	cfg.reset_port = 0xcf9;
	cfg.reset_value = 6;
	build(&cfg, BASE_GPA, &tb);
	assert_true(rd(tb.fadt + 109, 2) & (1u << 1));
	assert_int_equal(rd(tb.fadt + 120, 8), 0xcf9);
	assert_int_equal(tb.fadt[128], 6);
}

struct madt_seen {
	unsigned lapic, ioapic, iso, nmi;
};

static void walk_madt(const struct tables *tb, const struct acpi_config *cfg, struct madt_seen *s)
{
	const uint8_t *m = tb->madt;
	size_t len = tb->len[3], off = 44;

	memset(s, 0, sizeof(*s));
	assert_int_equal(m[8], 5);
	assert_int_equal(rd(m + 36, 4), cfg->lapic_addr);
	assert_int_equal(rd(m + 40, 4), cfg->legacy_pic ? 1 : 0); /* PCAT_COMPAT */
	while (off < len) {
		const uint8_t *e = m + off;

		assert_true(len - off >= 2 && e[1] >= 2 && e[1] <= len - off);
		switch (e[0]) {
		case 0: /* Processor Local APIC: UID = APIC ID = index, enabled */
			assert_int_equal(e[1], 8);
			assert_int_equal(e[2], s->lapic);
			assert_int_equal(e[3], s->lapic);
			assert_int_equal(rd(e + 4, 4), 1);
			s->lapic++;
			break;
		case 1:
			assert_int_equal(e[1], 12);
			assert_int_equal(e[2], cfg->ioapic_id);
			assert_int_equal(rd(e + 4, 4), cfg->ioapic_addr);
			assert_int_equal(rd(e + 8, 4), cfg->ioapic_gsi_base);
			s->ioapic++;
			break;
		case 2: /* ISA IRQ0 -> GSI 2, conforming */
			assert_int_equal(e[1], 10);
			assert_int_equal(e[2], 0);
			assert_int_equal(e[3], 0);
			assert_int_equal(rd(e + 4, 4), 2);
			assert_int_equal(rd(e + 8, 2), 0);
			s->iso++;
			break;
		case 4: /* Local APIC NMI: all processors, LINT1 */
			assert_int_equal(e[1], 6);
			assert_int_equal(e[2], 0xff);
			assert_int_equal(e[5], 1);
			s->nmi++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", e[0]);
		}
		off += e[1];
	}
	assert_int_equal(off, len);
}

static void test_madt_cpu_counts(void **state)
{
	static const unsigned counts[] = { 1, 2, 4, 254, 255 };
	struct madt_seen seen;
	struct tables tb;

	for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
		for (int legacy = 0; legacy < 2; legacy++) {
			struct acpi_config cfg = make_config(counts[i], legacy);

			cfg.ioapic_id = 3;
			cfg.ioapic_gsi_base = 0;
			build(&cfg, BASE_GPA, &tb);
			walk_madt(&tb, &cfg, &seen);
			assert_int_equal(seen.lapic, counts[i]);
			assert_int_equal(seen.ioapic, 1);
			assert_int_equal(seen.iso, legacy ? 1 : 0);
			assert_int_equal(seen.nmi, 1);
		}
	}
}

static size_t count_pattern(const uint8_t *p, size_t n, const void *pat, size_t m)
{
	size_t count = 0;

	for (size_t i = 0; i + m <= n; i++)
		if (!memcmp(p + i, pat, m))
			count++;
	return count;
}

static void test_dsdt_contents(void **state)
{
	static const uint8_t com1_hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01 };
	static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x07, 0x04,
				      0x0a, 0x05, 0x00, 0x00, 0x00 };
	struct acpi_config cfg = make_config(4, true);
	struct tables tb;
	const uint8_t *d;
	size_t n;

	build(&cfg, BASE_GPA, &tb);
	d = tb.dsdt;
	n = tb.len[4];
	assert_int_equal(d[8], 2); /* revision 2: 64-bit integers */
	assert_int_equal(count_pattern(d, n, com1_hid, sizeof(com1_hid)), 1);
	assert_int_equal(count_pattern(d, n, "LNRO0005", 8), ARRAY_SIZE(test_virtio));
	assert_int_equal(count_pattern(d, n, "ACPI0007", 8), 4);
	assert_int_equal(count_pattern(d, n, s5, sizeof(s5)), 1);
	/* Each virtio device: Memory32Fixed(ReadWrite, base, size) then Interrupt(...) {irq}. */
	for (size_t i = 0; i < ARRAY_SIZE(test_virtio); i++) {
		const struct acpi_virtio_dev *v = &test_virtio[i];
		uint8_t res[21] = { 0x86, 9, 0, 1 };

		for (int k = 0; k < 4; k++) {
			res[4 + k] = (uint8_t)(v->base >> (8 * k));
			res[8 + k] = (uint8_t)(v->size >> (8 * k));
			res[17 + k] = (uint8_t)(v->irq >> (8 * k));
		}
		memcpy(res + 12, (const uint8_t[]){ 0x89, 6, 0, 0x03, 1 }, 5);
		assert_int_equal(count_pattern(d, n, res, sizeof(res)), 1);
	}
	/* IO(Decode16, 0x3f8, 0x3f8, 1, 8) and IRQNoFlags() {4} */
	assert_int_equal(count_pattern(d, n, ((const uint8_t[]){ 0x47, 1, 0xf8, 3, 0xf8, 3, 1, 8,
								   0x22, 0x10, 0x00 }),
				       11),
			 1);

	cfg.com1 = false;
	cfg.nr_virtio = 0;
	cfg.virtio = NULL;
	build(&cfg, BASE_GPA, &tb);
	assert_int_equal(count_pattern(tb.dsdt, tb.len[4], com1_hid, sizeof(com1_hid)), 0);
	assert_int_equal(count_pattern(tb.dsdt, tb.len[4], "LNRO0005", 8), 0);
	assert_int_equal(count_pattern(tb.dsdt, tb.len[4], "ACPI0007", 8), 4);
}

/* For every size below what is needed: -ENOSPC and not one byte written. */
static void check_enospc_every_size(const struct acpi_config *cfg)
{
	int need = acpi_build(cfg, buf, sizeof(buf), BASE_GPA);
	uint8_t *b;

	assert_true(need > 0);
	for (int n = 0; n < need; n++) {
		b = malloc(n ? (size_t)n : 1); /* exactly n bytes: ASan sees any overrun */
		assert_non_null(b);
		memset(b, 0x5a, (size_t)n);
		assert_int_equal(acpi_build(cfg, b, (size_t)n, BASE_GPA), -ENOSPC);
		for (int i = 0; i < n; i++)
			if (b[i] != 0x5a)
				fail_msg("size %d: byte %d written", n, i);
		free(b);
	}
	b = malloc((size_t)need);
	assert_non_null(b);
	assert_int_equal(acpi_build(cfg, b, (size_t)need, BASE_GPA), need);
	free(b);
}

static void test_enospc_every_size(void **state)
{
	struct acpi_config cfg = make_config(2, true);

	check_enospc_every_size(&cfg);
	cfg = make_config(254, false);
	check_enospc_every_size(&cfg);
	assert_int_equal(acpi_build(&cfg, NULL, 0, BASE_GPA), -ENOSPC);
}

static void test_bad_config(void **state)
{
	static const struct acpi_virtio_dev above_4g = { 0x100000000ULL, 0x1000, 5 };
	static const struct acpi_virtio_dev crosses_4g = { 0xfffff000ULL, 0x2000, 5 };
	static const struct acpi_virtio_dev zero_size = { 0xd0000000, 0, 5 };
	struct acpi_config good = make_config(2, true), cfg;

	assert_true(acpi_build(&good, buf, sizeof(buf), BASE_GPA) > 0);
	memset(buf, 0x77, sizeof(buf));

#define BAD(stmt)                                                                    \
	do {                                                                         \
		cfg = good;                                                          \
		stmt;                                                                \
		assert_int_equal(acpi_build(&cfg, buf, sizeof(buf), BASE_GPA), -EINVAL); \
	} while (0)
	BAD(cfg.nr_cpus = 0);
	BAD(cfg.nr_cpus = 256);
	BAD(cfg.lapic_addr = 0);
	BAD(cfg.lapic_addr = 0x100000000ULL);
	BAD(cfg.ioapic_addr = 0);
	BAD(cfg.ioapic_addr = 0x1fec00000ULL);
	BAD(cfg.com1_irq = 16);
	BAD(cfg.com1_port = 0xfffc);
	BAD(cfg.virtio = NULL);
	BAD(cfg.nr_virtio = ACPI_MAX_VIRTIO + 1);
	BAD(cfg.virtio = &above_4g; cfg.nr_virtio = 1);
	BAD(cfg.virtio = &crosses_4g; cfg.nr_virtio = 1);
	BAD(cfg.virtio = &zero_size; cfg.nr_virtio = 1);
	BAD(cfg.sleep_ctl_port = 0);
	BAD(cfg.sleep_sts_port = 0);
	BAD(cfg.reset_port = 0);
#undef BAD
	/* A disabled COM1's fields do not matter. */
	cfg = good;
	cfg.com1 = false;
	cfg.com1_irq = 99;
	assert_true(acpi_build(&cfg, buf, sizeof(buf), BASE_GPA) > 0);
	memset(buf, 0x77, sizeof(buf));

	assert_int_equal(acpi_build(NULL, buf, sizeof(buf), BASE_GPA), -EINVAL);
	assert_int_equal(acpi_build(&good, NULL, 4096, BASE_GPA), -EINVAL);
	assert_int_equal(acpi_build(&good, buf, sizeof(buf), BASE_GPA + 8), -EINVAL);
	assert_int_equal(acpi_build(&good, buf, sizeof(buf), UINT64_MAX - 0xf), -EINVAL);
	for (size_t i = 0; i < sizeof(buf); i++)
		if (buf[i] != 0x77)
			fail_msg("a rejected config wrote byte %zu", i);
}

/* ---- independent check with iasl ---- */

static bool iasl_on_path(void)
{
	const char *path = getenv("PATH");
	char *dirs, *dir, *save = NULL, file[4096];
	bool found = false;

	if (!path)
		return false;
	dirs = strdup(path);
	assert_non_null(dirs);
	for (dir = strtok_r(dirs, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		snprintf(file, sizeof(file), "%s/iasl", *dir ? dir : ".");
		found = access(file, X_OK) == 0;
	}
	free(dirs);
	return found;
}

static void write_file(const char *dir, const char *name, const uint8_t *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Reads dir/name as a NUL-terminated string (length in *len). */
static char *slurp(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	uint8_t *data;
	char *s;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(read_whole_file(path, &data, len), 0);
	s = malloc(*len + 1);
	assert_non_null(s);
	memcpy(s, data, *len);
	s[*len] = '\0';
	free(data);
	return s;
}

static int run(const char *dir, const char *cmd)
{
	char line[8192];
	int status;

	snprintf(line, sizeof(line), "cd '%s' && %s", dir, cmd);
	status = system(line);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void iasl_disassemble(const char *dir, const char *name, const uint8_t *t, size_t len)
{
	char file[64], cmd[256];
	char *dsl, *log;
	size_t n;

	snprintf(file, sizeof(file), "%s.dat", name);
	write_file(dir, file, t, len);
	snprintf(cmd, sizeof(cmd), "iasl -d %s.dat > %s.log 2>&1", name, name);
	assert_int_equal(run(dir, cmd), 0);
	snprintf(file, sizeof(file), "%s.log", name);
	log = slurp(dir, file, &n);
	if (strstr(log, "Error") || strstr(log, "Warning"))
		fail_msg("iasl -d %s:\n%s", name, log);
	snprintf(file, sizeof(file), "%s.dsl", name);
	dsl = slurp(dir, file, &n);
	if (strstr(dsl, "Incorrect") || strstr(dsl, "Invalid"))
		fail_msg("iasl -d %s reports a problem:\n%s", name, dsl);
	free(dsl);
	free(log);
}

static char iasl_dir[1024];

static int iasl_setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(iasl_dir, sizeof(iasl_dir), "%s/cvmm-acpi-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	return mkdtemp(iasl_dir) ? 0 : -1;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static int iasl_teardown(void **state)
{
	return nftw(iasl_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void test_iasl(void **state)
{
	const char *dir = iasl_dir;
	struct acpi_config cfg = make_config(4, true);
	struct tables tb;
	char *dsl, *log;
	uint8_t *aml;
	size_t n;

	if (!iasl_on_path()) {
		print_message("skip: iasl (acpica-tools) is not on PATH\n");
		skip();
	}

	cfg.i8042 = true;
	build(&cfg, BASE_GPA, &tb);

	/* iasl cannot load an RSDP from a file (no table header); the tests above check it. */
	iasl_disassemble(dir, "xsdt", tb.xsdt, tb.len[1]);
	iasl_disassemble(dir, "facp", tb.fadt, tb.len[2]);
	iasl_disassemble(dir, "apic", tb.madt, tb.len[3]);
	iasl_disassemble(dir, "dsdt", tb.dsdt, tb.len[4]);

	dsl = slurp(dir, "dsdt.dsl", &n);
	assert_non_null(strstr(dsl, "Name (_HID, \"LNRO0005\")"));
	assert_non_null(strstr(dsl, "EisaId (\"PNP0501\")"));
	assert_non_null(strstr(dsl, "Name (_S5, Package (0x04)"));
	assert_non_null(strstr(dsl, "Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive"));
	assert_non_null(strstr(dsl, "Memory32Fixed (ReadWrite"));
	assert_non_null(strstr(dsl, "\"ACPI0007\""));
	free(dsl);

	/* Recompile the disassembly without optimisations: the AML must come back unchanged. */
	assert_int_equal(run(dir, "mkdir re && iasl -oa -p re/dsdt dsdt.dsl > re.log 2>&1"), 0);
	log = slurp(dir, "re.log", &n);
	if (!strstr(log, "0 Errors, 0 Warnings"))
		fail_msg("iasl recompile:\n%s", log);
	free(log);
	aml = (uint8_t *)slurp(dir, "re/dsdt.aml", &n);
	assert_int_equal(n, tb.len[4]);
	/* Header fields 9 (checksum) and 28..35 (compiler id/revision) differ, and iasl writes
	 * 0 for resource template checksums (the byte after each 0x79 end tag). */
	for (size_t i = HDR_LEN; i < n; i++) {
		if (aml[i] == tb.dsdt[i])
			continue;
		if (aml[i] == 0 && tb.dsdt[i - 1] == 0x79 && aml[i - 1] == 0x79)
			continue;
		fail_msg("recompiled DSDT differs at byte %zu: %02x vs %02x", i, aml[i],
			 tb.dsdt[i]);
	}
	free(aml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pointers_and_checksums),
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_madt_cpu_counts),
		cmocka_unit_test(test_dsdt_contents),
		cmocka_unit_test(test_enospc_every_size),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test_setup_teardown(test_iasl, iasl_setup, iasl_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
