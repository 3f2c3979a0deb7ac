// SPDX-License-Identifier: MIT
/*
 * cvmm-jailer's parts that need no privileges: the command line Kata's fc driver passes (and
 * what is refused), the VM's shape from the VMM's arguments or its Firecracker config file, the
 * cgroup values with their defaults, and the libraries a dynamically linked VMM needs in its jail.
 * The jail itself is exercised by tests/jailer/jailer-test.sh (as root).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "jailer/jailer.h"
#include "vmm/error.h"

static int parse(struct jail_args *a, struct error *e, ...)
{
	static char *argv[64]; /* a->vmm_argv points into it */
	int argc = 0;
	va_list ap;

	argv[argc++] = "cvmm-jailer";
	va_start(ap, e);
	while (argc < 63 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	error_clear(e);
	return jail_parse_args(argc, argv, a, e);
}

/* Exactly what Kata's fc driver passes. */
static void test_kata_command_line(void **state)
{
	struct jail_args a;
	struct error e = ERROR_INIT;

	assert_int_equal(parse(&a, &e, "--id", "0123abcd", "--node", "0", "--exec-file",
			       "/opt/kata/bin/cvmm", "--uid", "0", "--gid", "0", "--chroot-base-dir",
			       "/run/vc", "--daemonize", "--netns", "/var/run/netns/cni-1", "--",
			       "--config-file", "/fcConfig.json", NULL),
			 0);
	assert_string_equal(a.id, "0123abcd");
	assert_string_equal(jail_exec_name(&a), "cvmm");
	assert_int_equal(a.uid, 0);
	assert_string_equal(a.chroot_base, "/run/vc");
	assert_true(a.daemonize);
	assert_string_equal(a.netns, "/var/run/netns/cni-1");
	assert_int_equal(a.vmm_argc, 2);
	assert_string_equal(a.vmm_argv[1], "/fcConfig.json");
	assert_int_equal(a.node, 0);
}

static void test_firecracker_options(void **state)
{
	struct jail_args a;
	struct error e = ERROR_INIT;

	assert_int_equal(parse(&a, &e, "--id=vm-1", "--exec-file=/usr/bin/cvmm", "--uid=123",
			       "--gid=100", "--cgroup", "cpu.max=50000 100000", "--cgroup",
			       "memory.max=300M", "--cgroup-version", "2", "--parent-cgroup",
			       "sandboxes/kata", "--resource-limit", "no-file=512",
			       "--resource-limit", "fsize=1000000", "--new-pid-ns", NULL),
			 0);
	assert_int_equal(a.nr_cgroups, 2);
	assert_string_equal(a.cgroups[0].file, "cpu.max");
	assert_string_equal(a.cgroups[0].value, "50000 100000");
	assert_string_equal(a.parent_cgroup, "sandboxes/kata");
	assert_int_equal(a.rlimit_nofile, 512);
	assert_int_equal(a.rlimit_fsize, 1000000);
	assert_string_equal(a.chroot_base, JAIL_DEFAULT_BASE);
	assert_int_equal(a.vmm_argc, 0);
}

static void expect_usage(const char *words, struct jail_args *a, struct error *e, int ret)
{
	assert_int_equal(ret, -EINVAL);
	assert_int_equal(e->cls, ERROR_USAGE);
	if (!strstr(e->msg, words))
		fail_msg("'%s' lacks '%s'", e->msg, words);
}

static void test_refused(void **state)
{
	struct jail_args a;
	struct error e = ERROR_INIT;

#define REFUSED(words, ...) expect_usage(words, &a, &e, parse(&a, &e, __VA_ARGS__, NULL))
	REFUSED("are required", "--id", "x", "--exec-file", "/a", "--uid", "1");
	REFUSED("letters, digits and hyphens", "--id", "../x", "--exec-file", "/a", "--uid", "1",
		"--gid", "1");
	REFUSED("letters, digits and hyphens", "--id",
		"a123456789012345678901234567890123456789012345678901234567890123456789",
		"--exec-file", "/a", "--uid", "1", "--gid", "1");
	REFUSED("absolute path to the VMM", "--id", "x", "--exec-file", "cvmm", "--uid", "1",
		"--gid", "1");
	REFUSED("cgroup v2 only", "--id", "x", "--exec-file", "/a", "--uid", "1", "--gid", "1",
		"--cgroup-version", "1");
	REFUSED("FILE=VALUE", "--id", "x", "--exec-file", "/a", "--uid", "1", "--gid", "1",
		"--cgroup", "../../tasks=1");
	REFUSED("FILE=VALUE", "--id", "x", "--exec-file", "/a", "--uid", "1", "--gid", "1",
		"--cgroup", "cgroup.procs/x=1");
	REFUSED("without '.' or '..'", "--id", "x", "--exec-file", "/a", "--uid", "1", "--gid",
		"1", "--parent-cgroup", "a/../../b");
	REFUSED("unknown resource", "--id", "x", "--exec-file", "/a", "--uid", "1", "--gid", "1",
		"--resource-limit", "nproc=1");
	REFUSED("unknown option '--privileged'", "--id", "x", "--privileged");
	REFUSED("not a number", "--id", "x", "--exec-file", "/a", "--uid", "-1", "--gid", "1");
	REFUSED("needs a value", "--id");
#undef REFUSED
}

