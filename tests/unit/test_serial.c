// SPDX-License-Identifier: MIT
/*
 * The 8250 UART model: transmit to a file, receive from stdin through the event loop with a
 * 64-byte FIFO that throttles instead of dropping, interrupt identification priorities, the
 * interrupt line as KVM sees it (through the recording seam), loopback for Linux's probe.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/serial.h"
#include "tests/unit/kvm_recorder.h"
#include "tests/unit/virtio_harness.h"

#define COM1 0x3f8
#define THR 0
#define IER 1
#define IIR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

struct fixture {
	struct vh_vm v;
	int saved_stdin;
	int in_w;          /* write end of the pipe that is the UART's stdin */
	char out_path[64];
	uint64_t file_max;  /* the console file's limit (0: none) */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	int p[2];

	assert_non_null(f);
	assert_int_equal(vh_vm_init(&f->v, 2 << 20, TEE_NONE), 0);
	assert_int_equal(pipe(p), 0);
	f->saved_stdin = dup(STDIN_FILENO);
	assert_int_equal(dup2(p[0], STDIN_FILENO), STDIN_FILENO);
	close(p[0]);
	f->in_w = p[1];
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	vh_vm_destroy(&f->v);
	dup2(f->saved_stdin, STDIN_FILENO);
	close(f->saved_stdin);
	close(f->in_w);
	if (f->out_path[0])
		unlink(f->out_path);
	free(f);
	return 0;
}

static uint8_t rd(struct fixture *f, unsigned reg)
{
	uint8_t v;

	assert_true(bus_access(&f->v.pio, COM1 + reg, &v, 1, false));
	return v;
}

static void wr(struct fixture *f, unsigned reg, uint8_t v)
{
	assert_true(bus_access(&f->v.pio, COM1 + reg, &v, 1, true));
}

/* COM1 on the fixture's VM, freed by the teardown. */
static int create_serial(struct fixture *f, enum serial_mode mode, const char *path)
{
	struct device dev;
	int ret = serial_create(&f->v.dev_env, mode, path, f->file_max, &dev, NULL);

	if (!ret)
		vh_add_device(&f->v, &dev);
	return ret;
}

/* The last level KVM was told for IRQ 4 (-1 if never). */
static int irq_level(void)
{
	for (size_t i = kvm_rec.nr_calls; i-- > 0;)
		if (!strcmp(kvm_rec.calls[i].op, "kvm_irq_line") && kvm_rec.calls[i].args[0] == 4)
			return (int)kvm_rec.calls[i].args[1];
	return -1;
}

/* A console file grows to its limit and no further; the rest is counted, and a FIFO has none. */
static void test_file_limit(void **state)
{
	struct fixture *f = *state;
	struct device_counters m = { 0 };
	struct stat sb;
	int fd;

	strcpy(f->out_path, "/tmp/cvmm-test-serial-XXXXXX");
	fd = mkstemp(f->out_path);
	close(fd);
	f->file_max = 100;
	assert_int_equal(create_serial(f, SERIAL_FILE, f->out_path), 0);
	for (unsigned i = 0; i < 1000; i++)
		wr(f, THR, 'x');
	assert_int_equal(stat(f->out_path, &sb), 0);
	assert_int_equal(sb.st_size, 100);
	f->v.devices[0].counters(f->v.devices[0].opaque, &m);
	assert_int_equal(m.nr, 2);
	assert_string_equal(m.v[0].name, "tx_bytes");
	assert_int_equal(m.v[0].value, 100);
	assert_string_equal(m.v[1].name, "dropped_bytes");
	assert_int_equal(m.v[1].value, 900);
}

static void test_transmit_to_file(void **state)
{
	struct fixture *f = *state;
	char buf[16] = { 0 };
	int fd;

	strcpy(f->out_path, "/tmp/cvmm-test-serial-XXXXXX");
	fd = mkstemp(f->out_path);
	close(fd);
	assert_int_equal(create_serial(f, SERIAL_FILE, f->out_path), 0);
	assert_true(rd(f, LSR) & 0x60); /* THR empty, transmitter empty */
	wr(f, THR, 'o');
	wr(f, THR, 'k');
	/* DLAB set: offset 0 is the divisor latch, not THR. */
	wr(f, LCR, 0x80);
	wr(f, THR, 0x01);
	assert_int_equal(rd(f, THR), 0x01);
	wr(f, LCR, 0x03);
	fd = open(f->out_path, O_RDONLY);
	assert_int_equal(read(fd, buf, sizeof(buf)), 2);
	close(fd);
	assert_string_equal(buf, "ok");
	wr(f, SCR, 0x5a);
	assert_int_equal(rd(f, SCR), 0x5a);
}

