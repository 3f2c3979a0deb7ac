// SPDX-License-Identifier: MIT
/* Recording fake of the KVM seam; see kvm_recorder.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/unit/kvm_recorder.h"
#include "vmm/kvm_api.h"

struct kvm_recorder kvm_rec;

#define REC_MAX_SCRIPTS 32

static struct {
	const char *op;
	int ret;
	int once;      /* 1: one call only */
	unsigned skip; /* calls to let pass before that one */
} scripts[REC_MAX_SCRIPTS];
static unsigned nr_scripts;
#define REC_MAX_HOOKS 4
static struct {
	const char *op;
	rec_hook_fn fn;
	void *ctx;
} hooks[REC_MAX_HOOKS];
static int next_fd = 100;
static bool punch_for_real;
static bool run_blocks;
static struct {
	long cap;
	int value;
} cap_answers[REC_MAX_SCRIPTS];
static unsigned nr_caps;
static struct kvm_cpuid_entry2 supported_cpuid[REC_TDX_MAX_CPUID];
static unsigned nr_supported_cpuid;
static pthread_mutex_t rec_lock = PTHREAD_MUTEX_INITIALIZER;

static void rec_tdx_reset(void);

void rec_reset(void)
{
	memset(&kvm_rec, 0, sizeof(kvm_rec));
	nr_scripts = 0;
	next_fd = 100;
	punch_for_real = false;
	run_blocks = false;
	nr_caps = 0;
	nr_supported_cpuid = 0;
	rec_tdx_reset();
	memset(hooks, 0, sizeof(hooks));
}

void rec_set_hook(const char *op, rec_hook_fn fn, void *ctx)
{
	unsigned free_slot = REC_MAX_HOOKS;

	for (unsigned i = 0; i < REC_MAX_HOOKS; i++) {
		if (hooks[i].op && !strcmp(hooks[i].op, op)) {
			hooks[i].fn = fn;
			hooks[i].ctx = ctx;
			return;
		}
		if (!hooks[i].op && free_slot == REC_MAX_HOOKS)
			free_slot = i;
	}
	if (fn && free_slot < REC_MAX_HOOKS)
		hooks[free_slot] = (typeof(hooks[0])){ op, fn, ctx };
}

/* The recorded call's result r, or the hook's when one is set and nothing was scripted. */
static int hooked(const char *op, int r, int fd, void *arg)
{
	for (unsigned i = 0; !r && i < REC_MAX_HOOKS; i++)
		if (hooks[i].op && hooks[i].fn && !strcmp(hooks[i].op, op))
			return hooks[i].fn(hooks[i].ctx, fd, arg);
	return r;
}

void rec_punch_passthrough(bool on)
{
	punch_for_real = on;
}

static void add_script(const char *op, int ret, int once, unsigned skip)
{
	for (unsigned i = 0; i < nr_scripts; i++) {
		if (!strcmp(scripts[i].op, op) && scripts[i].once == once) {
			scripts[i].ret = ret;
			scripts[i].skip = skip;
			return;
		}
	}
	if (nr_scripts < REC_MAX_SCRIPTS)
		scripts[nr_scripts++] = (typeof(scripts[0])){ op, ret, once, skip };
}

void rec_set_result(const char *op, int ret)
{
	add_script(op, ret, 0, 0);
}

void rec_fail_next(const char *op, int ret)
{
	add_script(op, ret, 1, 0);
}

void rec_fail_nth(const char *op, unsigned n, int ret)
{
	add_script(op, ret, 1, n);
}

static int scripted(const char *op, int dflt)
{
	for (unsigned i = 0; i < nr_scripts; i++) {
		if (!strcmp(scripts[i].op, op) && scripts[i].once) {
			int ret = scripts[i].ret;

			if (scripts[i].skip) {
				scripts[i].skip--;
				break; /* this call passes as usual */
			}
			scripts[i] = scripts[--nr_scripts];
			return ret;
		}
	}
	for (unsigned i = 0; i < nr_scripts; i++)
		if (!strcmp(scripts[i].op, op) && !scripts[i].once)
			return scripts[i].ret;
	return dflt;
}

long rec_find(const char *op, unsigned n)
{
	for (size_t i = 0; i < kvm_rec.nr_calls; i++)
		if (!strcmp(kvm_rec.calls[i].op, op) && n-- == 0)
			return (long)i;
	return -1;
}

size_t rec_count(const char *op)
{
	size_t c = 0;

	for (size_t i = 0; i < kvm_rec.nr_calls; i++)
		c += !strcmp(kvm_rec.calls[i].op, op);
	return c;
}

