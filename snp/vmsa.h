/* SPDX-License-Identifier: MIT */
/*
 * The SEV-ES/SNP VM save area (VMSA, AMD APM vol. 2 appendix B, "VMSA layout" of the state
 * save area): one 4 KiB page per vCPU, encrypted and measured at SNP_LAUNCH_FINISH.  Only the
 * fields a launch sets by name; reserved ranges keep the offsets honest (asserted below).
 */
#ifndef CVMM_SNP_VMSA_H
#define CVMM_SNP_VMSA_H

#include <stddef.h>
#include <stdint.h>

#define SNP_VMSA_GPA          0xfffffffff000ULL /* where the launch digest places VMSAs */
#define SNP_BSP_RESET_EIP     0xfffffff0u
#define SNP_VMSA_SIZE         4096

struct vmsa_segment {
	uint16_t selector;
	uint16_t attrib;
	uint32_t limit;
	uint64_t base;
} __attribute__((packed));

struct sev_es_save_area {
	struct vmsa_segment es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr; /* 0x000 */
	uint64_t vmpl_ssp[4];                                              /* 0x0a0 */
	uint64_t u_cet;                                                    /* 0x0c0 */
	uint8_t reserved_0c8[2];
	uint8_t vmpl;
	uint8_t cpl;
	uint8_t reserved_0cc[4];
	uint64_t efer;                                                     /* 0x0d0 */
	uint8_t reserved_0d8[104];
	uint64_t xss;                                                      /* 0x140 */
	uint64_t cr4;
	uint64_t cr3;
	uint64_t cr0;
	uint64_t dr7;                                                      /* 0x160 */
	uint64_t dr6;
	uint64_t rflags;
	uint64_t rip;                                                      /* 0x178 */
	uint64_t dr0_3[4];
	uint64_t dr0_3_addr_mask[4];
	uint8_t reserved_1c0[24];
	uint64_t rsp;                                                      /* 0x1d8 */
	uint64_t s_cet;
	uint64_t ssp;
	uint64_t isst_addr;
	uint64_t rax;                                                      /* 0x1f8 */
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t cr2;                                                      /* 0x240 */
	uint8_t reserved_248[32];
	uint64_t g_pat;                                                    /* 0x268 */
	uint64_t dbgctl;
	uint64_t br_from, br_to;
	uint64_t last_excp_from, last_excp_to;
	uint8_t reserved_298[80];
	uint32_t pkru;                                                     /* 0x2e8 */
	uint32_t tsc_aux;
	uint8_t reserved_2f0[24];
	uint64_t rcx;                                                      /* 0x308 */
	uint64_t rdx;
	uint64_t rbx;
	uint64_t reserved_320;
	uint64_t rbp;                                                      /* 0x328 */
	uint64_t rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint8_t reserved_380[16];
	uint64_t guest_exit_info_1;                                        /* 0x390 */
	uint64_t guest_exit_info_2;
	uint64_t guest_exit_int_info;
	uint64_t guest_nrip;
	uint64_t sev_features;                                             /* 0x3b0 */
	uint64_t vintr_ctrl;
	uint64_t guest_exit_code;
	uint64_t virtual_tom;
	uint64_t tlb_id;
	uint64_t pcpu_id;
	uint64_t event_inj;
	uint64_t xcr0;                                                     /* 0x3e8 */
	uint8_t reserved_3f0[16];
	uint64_t x87_dp;                                                   /* 0x400 */
	uint32_t mxcsr;
	uint16_t x87_ftw;
	uint16_t x87_fsw;
	uint16_t x87_fcw;                                                  /* 0x410 */
	uint16_t x87_fop;
	uint16_t x87_ds;
	uint16_t x87_cs;
	uint64_t x87_rip;
	uint8_t fpreg_x87[80];                                             /* 0x420 */
	uint8_t fpreg_xmm[256];                                            /* 0x470 */
	uint8_t fpreg_ymm[256];                                            /* 0x570 */
	uint8_t reserved_670[SNP_VMSA_SIZE - 0x670];
} __attribute__((packed));

#define VMSA_ASSERT(field, off) \
	_Static_assert(offsetof(struct sev_es_save_area, field) == (off), "VMSA " #field)
VMSA_ASSERT(cs, 0x010);
VMSA_ASSERT(ldtr, 0x070);
VMSA_ASSERT(tr, 0x090);
VMSA_ASSERT(efer, 0x0d0);
VMSA_ASSERT(cr4, 0x148);
VMSA_ASSERT(cr0, 0x158);
VMSA_ASSERT(dr7, 0x160);
VMSA_ASSERT(dr6, 0x168);
VMSA_ASSERT(rflags, 0x170);
VMSA_ASSERT(rip, 0x178);
VMSA_ASSERT(rsp, 0x1d8);
VMSA_ASSERT(rax, 0x1f8);
VMSA_ASSERT(g_pat, 0x268);
VMSA_ASSERT(pkru, 0x2e8);
VMSA_ASSERT(rcx, 0x308);
VMSA_ASSERT(rdx, 0x310);
VMSA_ASSERT(r15, 0x378);
VMSA_ASSERT(sev_features, 0x3b0);
VMSA_ASSERT(xcr0, 0x3e8);
VMSA_ASSERT(x87_dp, 0x400);
VMSA_ASSERT(mxcsr, 0x408);
VMSA_ASSERT(x87_fcw, 0x410);
VMSA_ASSERT(fpreg_ymm, 0x570);
_Static_assert(sizeof(struct sev_es_save_area) == SNP_VMSA_SIZE, "VMSA is one page");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the VMSA is little endian");

/*
 * The reset state of a vCPU as QEMU/KVM leave it before LAUNCH_FINISH: real mode at `eip`
 * (CS base = eip & 0xffff0000, IP = eip & 0xffff), RDX = the CPUID.1.EAX signature.  The
 * launch code must program the vCPU with exactly these values.
 */
void snp_vmsa_reset_state(struct sev_es_save_area *sa, uint32_t eip, uint32_t vcpu_sig,
			  uint64_t sev_features);

/* CPUID.1.EAX of the host CPU: the vCPU signature a VM gets unless one is asked for. */
uint32_t snp_host_vcpu_sig(void);

/*
 * The KVM_SET_SREGS/KVM_SET_REGS values from which KVM builds exactly this VMSA at LAUNCH_FINISH:
 * segments, descriptor tables, control registers and the general registers, with the bits KVM
 * adds itself taken out again (EFER.SVME, the host's CR4.MCE).  sregs keeps what the caller read
 * with KVM_GET_SREGS in the fields a VMSA does not hold (APIC base, interrupt bitmap, CR8).  DR6,
 * DR7, PAT and XCR0 are KVM's reset values, sev_features comes from KVM_SEV_INIT2 and the x87/SSE
 * control words from KVM_SET_FPU.
 */
struct kvm_sregs;
struct kvm_regs;
void snp_vmsa_to_kvm(const struct sev_es_save_area *sa, struct kvm_sregs *sregs,
		     struct kvm_regs *regs);

#define SNP_EFER_SVME (1ULL << 12)
#define SNP_CR4_MCE   (1ULL << 6)

#endif
