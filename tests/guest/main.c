// SPDX-License-Identifier: MIT
/*
 * The test guest's ring-3 main: read the boot information, run the selected checks in order,
 * print PASS/FAIL per check and a RESULT line, exit through the debug-exit port.
 */
#include <stdarg.h>

#include "tests/guest/acpi.h"
#include "tests/guest/apic.h"
#include "tests/guest/blk_check.h"
#include "tests/guest/cmdline.h"
#include "tests/guest/guest.h"
#include "tests/guest/io.h"
#include "tests/guest/layout.h"
#include "tests/guest/libc.h"
#include "tests/guest/printf.h"
#include "tests/guest/serial.h"
#include "tests/guest/trap.h"

/* PAUSE-loop iterations; ~4 s where PAUSE takes 40 ns, well under a second on older CPUs. */
#define DEFAULT_SPIN_LIMIT 100000000ULL

struct check {
	const char *name;
	check_fn run;
	bool (*applies)(void); /* NULL: always; else the check runs (and counts) only when true */
	bool on_request;       /* runs only when named in cvmmtest.only */
};

static bool acpi_on(void)
{
	return !guest_acpi_off();
}

/* In the order they run; smp and irq come late because they change the machine's state. */
static const struct check checks[] = {
	{ "memmap", check_memmap, NULL, false },
	{ "cmdline", check_cmdline, NULL, false },
	{ "initrd", check_initrd, NULL, false },
	{ "acpi", check_acpi, acpi_on, false },
	{ "madt-cpus", check_madt_cpus, acpi_on, false },
	{ "mptable", check_mptable, guest_acpi_off, false },
	{ "ring0", check_ring0, NULL, false },
	{ "devices", check_devices, NULL, false },
	{ "cvm", check_cvm, NULL, true }, /* before the device checks: they then bounce */
	{ "blk-malformed", check_blk_malformed, blk_present, true },
	{ "blk", check_blk, blk_present, false },
	{ "blkbench", check_blkbench, blk_present, true },
	{ "net", check_net, NULL, true },
	{ "netbench", check_netbench, NULL, true },
	{ "smp", check_smp, NULL, false },
	{ "irq", check_irq, NULL, false },
	{ "devirq", check_devirq, NULL, true },
	{ "vsock", check_vsock, NULL, true },
};

extern uint64_t boot_info_addr;
extern uint32_t boot_kind;

struct boot_info boot;
uint64_t spin_limit = DEFAULT_SPIN_LIMIT;
static bool hold; /* cvmmtest.hold=1: stay alive after RESULT (benchmarks sample the VMM) */

static unsigned int passed, total;
static const char *running;

static void vresult(struct check_result *res, bool sep, const char *fmt, va_list ap)
{
	size_t room = sizeof(res->detail) - res->len;
	int n;

	if (sep && res->len && room > 2) {
		memcpy(res->detail + res->len, ", ", 3);
		res->len += 2;
		room -= 2;
	}
	n = vsnprintf(res->detail + res->len, room, fmt, ap);
	if (n > 0)
		res->len += (size_t)n < room ? (size_t)n : room - 1;
}

void result_add(struct check_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vresult(res, true, fmt, ap);
	va_end(ap);
}

void result_cat(struct check_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vresult(res, false, fmt, ap);
	va_end(ap);
}

static __attribute__((noreturn)) void finish(void)
{
	bool ok = passed == total;

	printf("RESULT: %u/%u %s\n", passed, total, ok ? "PASS" : "FAIL");
	if (!hold)
		outb(PORT_DEBUG_EXIT, ok ? GUEST_EXIT_PASS : GUEST_EXIT_FAIL);
	/* Still running: the VMM has no exit port.  Park the CPU. */
	syscall1(SYS_HALT, 0);
	for (;;)
		;
}

void guest_abort(const char *why)
{
	printf("FAIL %s: %s\n", running ? running : "boot", why);
	total++;
	finish();
}

static bool selected(const struct check *c)
{
	const char *name = c->name, *list;
	size_t len;
	bool only = cmdline_get(boot.cmdline, "cvmmtest.only", &list, &len);

	if (only && !list_contains(list, len, name))
		return false;
	if (c->on_request && !only)
		return false;
	if (cmdline_get(boot.cmdline, "cvmmtest.skip", &list, &len) &&
	    list_contains(list, len, name))
		return false;
	return true;
}

void guest_main(void);
void guest_main(void)
{
	const char *only;
	size_t only_len;
	uint64_t v;

	serial_init();
	boot_info_read(&boot, (int)boot_kind, boot_info_addr);
	hold = cmdline_get_u64(boot.cmdline, "cvmmtest.hold", &v) && v;
	if (cmdline_get(boot.cmdline, "cvmmtest.only", &only, &only_len) && only_len == 4 &&
	    !memcmp(only, "none", 4))
		finish();
	printf("cvmm-test: entry %s, boot info at 0x%lx, cmdline \"%.*s\"\n",
	       boot_kind_name(boot.kind), boot.info_addr, 160, boot.cmdline);
	if (boot.error)
		guest_abort(boot.error);
	if (cmdline_get_u64(boot.cmdline, "cvmmtest.spin_limit", &v) && v)
		spin_limit = v;
	apic_init();

	for (size_t i = 0; i < ARRAY_SIZE(checks); i++) {
		struct check_result res = { .len = 0 };
		bool ok;

		if (!selected(&checks[i]) || (checks[i].applies && !checks[i].applies()))
			continue;
		running = checks[i].name;
		ok = checks[i].run(&res);
		total++;
		passed += ok;
		if (res.len)
			printf("%s %s: %s\n", ok ? "PASS" : "FAIL", checks[i].name, res.detail);
		else
			printf("%s %s\n", ok ? "PASS" : "FAIL", checks[i].name);
	}
	running = NULL;
	finish();
}
