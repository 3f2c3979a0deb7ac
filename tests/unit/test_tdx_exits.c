// SPDX-License-Identifier: MIT
/*
 * A TD's exits, on a TD built on the recording KVM: MapGPA as KVM turns it into MAP_GPA_RANGE
 * exits (good, misaligned, mixed sides, outside RAM), GetQuote against a fake quote generation
 * service on a Unix socket (success with the notification interrupt, service down, malformed
 * reply, a guest buffer too small, bad buffers, too many at once), GetTdVmCallInfo,
 * SetupEventNotifyInterrupt, an unknown TDVMCALL, and ReportFatalError's one line and exit 1.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/unit/kvm_recorder.h"
#include "tests/unit/td_fixture.h"
#include "tdx/qgs.h"
#include "vmm/error.h"
#include "vmm/kvm_api.h"
#include "vmm/log.h"
#include "vmm/util.h"
#include "vmm/vm.h"

#define SHARED_BIT   (1ULL << 47)
#define BUF_GPA      0x200000ULL
#define BUF_SIZE     0x2000ULL
#define MAP_GPA_MAX  (2ULL << 20)
#define ST_SUCCESS   CVMM_TDVMCALL_STATUS_SUCCESS
#define ST_INVALID   CVMM_TDVMCALL_STATUS_INVALID_OPERAND
#define ST_ALIGN     CVMM_TDVMCALL_STATUS_ALIGN_ERROR
#define Q_IN_FLIGHT  0xffffffffffffffffULL
#define Q_ERROR      0x8000000000000000ULL
#define Q_UNAVAIL    0x8000000000000001ULL

static char dir[64], fw_path[128], sock_path[100];

static int setup(void **state)
{
	td_dir_init(dir, sizeof(dir));
	snprintf(fw_path, sizeof(fw_path), "%s/tdvf.fd", dir);
	snprintf(sock_path, sizeof(sock_path), "%s/qgs.sock", dir);
	log_threshold = LOG_ERROR;
	return 0;
}

static int teardown(void **state)
{
	td_dir_free(dir);
	return 0;
}

static struct vm *make_td(struct vm_config *cfg, const char *quote_service)
{
	struct error e = ERROR_INIT;
	struct vm *vm;

	td_config(cfg, fw_path, &fw_image_ovmf);
	if (quote_service)
		config_set_string(&cfg->tdx.quote_service, quote_service, "qs", NULL);
	td_kvm(0);
	if (vm_create(cfg, &vm, &e))
		fail_msg("vm_create: %s", e.msg);
	return vm;
}

static void free_td(struct vm *vm, struct vm_config *cfg)
{
	vm_destroy(vm);
	config_free(cfg);
}

/* ---- MapGPA ---- */

/*
 * TDG.VP.VMCALL<MapGPA> as KVM 6.16 handles it (arch/x86/kvm/vmx/tdx.c): reject a range that
 * wraps, leaves the GPA width or straddles the shared bit (INVALID_OPERAND), or is misaligned
 * (ALIGN_ERROR), before any exit; else exit with MAP_GPA_RANGE per 2 MiB chunk, shared bit
 * stripped, ENCRYPTED for a private target; a non-zero answer ends it with INVALID_OPERAND and
 * R11 = the chunk.  Returns the TDVMCALL status; *exits counts the exits cvmm saw.
 */
static uint64_t tdvmcall_map_gpa(struct vm *vm, uint64_t gpa, uint64_t size, uint64_t *r11,
				 unsigned *exits)
{
	struct kvm_run *run = vm->vcpus[0].run;
	bool private = !(gpa & SHARED_BIT);

	*exits = 0;
	*r11 = gpa;
	if (gpa + size <= gpa || gpa + size > (1ULL << 48) ||
	    private != !((gpa + size - 1) & SHARED_BIT))
		return ST_INVALID;
	if (!IS_ALIGNED(gpa, 4096) || !IS_ALIGNED(size, 4096))
		return ST_ALIGN;
	for (uint64_t next = gpa; next < gpa + size; next += MAP_GPA_MAX) {
		uint64_t len = MIN(MAP_GPA_MAX, gpa + size - next);

		memset(run, 0, sizeof(*run));
		run->exit_reason = KVM_EXIT_HYPERCALL;
		run->hypercall.nr = KVM_HC_MAP_GPA_RANGE_NR;
		run->hypercall.args[0] = next & ~SHARED_BIT;
		run->hypercall.args[1] = len / 4096;
		run->hypercall.args[2] = private ? KVM_MAP_GPA_RANGE_ENCRYPTED : 0;
		assert_true(vcpu_handle_exit(&vm->vcpus[0]));
		(*exits)++;
		if (run->hypercall.ret) {
			*r11 = next;
			return ST_INVALID;
		}
	}
	return ST_SUCCESS;
}

