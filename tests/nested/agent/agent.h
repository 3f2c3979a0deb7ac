/* SPDX-License-Identifier: MIT */
/* Guest test agent of the nested harness: shared helpers of its subcommands. */
#ifndef NESTED_AGENT_H
#define NESTED_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Every machine-parsable line the agent prints starts with this. */
#define AGENT_PREFIX "L2: "

/*
 * Builds the path of a guest file: fmt is an absolute path (printf-style), prefixed with
 * $AGENT_ROOT when set, so the checks can run against a prepared tree on the build host.
 */
void agent_path(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* True when running against a prepared tree ($AGENT_ROOT) rather than the live system. */
bool agent_fake_root(void);

/* Reads at most cap-1 bytes of a file and NUL-terminates; returns bytes read or -errno. */
ssize_t agent_read_file(const char *path, char *buf, size_t cap);

/* Reads a whole file into a malloc'd buffer (NUL-terminated too); returns 0 or -errno. */
int agent_read_all(const char *path, uint8_t **data, size_t *len);

/* Value of `nested.KEY=` on the kernel command line, copied into buf; false when absent. */
bool agent_param(const char *key, char *buf, size_t cap);

/* Same, parsed as a decimal number; false when absent or not a number. */
bool agent_param_u64(const char *key, uint64_t *out);

/* Prints `L2: check NAME=ok` or `L2: check NAME=FAIL (why)` and returns ok. */
bool agent_check(const char *name, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* What the guest's ACPI tables say. */
struct acpi_facts {
	char tables[256];    /* comma-separated signatures, sorted */
	char bad[256];       /* tables with a wrong length or checksum */
	bool has_dsdt, has_facp, has_madt;
	unsigned int madt_cpus; /* enabled local APIC and x2APIC entries */
	unsigned int madt_ioapics;
	int log_problems;       /* ACPI errors and firmware-bug warnings in the kernel log */
};

int acpi_collect(struct acpi_facts *facts);

/* A virtio device as sysfs shows it. */
struct agent_vdev {
	char name[32];     /* virtioN */
	char parent[64];   /* the transport device the DMA API sees, e.g. LNRO0005:00 */
	unsigned long id;  /* VIRTIO_ID_* */
	char features[80]; /* the negotiated bits, '0'/'1' from bit 0 on */
};

/* The virtio devices, their parent taken from the sysfs link; how many, or -1. */
int agent_virtio_devices(struct agent_vdev *devs, int cap);

int cmd_check(int argc, char **argv);
int cmd_blk_io(int argc, char **argv);
int cmd_blk_ro(int argc, char **argv);
int cmd_blk_pattern(int argc, char **argv);
int cmd_blk_swap(int argc, char **argv);
int cmd_vsock_echo(int argc, char **argv);
int cmd_vsock_exec(int argc, char **argv);
int cmd_blk_bench(int argc, char **argv);
int cmd_bounce_start(int argc, char **argv);
int cmd_bounce_end(int argc, char **argv);
int cmd_net_io(int argc, char **argv);

#endif
