// SPDX-License-Identifier: MIT
/*
 * The SEV-SNP launch on the recording KVM, with a fake SEV firmware behind KVM_MEMORY_ENCRYPT_OP:
 * the order of the calls and the bytes of each command, LAUNCH_UPDATE's partial progress and
 * -EAGAIN, a CPUID page the firmware rejects once, and the launch digest the firmware would
 * compute.  The fake firmware measures every page LAUNCH_UPDATE hands it and, at LAUNCH_FINISH,
 * the VMSA of each vCPU built the way KVM builds it (arch/x86/kvm/svm/sev.c, sev_es_sync_vmsa())
 * from the registers cvmm set; the result must equal `cvmm measure` for the same options and the
 * published vector.  Then the refusals (probe, policy, firmware, kernel, features) and the exits.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/psp-sev.h>

#include "devices/fw_cfg.h"
#include "snp/id_block.h"
#include "snp/snp_cpuid_page.h"
#include "snp/snp_launch.h"
#include "snp/snp_measure.h"
#include "snp/vmsa.h"
#include "tests/unit/fw_cfg_port.h"
#include "tests/unit/fw_image.h"
#include "tests/unit/input_files.h"
#include "tests/unit/kvm_recorder.h"
#include "tests/unit/vm_refusal.h"
#include "vmm/cmd_measure.h"
#include "vmm/config.h"
#include "vmm/convert.h"
#include "vmm/digest.h"
#include "vmm/error.h"
#include "vmm/kvm_api.h"
#include "vmm/launch.h"
#include "vmm/log.h"
#include "vmm/util.h"
#include "vmm/vm.h"

#define PG 4096ULL
/* Every capability, with the bits that matter: VM type 4, MAP_GPA_RANGE exits, PRIVATE. */
#define SNP_CAPS ((1 << 12) | (1 << CVMM_KVM_X86_SNP_VM) | (1 << 3))
#define DEBIAN_OVMF_SHA256 "7b456907dd0786d415999e801a1ac4637b8ed4d7cf5378cfc6edbe5e574dd773"
#define DEBIAN_OVMF_LD                                                                      \
	"06b2f9bdaf7b3a9864fa2f5d1b6bf07ab662262ff4a6f4a47e1f0566d4e62b05ca4d40f9e36b2d53fc8d7" \
	"3841b8cf2c6"

static char dir[64], fw_path[96], kernel[96], initrd[96], nometa_fw[96], nohashes_fw[96],
	big_kernel[96];

/* ---- a fake SEV firmware behind KVM_MEMORY_ENCRYPT_OP ---- */

struct update_run {
	uint64_t gfn, pages;
	uint8_t type;
	bool has_src;
};

struct fake_fw {
	struct snp_ld ld;
	unsigned pages_per_call; /* LAUNCH_UPDATE does at most this many pages (0: all) */
	unsigned eagain_period;  /* every n-th LAUNCH_UPDATE call asks to be called again */
	bool never_progress;     /* LAUNCH_UPDATE succeeds without doing anything */
	bool bad_progress;       /* LAUNCH_UPDATE advances gfn_start by one page too many */
	unsigned cpuid_rejects;  /* CPUID pages rejected with INVALID_PARAM before one is taken */
	uint32_t cpuid_fix_ebx;  /* what the rejection writes into the first entry's EBX */
	unsigned update_calls;
	struct update_run runs[64];
	unsigned nr_runs;
	struct snp_cpuid_page cpuid_seen[4];
	unsigned nr_cpuid_seen;
	struct cvmm_kvm_sev_init init;
	struct cvmm_kvm_sev_snp_launch_start start;
	struct cvmm_kvm_sev_snp_launch_finish finish;
	struct snp_id_block_copy {
		uint8_t bytes[KVM_SEV_SNP_ID_BLOCK_SIZE];
	} id_block;
	uint32_t ids[8]; /* command ids in order */
	unsigned nr_ids;
	uint32_t sev_fd;
	bool bad_sev_fd;
	uint8_t digest[SNP_DIGEST_SIZE];
	bool finished;
};

static struct fake_fw fw;

/* True when the recorder saw [gpa, +len) made PRIVATE and bound to a guest_memfd slot. */
static bool private_in_gmem(uint64_t gpa, uint64_t len)
{
	bool attrs = false, slot = false;

	for (size_t i = 0; i < kvm_rec.nr_calls; i++) {
		const struct rec_call *c = &kvm_rec.calls[i];

		if (!strcmp(c->op, "kvm_set_memory_attributes") && c->args[0] <= gpa &&
		    gpa + len <= c->args[0] + c->args[1])
			attrs = c->args[2] == CVMM_KVM_MEMORY_ATTRIBUTE_PRIVATE;
		if (!strcmp(c->op, "kvm_set_user_memory_region2") && c->args[2] <= gpa &&
		    gpa + len <= c->args[2] + c->args[3])
			slot = c->args[1] & CVMM_KVM_MEM_GUEST_MEMFD;
	}
	return attrs && slot;
}

static int fake_update(struct cvmm_kvm_sev_cmd *cmd, struct cvmm_kvm_sev_snp_launch_update *u)
{
	struct update_run *run = fw.nr_runs ? &fw.runs[fw.nr_runs - 1] : NULL;
	uint64_t n = u->len / PG;

	fw.update_calls++;
	if (fw.eagain_period && fw.update_calls % fw.eagain_period == 0)
		return -EAGAIN;
	if (u->flags || u->pad0 || u->pad1 || u->pad2[0] || u->pad2[3] || (u->len % PG) ||
	    !private_in_gmem(u->gfn_start * PG, u->len))
		return -EINVAL;
	if (fw.never_progress)
		return 0;
	if (u->type == SNP_PAGE_TYPE_CPUID) {
		assert_true(fw.nr_cpuid_seen < 4);
		memcpy(&fw.cpuid_seen[fw.nr_cpuid_seen++], (void *)(uintptr_t)u->uaddr, PG);
		if (fw.cpuid_rejects) {
			struct snp_cpuid_page *p = (void *)(uintptr_t)u->uaddr;

			fw.cpuid_rejects--;
			p->entries[0].ebx = fw.cpuid_fix_ebx;
			cmd->error = SEV_RET_INVALID_PARAM;
			return -EIO;
		}
	}
	if (!run || run->type != u->type || run->gfn + run->pages != u->gfn_start) {
		assert_true(fw.nr_runs < 64);
		run = &fw.runs[fw.nr_runs++];
		*run = (struct update_run){
			.gfn = u->gfn_start, .type = u->type, .has_src = !!u->uaddr,
		};
	}
	if (fw.pages_per_call && n > fw.pages_per_call)
		n = fw.pages_per_call;
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *src = (const uint8_t *)(uintptr_t)u->uaddr;
		uint64_t gpa = (u->gfn_start + i) * PG;

		src = src ? src + i * PG : NULL;
		assert_int_equal(snp_ld_add_page(&fw.ld, gpa, u->type, src), 0);
	}
	run->pages += n;
	u->gfn_start += n + (fw.bad_progress ? 1 : 0);
	u->len -= n * PG;
	if (u->type != SNP_PAGE_TYPE_ZERO)
		u->uaddr += n * PG;
	return 0;
}