static void test_map_gpa(void **state)
{
	struct vm_config cfg;
	struct vm *vm = make_td(&cfg, NULL);
	uint64_t r11, ram_end = 64ULL << 20;
	unsigned exits;
	long first;

	/* Good: 5 MiB to shared in three chunks, each one attribute change; and back. */
	first = (long)kvm_rec.nr_calls;
	assert_int_equal(tdvmcall_map_gpa(vm, 0x1000000 | SHARED_BIT, 5 << 20, &r11, &exits),
			 ST_SUCCESS);
	assert_int_equal(exits, 3);
	{
		static const uint64_t want[][2] = { { 0x1000000, 2 << 20 }, { 0x1200000, 2 << 20 },
						    { 0x1400000, 1 << 20 } };
		unsigned n = 0;

		for (size_t c = (size_t)first; c < kvm_rec.nr_calls; c++) {
			if (strcmp(kvm_rec.calls[c].op, "kvm_set_memory_attributes"))
				continue;
			assert_true(n < 3);
			assert_int_equal(kvm_rec.calls[c].args[0], want[n][0]);
			assert_int_equal(kvm_rec.calls[c].args[1], want[n][1]);
			assert_int_equal(kvm_rec.calls[c].args[2], 0);
			n++;
		}
		assert_int_equal(n, 3);
	}
	assert_true(mem_attr_is_shared(vm->mem.attrs, 0x1000000, 5 << 20));
	assert_int_equal(tdvmcall_map_gpa(vm, 0x1000000, 5 << 20, &r11, &exits), ST_SUCCESS);
	assert_true(mem_attr_is_private(vm->mem.attrs, 0x1000000, 5 << 20));

	/* Misaligned: KVM answers itself; and should one reach cvmm, it is refused too. */
	assert_int_equal(tdvmcall_map_gpa(vm, 0x1000800 | SHARED_BIT, 0x1000, &r11, &exits),
			 ST_ALIGN);
	assert_int_equal(exits, 0);
	vm->vcpus[0].run->exit_reason = KVM_EXIT_HYPERCALL;
	vm->vcpus[0].run->hypercall.nr = KVM_HC_MAP_GPA_RANGE_NR;
	vm->vcpus[0].run->hypercall.args[0] = 0x1000800;
	vm->vcpus[0].run->hypercall.args[1] = 1;
	vm->vcpus[0].run->hypercall.args[2] = 0;
	assert_true(vcpu_handle_exit(&vm->vcpus[0]));
	assert_int_not_equal(vm->vcpus[0].run->hypercall.ret, 0);
	assert_true(mem_attr_is_private(vm->mem.attrs, 0x1000000, 0x2000));

	/* Mixed sides: a range straddling the shared bit never reaches cvmm... */
	assert_int_equal(tdvmcall_map_gpa(vm, SHARED_BIT - 0x1000, 0x2000, &r11, &exits),
			 ST_INVALID);
	assert_int_equal(exits, 0);
	/* ...and one whose pages are already half shared converts the rest. */
	assert_int_equal(tdvmcall_map_gpa(vm, 0x400000 | SHARED_BIT, 0x1000, &r11, &exits),
			 ST_SUCCESS);
	assert_int_equal(tdvmcall_map_gpa(vm, 0x3ff000 | SHARED_BIT, 0x3000, &r11, &exits),
			 ST_SUCCESS);
	assert_true(mem_attr_is_shared(vm->mem.attrs, 0x3ff000, 0x3000));

	/* Outside RAM: the chunk past its end fails, R11 names it; the firmware range is not RAM. */
	assert_int_equal(tdvmcall_map_gpa(vm, (ram_end - MAP_GPA_MAX) | SHARED_BIT, 2 * MAP_GPA_MAX,
					  &r11, &exits), ST_INVALID);
	assert_int_equal(exits, 2);
	assert_int_equal(r11, ram_end | SHARED_BIT);
	assert_true(mem_attr_is_shared(vm->mem.attrs, ram_end - MAP_GPA_MAX, MAP_GPA_MAX));
	assert_int_equal(tdvmcall_map_gpa(vm, 0xfffe0000 | SHARED_BIT, 0x1000, &r11, &exits),
			 ST_INVALID);
	assert_int_equal(exits, 1);
	assert_false(vm_is_stopping(vm));
	free_td(vm, &cfg);
}

