// SPDX-License-Identifier: MIT
/*
 * `agent check`: prints what the guest sees as `L2: key=value` lines, then compares it with the
 * expectations the scenario runner put on the kernel command line:
 *   nested.vcpus=N       online CPUs, /proc/cpuinfo and enabled MADT CPUs all equal N
 *   nested.mem_mib=N     firmware memory map RAM within N MiB minus 4 MiB .. N MiB
 *   nested.virtio=L      virtio device IDs (decimal, comma-separated, or "none"), as a multiset;
 *                        every virtio-blk device must also have become a disk (/sys/block/vd*)
 * ACPI is always checked: DSDT, FACP and APIC present, every table's length and checksum sound,
 * no ACPI errors or firmware-bug warnings in the kernel log.  Exit status 0 when all checks pass.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/nested/agent/agent.h"

#define MEMMAP_DIR       "/sys/firmware/memmap"
#define VIRTIO_DIR       "/sys/bus/virtio/devices"
#define BLOCK_DIR        "/sys/block"
#define VIRTIO_ID_BLOCK  2
#define MAX_VIRTIO       32
#define RAM_SLACK_KIB    4096 /* low-memory holes and firmware reservations */

/* Number of CPUs in a sysfs CPU list such as "0-3,5"; -1 when malformed. */
static int count_cpu_list(const char *list)
{
	int count = 0;

	while (*list && *list != '\n') {
		char *end;
		unsigned long lo = strtoul(list, &end, 10), hi = lo;

		if (end == list)
			return -1;
		if (*end == '-') {
			list = end + 1;
			hi = strtoul(list, &end, 10);
			if (end == list || hi < lo)
				return -1;
		}
		count += (int)(hi - lo + 1);
		list = end;
		if (*list == ',')
			list++;
	}
	return count;
}

static int count_online_cpus(void)
{
	char buf[256], path[512];

	agent_path(path, sizeof(path), "/sys/devices/system/cpu/online");
	if (agent_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	return count_cpu_list(buf);
}

static int count_cpuinfo_processors(void)
{
	char line[512], path[512];
	int count = 0;
	FILE *f;

	agent_path(path, sizeof(path), "/proc/cpuinfo");
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "processor", 9) && strchr(line, ':'))
			count++;
	fclose(f);
	return count;
}

static uint64_t meminfo_kib(const char *key)
{
	char line[256], path[512];
	size_t klen = strlen(key);
	uint64_t val = 0;
	FILE *f;

	agent_path(path, sizeof(path), "/proc/meminfo");
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			val = strtoull(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return val;
}

static bool read_hex(const char *dir, const char *entry, const char *field, uint64_t *out)
{
	char path[512], buf[64], *end;

	agent_path(path, sizeof(path), "%s/%s/%s", dir, entry, field);
	if (agent_read_file(path, buf, sizeof(buf)) <= 0)
		return false;
	errno = 0;
	*out = strtoull(buf, &end, 16);
	return !errno && end != buf;
}

/* Sum of the "System RAM" ranges of the firmware (e820) memory map, in KiB. */
static uint64_t firmware_ram_kib(void)
{
	uint64_t total = 0;
	struct dirent *de;
	char dir_path[512];
	DIR *dir;

	agent_path(dir_path, sizeof(dir_path), MEMMAP_DIR);
	dir = opendir(dir_path);
	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		char path[512], type[64];
		uint64_t start, end;

		if (de->d_name[0] == '.')
			continue;
		agent_path(path, sizeof(path), MEMMAP_DIR "/%s/type", de->d_name);
		if (agent_read_file(path, type, sizeof(type)) <= 0 ||
		    strncmp(type, "System RAM", 10))
			continue;
		if (read_hex(MEMMAP_DIR, de->d_name, "start", &start) &&
		    read_hex(MEMMAP_DIR, de->d_name, "end", &end) && end >= start)
			total += (end - start + 1) >> 10;
	}
	closedir(dir);
	return total;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return x < y ? -1 : x > y;
}

/* Device IDs of the virtio devices the guest bound, sorted; -1 on error. */
static int virtio_device_ids(unsigned int *ids, int cap)
{
	struct dirent *de;
	int count = 0;
	char dir_path[512];
	DIR *dir;

	agent_path(dir_path, sizeof(dir_path), VIRTIO_DIR);
	dir = opendir(dir_path);
	if (!dir)
		return errno == ENOENT ? 0 : -1;
	while ((de = readdir(dir)) && count < cap) {
		char path[512], buf[32];

		if (de->d_name[0] == '.')
			continue;
		agent_path(path, sizeof(path), VIRTIO_DIR "/%s/device", de->d_name);
		if (agent_read_file(path, buf, sizeof(buf)) > 0)
			ids[count++] = (unsigned int)strtoul(buf, NULL, 16);
	}
	closedir(dir);
	qsort(ids, (size_t)count, sizeof(ids[0]), cmp_uint);
	return count;
}