static void test_thre_interrupt(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(create_serial(f, SERIAL_NONE, NULL), 0);
	assert_int_equal(rd(f, IIR) & 0x0f, 0x01); /* nothing pending */
	/* Enabling THRI with THR empty raises it at once (Linux's THRE probe relies on this). */
	wr(f, IER, 0x02);
	assert_int_equal(rd(f, IIR) & 0x0f, 0x02);
	assert_int_equal(irq_level(), 0); /* reading IIR acknowledged it */
	assert_int_equal(rd(f, IIR) & 0x0f, 0x01);
	wr(f, THR, 'x');
	assert_int_equal(irq_level(), 1);
	assert_int_equal(rd(f, IIR) & 0x0f, 0x02);
	assert_int_equal(irq_level(), 0);
	wr(f, IER, 0);
	wr(f, THR, 'y');
	assert_int_equal(irq_level(), 0); /* masked */
	/* FIFO-enabled IIR shows the FIFO bits. */
	wr(f, IIR, 0x01);
	assert_int_equal(rd(f, IIR) & 0xc0, 0xc0);
}

static void test_loopback_probe(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(create_serial(f, SERIAL_NONE, NULL), 0);
	/* Linux's autoconfig: MCR = LOOP | OUT2 | RTS must read back as MSR 0x90. */
	wr(f, MCR, 0x1a);
	assert_int_equal(rd(f, MSR) & 0xf0, 0x90);
	wr(f, MCR, 0x1f);
	assert_int_equal(rd(f, MSR) & 0xf0, 0xf0);
	/* In loopback, transmitted bytes come back as received ones. */
	wr(f, THR, 0x42);
	assert_true(rd(f, LSR) & 0x01);
	assert_int_equal(rd(f, THR), 0x42);
	assert_false(rd(f, LSR) & 0x01);
	wr(f, MCR, 0x0b);
	assert_int_equal(rd(f, MSR) & 0xf0, 0xb0); /* carrier, DSR, CTS when not looping */
}

static void pump(struct fixture *f)
{
	while (ev_loop_run_once(&f->v.loop, 50) > 0)
		;
}

static void test_receive_fifo_and_throttle(void **state)
{
	struct fixture *f = *state;
	uint8_t in[200], got[200];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(create_serial(f, SERIAL_STDIO, NULL), 0);
	wr(f, IER, 0x01); /* received-data interrupts */
	assert_int_equal(write(f->in_w, in, sizeof(in)), (ssize_t)sizeof(in));
	pump(f);
	/* Only a FIFO's worth is taken; the rest waits in the pipe, nothing is lost. */
	assert_int_equal(irq_level(), 1);
	assert_int_equal(rd(f, IIR) & 0x0f, 0x04);
	while (rd(f, LSR) & 0x01 && n < sizeof(got))
		got[n++] = rd(f, THR);
	assert_int_equal(n, 64);
	assert_int_equal(irq_level(), 0);
	/* Draining the FIFO resumes reading input. */
	while (n < sizeof(in)) {
		pump(f);
		assert_true(rd(f, LSR) & 0x01);
		while (rd(f, LSR) & 0x01 && n < sizeof(got))
			got[n++] = rd(f, THR);
	}
	assert_memory_equal(got, in, sizeof(in));
	/* RDA outranks THRE. */
	wr(f, IER, 0x03);
	assert_int_equal(write(f->in_w, "z", 1), 1);
	pump(f);
	assert_int_equal(rd(f, IIR) & 0x0f, 0x04);
	assert_int_equal(rd(f, THR), 'z');
	assert_int_equal(rd(f, IIR) & 0x0f, 0x02);
}

static void test_wide_access_ignored(void **state)
{
	struct fixture *f = *state;
	uint8_t v[2] = { 0x12, 0x34 };

	assert_int_equal(create_serial(f, SERIAL_NONE, NULL), 0);
	assert_true(bus_access(&f->v.pio, COM1 + SCR - 1, v, 2, false));
	assert_int_equal(v[0], 0xff);
	assert_int_equal(v[1], 0xff);
	v[0] = 0x77;
	assert_true(bus_access(&f->v.pio, COM1 + SCR - 1, v, 2, true));
	assert_int_not_equal(rd(f, SCR), 0x77);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_transmit_to_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thre_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loopback_probe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive_fifo_and_throttle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wide_access_ignored, setup, teardown),
	};

	return cmocka_run_group_tests_name("serial", tests, NULL, NULL);
}