/* ---- the guest's GetQuote buffer ---- */

struct quote_hdr {
	uint64_t version, status;
	uint32_t in_len, out_len;
};

static void share_buffer(struct vm *vm)
{
	uint64_t r11;
	unsigned exits;

	assert_int_equal(tdvmcall_map_gpa(vm, BUF_GPA | SHARED_BIT, BUF_SIZE, &r11, &exits),
			 ST_SUCCESS);
}

/* The guest's request: header (version 1, in_len) and a 1 KiB "TD report". */
static void write_request(struct vm *vm, uint64_t version, uint32_t in_len)
{
	struct quote_hdr h = { .version = version, .in_len = in_len };
	uint8_t report[1024];

	for (size_t i = 0; i < sizeof(report); i++)
		report[i] = (uint8_t)(i ^ 0x5a);
	assert_int_equal(guest_mem_write(&vm->mem, BUF_GPA, &h, sizeof(h)), 0);
	assert_int_equal(guest_mem_write(&vm->mem, BUF_GPA + 24, report, sizeof(report)), 0);
}

static struct quote_hdr read_hdr(struct vm *vm)
{
	struct quote_hdr h;

	assert_int_equal(guest_mem_read(&vm->mem, BUF_GPA, &h, sizeof(h)), 0);
	return h;
}

/* A TDVMCALL exit of kind nr from vCPU v; returns the status KVM would hand the guest. */
static uint64_t tdx_exit(struct vm *vm, unsigned v, uint64_t nr, uint64_t a, uint64_t b)
{
	struct kvm_run *run = vm->vcpus[v].run;
	struct cvmm_kvm_tdx_exit *x = kvm_run_tdx(run);

	memset(run, 0, sizeof(*run));
	run->exit_reason = KVM_EXIT_TDX;
	x->nr = nr;
	x->get_quote.ret = CVMM_TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED; /* KVM's preset */
	x->get_quote.gpa = a; /* setup_event_notify.vector and get_tdvmcall_info.leaf alias it */
	x->get_quote.size = b;
	assert_true(vcpu_handle_exit(&vm->vcpus[v]));
	return x->get_quote.ret;
}

static uint64_t get_quote(struct vm *vm, uint64_t gpa, uint64_t size)
{
	return tdx_exit(vm, 0, CVMM_TDVMCALL_GET_QUOTE, gpa, size);
}

/* Runs the event loop until the buffer leaves IN_FLIGHT (5 s at most). */
static struct quote_hdr wait_quote(struct vm *vm)
{
	struct quote_hdr h = read_hdr(vm);

	for (int i = 0; i < 500 && h.status == Q_IN_FLIGHT; i++) {
		assert_true(ev_loop_run_once(&vm->loop, 10) >= 0);
		h = read_hdr(vm);
	}
	return h;
}

/* ---- a fake quote generation service ---- */

enum qgs_mode { QGS_GOOD, QGS_WRONG_TYPE, QGS_HUGE, QGS_HANG_UP };

struct fake_qgs {
	int listen_fd;
	enum qgs_mode mode;
	unsigned requests;
	uint8_t last_report[1024];
	pthread_t thread;
};

static int read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* Serves one request the way the mode says. */
static void *qgs_thread(void *arg)
{
	struct fake_qgs *q = arg;
	uint8_t frame[4], msg[24 + 1024], reply[4 + 24 + 9000];
	uint32_t len, quote_len = q->mode == QGS_HUGE ? 9000 : 100;
	int fd = accept(q->listen_fd, NULL, NULL);

	if (fd < 0)
		return NULL;
	if (read_full(fd, frame, 4) || (len = (uint32_t)frame[0] << 24 | frame[1] << 16 |
						   frame[2] << 8 | frame[3]) != sizeof(msg) ||
	    read_full(fd, msg, sizeof(msg))) {
		close(fd);
		return NULL;
	}
	q->requests++;
	memcpy(q->last_report, msg + 24, sizeof(q->last_report));
	if (q->mode == QGS_HANG_UP) {
		close(fd);
		return NULL;
	}
	len = 24 + quote_len;
	reply[0] = (uint8_t)(len >> 24);
	reply[1] = (uint8_t)(len >> 16);
	reply[2] = (uint8_t)(len >> 8);
	reply[3] = (uint8_t)len;
	memset(reply + 4, 0, 24);
	reply[4] = 1; /* major */
	reply[6] = 1; /* minor */
	put_le32(reply + 8, q->mode == QGS_WRONG_TYPE ? 0 : 1);
	put_le32(reply + 12, len);
	put_le32(reply + 24, quote_len);
	for (uint32_t i = 0; i < quote_len; i++)
		reply[28 + i] = (uint8_t)(0xc0 + i);
	if (write(fd, reply, 4 + len) < 0)
		fprintf(stderr, "fake QGS: write failed\n");
	close(fd);
	return NULL;
}

