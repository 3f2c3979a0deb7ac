// SPDX-License-Identifier: MIT
/*
 * The agent-sandbox policy: the file's rules read and checked (unknown rules, wrong types and
 * values refused); applied through the command line (drives read-only unless listed as outputs,
 * the strictest seccomp, the policy's limits over --limits); what it refuses (--no-seccomp, RAM
 * beyond its cap); strict seccomp; and its memory cap failing closed where no cgroup can hold it.
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

#include "vmm/cli.h"
#include "vmm/error.h"
#include "vmm/sandbox.h"
#include "vmm/seccomp.h"

static char dir[64], policy[96];

static void write_policy(const char *json)
{
	FILE *f = fopen(policy, "w");

	assert_non_null(f);
	fputs(json, f);
	fclose(f);
}

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/cvmm-sandbox-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(policy, sizeof(policy), "%s/policy.json", dir);
	return 0;
}

static int teardown(void **state)
{
	unlink(policy);
	rmdir(dir);
	return 0;
}

static int parse(struct vm_config *cfg, struct error *e, int argc, char **argv)
{
	struct cli_extra x;

	error_clear(e);
	return cli_parse(argc, argv, CLI_RUN, cfg, &x, e);
}

static void test_rules_loaded(void **state)
{
	struct vm_config cfg;
	struct error e = ERROR_INIT;

	write_policy("{\"network\": false, \"output_drives\": [\"out\", \"logs\"], "
		     "\"memory_max_mib\": 512, \"cgroup\": \"/sys/fs/cgroup/agents\", "
		     "\"vsock_host_ports\": [1024, 1025], \"limits\": {\"vsock_conns\": 8}}");
	config_init(&cfg);
	assert_int_equal(sandbox_load(&cfg, policy, &e), 0);
	assert_true(cfg.sandbox.on);
	assert_false(cfg.sandbox.network);
	assert_int_equal(cfg.sandbox.nr_output_drives, 2);
	assert_string_equal(cfg.sandbox.output_drives[1], "logs");
	assert_int_equal(cfg.sandbox.memory_max_mib, 512);
	assert_string_equal(cfg.sandbox.cgroup, "/sys/fs/cgroup/agents");
	assert_int_equal(cfg.sandbox.nr_vsock_host_ports, 2);
	assert_int_equal(cfg.sandbox.vsock_host_ports[1], 1025);
	assert_string_equal(cfg.sandbox.limits, "vsock_conns=8");
	config_free(&cfg);
}

static void expect_refused(const char *json, const char *words)
{
	struct vm_config cfg;
	struct error e = ERROR_INIT;

	write_policy(json);
	config_init(&cfg);
	assert_true(sandbox_load(&cfg, policy, &e) < 0);
	if (!strstr(e.msg, words))
		fail_msg("%s: '%s' lacks '%s'", json, e.msg, words);
	assert_false(cfg.sandbox.on);
	config_free(&cfg);
}

static void test_bad_files(void **state)
{
	expect_refused("{\"netwerk\": false}", "unknown rule 'netwerk'");
	expect_refused("{\"network\": 1}", "network: true or false");
	expect_refused("{\"output_drives\": \"out\"}", "output_drives: an array");
	expect_refused("{\"memory_max_mib\": 8}", "memory_max_mib: 33 to");
	expect_refused("{\"cgroup\": \"relative\"}", "cgroup: an absolute path");
	expect_refused("{\"cgroup\": \"/sys/fs/cgroup/../etc\"}", "cgroup: an absolute path");
	expect_refused("{\"vsock_host_ports\": [-1]}", "vsock_host_ports");
	expect_refused("{\"limits\": {\"vsock_cons\": 3}}", "limits: unknown limit 'vsock_cons'");
	expect_refused("[1, 2]", "not a JSON object");
	expect_refused("{\"network\": false", policy);
	expect_refused("{\"network\": false, \"network\": true}", policy);
}

static void test_applied_by_the_command_line(void **state)
{
	char *argv[] = { "cvmm", "--drive", "path=/a,id=in", "--sandbox-policy", policy,
			 "--drive", "path=/b,id=out", "--drive", "path=/c", "--limits",
			 "vsock_conns=100,vsock_mem_mib=8", NULL };
	struct vm_config cfg;
	struct error e = ERROR_INIT;

	write_policy("{\"output_drives\": [\"out\"], \"limits\": {\"vsock_conns\": 4}}");
	assert_int_equal(parse(&cfg, &e, 11, argv), 0);
	assert_true(cfg.drives[0].read_only);
	assert_false(cfg.drives[1].read_only);
	assert_true(cfg.drives[2].read_only);
	assert_int_equal(cfg.seccomp, SECCOMP_LEVEL_STRICT);
	assert_true(seccomp_features(&cfg) & SECCOMP_F_STRICT);
	assert_int_equal(cfg.limits.vsock_conns, 4); /* the policy wins */
	assert_int_equal(cfg.limits.vsock_mem_mib, 8);
	assert_int_equal(sandbox_check(&cfg, &e), 0);
	config_free(&cfg);
}