/* ---- KVM's side of LAUNCH_FINISH: a VMSA from the registers cvmm set ---- */

static uint16_t vmcb_attrib(const struct kvm_segment *s)
{
	return (uint16_t)((s->type & 0xf) | (s->s & 1) << 4 | (s->dpl & 3) << 5 |
			  ((s->present & 1) && !s->unusable) << 7 | (s->avl & 1) << 8 |
			  (s->l & 1) << 9 | (s->db & 1) << 10 | (s->g & 1) << 11);
}

static void vmcb_seg(struct vmsa_segment *v, const struct kvm_segment *s)
{
	*v = (struct vmsa_segment){ s->selector, vmcb_attrib(s), s->limit, s->base };
}

/*
 * What sev_es_sync_vmsa() makes of a vCPU: the VMCB save area (segments, CR0 without CD/NW, CR4
 * with the host's MCE, EFER with SVME, reset DR7 and PAT), the registers, XCR0 1, DR6's reset
 * value, the FPU state, and the VM's features with SNP_ACTIVE.
 */
static void kvm_vmsa(const struct kvm_sregs *s, const struct kvm_regs *r, const struct kvm_fpu *f,
		     uint64_t vmsa_features, struct sev_es_save_area *sa)
{
	memset(sa, 0, sizeof(*sa));
	vmcb_seg(&sa->es, &s->es);
	vmcb_seg(&sa->cs, &s->cs);
	vmcb_seg(&sa->ss, &s->ss);
	vmcb_seg(&sa->ds, &s->ds);
	vmcb_seg(&sa->fs, &s->fs);
	vmcb_seg(&sa->gs, &s->gs);
	vmcb_seg(&sa->ldtr, &s->ldt);
	vmcb_seg(&sa->tr, &s->tr);
	sa->gdtr = (struct vmsa_segment){ .limit = s->gdt.limit, .base = s->gdt.base };
	sa->idtr = (struct vmsa_segment){ .limit = s->idt.limit, .base = s->idt.base };
	sa->efer = s->efer | (1 << 12);
	sa->cr0 = s->cr0 & ~((1ULL << 30) | (1ULL << 29));
	sa->cr3 = s->cr3;
	sa->cr4 = s->cr4 | (1 << 6);
	sa->cr2 = s->cr2;
	sa->dr7 = 0x400;
	sa->dr6 = 0xffff0ff0;
	sa->g_pat = 0x0007040600070406ULL;
	sa->rax = r->rax, sa->rbx = r->rbx, sa->rcx = r->rcx, sa->rdx = r->rdx;
	sa->rsp = r->rsp, sa->rbp = r->rbp, sa->rsi = r->rsi, sa->rdi = r->rdi;
	sa->r8 = r->r8, sa->r9 = r->r9, sa->r10 = r->r10, sa->r11 = r->r11;
	sa->r12 = r->r12, sa->r13 = r->r13, sa->r14 = r->r14, sa->r15 = r->r15;
	sa->rip = r->rip;
	sa->rflags = r->rflags;
	sa->xcr0 = 1;
	sa->sev_features = vmsa_features | 1;
	sa->x87_dp = f->last_dp;
	sa->mxcsr = f->mxcsr;
	sa->x87_ftw = f->ftwx;
	sa->x87_fsw = f->fsw;
	sa->x87_fcw = f->fcw;
	sa->x87_fop = f->last_opcode;
	sa->x87_rip = f->last_ip;
	for (int i = 0; i < 8; i++) {
		memcpy(sa->fpreg_x87 + i * 8, f->fpr[i], 8);
		memcpy(sa->fpreg_x87 + 64 + i * 2, f->fpr[i] + 8, 2);
	}
	memcpy(sa->fpreg_xmm, f->xmm, sizeof(f->xmm));
}

/* The last value each vCPU got through op, by vCPU index (fds from kvm_create_vcpu). */
static const void *vcpu_state(unsigned id, const char *op)
{
	int fd = -1;
	const void *last = NULL;

	for (size_t i = 0; i < kvm_rec.nr_calls; i++) {
		const struct rec_call *c = &kvm_rec.calls[i];

		if (!strcmp(c->op, "kvm_create_vcpu") && c->args[0] == id)
			fd = (int)c->args[1];
		else if (fd >= 0 && c->fd == fd && !strcmp(c->op, op))
			last = c->blob;
	}
	return last;
}

static struct sev_es_save_area vmsas[8];

static int fake_finish(struct cvmm_kvm_sev_snp_launch_finish *f)
{
	unsigned nr_vcpus = (unsigned)rec_count("kvm_create_vcpu");

	fw.finish = *f;
	if (f->id_block_en)
		memcpy(fw.id_block.bytes, (void *)(uintptr_t)f->id_block_uaddr,
		       sizeof(fw.id_block.bytes));
	for (unsigned i = 0; i < nr_vcpus && i < 8; i++) {
		const struct kvm_sregs *s = vcpu_state(i, "kvm_set_sregs");
		const struct kvm_regs *r = vcpu_state(i, "kvm_set_regs");
		const struct kvm_fpu *fp = vcpu_state(i, "kvm_set_fpu");

		if (!s || !r || !fp)
			return -EINVAL;
		kvm_vmsa(s, r, fp, fw.init.vmsa_features, &vmsas[i]);
		assert_int_equal(snp_ld_add_page(&fw.ld, SNP_VMSA_GPA, SNP_PAGE_TYPE_VMSA,
						 (const uint8_t *)&vmsas[i]), 0);
	}
	memcpy(fw.digest, fw.ld.digest, SNP_DIGEST_SIZE);
	fw.finished = true;
	return 0;
}