static void qgs_start(struct fake_qgs *q, enum qgs_mode mode)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	memset(q, 0, sizeof(*q));
	q->mode = mode;
	unlink(sock_path);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	q->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(q->listen_fd >= 0);
	assert_int_equal(bind(q->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(q->listen_fd, 32), 0);
	assert_int_equal(pthread_create(&q->thread, NULL, qgs_thread, q), 0);
}

static void qgs_stop(struct fake_qgs *q)
{
	shutdown(q->listen_fd, SHUT_RDWR);
	pthread_join(q->thread, NULL);
	close(q->listen_fd);
	unlink(sock_path);
}

static void test_get_quote_success(void **state)
{
	char service[160];
	struct vm_config cfg;
	struct fake_qgs q;
	struct quote_hdr h;
	struct vm *vm;
	uint8_t quote[100];
	long msi;

	snprintf(service, sizeof(service), "unix:%s", sock_path);
	qgs_start(&q, QGS_GOOD);
	vm = make_td(&cfg, service);
	share_buffer(vm);
	/* vCPU 1 asks for notifications on vector 0x40. */
	assert_int_equal(tdx_exit(vm, 1, CVMM_TDVMCALL_SETUP_EVENT_NOTIFY, 0x40, 0), ST_SUCCESS);
	write_request(vm, 1, 1024);
	assert_int_equal(get_quote(vm, BUF_GPA, BUF_SIZE), ST_SUCCESS);
	assert_int_equal(read_hdr(vm).status, Q_IN_FLIGHT); /* the TDVMCALL returned at once */
	h = wait_quote(vm);
	qgs_stop(&q);
	assert_int_equal(q.requests, 1);
	assert_int_equal(q.last_report[5], 5 ^ 0x5a);
	assert_int_equal(h.status, 0);
	assert_int_equal(h.version, 1);
	assert_int_equal(h.in_len, 1024);
	assert_int_equal(h.out_len, 100);
	assert_int_equal(guest_mem_read(&vm->mem, BUF_GPA + 24, quote, sizeof(quote)), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(quote[i], (uint8_t)(0xc0 + i));
	/* The notification: fixed delivery of 0x40 to vCPU 1's APIC. */
	msi = rec_find("kvm_signal_msi", 0);
	assert_true(msi >= 0);
	assert_int_equal(kvm_rec.calls[msi].args[0], 0xfee00000 | 1 << 12);
	assert_int_equal(kvm_rec.calls[msi].args[1], 0);
	assert_int_equal(kvm_rec.calls[msi].args[2], 0x40);
	free_td(vm, &cfg);
}

/* Failures end in the documented status in the buffer, never in a hang. */
static void test_get_quote_failures(void **state)
{
	static const struct {
		enum qgs_mode mode;
		bool running;
		uint64_t want;
	} cases[] = {
		{ QGS_GOOD, false, Q_UNAVAIL },      /* nothing listens: the service is down */
		{ QGS_HANG_UP, true, Q_ERROR },      /* it took the request and hung up */
		{ QGS_WRONG_TYPE, true, Q_ERROR },   /* a malformed reply */
		{ QGS_HUGE, true, Q_ERROR },         /* a quote the 8 KiB buffer cannot hold */
	};
	char service[160];

	snprintf(service, sizeof(service), "unix:%s", sock_path);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vm_config cfg;
		struct fake_qgs q;
		struct quote_hdr h;
		struct vm *vm;

		if (cases[i].running)
			qgs_start(&q, cases[i].mode);
		vm = make_td(&cfg, service);
		share_buffer(vm);
		write_request(vm, 1, 1024);
		assert_int_equal(get_quote(vm, BUF_GPA, BUF_SIZE), ST_SUCCESS);
		h = wait_quote(vm);
		if (cases[i].running)
			qgs_stop(&q);
		if (h.status != cases[i].want || h.out_len)
			fail_msg("case %zu: status 0x%llx out_len %u", i,
				 (unsigned long long)h.status, h.out_len);
		assert_int_equal(h.in_len, 1024);
		free_td(vm, &cfg);
	}
}

