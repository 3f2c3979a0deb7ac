// SPDX-License-Identifier: MIT
/*
 * Unit tests of the device-DMA accessor on confidential memory: private ranges are refused (and
 * counted), shared ones mapped, mixed ones refused; the emulated device-side mapping faults on
 * private pages (checked in a forked child) and every page reads as zero after each change of side.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/kvm_recorder.h"
#include "vmm/convert.h"
#include "vmm/memory.h"

#define PG   4096ULL
#define M2   (2ULL << 20)
#define G1   (1ULL << 30)
#define HIGH 0x100000000ULL

struct setup {
	struct guest_mem gm;
	struct converter conv;
};

/* 3 GiB + 64 MiB of RAM (two regions), emulated confidential memory, holes punched for real. */
static struct setup *new_emulated(void)
{
	struct setup *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	rec_reset();
	rec_punch_passthrough(true);
	assert_int_equal(guest_mem_create(&s->gm, 3 * G1 + 64 * (1ULL << 20)), 0);
	assert_int_equal(guest_mem_enable_attrs(&s->gm, true), 0);
	assert_int_equal(converter_init(&s->conv, 7, &s->gm, CONVERT_EMULATED), 0);
	return s;
}

static void free_setup(struct setup *s)
{
	converter_destroy(&s->conv);
	guest_mem_destroy(&s->gm);
	free(s);
}