static void test_refused_combinations(void **state)
{
	char *noseccomp[] = { "cvmm", "--sandbox-policy", policy, "--no-seccomp", NULL };
	char *big[] = { "cvmm", "--sandbox-policy", policy, "--mem-mib", "300", NULL };
	char *twice[] = { "cvmm", "--sandbox-policy", policy, "--sandbox-policy", policy, NULL };
	struct vm_config cfg;
	struct error e = ERROR_INIT;

	write_policy("{\"memory_max_mib\": 320}");
	assert_int_equal(parse(&cfg, &e, 4, noseccomp), 0);
	assert_int_equal(sandbox_check(&cfg, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "strictest seccomp filters (no --no-seccomp)"));
	config_free(&cfg);
	assert_int_equal(parse(&cfg, &e, 5, big), 0);
	assert_int_equal(sandbox_check(&cfg, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "caps memory at 320 MiB, of which cvmm keeps 32"));
	config_free(&cfg);
	{
		char *net[] = { "cvmm", "--sandbox-policy", policy, "--net", "tap=tap0", NULL };

		assert_int_equal(parse(&cfg, &e, 5, net), 0);
		assert_int_equal(sandbox_check(&cfg, &e), -EINVAL);
		assert_non_null(strstr(e.msg, "allows no network device"));
		config_free(&cfg);
	}
	assert_int_equal(parse(&cfg, &e, 5, twice), -EINVAL);
	assert_non_null(strstr(e.msg, "only one --sandbox-policy"));
	config_free(&cfg);
	/* A config built without the command line and not applied: still refused. */
	write_policy("{}");
	config_init(&cfg);
	assert_int_equal(sandbox_load(&cfg, policy, &e), 0);
	{
		struct drive_config d = { .path = (char *)"/x", .id = (char *)"in" };

		assert_int_equal(config_add_drive(&cfg, &d, NULL), 0);
	}
	cfg.seccomp = SECCOMP_LEVEL_STRICT;
	error_clear(&e);
	assert_int_equal(sandbox_check(&cfg, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "allows writing only to its output_drives"));
	config_free(&cfg);
}

/* No cgroup to hold the cap: cvmm refuses to run rather than run without it. */
static void test_memory_cap_fails_closed(void **state)
{
	char json[256];
	struct vm_config cfg;
	struct error e = ERROR_INIT;

	snprintf(json, sizeof(json), "{\"memory_max_mib\": 256, \"cgroup\": \"%s\"}", dir);
	write_policy(json);
	config_init(&cfg);
	assert_int_equal(sandbox_load(&cfg, policy, &e), 0);
	assert_true(sandbox_enforce(&cfg, &e) < 0);
	assert_int_equal(e.cls, ERROR_HOST);
	assert_non_null(strstr(e.msg, "cannot"));
	config_free(&cfg);
	/* Nothing to enforce without a cap. */
	write_policy("{}");
	config_init(&cfg);
	assert_int_equal(sandbox_load(&cfg, policy, &e), 0);
	assert_int_equal(sandbox_enforce(&cfg, &e), 0);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rules_loaded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_applied_by_the_command_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_combinations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_memory_cap_fails_closed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