/* Without --quote-service: QGS_UNAVAILABLE at once; bad buffers are refused before a byte moves. */
static void test_get_quote_checks(void **state)
{
	struct vm_config cfg;
	struct vm *vm = make_td(&cfg, NULL);

	/* A private buffer (not shared yet). */
	assert_int_equal(get_quote(vm, BUF_GPA, BUF_SIZE), ST_INVALID);
	share_buffer(vm);
	write_request(vm, 1, 1024);
	assert_int_equal(get_quote(vm, BUF_GPA, BUF_SIZE), ST_SUCCESS);
	assert_int_equal(read_hdr(vm).status, Q_UNAVAIL);
	assert_int_equal(read_hdr(vm).out_len, 0);

	write_request(vm, 1, 1024);
	assert_int_equal(get_quote(vm, BUF_GPA + 0x800, 0x1000), ST_ALIGN);
	assert_int_equal(get_quote(vm, BUF_GPA, 0x1800), ST_ALIGN);
	assert_int_equal(get_quote(vm, BUF_GPA, 0), ST_INVALID);
	assert_int_equal(get_quote(vm, BUF_GPA, 0x40000), ST_INVALID);   /* over 128 KiB */
	assert_int_equal(get_quote(vm, BUF_GPA, 0x3000), ST_INVALID);    /* runs into private */
	assert_int_equal(get_quote(vm, 0xfffe0000, 0x1000), ST_INVALID); /* not RAM */
	write_request(vm, 2, 1024);
	assert_int_equal(get_quote(vm, BUF_GPA, BUF_SIZE), ST_INVALID);  /* version */
	write_request(vm, 1, BUF_SIZE - 23);
	assert_int_equal(get_quote(vm, BUF_GPA, BUF_SIZE), ST_INVALID);  /* in_len */
	assert_int_equal(read_hdr(vm).status, 0); /* untouched */
	assert_false(vm_is_stopping(vm));
	free_td(vm, &cfg);
}

/* A service that never answers: 16 requests in flight, the 17th is told to retry. */
static void test_get_quote_busy(void **state)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char service[160];
	struct vm_config cfg;
	struct vm *vm;
	int lfd;

	snprintf(service, sizeof(service), "unix:%s", sock_path);
	unlink(sock_path);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 64), 0);
	vm = make_td(&cfg, service);
	share_buffer(vm);
	for (int i = 0; i < QGS_MAX_INFLIGHT; i++) {
		write_request(vm, 1, 1024);
		assert_int_equal(get_quote(vm, BUF_GPA, BUF_SIZE), ST_SUCCESS);
		assert_true(ev_loop_run_once(&vm->loop, 10) >= 0);
	}
	write_request(vm, 1, 1024);
	assert_int_equal(get_quote(vm, BUF_GPA, BUF_SIZE), CVMM_TDVMCALL_STATUS_RETRY);
	assert_int_equal(read_hdr(vm).status, 0); /* left as the guest wrote it */
	free_td(vm, &cfg); /* the open requests are dropped */
	close(lfd);
	unlink(sock_path);
}

static void test_tdvmcall_info_and_notify(void **state)
{
	struct vm_config cfg;
	struct vm *vm = make_td(&cfg, NULL);
	struct cvmm_kvm_tdx_exit *x = kvm_run_tdx(vm->vcpus[0].run);

	/* Leaf 1: of what KVM forwards (bits 1 and 7), what cvmm implements (bit 1). */
	assert_int_equal(tdx_exit(vm, 0, CVMM_TDVMCALL_GET_TD_VM_CALL_INFO, 1, 0), ST_SUCCESS);
	assert_int_equal(x->get_tdvmcall_info.r11, CVMM_TDVMCALLINFO_1_R11_SETUP_EVENT_NOTIFY);
	assert_int_equal(x->get_tdvmcall_info.r12, 0);
	assert_int_equal(x->get_tdvmcall_info.r13, 0);
	assert_int_equal(x->get_tdvmcall_info.r14, 0);
	assert_int_equal(tdx_exit(vm, 0, CVMM_TDVMCALL_GET_TD_VM_CALL_INFO, 2, 0), ST_INVALID);

	/* Vectors 32..255 only. */
	assert_int_equal(tdx_exit(vm, 0, CVMM_TDVMCALL_SETUP_EVENT_NOTIFY, 31, 0), ST_INVALID);
	assert_int_equal(tdx_exit(vm, 0, CVMM_TDVMCALL_SETUP_EVENT_NOTIFY, 256, 0), ST_INVALID);
	assert_int_equal(tdx_exit(vm, 0, CVMM_TDVMCALL_SETUP_EVENT_NOTIFY, 255, 0), ST_SUCCESS);

	/* Anything else: unsupported, and the vCPU goes on. */
	assert_int_equal(tdx_exit(vm, 0, 0x10005, 0, 0), CVMM_TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED);
	assert_false(vm_is_stopping(vm));
	free_td(vm, &cfg);
}

