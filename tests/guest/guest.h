/* SPDX-License-Identifier: MIT */
/* What the checks share: boot information, options, result reporting. */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/guest/bootinfo.h"

#define GUEST_EXIT_PASS 0
#define GUEST_EXIT_FAIL 1

/* The boot information the VMM handed over, copied out of guest memory at start. */
extern struct boot_info boot;

/* Iterations of a polling loop before a wait gives up (cvmmtest.spin_limit). */
extern uint64_t spin_limit;

/* What a check reports after PASS/FAIL <name>. */
struct check_result {
	char detail[200];
	size_t len;
};

/* Appends a part to the detail, after ", " unless it is the first. */
void result_add(struct check_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Appends text to the detail as it is. */
void result_cat(struct check_result *res, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Every check returns true on PASS; it explains itself in res either way. */
typedef bool (*check_fn)(struct check_result *res);

bool check_memmap(struct check_result *res);
bool check_cmdline(struct check_result *res);
bool check_initrd(struct check_result *res);
bool check_acpi(struct check_result *res);
bool check_madt_cpus(struct check_result *res);
bool check_ring0(struct check_result *res);
bool check_smp(struct check_result *res);
bool check_irq(struct check_result *res);
bool check_devices(struct check_result *res);
bool check_blk(struct check_result *res);
bool check_blk_malformed(struct check_result *res);
bool check_blkbench(struct check_result *res);
bool check_vsock(struct check_result *res);
bool check_net(struct check_result *res);
bool check_netbench(struct check_result *res);
bool check_cvm(struct check_result *res);
bool check_mptable(struct check_result *res);
bool check_devirq(struct check_result *res);

/* Prints FAIL for the running check and the RESULT line, exits with failure (any ring). */
__attribute__((noreturn)) void guest_abort(const char *why);

#endif