static void test_vm_shape(void **state)
{
	char dir[64] = "/tmp/cvmm-jailer-XXXXXX", cfg[128];
	struct jail_vm_shape s;
	struct jail_args a;
	struct error e = ERROR_INIT;
	FILE *f;

	assert_int_equal(parse(&a, &e, "--id", "x", "--exec-file", "/a", "--uid", "1", "--gid", "1",
			       "--", "--kernel", "k", "--mem-mib=512", "--vcpus", "2", NULL),
			 0);
	jail_vm_shape(&a, NULL, &s);
	assert_int_equal(s.mem_mib, 512);
	assert_int_equal(s.vcpus, 2);
	assert_false(s.tap);
	/* Kata's way: a Firecracker config file inside the jail. */
	assert_non_null(mkdtemp(dir));
	snprintf(cfg, sizeof(cfg), "%s/fcConfig.json", dir);
	f = fopen(cfg, "w");
	assert_non_null(f);
	fputs("{\"machine-config\": {\"vcpu_count\": 4, \"mem_size_mib\": 2048},"
	      " \"network-interfaces\": [{\"iface_id\": \"eth0\", \"host_dev_name\": \"tap0\"}]}",
	      f);
	fclose(f);
	assert_int_equal(parse(&a, &e, "--id", "x", "--exec-file", "/a", "--uid", "1", "--gid", "1",
			       "--", "--config-file", "/fcConfig.json", NULL),
			 0);
	jail_vm_shape(&a, dir, &s);
	assert_int_equal(s.mem_mib, 2048);
	assert_int_equal(s.vcpus, 4);
	assert_true(s.tap);
	unlink(cfg);
	rmdir(dir);
}

static void test_cgroup_values(void **state)
{
	struct jail_cgroup_value v[8];
	struct jail_vm_shape s = { .mem_mib = 128, .vcpus = 2 };
	struct jail_args a;
	struct error e = ERROR_INIT;
	unsigned n;

	assert_int_equal(parse(&a, &e, "--id", "x", "--exec-file", "/a", "--uid", "1", "--gid", "1",
			       "--cgroup", "cpu.max=100000 100000", NULL),
			 0);
	n = jail_cgroup_values(&a, &s, v, 8);
	assert_int_equal(n, 4);
	assert_string_equal(v[0].file, "cpu.max");
	assert_string_equal(v[1].file, "memory.max");
	assert_string_equal(v[1].value, "201326592"); /* (128 + 64) MiB */
	assert_string_equal(v[2].file, "memory.swap.max");
	assert_string_equal(v[2].value, "0");
	assert_string_equal(v[3].file, "pids.max");
	assert_string_equal(v[3].value, "66");
	/* Given values win; no RAM known: no memory default. */
	assert_int_equal(parse(&a, &e, "--id", "x", "--exec-file", "/a", "--uid", "1", "--gid", "1",
			       "--cgroup", "pids.max=10", "--memory-overhead-mib", "8", NULL),
			 0);
	s.mem_mib = 0;
	n = jail_cgroup_values(&a, &s, v, 8);
	assert_int_equal(n, 2);
	assert_string_equal(v[0].value, "10");
	/* Two vCPUs: three CPUs' worth of time per 100 ms period (one for the device threads). */
	assert_string_equal(v[1].file, "cpu.max");
	assert_string_equal(v[1].value, "300000 100000");
	/* vCPUs unknown (a VM configured later through the API): no CPU default. */
	s.vcpus = 0;
	n = jail_cgroup_values(&a, &s, v, 8);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].file, "pids.max");
}

static void test_elf_deps(void **state)
{
	struct jail_deps d;
	struct error e = ERROR_INIT;
	bool libc = false, interp = false;

	/* A dynamically linked program (this test): its loader and libraries. */
	assert_int_equal(jail_elf_deps("/proc/self/exe", &d, &e), 0);
	for (unsigned i = 0; i < d.nr; i++) {
		libc |= strstr(d.paths[i], "/libc.so.6") != NULL;
		interp |= strstr(d.paths[i], "ld-linux-x86-64.so.2") != NULL;
		assert_int_equal(d.paths[i][0], '/');
	}
	assert_true(libc);
	assert_true(interp);
	jail_deps_free(&d);
	/* Not an ELF: refused. */
	assert_int_equal(jail_elf_deps("Makefile", &d, &e), -ENOEXEC);
	/* A static program (cvmm as built by default, busybox-static) needs nothing. */
	for (int i = 0; i < 2; i++) {
		const char *p = i ? "/bin/busybox" : "build/cvmm";
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "file -L %s 2>/dev/null | grep -q 'statically linked'", p);
		if (access(p, R_OK) || system(cmd))
			continue;
		assert_int_equal(jail_elf_deps(p, &d, &e), 0);
		assert_int_equal(d.nr, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kata_command_line),
		cmocka_unit_test(test_firecracker_options),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_vm_shape),
		cmocka_unit_test(test_cgroup_values),
		cmocka_unit_test(test_elf_deps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