static int record(const char *op, int fd, const void *blob, size_t blob_len, int nargs, ...)
{
	struct rec_call *c;
	va_list ap;
	int ret;

	/* Device threads (io_uring completions, vCPUs) may call in concurrently. */
	pthread_mutex_lock(&rec_lock);
	if (kvm_rec.nr_calls == REC_MAX_CALLS) {
		kvm_rec.dropped++;
		ret = scripted(op, 0);
		pthread_mutex_unlock(&rec_lock);
		return ret;
	}
	c = &kvm_rec.calls[kvm_rec.nr_calls++];
	memset(c, 0, sizeof(*c));
	c->op = op;
	c->fd = fd;
	va_start(ap, nargs);
	for (int i = 0; i < nargs && i < REC_MAX_ARGS; i++)
		c->args[i] = va_arg(ap, uint64_t);
	va_end(ap);
	if (blob) {
		c->blob_len = blob_len < REC_MAX_BLOB ? blob_len : REC_MAX_BLOB;
		memcpy(c->blob, blob, c->blob_len);
	}
	ret = scripted(op, 0);
	pthread_mutex_unlock(&rec_lock);
	return ret;
}

#define U(x) ((uint64_t)(x))

const char *kvm_device_path(void)
{
	return "/dev/kvm (recorded)";
}

/*
 * /dev/kvm, VM and vCPU fds are real (memfds), so that code which maps kvm_run or closes them
 * works unchanged; the vCPU's is as large as kvm_get_vcpu_mmap_size() says.
 */
static int real_fd(const char *name, size_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (size && ftruncate(fd, (off_t)size) < 0) {
		close(fd);
		return -EIO;
	}
	return fd;
}

int kvm_open(void)
{
	int r = record("kvm_open", -1, NULL, 0, 0);

	return r ? r : real_fd("fake-kvm", 0);
}

void rec_set_cap(long cap, int value)
{
	for (unsigned i = 0; i < nr_caps; i++) {
		if (cap_answers[i].cap == cap) {
			cap_answers[i].value = value;
			return;
		}
	}
	if (nr_caps < REC_MAX_SCRIPTS)
		cap_answers[nr_caps++] = (typeof(cap_answers[0])){ cap, value };
}

int kvm_check_extension(int fd, long cap)
{
	int r = record("kvm_check_extension", fd, NULL, 0, 1, U(cap));

	for (unsigned i = 0; i < nr_caps; i++)
		if (cap_answers[i].cap == cap)
			return cap_answers[i].value;
	return r;
}

int kvm_get_vcpu_mmap_size(int kvm_fd)
{
	int r = record("kvm_get_vcpu_mmap_size", kvm_fd, NULL, 0, 0);

	return r ? r : 4096 * 3;
}

void rec_set_supported_cpuid(const struct kvm_cpuid_entry2 *entries, unsigned nent)
{
	nr_supported_cpuid = nent < REC_TDX_MAX_CPUID ? nent : REC_TDX_MAX_CPUID;
	memcpy(supported_cpuid, entries, nr_supported_cpuid * sizeof(*entries));
}

int kvm_get_supported_cpuid(int kvm_fd, struct kvm_cpuid2 *cpuid)
{
	int r = record("kvm_get_supported_cpuid", kvm_fd, NULL, 0, 1, U(cpuid->nent));

	if (r)
		return r;
	if (cpuid->nent < nr_supported_cpuid)
		return -E2BIG;
	cpuid->nent = nr_supported_cpuid;
	memcpy(cpuid->entries, supported_cpuid, nr_supported_cpuid * sizeof(supported_cpuid[0]));
	return 0;
}

int kvm_create_vm(int kvm_fd, unsigned long type)
{
	int r = record("kvm_create_vm", kvm_fd, NULL, 0, 1, U(type));

	return r ? r : real_fd("fake-vm", 0);
}

int kvm_enable_cap(int vm_fd, uint32_t cap, uint64_t arg0)
{
	return record("kvm_enable_cap", vm_fd, NULL, 0, 2, U(cap), arg0);
}

int kvm_set_user_memory_region(int vm_fd, const struct kvm_userspace_memory_region *r)
{
	return record("kvm_set_user_memory_region", vm_fd, r, sizeof(*r), 5, U(r->slot),
		      U(r->flags), r->guest_phys_addr, r->memory_size, r->userspace_addr);
}