static int fake_encrypt_op(void *ctx, int fd, void *arg)
{
	struct cvmm_kvm_sev_cmd *cmd = arg;
	void *data = (void *)(uintptr_t)cmd->data;

	if (fw.nr_ids < 8)
		fw.ids[fw.nr_ids++] = cmd->id;
	fw.bad_sev_fd |= fw.sev_fd && cmd->sev_fd != fw.sev_fd;
	fw.sev_fd = cmd->sev_fd;
	switch (cmd->id) {
	case KVM_SEV_INIT2:
		fw.init = *(struct cvmm_kvm_sev_init *)data;
		return 0;
	case KVM_SEV_SNP_LAUNCH_START:
		fw.start = *(struct cvmm_kvm_sev_snp_launch_start *)data;
		return 0;
	case KVM_SEV_SNP_LAUNCH_UPDATE:
		return fake_update(cmd, data);
	case KVM_SEV_SNP_LAUNCH_FINISH:
		return fake_finish(data);
	}
	return -EINVAL;
}

static void kvm_with_snp(void)
{
	rec_reset();
	rec_set_result("kvm_check_extension", SNP_CAPS);
	rec_set_hook("kvm_memory_encrypt_op", fake_encrypt_op, NULL);
	snp_ld_free(&fw.ld);
	memset(&fw, 0, sizeof(fw));
	assert_int_equal(snp_ld_init(&fw.ld), 0);
}

/* ---- files and configs ---- */

/* A bzImage of boot protocol 2.12, loadable above 4 GiB, with four setup sectors. */
static void write_bzimage(const char *path, size_t len)
{
	uint8_t *k = calloc(1, len);
	int fd;

	assert_non_null(k);
	for (size_t i = 0x400; i < len; i++)
		k[i] = (uint8_t)(i * 7 + 3);
	k[0x1f1] = 4;
	k[0x1fe] = 0x55, k[0x1ff] = 0xaa;
	memcpy(k + 0x202, "HdrS", 4);
	k[0x206] = 0x0c, k[0x207] = 0x02;
	k[0x211] = 1;    /* LOADED_HIGH */
	k[0x236] = 0x3;  /* XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, k, len < 4096 ? len : 4096), len < 4096 ? (ssize_t)len : 4096);
	/* Past 64 KiB a large file stays a hole. */
	if (len > 4096) {
		size_t more = (len > 65536 ? 65536 : len) - 4096;

		assert_int_equal(pwrite(fd, k + 4096, more, 4096), (ssize_t)more);
	}
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	close(fd);
	free(k);
}

static void write_fw(const char *path, const struct fw_image_layout *l)
{
	struct fw_image img;

	fw_image_build(&img, l);
	input_write_file(path, img.data, img.len);
	fw_image_free(&img);
}