static bool all_bytes(const uint8_t *p, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

static void test_plain_memory_unchanged(void **state)
{
	struct guest_mem gm;
	uint8_t buf[8];

	assert_int_equal(guest_mem_create(&gm, 64 << 20), 0);
	assert_null(gm.attrs);
	assert_ptr_equal(guest_mem_dma(&gm, 0x1000, 16), gm.regions[0].hva + 0x1000);
	assert_ptr_equal(gm.regions[0].dev_hva, gm.regions[0].hva);
	assert_null(guest_mem_dma(&gm, (64 << 20) - 8, 16));
	assert_int_equal(guest_mem_read(&gm, 0x2000, buf, sizeof(buf)), 0);
	assert_int_equal(guest_mem_dma_refusals(&gm), 0);
	assert_false(guest_mem_is_confidential(&gm));
	guest_mem_destroy(&gm);
}

/* Pages of [gpa, gpa + len) that are in the memfd's page cache (allocated). */
static size_t resident_pages(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	unsigned char vec[512];
	size_t n = len / PG, count = 0;

	assert_true(n <= sizeof(vec));
	assert_int_equal(mincore(gm->regions[0].hva + gpa, len, vec), 0);
	for (size_t i = 0; i < n; i++)
		count += vec[i] & 1;
	return count;
}

static void test_populate_allocates_the_range(void **state)
{
	struct guest_mem gm;

	assert_int_equal(guest_mem_create(&gm, 64 << 20), 0);
	assert_int_equal(resident_pages(&gm, 0x100000, 0x100000), 0);
	/* Unaligned ends cover the pages they touch, and nothing beyond. */
	guest_mem_populate(&gm, 0x100000 + 100, 0x40000 - 200);
	assert_int_equal(resident_pages(&gm, 0x100000, 0x40000), 0x40);
	assert_int_equal(resident_pages(&gm, 0x140000, 0xc0000), 0);
	assert_true(all_bytes(gm.regions[0].hva + 0x100000, 0x40000, 0));
	/* Outside RAM, empty, or wrapping: nothing happens, nothing crashes. */
	guest_mem_populate(&gm, (64 << 20) - PG, 2 * PG);
	guest_mem_populate(&gm, 0x200000, 0);
	guest_mem_populate(&gm, ~0ULL - PG, 4 * PG);
	assert_int_equal(resident_pages(&gm, 0x140000, 0xc0000), 0);
	assert_int_equal(resident_pages(&gm, 0x200000, 0x10000), 0);
	guest_mem_destroy(&gm);
}

static void test_private_refused_shared_mapped(void **state)
{
	struct setup *s = new_emulated();
	struct guest_mem *gm = &s->gm;
	const uint64_t a = HIGH + M2;
	uint8_t buf[16];

	assert_true(guest_mem_is_confidential(gm));
	/* Everything starts private. */
	assert_null(guest_mem_dma(gm, 0x1000, 16));
	assert_null(guest_mem_dma(gm, a, PG));
	assert_int_equal(guest_mem_read(gm, a, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(guest_mem_write(gm, a, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(guest_mem_dma_refusals(gm), 4);
	/* cvmm's own boot-time writes still work. */
	assert_non_null(guest_mem_ptr(gm, a, PG));

	assert_int_equal(converter_convert(&s->conv, a, 4 * PG, false), 0);
	assert_ptr_equal(guest_mem_dma(gm, a, 4 * PG), gm->regions[1].dev_hva + M2);
	assert_ptr_equal(guest_mem_dma(gm, a + 3 * PG + 100, PG - 100),
			 gm->regions[1].dev_hva + M2 + 3 * PG + 100);
	assert_true(gm->regions[1].dev_hva != gm->regions[1].hva);
	/* Mixed: one byte over either end. */
	assert_null(guest_mem_dma(gm, a - 1, 2));
	assert_null(guest_mem_dma(gm, a + 4 * PG - 1, 2));
	assert_null(guest_mem_dma(gm, a, 4 * PG + 1));
	/* A zero-length range at a shared or private address is accepted (nothing to touch). */
	assert_non_null(guest_mem_dma(gm, a, 0));
	assert_int_equal(guest_mem_write(gm, a + 8, "hello", 5), 0);
	assert_int_equal(guest_mem_read(gm, a + 8, buf, 5), 0);
	assert_memory_equal(buf, "hello", 5);
	/* Not RAM stays refused whatever the attributes. */
	assert_null(guest_mem_dma(gm, 0xd0000000ULL, 4));

	/* Back to private: refused again. */
	assert_int_equal(converter_convert(&s->conv, a, 4 * PG, true), 0);
	assert_null(guest_mem_dma(gm, a, 1));
	assert_null(guest_mem_dma(gm, a + 3 * PG, PG));
	free_setup(s);
}

/* In a child: touch gpa through the device-side mapping; the child must die of SIGSEGV. */
static int touch_in_child(struct guest_mem *gm, uint64_t gpa, bool write)
{
	const struct guest_mem_region *r = guest_mem_region_of(gm, gpa, 1);
	volatile uint8_t *p = r->dev_hva + (gpa - r->gpa);
	int status;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = SIG_DFL };

		sigaction(SIGSEGV, &sa, NULL); /* sanitizers install their own handler */
		if (write)
			*p = 1;
		else
			(void)*p;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void test_dev_mapping_faults_on_private(void **state)
{
	struct setup *s = new_emulated();
	struct guest_mem *gm = &s->gm;
	const uint64_t a = 0x300000;
	int st;

	st = touch_in_child(gm, a, false);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	assert_int_equal(converter_convert(&s->conv, a, 2 * PG, false), 0);
	st = touch_in_child(gm, a + PG, true);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = touch_in_child(gm, a + 2 * PG, false); /* the page after stays private */
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	assert_int_equal(converter_convert(&s->conv, a, PG, true), 0);
	st = touch_in_child(gm, a, true);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	st = touch_in_child(gm, a + PG, false);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* A 1 GiB block in one go, in high RAM too. */
	assert_int_equal(converter_convert(&s->conv, G1, G1, false), 0);
	st = touch_in_child(gm, 2 * G1 - 1, false);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = touch_in_child(gm, HIGH + 5 * PG, false);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	free_setup(s);
}

static void test_zero_after_each_conversion(void **state)
{
	struct setup *s = new_emulated();
	struct guest_mem *gm = &s->gm;
	const uint64_t a = HIGH + 3 * M2;
	uint8_t *guest = guest_mem_ptr(gm, a - PG, 8 * PG); /* the guest's view (KVM maps hva) */
	uint8_t *dev;

	/* The guest fills private pages with secrets. */
	memset(guest, 0xa5, 8 * PG);
	assert_int_equal(converter_convert(&s->conv, a, 4 * PG, false), 0);
	dev = guest_mem_dma(gm, a, 4 * PG);
	assert_non_null(dev);
	assert_true(all_bytes(dev, 4 * PG, 0));
	assert_true(all_bytes(guest + PG, 4 * PG, 0)); /* the guest sees zeros too */
	assert_true(all_bytes(guest, PG, 0xa5));       /* neighbours keep theirs */
	assert_true(all_bytes(guest + 5 * PG, 3 * PG, 0xa5));

	/* A device writes; a wider conversion keeps what was already shared. */
	memset(dev, 0x3c, 4 * PG);
	assert_int_equal(converter_convert(&s->conv, a - PG, 6 * PG, false), 0);
	dev = guest_mem_dma(gm, a - PG, 6 * PG);
	assert_non_null(dev);
	assert_true(all_bytes(dev, PG, 0));
	assert_true(all_bytes(dev + PG, 4 * PG, 0x3c));
	assert_true(all_bytes(dev + 5 * PG, PG, 0));

	/* To private: the guest finds zeros, not what the device left. */
	assert_int_equal(converter_convert(&s->conv, a - PG, 6 * PG, true), 0);
	assert_true(all_bytes(guest, 6 * PG, 0));
	memset(guest, 0x77, 6 * PG);
	/* And shared again: zeros for the device, not the guest's private data. */
	assert_int_equal(converter_convert(&s->conv, a - PG, 6 * PG, false), 0);
	dev = guest_mem_dma(gm, a - PG, 6 * PG);
	assert_non_null(dev);
	assert_true(all_bytes(dev, 6 * PG, 0));
	assert_true(all_bytes(guest + 6 * PG, 2 * PG, 0xa5));
	free_setup(s);
}

/* guest_memfd style (TDX/SNP): no separate device view, but private pages are still refused. */
static void test_gmem_style_accessor(void **state)
{
	struct guest_mem gm;

	assert_int_equal(guest_mem_create(&gm, 64 << 20), 0);
	assert_int_equal(guest_mem_enable_attrs(&gm, false), 0);
	assert_int_equal(guest_mem_enable_attrs(&gm, false), -EINVAL); /* once */
	assert_ptr_equal(gm.regions[0].dev_hva, gm.regions[0].hva);
	assert_null(guest_mem_dma(&gm, 0x5000, 8));
	assert_int_equal(mem_attr_set(gm.attrs, 0x5000, PG, true), 0);
	assert_ptr_equal(guest_mem_dma(&gm, 0x5000, 8), gm.regions[0].hva + 0x5000);
	assert_int_equal(guest_mem_set_dev_access(&gm, 0x5000, PG, false), 0); /* no-op */
	assert_int_equal(guest_mem_set_dev_access(&gm, 0xd0000000ULL, PG, false), -EINVAL);
	assert_int_equal(guest_mem_dma_refusals(&gm), 1);
	guest_mem_destroy(&gm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_memory_unchanged),
		cmocka_unit_test(test_populate_allocates_the_range),
		cmocka_unit_test(test_private_refused_shared_mapped),
		cmocka_unit_test(test_dev_mapping_faults_on_private),
		cmocka_unit_test(test_zero_after_each_conversion),
		cmocka_unit_test(test_gmem_style_accessor),
	};

	return cmocka_run_group_tests_name("guest_mem_dma", tests, NULL, NULL);
}