int kvm_set_user_memory_region2(int vm_fd, const struct cvmm_kvm_userspace_memory_region2 *r)
{
	return record("kvm_set_user_memory_region2", vm_fd, r, sizeof(*r), 6, U(r->slot),
		      U(r->flags), r->guest_phys_addr, r->memory_size, U(r->guest_memfd),
		      r->guest_memfd_offset);
}

int kvm_create_guest_memfd(int vm_fd, uint64_t size, uint64_t flags)
{
	int r = record("kvm_create_guest_memfd", vm_fd, NULL, 0, 2, size, flags);

	return r ? r : next_fd++;
}

int kvm_set_memory_attributes(int vm_fd, uint64_t gpa, uint64_t size, uint64_t attributes)
{
	return record("kvm_set_memory_attributes", vm_fd, NULL, 0, 3, gpa, size, attributes);
}

int kvm_set_tss_addr(int vm_fd, uint64_t addr)
{
	return record("kvm_set_tss_addr", vm_fd, NULL, 0, 1, addr);
}

int kvm_set_identity_map_addr(int vm_fd, uint64_t addr)
{
	return record("kvm_set_identity_map_addr", vm_fd, NULL, 0, 1, addr);
}

int kvm_create_irqchip(int vm_fd)
{
	return record("kvm_create_irqchip", vm_fd, NULL, 0, 0);
}

int kvm_create_pit2(int vm_fd)
{
	return record("kvm_create_pit2", vm_fd, NULL, 0, 0);
}

int kvm_irq_line(int vm_fd, uint32_t gsi, int level)
{
	return record("kvm_irq_line", vm_fd, NULL, 0, 2, U(gsi), U(level));
}

int kvm_signal_msi(int vm_fd, const struct kvm_msi *msi)
{
	return record("kvm_signal_msi", vm_fd, msi, sizeof(*msi), 3, U(msi->address_lo),
		      U(msi->address_hi), U(msi->data));
}

int kvm_set_gsi_routing(int vm_fd, const struct kvm_irq_routing *routing)
{
	return record("kvm_set_gsi_routing", vm_fd, routing,
		      sizeof(*routing) + routing->nr * sizeof(routing->entries[0]), 1,
		      U(routing->nr));
}

int kvm_irqfd(int vm_fd, const struct kvm_irqfd *irqfd)
{
	return record("kvm_irqfd", vm_fd, irqfd, sizeof(*irqfd), 3, U(irqfd->fd), U(irqfd->gsi),
		      U(irqfd->flags));
}

int kvm_ioeventfd(int vm_fd, const struct kvm_ioeventfd *io)
{
	return record("kvm_ioeventfd", vm_fd, io, sizeof(*io), 5, io->addr, U(io->len), U(io->fd),
		      U(io->flags), io->datamatch);
}

/* args[1] is the vCPU fd handed out (-1 when the call fails), so tests can tell vCPUs apart. */
int kvm_create_vcpu(int vm_fd, unsigned long id)
{
	int fd = real_fd("fake-vcpu", 4096 * 3);
	int r = record("kvm_create_vcpu", vm_fd, NULL, 0, 2, U(id), U(fd));

	if (r && fd >= 0) {
		close(fd);
		kvm_rec.calls[kvm_rec.nr_calls - 1].args[1] = U(-1);
	}
	return r ? r : fd;
}

static int rec_tdx_op(struct cvmm_kvm_tdx_cmd *c, int ret);

int kvm_memory_encrypt_op(int fd, void *cmd)
{
	/* Both TDX and SEV commands start with a u32 id and carry a u64 data pointer at 8. */
	const struct cvmm_kvm_tdx_cmd *c = cmd;
	int r = record("kvm_memory_encrypt_op", fd, cmd, 24, 3, U(c->id), U(c->flags), c->data);

	/*
	 * TDX command ids are 0..5 (the TDX block below plays the TDX module), SEV ones 22 and up
	 * (a test's hook plays the SEV firmware).
	 */
	if (c->id <= KVM_TDX_GET_CPUID)
		return rec_tdx_op(cmd, r);
	return hooked("kvm_memory_encrypt_op", r, fd, cmd);
}

/* A real fd (a memfd), so the SNP probe succeeds unless a failure is scripted. */
const char *sev_device_path(void)
{
	return "/dev/sev (recorded)";
}

int sev_open(void)
{
	int r = record("sev_open", -1, NULL, 0, 0);

	return r ? r : real_fd("fake-sev", 0);
}