static int setup_files(void **state)
{
	struct fw_image_layout nometa = fw_image_ovmf, nohashes = fw_image_ovmf;
	uint8_t rd[5000];

	snprintf(dir, sizeof(dir), "/tmp/cvmm-snp-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(fw_path, sizeof(fw_path), "%s/ovmf.fd", dir);
	snprintf(nometa_fw, sizeof(nometa_fw), "%s/nometa.fd", dir);
	snprintf(nohashes_fw, sizeof(nohashes_fw), "%s/nohashes.fd", dir);
	snprintf(kernel, sizeof(kernel), "%s/bzImage", dir);
	snprintf(big_kernel, sizeof(big_kernel), "%s/bzImage.big", dir);
	snprintf(initrd, sizeof(initrd), "%s/initrd", dir);
	write_fw(fw_path, &fw_image_ovmf);
	nometa.sev = NULL;
	nometa.nr_sev = 0;
	write_fw(nometa_fw, &nometa);
	nohashes.hashes_base = 0;
	write_fw(nohashes_fw, &nohashes);
	write_bzimage(kernel, 300000);
	write_bzimage(big_kernel, 20 << 20);
	for (size_t i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t)(i ^ 0x5a);
	input_write_file(initrd, rd, sizeof(rd));
	log_threshold = LOG_ERROR;
	return 0;
}

static int teardown_files(void **state)
{
	char cmd[128];

	snp_ld_free(&fw.ld);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* --tee snp with the synthetic OVMF, a kernel, an initrd and a command line, 2 vCPUs. */
static void snp_config(struct vm_config *cfg)
{
	config_init(cfg);
	cfg->tee = TEE_SNP;
	config_set_string(&cfg->firmware, fw_path, "--firmware", NULL);
	config_set_string(&cfg->kernel, kernel, "--kernel", NULL);
	config_set_string(&cfg->initrd, initrd, "--initrd", NULL);
	config_set_string(&cfg->cmdline, "console=ttyS0 quiet", "--cmdline", NULL);
	cfg->serial = SERIAL_NONE;
	cfg->vcpus = 2;
	cfg->mem_mib = 64;
	cfg->snp.vcpu_sig = 0x800f12;
	cfg->snp.vcpu_sig_set = true;
	for (unsigned i = 0; i < sizeof(cfg->snp.host_data); i++)
		cfg->snp.host_data[i] = (uint8_t)(0xa0 + i);
	cfg->snp.host_data_set = true;
}

static void destroy(struct vm *vm)
{
	vm->mem.gmem_fd = -1; /* the recorder's, not a real fd */
	vm_destroy(vm);
}

/* ---- capturing what cvmm prints ---- */

struct capture {
	int saved, fd;
	char path[96];
};

static void capture_begin(struct capture *c, int which)
{
	fflush(which == 1 ? stdout : stderr);
	snprintf(c->path, sizeof(c->path), "%s/capture-XXXXXX", dir);
	c->fd = mkstemp(c->path);
	assert_true(c->fd >= 0);
	c->saved = dup(which);
	assert_true(dup2(c->fd, which) == which);
}

static char *capture_end(struct capture *c, int which, char *buf, size_t len)
{
	ssize_t n;

	fflush(which == 1 ? stdout : stderr);
	dup2(c->saved, which);
	close(c->saved);
	n = pread(c->fd, buf, len - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	close(c->fd);
	unlink(c->path);
	return buf;
}

static unsigned count_lines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* `cvmm measure` with these words, its stdout. */
static void run_measure(const char *const *words, char *out, size_t len)
{
	char *argv[32] = { "measure" };
	struct capture c;
	int argc = 1, status;

	while (*words)
		argv[argc++] = (char *)*words++;
	capture_begin(&c, 1);
	status = cmd_measure(argc, argv);
	capture_end(&c, 1, out, len);
	assert_int_equal(status, 0);
	out[strcspn(out, "\n")] = 0;
}

static void hex(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/* ---- the launch ---- */

static long find_encrypt_op(uint32_t id)
{
	for (size_t i = 0; i < kvm_rec.nr_calls; i++)
		if (!strcmp(kvm_rec.calls[i].op, "kvm_memory_encrypt_op") &&
		    kvm_rec.calls[i].args[0] == id)
			return (long)i;
	return -1;
}

static long find_cap(uint32_t cap)
{
	for (size_t i = 0; i < kvm_rec.nr_calls; i++)
		if (!strcmp(kvm_rec.calls[i].op, "kvm_enable_cap") &&
		    kvm_rec.calls[i].args[0] == cap)
			return (long)i;
	return -1;
}

/* The order KVM enforces, from probe to LAUNCH_FINISH. */
static void check_sequence(unsigned nr_vcpus)
{
	long create = rec_find("kvm_create_vm", 0), init2 = find_encrypt_op(KVM_SEV_INIT2);
	long hc = find_cap(KVM_CAP_EXIT_HYPERCALL);
	long start = find_encrypt_op(KVM_SEV_SNP_LAUNCH_START);
	long slot = rec_find("kvm_set_user_memory_region2", 0);
	long update = find_encrypt_op(KVM_SEV_SNP_LAUNCH_UPDATE);
	long vcpu = rec_find("kvm_create_vcpu", 0);
	long finish = find_encrypt_op(KVM_SEV_SNP_LAUNCH_FINISH);
	long irqchip = rec_find("kvm_create_irqchip", 0);

	assert_true(rec_find("sev_open", 0) >= 0 && rec_find("sev_open", 0) < create);
	assert_true(rec_find("kvm_get_device_attr", 0) < create);
	assert_int_equal(kvm_rec.calls[create].args[0], CVMM_KVM_X86_SNP_VM);
	assert_true(create < init2 && init2 < hc && hc < start && start < slot && slot < update);
	assert_int_equal(kvm_rec.calls[hc].args[1], 1ULL << KVM_HC_MAP_GPA_RANGE_NR);
	/* An in-kernel LAPIC exists before the first vCPU; every vCPU before LAUNCH_FINISH. */
	assert_true(irqchip >= 0 && irqchip < vcpu && update < vcpu);
	assert_true(rec_find("kvm_create_vcpu", nr_vcpus - 1) < finish);
	assert_int_equal(rec_count("kvm_create_vcpu"), nr_vcpus);
	assert_int_equal(finish, rec_find("kvm_memory_encrypt_op",
					  (unsigned)rec_count("kvm_memory_encrypt_op") - 1));
	assert_int_equal(rec_count("kvm_run"), 0);
	assert_false(fw.bad_sev_fd);
	assert_true(fw.sev_fd > 2);
}

/* The command structs, byte for byte. */
static void check_structs(const struct vm_config *cfg)
{
	struct cvmm_kvm_sev_init init = { .ghcb_version = 2 };
	struct cvmm_kvm_sev_snp_launch_start start = { .policy = 0x30000 };
	struct cvmm_kvm_sev_snp_launch_finish finish = { 0 };

	assert_memory_equal(&fw.init, &init, sizeof(init));
	assert_memory_equal(&fw.start, &start, sizeof(start));
	memcpy(finish.host_data, cfg->snp.host_data, sizeof(finish.host_data));
	assert_memory_equal(&fw.finish, &finish, sizeof(finish));
}

/* The LAUNCH_UPDATE runs are the plan's regions but the VMSAs, in plan order. */
static void check_updates(const struct launch_plan *plan)
{
	unsigned r = 0;

	for (size_t i = 0; i < plan->nr_regions; i++) {
		const struct launch_region *reg = &plan->regions[i];

		if (reg->kind == LAUNCH_REGION_VMSA)
			continue;
		assert_true(r < fw.nr_runs);
		assert_int_equal(fw.runs[r].gfn * PG, reg->gpa);
		assert_int_equal(fw.runs[r].pages, launch_region_pages(reg));
		assert_int_equal(fw.runs[r].type, reg->snp_type);
		assert_int_equal(fw.runs[r].has_src, reg->snp_type != SNP_PAGE_TYPE_ZERO);
		r++;
	}
	assert_int_equal(r, fw.nr_runs);
}

/* KVM's VMSAs are the plan's; the firmware's digest is the plan's and `cvmm measure`'s. */
static void check_digest(struct vm *vm, const char *const *measure_words)
{
	uint8_t want[SNP_DIGEST_SIZE];
	char got_hex[2 * SNP_DIGEST_SIZE + 1], out[256];
	unsigned v = 0;

	assert_true(fw.finished);
	for (size_t i = 0; i < vm->launch.plan.nr_regions; i++) {
		const struct launch_region *r = &vm->launch.plan.regions[i];

		if (r->kind == LAUNCH_REGION_VMSA)
			assert_memory_equal(&vmsas[v++], r->data, SNP_VMSA_SIZE);
	}
	assert_int_equal(v, vm->nr_vcpus);
	assert_int_equal(snp_launch_digest(&vm->launch.plan, want), 0);
	assert_memory_equal(fw.digest, want, SNP_DIGEST_SIZE);
	hex(fw.digest, SNP_DIGEST_SIZE, got_hex);
	run_measure(measure_words, out, sizeof(out));
	assert_string_equal(got_hex, out);
}

static const char *const *measure_words_of_config(void)
{
	static char vcpus[8];
	static const char *words[24];
	unsigned n = 0;

	snprintf(vcpus, sizeof(vcpus), "%u", 2);
	words[n++] = "--tee", words[n++] = "snp", words[n++] = "--firmware", words[n++] = fw_path;
	words[n++] = "--kernel", words[n++] = kernel, words[n++] = "--initrd", words[n++] = initrd;
	words[n++] = "--cmdline", words[n++] = "console=ttyS0 quiet", words[n++] = "--vcpus";
	words[n++] = vcpus, words[n++] = "--vcpu-sig", words[n++] = "0x800f12";
	words[n++] = "--mem-mib", words[n++] = "64", words[n] = NULL;
	return words;
}

static void test_launch(void **state)
{
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	struct vm *vm;

	snp_config(&cfg);
	kvm_with_snp();
	if (vm_create(&cfg, &vm, &e))
		fail_msg("vm_create: %s", e.msg);
	check_sequence(2);
	check_structs(&cfg);
	check_updates(&vm->launch.plan);
	check_digest(vm, measure_words_of_config());
	/* The memslots: RAM and the firmware at 4 GiB - size, each on a guest_memfd. */
	assert_int_equal(rec_count("kvm_set_user_memory_region"), 0);
	assert_int_equal(rec_count("kvm_set_user_memory_region2"), vm->mem.nr_regions + 1);
	assert_true(private_in_gmem(0x100000000ULL - fw_image_ovmf.size, fw_image_ovmf.size));
	/* BSP at the reset vector, the AP at the SEV-ES reset block. */
	assert_int_equal(vmsas[0].cs.base + vmsas[0].rip, 0xfffffff0);
	assert_int_equal(vmsas[1].cs.base + vmsas[1].rip, fw_image_ovmf.ap_reset);
	assert_int_equal(vmsas[1].rdx, 0x800f12);
	destroy(vm);
	config_free(&cfg);
}

/* The published vector of Debian's OVMF, 1 vCPU, signature 0x600, through the whole launch. */
static void test_launch_vector(void **state)
{
	const char *path = getenv("CVMM_TEST_DEBIAN_OVMF");
	struct error e = ERROR_INIT;
	uint8_t *data, sum[32];
	char sum_hex[65], ld_hex[2 * SNP_DIGEST_SIZE + 1];
	struct vm_config cfg;
	struct vm *vm;
	size_t len;
	uint32_t e820_size;
	unsigned n;

	if (!path)
		path = access("../shared/vectors/debian-ovmf-2022.11-6+deb12u2.fd", R_OK) ?
			       "/usr/share/ovmf/OVMF.fd" :
			       "../shared/vectors/debian-ovmf-2022.11-6+deb12u2.fd";
	if (read_whole_file(path, &data, &len)) {
		print_message("skipped: no %s (package ovmf)\n", path);
		return;
	}
	assert_int_equal(digest_oneshot(DIGEST_SHA256, data, len, sum), 0);
	free(data);
	hex(sum, 32, sum_hex);
	if (strcmp(sum_hex, DEBIAN_OVMF_SHA256)) {
		print_message("skipped: %s is not the vector's OVMF build\n", path);
		return;
	}
	config_init(&cfg);
	cfg.tee = TEE_SNP;
	config_set_string(&cfg.firmware, path, "--firmware", NULL);
	cfg.serial = SERIAL_NONE;
	cfg.snp.vcpu_sig = 0x600;
	cfg.snp.vcpu_sig_set = true;
	kvm_with_snp();
	if (vm_create(&cfg, &vm, &e))
		fail_msg("vm_create: %s", e.msg);
	hex(fw.digest, SNP_DIGEST_SIZE, ld_hex);
	assert_string_equal(ld_hex, DEBIAN_OVMF_LD);
	check_updates(&vm->launch.plan);
	/*
	 * No kernel: the hashes are not in the plan, and fw_cfg, which still describes the machine
	 * to OVMF (etc/e820, the CPU count, the ACPI tables), serves no kernel.
	 */
	n = 0;
	for (unsigned i = 0; i < vm->dm.nr_devices; i++)
		n += !strcmp(vm->dm.devices[i].name, "fw_cfg");
	assert_int_equal(n, 1);
	assert_int_equal(fwc_read_u32(&vm->dm.pio, FW_CFG_KERNEL_SIZE), 0);
	assert_true(fwc_find_file(&vm->dm.pio, "etc/e820", &e820_size) >= 0);
	destroy(vm);
	config_free(&cfg);
}

/* KVM doing a few pages per call and asking to be called again now and then: same launch. */
static void test_partial_progress_and_eagain(void **state)
{
	struct error e = ERROR_INIT;
	uint8_t whole[SNP_DIGEST_SIZE];
	unsigned whole_calls;
	struct vm_config cfg;
	struct vm *vm;

	snp_config(&cfg);
	kvm_with_snp();
	assert_int_equal(vm_create(&cfg, &vm, &e), 0);
	memcpy(whole, fw.digest, sizeof(whole));
	whole_calls = fw.update_calls;
	destroy(vm);

	kvm_with_snp();
	fw.pages_per_call = 3;
	fw.eagain_period = 2;
	if (vm_create(&cfg, &vm, &e))
		fail_msg("vm_create: %s", e.msg);
	assert_memory_equal(fw.digest, whole, sizeof(whole));
	/* 32 firmware pages at 3 a call alone take 11 calls, each preceded by an -EAGAIN. */
	assert_true(fw.update_calls > 2 * whole_calls + 20);
	check_updates(&vm->launch.plan);
	destroy(vm);

	/* A KVM that never gets anywhere, or whose progress does not add up: refused. */
	kvm_with_snp();
	fw.never_progress = true;
	error_clear(&e);
	assert_true(vm_create(&cfg, &vm, &e) < 0);
	assert_int_equal(error_exit_status(&e), 3);
	assert_non_null(strstr(e.msg, "no progress after 1000 calls"));
	assert_int_equal(fw.update_calls, SNP_LAUNCH_UPDATE_MAX_STALLS + 1);
	kvm_with_snp();
	fw.eagain_period = 1;
	error_clear(&e);
	assert_true(vm_create(&cfg, &vm, &e) < 0);
	assert_non_null(strstr(e.msg, "no progress after"));
	kvm_with_snp();
	fw.bad_progress = true;
	error_clear(&e);
	assert_true(vm_create(&cfg, &vm, &e) < 0);
	assert_non_null(strstr(e.msg, "does not add up"));
	config_free(&cfg);
}

/* The firmware rejects the CPUID page once: the launch takes the corrected page and says why. */
static void test_cpuid_retry(void **state)
{
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	struct capture c;
	struct vm *vm;
	char err[2048];
	int ret;

	snp_config(&cfg);
	kvm_with_snp();
	fw.cpuid_rejects = 1;
	fw.cpuid_fix_ebx = 0x12345678;
	log_threshold = LOG_WARN;
	capture_begin(&c, 2);
	ret = vm_create(&cfg, &vm, &e);
	capture_end(&c, 2, err, sizeof(err));
	log_threshold = LOG_ERROR;
	if (ret)
		fail_msg("vm_create: %s", e.msg);
	/* What cvmm built: leaf 0x40000000 (the recorder's KVM reports no other), then the fix. */
	assert_int_equal(fw.nr_cpuid_seen, 2);
	assert_int_equal(fw.cpuid_seen[0].count, 1);
	assert_int_equal(fw.cpuid_seen[0].entries[0].eax_in, 0x40000000);
	assert_int_not_equal(fw.cpuid_seen[0].entries[0].ebx, 0x12345678);
	assert_int_equal(fw.cpuid_seen[1].entries[0].ebx, 0x12345678);
	assert_non_null(strstr(err, "rejected the CPUID page"));
	assert_non_null(strstr(err, "leaf 0x40000000.0: eax 0x40000001 ebx 0x4b4d564b"));
	assert_non_null(strstr(err, "the firmware accepts eax 0x40000001 ebx 0x12345678"));
	assert_int_equal(count_lines(err), 2);
	check_digest(vm, measure_words_of_config());
	destroy(vm);

	/* Rejected twice: a host error with the firmware's reason. */
	kvm_with_snp();
	fw.cpuid_rejects = 2;
	error_clear(&e);
	capture_begin(&c, 2);
	ret = vm_create(&cfg, &vm, &e);
	capture_end(&c, 2, err, sizeof(err));
	assert_true(ret < 0);
	assert_int_equal(error_exit_status(&e), 3);
	assert_non_null(strstr(e.msg, "firmware error 0x16, invalid parameter"));
	config_free(&cfg);
}

/* The ID block goes to LAUNCH_FINISH with its auth block; a non-default policy to START. */
static void test_finish_with_id_block(void **state)
{
	struct error e = ERROR_INIT;
	struct snp_id_block block = { .version = 1, .policy = 0x30000 | 0x80000 };
	char block_path[128], auth_path[128];
	uint8_t auth[KVM_SEV_SNP_ID_AUTH_SIZE] = { 0 };
	struct vm_config cfg;
	struct vm *vm;

	snp_config(&cfg);
	cfg.snp.policy = block.policy;
	cfg.snp.policy_set = true;
	{
		struct launch_inputs li;

		assert_int_equal(launch_inputs_build(&cfg, &li, &e), 0);
		assert_int_equal(snp_launch_digest(&li.plan, block.ld), 0);
		launch_inputs_free(&li);
	}
	auth[0] = 1;           /* ID key: ECDSA P-384 */
	auth[0x240] = 2;       /* on P-384 */
	auth[4] = 1;           /* an author key too */
	auth[0x880] = 2;
	snprintf(block_path, sizeof(block_path), "%s/id-block.bin", dir);
	snprintf(auth_path, sizeof(auth_path), "%s/id-auth.bin", dir);
	input_write_file(block_path, &block, sizeof(block));
	input_write_file(auth_path, auth, sizeof(auth));
	config_set_string(&cfg.snp.id_block, block_path, "--snp-id-block", NULL);
	config_set_string(&cfg.snp.id_auth, auth_path, "--snp-id-auth", NULL);
	kvm_with_snp();
	if (vm_create(&cfg, &vm, &e))
		fail_msg("vm_create: %s", e.msg);
	assert_int_equal(fw.start.policy, block.policy);
	assert_int_equal(fw.finish.id_block_en, 1);
	assert_int_equal(fw.finish.auth_key_en, 1);
	assert_memory_equal(fw.id_block.bytes, &block, sizeof(block));
	destroy(vm);

	/* Signed for another digest or policy: refused before KVM, as `cvmm measure` refuses it. */
	block.ld[0] ^= 1;
	input_write_file(block_path, &block, sizeof(block));
	kvm_with_snp();
	error_clear(&e);
	assert_true(vm_create(&cfg, &vm, &e) < 0);
	assert_int_equal(e.cls, ERROR_INPUT);
	assert_non_null(strstr(e.msg, "signed for launch digest"));
	assert_int_equal(rec_count("kvm_open"), 0);
	block.ld[0] ^= 1;
	input_write_file(block_path, &block, sizeof(block));
	cfg.snp.policy = 0x30000;
	error_clear(&e);
	assert_true(vm_create(&cfg, &vm, &e) < 0);
	assert_non_null(strstr(e.msg, "signed for policy 0xb0000"));
	input_write_file(block_path, &block, 95);
	error_clear(&e);
	assert_true(vm_create(&cfg, &vm, &e) < 0);
	assert_non_null(strstr(e.msg, "95 bytes, not 96"));
	config_free(&cfg);
}

/*
 * fw_cfg serves the firmware what was measured (the final command line, the kernel mapping) and
 * what OVMF needs besides: etc/e820, the CPU count, the ACPI tables with their loader script.
 */
static void test_fw_cfg_wired(void **state)
{
	const struct bus *pio;
	struct error e = ERROR_INIT;
	struct vm_config cfg;
	struct vm *vm;
	uint8_t *cmdline, *e820;
	uint32_t size;
	uint16_t cpus = 0;
	unsigned n = 0;

	snp_config(&cfg);
	kvm_with_snp();
	assert_int_equal(vm_create(&cfg, &vm, &e), 0);
	pio = &vm->dm.pio;
	for (unsigned i = 0; i < vm->dm.nr_devices; i++)
		n += !strcmp(vm->dm.devices[i].name, "fw_cfg");
	assert_int_equal(n, 1);
	size = fwc_read_u32(pio, FW_CFG_CMDLINE_SIZE);
	assert_int_equal(size, strlen(vm->launch.cmdline) + 1);
	cmdline = malloc(size);
	assert_non_null(cmdline);
	fwc_read(pio, FW_CFG_CMDLINE_DATA, cmdline, size);
	assert_string_equal((const char *)cmdline, vm->launch.cmdline);
	free(cmdline);
	fwc_read(pio, FW_CFG_NB_CPUS, &cpus, 2);
	assert_int_equal(cpus, 2);
	/* The kernel item is the measured mapping itself (borrowed, not a copy). */
	assert_int_equal(vm->launch.fw_kernel.len, 300000);
	assert_ptr_equal(vm->launch.fw_boot.kernel, vm->launch.fw_kernel.data);
	assert_int_equal(fwc_read_u32(pio, FW_CFG_KERNEL_SIZE), 300000 - 5 * 512);
	/* Guest RAM as one e820 RAM entry; cvmm's ACPI tables for AcpiPlatformDxe. */
	e820 = fwc_read_file(pio, "etc/e820", &size);
	assert_int_equal(size, 20 * vm->mem.nr_regions);
	assert_int_equal(e820[16], 1);
	free(e820);
	assert_true(fwc_find_file(pio, "etc/table-loader", &size) >= 0 && size > 0);
	assert_true(fwc_find_file(pio, "etc/acpi/rsdp", &size) >= 0 && size == 36);
	assert_true(fwc_find_file(pio, "etc/acpi/tables", &size) >= 0 && size > 0);
	destroy(vm);
	config_free(&cfg);
}

/* ---- refusals ---- */

static void expect_refusal(struct vm_config *cfg, enum error_class cls, const char *needle,
			   bool kvm_opened)
{
	assert_int_equal(expect_vm_refused(cfg, cls, needle), kvm_opened);
}

static void test_probe(void **state)
{
	struct vm_config cfg;

	snp_config(&cfg);
	kvm_with_snp();
	rec_fail_next("kvm_open", -ENOENT);
	expect_refusal(&cfg, ERROR_HOST, "--tee snp: SEV-SNP is not available on this host: "
		       "cannot open /dev/kvm (recorded): No such file or directory", true);
	/* KVM without VM type 4: one line, exit 3, no KVM_CREATE_VM. */
	kvm_with_snp();
	rec_set_result("kvm_check_extension", 1 | (1 << 12) | (1 << 3));
	expect_refusal(&cfg, ERROR_HOST, "SEV-SNP is not available on this host: KVM cannot "
		       "create SNP VMs (VM types 0x1009)", true);
	assert_int_equal(rec_count("kvm_create_vm"), 0);
	kvm_with_snp();
	rec_fail_next("sev_open", -EACCES);
	expect_refusal(&cfg, ERROR_HOST, "cannot open /dev/sev (recorded): Permission denied (it "
		       "must be readable and writable)", true);
	assert_int_equal(rec_count("kvm_create_vm"), 0);
	kvm_with_snp();
	rec_fail_next("kvm_get_device_attr", -ENXIO);
	expect_refusal(&cfg, ERROR_HOST, "KVM_X86_SEV_VMSA_FEATURES", true);
	/* VMSA features KVM does not offer. */
	kvm_with_snp();
	cfg.snp.guest_features = 0x5;
	expect_refusal(&cfg, ERROR_HOST, "--guest-features 0x5: this host's KVM offers VMSA "
		       "features 0x1 only", true);
	config_free(&cfg);
}

static void test_refusals(void **state)
{
	struct vm_config cfg;

	/* Policies LAUNCH_START must never see: before KVM is opened. */
	snp_config(&cfg);
	kvm_with_snp();
	cfg.snp.policy = 0x20000;
	expect_refusal(&cfg, ERROR_USAGE, "bits 16 (SMT allowed) and 17", false);
	cfg.snp.policy = 0x130000;
	expect_refusal(&cfg, ERROR_USAGE, "bit 20 (single socket)", false);
	cfg.snp.policy = 0x1030000;
	expect_refusal(&cfg, ERROR_USAGE, "unknown bits 0x1000000", false);
	cfg.snp.policy = 0x30000;
	cfg.snp.guest_features = 0x40;
	expect_refusal(&cfg, ERROR_USAGE, "bit 0 (SNP active) must be set", false);
	cfg.snp.guest_features = 0x1;
	config_set_string(&cfg.snp.id_block, kernel, "--snp-id-block", NULL);
	expect_refusal(&cfg, ERROR_USAGE, "go together", false);
	config_set_string(&cfg.snp.id_block, NULL, "--snp-id-block", NULL);

	/* Firmware without SEV metadata; without a hashes table while a kernel is given. */
	config_set_string(&cfg.firmware, nometa_fw, "--firmware", NULL);
	expect_refusal(&cfg, ERROR_INPUT, "SEV metadata", false);
	config_set_string(&cfg.firmware, nohashes_fw, "--firmware", NULL);
	expect_refusal(&cfg, ERROR_INPUT, "KERNEL_HASHES section but no SEV hashes table", false);
	config_set_string(&cfg.firmware, fw_path, "--firmware", NULL);

	/* A kernel over what the firmware can be given; one that is no bzImage. */
	config_set_string(&cfg.kernel, big_kernel, "--kernel", NULL);
	cfg.mem_mib = 16;
	expect_refusal(&cfg, ERROR_INPUT, "more than the 16 MiB of guest RAM", false);
	cfg.mem_mib = 64;
	config_set_string(&cfg.kernel, initrd, "--kernel", NULL);
	expect_refusal(&cfg, ERROR_INPUT, "not a bzImage the firmware can load", false);
	config_set_string(&cfg.kernel, kernel, "--kernel", NULL);

	/* SEV sections outside RAM (too little memory for where the firmware wants them). */
	cfg.mem_mib = 16;
	config_set_string(&cfg.kernel, NULL, "--kernel", NULL);
	config_set_string(&cfg.initrd, NULL, "--initrd", NULL);
	config_set_string(&cfg.cmdline, NULL, "--cmdline", NULL);
	{
		struct fw_image_sev high[] = { { 0x1800000, 0x1000, 2 } };
		struct fw_image_layout l = fw_image_ovmf;
		char path[128];

		l.sev = high;
		l.nr_sev = 1;
		snprintf(path, sizeof(path), "%s/high.fd", dir);
		write_fw(path, &l);
		config_set_string(&cfg.firmware, path, "--firmware", NULL);
		expect_refusal(&cfg, ERROR_INPUT, "SNP_SECRETS at 0x1800000 (0x1000 bytes) is not "
						  "in guest RAM", false);
	}
	config_free(&cfg);
}

/* ---- exits ---- */

static struct vm *running_vm(struct vm_config *cfg)
{
	struct error e = ERROR_INIT;
	struct vm *vm;

	snp_config(cfg);
	kvm_with_snp();
	assert_int_equal(vm_create(cfg, &vm, &e), 0);
	return vm;
}

static void test_exit_sev_term(void **state)
{
	static const struct {
		uint64_t data0;
		uint32_t ndata;
		const char *want;
	} cases[] = {
		{ 0x00041100, 1, "vcpu1: SEV-SNP guest requested termination: reason set 1, code "
				 "0x04 (CPUID validation failed)" },
		{ 0x00000100, 1, "reason set 0, code 0x00 (general termination request)" },
		{ 0x007ff100, 1, "reason set 15, code 0x7f (reason not known to cvmm)" },
		{ 0x12345000, 1, "through its GHCB at 0x12345000" },
		{ 0, 0, "vcpu1: SEV-SNP guest shut down (triple fault)" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vm_config cfg;
		struct vm *vm = running_vm(&cfg);
		struct kvm_run *run = vm->vcpus[1].run;
		struct capture c;
		char err[512];
		bool go_on;

		run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
		run->system_event.type = KVM_SYSTEM_EVENT_SEV_TERM;
		run->system_event.ndata = cases[i].ndata;
		run->system_event.data[0] = cases[i].data0;
		capture_begin(&c, 2);
		go_on = vcpu_handle_exit(&vm->vcpus[1]);
		capture_end(&c, 2, err, sizeof(err));
		assert_false(go_on);
		assert_true(vm_is_stopping(vm));
		assert_int_equal(vm->run.exit_status, VM_EXIT_GUEST_ERROR);
		if (!strstr(err, cases[i].want) || count_lines(err) != 1)
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].want);
		destroy(vm);
		config_free(&cfg);
	}
}

/* Page-state changes of 4 KiB and 2 MiB and a memory fault go to the conversion engine. */
static void test_exit_conversions(void **state)
{
	struct vm_config cfg;
	struct vm *vm = running_vm(&cfg);
	struct kvm_run *run = vm->vcpus[0].run;
	const uint64_t gpa = 0x2000000;
	long first;

	rec_reset();
	memset(run, 0, sizeof(*run));
	run->exit_reason = KVM_EXIT_HYPERCALL;
	run->hypercall.nr = KVM_HC_MAP_GPA_RANGE_NR;
	run->hypercall.args[0] = gpa;
	run->hypercall.args[1] = 1;
	run->hypercall.args[2] = KVM_MAP_GPA_RANGE_DECRYPTED;
	run->hypercall.ret = 99;
	assert_true(vcpu_handle_exit(&vm->vcpus[0]));
	assert_int_equal(run->hypercall.ret, 0);
	first = rec_find("kvm_set_memory_attributes", 0);
	assert_true(first >= 0);
	assert_int_equal(kvm_rec.calls[first].args[0], gpa);
	assert_int_equal(kvm_rec.calls[first].args[1], PG);
	assert_int_equal(kvm_rec.calls[first].args[2], 0);
	assert_true(mem_attr_is_shared(vm->mem.attrs, gpa, PG));
	/* 2 MiB, the page-size hint set, back to private. */
	run->hypercall.args[0] = gpa & ~(0x200000ULL - 1);
	run->hypercall.args[1] = 512;
	run->hypercall.args[2] = KVM_MAP_GPA_RANGE_ENCRYPTED | KVM_MAP_GPA_RANGE_PAGE_SZ_2M;
	assert_true(vcpu_handle_exit(&vm->vcpus[0]));
	assert_int_equal(run->hypercall.ret, 0);
	assert_int_equal(kvm_rec.calls[rec_find("kvm_set_memory_attributes", 1)].args[1],
			 0x200000);
	assert_true(mem_attr_is_private(vm->mem.attrs, gpa, 0x200000));
	/* A misaligned request is the guest's mistake: an error in ret, the vCPU goes on. */
	run->hypercall.args[0] = gpa + 1;
	run->hypercall.args[1] = 1;
	assert_true(vcpu_handle_exit(&vm->vcpus[0]));
	assert_int_equal(run->hypercall.ret, CONVERT_HC_EINVAL);
	/* An implicit conversion through a memory fault. */
	memset(run, 0, sizeof(*run));
	run->exit_reason = KVM_EXIT_MEMORY_FAULT;
	kvm_run_memory_fault(run)->gpa = gpa;
	kvm_run_memory_fault(run)->size = PG;
	kvm_run_memory_fault(run)->flags = 0;
	assert_true(vcpu_handle_exit(&vm->vcpus[0]));
	assert_true(mem_attr_is_shared(vm->mem.attrs, gpa, PG));
	assert_int_equal(rec_count("kvm_set_memory_attributes"), 3);
	destroy(vm);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_launch),
		cmocka_unit_test(test_launch_vector),
		cmocka_unit_test(test_partial_progress_and_eagain),
		cmocka_unit_test(test_cpuid_retry),
		cmocka_unit_test(test_finish_with_id_block),
		cmocka_unit_test(test_fw_cfg_wired),
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_exit_sev_term),
		cmocka_unit_test(test_exit_conversions),
	};

	return cmocka_run_group_tests_name("snp_launch", tests, setup_files, teardown_files);
}