/* Number of virtio-blk disks (vda, vdb, ...) the guest created. */
static int count_virtio_disks(void)
{
	struct dirent *de;
	char dir_path[512];
	int count = 0;
	DIR *dir;

	agent_path(dir_path, sizeof(dir_path), BLOCK_DIR);
	dir = opendir(dir_path);
	if (!dir)
		return 0;
	while ((de = readdir(dir)))
		count += !strncmp(de->d_name, "vd", 2);
	closedir(dir);
	return count;
}

/* Parses "2,19" (or "none") into sorted IDs; -1 when malformed. */
static int parse_id_list(const char *s, unsigned int *ids, int cap)
{
	int count = 0;

	if (!strcmp(s, "none") || !*s)
		return 0;
	while (*s) {
		char *end;
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || count == cap || v > 0xffff)
			return -1;
		ids[count++] = (unsigned int)v;
		s = end;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	qsort(ids, (size_t)count, sizeof(ids[0]), cmp_uint);
	return count;
}

static void format_ids(char *buf, size_t cap, const unsigned int *ids, int count)
{
	size_t len = 0;

	buf[0] = '\0';
	for (int i = 0; i < count && len < cap; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%u", i ? "," : "", ids[i]);
	if (!count)
		snprintf(buf, cap, "none");
}

static bool check_vcpus(const struct acpi_facts *acpi)
{
	int online = count_online_cpus(), cpuinfo = count_cpuinfo_processors();
	uint64_t want;

	printf(AGENT_PREFIX "cpus_online=%d\n" AGENT_PREFIX "cpuinfo_processors=%d\n"
	       AGENT_PREFIX "madt_cpus=%u\n", online, cpuinfo, acpi->madt_cpus);
	if (!agent_param_u64("vcpus", &want))
		return true;
	return agent_check("vcpus", online == (int)want && cpuinfo == (int)want &&
					    acpi->madt_cpus == want,
			   "expected %" PRIu64 ": online %d, cpuinfo %d, MADT %u", want, online,
			   cpuinfo, acpi->madt_cpus);
}

static bool check_memory(void)
{
	uint64_t ram = firmware_ram_kib(), total = meminfo_kib("MemTotal"), mib, want;

	printf(AGENT_PREFIX "firmware_ram_kib=%" PRIu64 "\n" AGENT_PREFIX "memtotal_kib=%" PRIu64
	       "\n", ram, total);
	if (!agent_param_u64("mem_mib", &mib))
		return true;
	want = mib << 10;
	return agent_check("memory", ram <= want && ram + RAM_SLACK_KIB >= want && total <= ram,
			   "expected %" PRIu64 " KiB: firmware map %" PRIu64 " KiB, MemTotal %"
			   PRIu64 " KiB", want, ram, total);
}

static bool check_acpi(const struct acpi_facts *acpi)
{
	printf(AGENT_PREFIX "acpi_tables=%s\n" AGENT_PREFIX "acpi_bad_tables=%s\n"
	       AGENT_PREFIX "madt_ioapics=%u\n" AGENT_PREFIX "acpi_log_problems=%d\n",
	       acpi->tables[0] ? acpi->tables : "none", acpi->bad[0] ? acpi->bad : "none",
	       acpi->madt_ioapics, acpi->log_problems);
	return agent_check("acpi", acpi->has_dsdt && acpi->has_facp && acpi->has_madt &&
					   !acpi->bad[0] && acpi->madt_ioapics >= 1 &&
					   acpi->log_problems == 0,
			   "need sound DSDT, FACP, APIC with an IOAPIC and a clean log");
}

static bool check_virtio(void)
{
	unsigned int seen[MAX_VIRTIO], want[MAX_VIRTIO];
	int nseen = virtio_device_ids(seen, MAX_VIRTIO), nwant;
	char seen_s[256], want_s[256], param[256];
	int disks = count_virtio_disks(), want_disks = 0;
	bool same;

	format_ids(seen_s, sizeof(seen_s), seen, nseen < 0 ? 0 : nseen);
	printf(AGENT_PREFIX "virtio=%s\n" AGENT_PREFIX "virtio_disks=%d\n",
	       nseen < 0 ? "error" : seen_s, disks);
	if (!agent_param("virtio", param, sizeof(param)))
		return true;
	nwant = parse_id_list(param, want, MAX_VIRTIO);
	if (nwant < 0)
		return agent_check("virtio", false, "bad nested.virtio=%s", param);
	format_ids(want_s, sizeof(want_s), want, nwant);
	for (int i = 0; i < nwant; i++)
		want_disks += want[i] == VIRTIO_ID_BLOCK;
	same = nseen == nwant && !memcmp(seen, want, (size_t)nwant * sizeof(want[0]));
	return agent_check("virtio", same && disks == want_disks,
			   "expected device IDs %s and %d disk(s)", want_s, want_disks);
}

int cmd_check(int argc, char **argv)
{
	struct acpi_facts acpi;
	bool ok = true;

	if (acpi_collect(&acpi)) {
		memset(&acpi, 0, sizeof(acpi));
		printf(AGENT_PREFIX "acpi=absent\n");
	}
	ok &= check_vcpus(&acpi);
	ok &= check_memory();
	ok &= check_acpi(&acpi);
	ok &= check_virtio();
	printf(AGENT_PREFIX "result=%s\n", ok ? "PASS" : "FAIL");
	return ok ? 0 : 1;
}