/* *val is 0 unless a hook fills it. */
int kvm_get_device_attr(int fd, uint32_t group, uint64_t attr, uint64_t *val)
{
	int r = record("kvm_get_device_attr", fd, NULL, 0, 2, U(group), attr);

	*val = 0;
	return hooked("kvm_get_device_attr", r, fd, val);
}

void rec_run_blocks(bool on)
{
	run_blocks = on;
}

int kvm_run(int vcpu_fd)
{
	sigset_t block, old;
	uint8_t immediate_exit = 0;

	if (!run_blocks)
		return record("kvm_run", vcpu_fd, NULL, 0, 0);
	/*
	 * Like KVM with a guest that never exits: -EINTR at once when immediate_exit is set, else
	 * sleep until a signal.  The check and the sleep are atomic against the kick signal.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	if (pread(vcpu_fd, &immediate_exit, 1, offsetof(struct kvm_run, immediate_exit)) != 1 ||
	    !immediate_exit)
		sigsuspend(&old);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -EINTR;
}

int kvm_get_regs(int vcpu_fd, struct kvm_regs *regs)
{
	memset(regs, 0, sizeof(*regs));
	return record("kvm_get_regs", vcpu_fd, NULL, 0, 0);
}

int kvm_set_regs(int vcpu_fd, const struct kvm_regs *regs)
{
	return record("kvm_set_regs", vcpu_fd, regs, sizeof(*regs), 3, regs->rip, regs->rsi,
		      regs->rbx);
}

int kvm_get_sregs(int vcpu_fd, struct kvm_sregs *sregs)
{
	memset(sregs, 0, sizeof(*sregs));
	return record("kvm_get_sregs", vcpu_fd, NULL, 0, 0);
}

int kvm_set_sregs(int vcpu_fd, const struct kvm_sregs *sregs)
{
	return record("kvm_set_sregs", vcpu_fd, sregs, sizeof(*sregs), 4, sregs->cr0, sregs->cr3,
		      sregs->cr4, sregs->efer);
}

int kvm_set_fpu(int vcpu_fd, const struct kvm_fpu *fpu)
{
	return record("kvm_set_fpu", vcpu_fd, fpu, sizeof(*fpu), 2, U(fpu->fcw), U(fpu->mxcsr));
}

int kvm_set_msrs(int vcpu_fd, const struct kvm_msrs *msrs)
{
	int r = record("kvm_set_msrs", vcpu_fd, msrs,
		       sizeof(*msrs) + msrs->nmsrs * sizeof(msrs->entries[0]), 1, U(msrs->nmsrs));

	return r ? r : (int)msrs->nmsrs;
}

int kvm_set_cpuid2(int vcpu_fd, const struct kvm_cpuid2 *cpuid)
{
	return record("kvm_set_cpuid2", vcpu_fd, cpuid,
		      sizeof(*cpuid) + cpuid->nent * sizeof(cpuid->entries[0]), 1, U(cpuid->nent));
}

int kvm_get_lapic(int vcpu_fd, struct kvm_lapic_state *lapic)
{
	memset(lapic, 0, sizeof(*lapic));
	return record("kvm_get_lapic", vcpu_fd, NULL, 0, 0);
}

int kvm_set_lapic(int vcpu_fd, const struct kvm_lapic_state *lapic)
{
	return record("kvm_set_lapic", vcpu_fd, NULL, 0, 0);
}

int kvm_get_mp_state(int vcpu_fd, struct kvm_mp_state *mp)
{
	mp->mp_state = KVM_MP_STATE_RUNNABLE;
	return record("kvm_get_mp_state", vcpu_fd, NULL, 0, 0);
}

int kvm_set_mp_state(int vcpu_fd, const struct kvm_mp_state *mp)
{
	return record("kvm_set_mp_state", vcpu_fd, NULL, 0, 1, U(mp->mp_state));
}

int host_punch_hole(int fd, uint64_t offset, uint64_t len)
{
	int r = record("host_punch_hole", fd, NULL, 0, 2, offset, len);

	if (r == 0 && punch_for_real &&
	    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset, (off_t)len) < 0)
		return -errno;
	return r;
}

/* ---- TDX ---- */

struct rec_tdx rec_tdx;
static struct kvm_cpuid_entry2 tdx_caps_cpuid[REC_TDX_MAX_CPUID];
static struct kvm_cpuid_entry2 tdx_init_vm_cpuid[REC_TDX_MAX_CPUID];
static rec_tdx_page_fn tdx_page_fn;
static void *tdx_page_ctx;

static void rec_tdx_reset(void)
{
	memset(&rec_tdx, 0, sizeof(rec_tdx));
	rec_tdx.caps_cpuid = tdx_caps_cpuid;
	rec_tdx.init_vm_cpuid = tdx_init_vm_cpuid;
	tdx_page_fn = NULL;
	tdx_page_ctx = NULL;
}

void rec_tdx_set_caps(uint64_t attrs, uint64_t xfam, uint64_t user_r11,
		      const struct kvm_cpuid_entry2 *entries, unsigned nent)
{
	rec_tdx.have_caps = true;
	rec_tdx.supported_attrs = attrs;
	rec_tdx.supported_xfam = xfam;
	rec_tdx.user_r11 = user_r11;
	rec_tdx.caps_nent = nent < REC_TDX_MAX_CPUID ? nent : REC_TDX_MAX_CPUID;
	memcpy(tdx_caps_cpuid, entries, rec_tdx.caps_nent * sizeof(*entries));
}

void rec_tdx_on_page(rec_tdx_page_fn fn, void *ctx)
{
	tdx_page_fn = fn;
	tdx_page_ctx = ctx;
}

static int tdx_capabilities(struct cvmm_kvm_tdx_cmd *c)
{
	struct cvmm_kvm_tdx_capabilities *caps = (void *)(uintptr_t)c->data;

	if (!rec_tdx.have_caps)
		return -EINVAL;
	if (caps->cpuid.nent < rec_tdx.caps_nent)
		return -E2BIG;
	caps->supported_attrs = rec_tdx.supported_attrs;
	caps->supported_xfam = rec_tdx.supported_xfam;
	caps->user_tdvmcallinfo_1_r11 = rec_tdx.user_r11;
	caps->cpuid.nent = rec_tdx.caps_nent;
	memcpy(caps->cpuid.entries, tdx_caps_cpuid, rec_tdx.caps_nent * sizeof(tdx_caps_cpuid[0]));
	return 0;
}

static void tdx_init_vm(const struct cvmm_kvm_tdx_cmd *c)
{
	const struct cvmm_kvm_tdx_init_vm *iv = (const void *)(uintptr_t)c->data;
	unsigned n = iv->cpuid.nent < REC_TDX_MAX_CPUID ? iv->cpuid.nent : REC_TDX_MAX_CPUID;

	memcpy(rec_tdx.init_vm, iv, sizeof(rec_tdx.init_vm));
	rec_tdx.init_vm_nent = iv->cpuid.nent;
	rec_tdx.init_vm_padding = iv->cpuid.padding;
	memcpy(tdx_init_vm_cpuid, iv->cpuid.entries, n * sizeof(tdx_init_vm_cpuid[0]));
}

/* Adds pages as KVM does: all of them, or half of them when interrupted (ret -EINTR/-EAGAIN). */
static int tdx_init_mem_region(const struct cvmm_kvm_tdx_cmd *c, int ret)
{
	struct cvmm_kvm_tdx_init_mem_region *r = (void *)(uintptr_t)c->data;
	struct rec_tdx_mem_call *m = NULL;
	uint64_t n;

	if (rec_tdx.nr_mem < REC_TDX_MAX_MEM) {
		m = &rec_tdx.mem[rec_tdx.nr_mem++];
		*m = (struct rec_tdx_mem_call){ .call = (long)kvm_rec.nr_calls - 1, .gpa = r->gpa,
						.nr_pages = r->nr_pages, .source = r->source_addr,
						.flags = c->flags };
	}
	if (ret && ret != -EINTR && ret != -EAGAIN)
		return ret;
	if ((r->source_addr | r->gpa) & 4095 || !r->nr_pages)
		return -EINVAL;
	n = ret ? r->nr_pages / 2 : r->nr_pages;
	for (uint64_t i = 0; i < n; i++) {
		if (tdx_page_fn)
			tdx_page_fn(tdx_page_ctx, r->gpa, (const uint8_t *)(uintptr_t)r->source_addr,
				    c->flags & KVM_TDX_MEASURE_MEMORY_REGION);
		r->source_addr += 4096;
		r->gpa += 4096;
		r->nr_pages--;
	}
	if (m)
		m->pages_done = n;
	return ret;
}

static int rec_tdx_op(struct cvmm_kvm_tdx_cmd *c, int ret)
{
	switch (c->id) {
	case KVM_TDX_CAPABILITIES:
		return ret ? ret : tdx_capabilities(c);
	case KVM_TDX_INIT_VM:
		tdx_init_vm(c);
		return ret;
	case KVM_TDX_INIT_MEM_REGION:
		return tdx_init_mem_region(c, ret);
	default:
		return ret;
	}
}
