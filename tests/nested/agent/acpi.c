// SPDX-License-Identifier: MIT
/*
 * What the guest kernel got as ACPI tables: every table under /sys/firmware/acpi/tables is
 * checked for a consistent length and a zero checksum (Linux only warns about a bad checksum and
 * uses the table anyway), the MADT's CPUs and IOAPICs are counted, and the kernel log is searched
 * for ACPI errors and firmware-bug warnings.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/stat.h>

#include "tests/nested/agent/agent.h"

#define ACPI_TABLES_DIR   "/sys/firmware/acpi/tables"
#define ACPI_HEADER_SIZE  36
#define MADT_ENTRIES_OFF  44
#define MADT_LAPIC        0
#define MADT_IOAPIC       1
#define MADT_X2APIC       9
#define MADT_CPU_ENABLED  1u
#define SYSLOG_READ_ALL   3
#define SYSLOG_SIZE_BUF   10

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void list_append(char *list, size_t cap, const char *item)
{
	size_t len = strlen(list);

	snprintf(list + len, cap - len, "%s%s", len ? "," : "", item);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void count_madt(struct acpi_facts *facts, const uint8_t *t, size_t len)
{
	size_t off = MADT_ENTRIES_OFF;

	while (off + 2 <= len) {
		uint8_t type = t[off], elen = t[off + 1];

		if (elen < 2 || elen > len - off) {
			list_append(facts->bad, sizeof(facts->bad), "APIC-entries");
			return;
		}
		if (type == MADT_LAPIC && elen >= 8 && (le32(t + off + 4) & MADT_CPU_ENABLED))
			facts->madt_cpus++;
		else if (type == MADT_X2APIC && elen >= 16 &&
			 (le32(t + off + 8) & MADT_CPU_ENABLED))
			facts->madt_cpus++;
		else if (type == MADT_IOAPIC)
			facts->madt_ioapics++;
		off += elen;
	}
}

/* Checks one table file; records its name and whether it is sound. */
static void check_table(struct acpi_facts *facts, const char *name)
{
	char path[512];
	uint8_t *t, sum = 0;
	size_t len;

	agent_path(path, sizeof(path), ACPI_TABLES_DIR "/%s", name);
	if (agent_read_all(path, &t, &len)) {
		list_append(facts->bad, sizeof(facts->bad), name);
		return;
	}
	list_append(facts->tables, sizeof(facts->tables), name);
	for (size_t i = 0; i < len; i++)
		sum += t[i];
	if (len < ACPI_HEADER_SIZE || le32(t + 4) != len || sum) {
		list_append(facts->bad, sizeof(facts->bad), name);
	} else if (!strcmp(name, "APIC")) {
		facts->has_madt = true;
		count_madt(facts, t, len);
	}
	facts->has_dsdt |= !strcmp(name, "DSDT");
	facts->has_facp |= !strcmp(name, "FACP");
	free(t);
}

static bool is_acpi_problem(const char *line)
{
	static const char *const needles[] = { "ACPI Error", "ACPI BIOS Error", "ACPI BIOS Warning",
					       "ACPI Exception", "Incorrect checksum" };

	for (size_t i = 0; i < ARRAY_SIZE(needles); i++)
		if (strstr(line, needles[i]))
			return true;
	return false;
}

/* The kernel log, NUL-terminated; from $AGENT_ROOT/kmsg in a prepared tree. */
static char *read_kernel_log(void)
{
	char path[512], *log;
	size_t len;
	int size, n;

	if (agent_fake_root()) {
		agent_path(path, sizeof(path), "/kmsg");
		return agent_read_all(path, (uint8_t **)&log, &len) ? NULL : log;
	}
	size = klogctl(SYSLOG_SIZE_BUF, NULL, 0);
	if (size <= 0 || !(log = malloc((size_t)size + 1)))
		return NULL;
	n = klogctl(SYSLOG_READ_ALL, log, size);
	if (n < 0 || n > size) {
		free(log);
		return NULL;
	}
	log[n] = '\0';
	return log;
}

static void scan_kernel_log(struct acpi_facts *facts)
{
	char *log = read_kernel_log(), *line, *save = NULL;

	if (!log) {
		facts->log_problems = -1;
		return;
	}
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!is_acpi_problem(line))
			continue;
		facts->log_problems++;
		printf(AGENT_PREFIX "acpi_log=%s\n", line);
	}
	free(log);
}

int acpi_collect(struct acpi_facts *facts)
{
	char *names[64], dir_path[512];
	size_t count = 0;
	struct dirent *de;
	DIR *dir;

	memset(facts, 0, sizeof(*facts));
	agent_path(dir_path, sizeof(dir_path), ACPI_TABLES_DIR);
	dir = opendir(dir_path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir)) && count < ARRAY_SIZE(names)) {
		char path[768];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir_path, de->d_name);
		if (de->d_name[0] == '.' || stat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		names[count] = strdup(de->d_name);
		if (names[count])
			count++;
	}
	closedir(dir);
	qsort(names, count, sizeof(names[0]), cmp_names);
	for (size_t i = 0; i < count; i++) {
		check_table(facts, names[i]);
		free(names[i]);
	}
	scan_kernel_log(facts);
	return 0;
}