/* ---- ReportFatalError ---- */

static void capture_begin(int *saved, FILE **f)
{
	fflush(stderr);
	*f = tmpfile();
	assert_non_null(*f);
	*saved = dup(2);
	dup2(fileno(*f), 2);
}

static void capture_end(int saved, FILE *f, char *out, size_t len)
{
	size_t n;

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	n = fread(out, 1, len - 1, f);
	out[n] = 0;
	fclose(f);
}

static uint64_t text8(const char *s)
{
	uint64_t v = 0;

	memcpy(&v, s, strnlen(s, 8));
	return v;
}

static void fatal_exit(struct vm *vm, uint32_t ndata, const uint64_t *regs, char *line,
		       size_t len)
{
	struct kvm_run *run = vm->vcpus[1].run;
	FILE *f;
	int saved;

	memset(run, 0, sizeof(*run));
	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	run->system_event.type = KVM_SYSTEM_EVENT_TDX_FATAL;
	run->system_event.ndata = ndata;
	memcpy(run->system_event.data, regs, 16 * sizeof(regs[0]));
	capture_begin(&saved, &f);
	assert_false(vcpu_handle_exit(&vm->vcpus[1]));
	capture_end(saved, f, line, len);
}

static void test_fatal_error(void **state)
{
	struct vm_config cfg;
	struct vm *vm = make_td(&cfg, NULL);
	uint64_t regs[16] = { 0 };
	char line[512];

	/* Linux's tdx_panic(): the message in R14, R15 (RCX says so); R13 a GPA (R12 bit 63). */
	regs[1] = (1ULL << 14) | (1ULL << 15);
	regs[12] = (1ULL << 63) | 0x1234;
	regs[13] = 0x7000;
	regs[14] = text8("Kernel p");
	regs[15] = text8("anic\x01\"!");
	regs[3] = text8("IGNORED");  /* RBX: not in the mask */
	fatal_exit(vm, 16, regs, line, sizeof(line));
	assert_true(vm_is_stopping(vm));
	assert_int_equal(vm->run.exit_status, VM_EXIT_GUEST_ERROR);
	assert_string_equal(line, "cvmm: error: vcpu1: the TD reported a fatal error: code "
				  "0x8000000000001234, \"Kernel panic?\?!\", details at GPA 0x7000\n");
	free_td(vm, &cfg);

	/* No message, no GPA; and a KVM that gave no registers. */
	vm = make_td(&cfg, NULL);
	memset(regs, 0, sizeof(regs));
	regs[12] = 0x5;
	fatal_exit(vm, 16, regs, line, sizeof(line));
	assert_string_equal(line, "cvmm: error: vcpu1: the TD reported a fatal error: code 0x5\n");
	free_td(vm, &cfg);
	vm = make_td(&cfg, NULL);
	fatal_exit(vm, 0, regs, line, sizeof(line));
	assert_non_null(strstr(line, "no registers"));
	assert_int_equal(vm->run.exit_status, VM_EXIT_GUEST_ERROR);
	free_td(vm, &cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_gpa),
		cmocka_unit_test(test_get_quote_success),
		cmocka_unit_test(test_get_quote_failures),
		cmocka_unit_test(test_get_quote_checks),
		cmocka_unit_test(test_get_quote_busy),
		cmocka_unit_test(test_tdvmcall_info_and_notify),
		cmocka_unit_test(test_fatal_error),
	};

	return cmocka_run_group_tests_name("tdx exits", tests, setup, teardown);
}
