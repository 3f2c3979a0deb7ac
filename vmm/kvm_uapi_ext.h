/* SPDX-License-Identifier: MIT */
/*
 * KVM uAPI that is newer than the kernel headers of Debian 12 (linux-libc-dev 6.1): guest_memfd,
 * memory attributes, memory-fault exits, and the TDX / SEV-SNP launch commands.  Values and layouts
 * follow the upstream uAPI (include/uapi/linux/kvm.h and arch/x86/include/uapi/asm/kvm.h of Linux
 * 6.16); every structure is pinned with static asserts on size and field offsets.
 */
#ifndef CVMM_KVM_UAPI_EXT_H
#define CVMM_KVM_UAPI_EXT_H

#include <stddef.h>
#include <linux/kvm.h>

#define CVMM_ASSERT_LAYOUT(type, field, off) \
	_Static_assert(offsetof(type, field) == (off), #type "." #field " offset")
#define CVMM_ASSERT_SIZE(type, size) _Static_assert(sizeof(type) == (size), #type " size")

/* VM types (argument of KVM_CREATE_VM). */
#define CVMM_KVM_X86_DEFAULT_VM      0
#define CVMM_KVM_X86_SW_PROTECTED_VM 1
#define CVMM_KVM_X86_SEV_VM          2
#define CVMM_KVM_X86_SEV_ES_VM       3
#define CVMM_KVM_X86_SNP_VM          4
#define CVMM_KVM_X86_TDX_VM          5

/* Capabilities. */
#ifndef KVM_CAP_EXIT_HYPERCALL
#define KVM_CAP_EXIT_HYPERCALL 201
#endif
#ifndef KVM_CAP_USER_MEMORY2
#define KVM_CAP_USER_MEMORY2 231
#endif
#ifndef KVM_CAP_MEMORY_FAULT_INFO
#define KVM_CAP_MEMORY_FAULT_INFO 232
#endif
#ifndef KVM_CAP_MEMORY_ATTRIBUTES
#define KVM_CAP_MEMORY_ATTRIBUTES 233
#endif
#ifndef KVM_CAP_GUEST_MEMFD
#define KVM_CAP_GUEST_MEMFD 234
#endif
#ifndef KVM_CAP_VM_TYPES
#define KVM_CAP_VM_TYPES 235
#endif
#ifndef KVM_CAP_PRE_FAULT_MEMORY
#define KVM_CAP_PRE_FAULT_MEMORY 236
#endif
#ifndef KVM_CAP_X86_APIC_BUS_CYCLES_NS
#define KVM_CAP_X86_APIC_BUS_CYCLES_NS 237
#endif

/* Exit reasons and system events. */
#ifndef KVM_EXIT_MEMORY_FAULT
#define KVM_EXIT_MEMORY_FAULT 39
#endif
#ifndef KVM_EXIT_TDX
#define KVM_EXIT_TDX 40
#endif
#ifndef KVM_SYSTEM_EVENT_SEV_TERM
#define KVM_SYSTEM_EVENT_SEV_TERM 6
#endif
#ifndef KVM_SYSTEM_EVENT_TDX_FATAL
#define KVM_SYSTEM_EVENT_TDX_FATAL 7
#endif

/* Hypercall used by TDX and SNP guests (and our emulated mode) to convert memory. */
#define KVM_HC_MAP_GPA_RANGE_NR         12
#define KVM_MAP_GPA_RANGE_PAGE_SZ_4K    0
#define KVM_MAP_GPA_RANGE_PAGE_SZ_2M    (1ULL << 0)
#define KVM_MAP_GPA_RANGE_PAGE_SZ_1G    (1ULL << 1)
#define KVM_MAP_GPA_RANGE_ENCRYPTED     (1ULL << 4)
#define KVM_MAP_GPA_RANGE_DECRYPTED     0
#define KVM_HYPERCALL_EXIT_LONG_MODE    (1ULL << 0)

/* guest_memfd and memory attributes. */
#define CVMM_KVM_MEM_GUEST_MEMFD        (1U << 2)
#define CVMM_KVM_MEMORY_ATTRIBUTE_PRIVATE (1ULL << 3)
#define CVMM_KVM_MEMORY_EXIT_FLAG_PRIVATE (1ULL << 3)

struct cvmm_kvm_userspace_memory_region2 {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
	__u64 guest_memfd_offset;
	__u32 guest_memfd;
	__u32 pad1;
	__u64 pad2[14];
};
CVMM_ASSERT_SIZE(struct cvmm_kvm_userspace_memory_region2, 160);
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_userspace_memory_region2, userspace_addr, 24);
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_userspace_memory_region2, guest_memfd_offset, 32);
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_userspace_memory_region2, guest_memfd, 40);

struct cvmm_kvm_memory_attributes {
	__u64 address;
	__u64 size;
	__u64 attributes;
	__u64 flags;
};
CVMM_ASSERT_SIZE(struct cvmm_kvm_memory_attributes, 32);

struct cvmm_kvm_create_guest_memfd {
	__u64 size;
	__u64 flags;
	__u64 reserved[6];
};
CVMM_ASSERT_SIZE(struct cvmm_kvm_create_guest_memfd, 64);

#define CVMM_KVM_SET_USER_MEMORY_REGION2 _IOW(KVMIO, 0x49, struct cvmm_kvm_userspace_memory_region2)
#define CVMM_KVM_SET_MEMORY_ATTRIBUTES   _IOW(KVMIO, 0xd2, struct cvmm_kvm_memory_attributes)
#define CVMM_KVM_CREATE_GUEST_MEMFD      _IOWR(KVMIO, 0xd4, struct cvmm_kvm_create_guest_memfd)
#define CVMM_KVM_MEMORY_ENCRYPT_OP       _IOWR(KVMIO, 0xba, unsigned long)
_Static_assert(CVMM_KVM_SET_USER_MEMORY_REGION2 == 0x40a0ae49, "ioctl number");
_Static_assert(CVMM_KVM_SET_MEMORY_ATTRIBUTES == 0x4020aed2, "ioctl number");
_Static_assert(CVMM_KVM_CREATE_GUEST_MEMFD == 0xc040aed4, "ioctl number");
_Static_assert(CVMM_KVM_MEMORY_ENCRYPT_OP == 0xc008aeba, "ioctl number");

/* kvm_run exit payloads newer than 6.1; they live in the exit union (same offset as .mmio). */
struct cvmm_kvm_memory_fault_exit {
	__u64 flags;
	__u64 gpa;
	__u64 size;
};

struct cvmm_kvm_tdx_exit {
	__u64 flags;
	__u64 nr;
	union {
		struct {
			__u64 ret;
			__u64 gpa;
			__u64 size;
		} get_quote;
		struct {
			__u64 ret;
			__u64 leaf;
			__u64 r11, r12, r13, r14;
		} get_tdvmcall_info;
		struct {
			__u64 ret;
			__u64 vector;
		} setup_event_notify;
	};
};
CVMM_ASSERT_SIZE(struct cvmm_kvm_tdx_exit, 64);
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_tdx_exit, get_quote.gpa, 24);
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_tdx_exit, get_tdvmcall_info.r11, 32);
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_tdx_exit, setup_event_notify.vector, 24);

#define CVMM_KVM_RUN_EXIT_UNION_OFFSET offsetof(struct kvm_run, mmio)

static inline struct cvmm_kvm_memory_fault_exit *kvm_run_memory_fault(struct kvm_run *run)
{
	return (struct cvmm_kvm_memory_fault_exit *)((char *)run + CVMM_KVM_RUN_EXIT_UNION_OFFSET);
}

static inline struct cvmm_kvm_tdx_exit *kvm_run_tdx(struct kvm_run *run)
{
	return (struct cvmm_kvm_tdx_exit *)((char *)run + CVMM_KVM_RUN_EXIT_UNION_OFFSET);
}

/* The 6.1 header calls the hypercall flags word "longmode" (u32) + pad; upstream a u64 "flags". */
_Static_assert(offsetof(struct kvm_run, hypercall.longmode) ==
		       offsetof(struct kvm_run, hypercall.ret) + 8,
	       "hypercall flags follow ret");

/* ---- Intel TDX (KVM_MEMORY_ENCRYPT_OP with struct kvm_tdx_cmd) ---- */
enum cvmm_kvm_tdx_cmd_id {
	KVM_TDX_CAPABILITIES = 0,
	KVM_TDX_INIT_VM = 1,
	KVM_TDX_INIT_VCPU = 2,
	KVM_TDX_INIT_MEM_REGION = 3,
	KVM_TDX_FINALIZE_VM = 4,
	KVM_TDX_GET_CPUID = 5,
};

struct cvmm_kvm_tdx_cmd {
	__u32 id;
	__u32 flags;
	__u64 data;
	__u64 hw_error;
};
CVMM_ASSERT_SIZE(struct cvmm_kvm_tdx_cmd, 24);

struct cvmm_kvm_tdx_capabilities {
	__u64 supported_attrs;
	__u64 supported_xfam;
	__u64 kernel_tdvmcallinfo_1_r11;
	__u64 user_tdvmcallinfo_1_r11;
	__u64 kernel_tdvmcallinfo_1_r12;
	__u64 user_tdvmcallinfo_1_r12;
	__u64 reserved[250];
	struct kvm_cpuid2 cpuid; /* flexible: entries follow */
};
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_tdx_capabilities, cpuid, 256 * 8);

struct cvmm_kvm_tdx_init_vm {
	__u64 attributes;
	__u64 xfam;
	__u64 mrconfigid[6];
	__u64 mrowner[6];
	__u64 mrownerconfig[6];
	__u64 reserved[12];
	struct kvm_cpuid2 cpuid; /* flexible: entries follow */
};
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_tdx_init_vm, mrconfigid, 16);
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_tdx_init_vm, cpuid, 16 + 3 * 48 + 96);

#define KVM_TDX_MEASURE_MEMORY_REGION (1U << 0)

struct cvmm_kvm_tdx_init_mem_region {
	__u64 source_addr;
	__u64 gpa;
	__u64 nr_pages;
};
CVMM_ASSERT_SIZE(struct cvmm_kvm_tdx_init_mem_region, 24);
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_tdx_cmd, data, 8);
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_tdx_cmd, hw_error, 16);
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_tdx_capabilities, user_tdvmcallinfo_1_r11, 24);
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_tdx_capabilities, reserved, 48);
CVMM_ASSERT_SIZE(struct cvmm_kvm_tdx_capabilities, 256 * 8 + 8);
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_tdx_init_vm, xfam, 8);
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_tdx_init_vm, mrowner, 64);
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_tdx_init_vm, mrownerconfig, 112);
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_tdx_init_vm, reserved, 160);
CVMM_ASSERT_SIZE(struct cvmm_kvm_tdx_init_vm, 256 + 8);
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_tdx_init_mem_region, gpa, 8);
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_tdx_init_mem_region, nr_pages, 16);
_Static_assert(sizeof(struct kvm_cpuid_entry2) == 40, "kvm_cpuid_entry2 size");

/* TD attributes (TDX module ABI, TDCS ATTRIBUTES): the ones cvmm names. */
#define CVMM_TDX_ATTR_DEBUG           (1ULL << 0)
#define CVMM_TDX_ATTR_SEPT_VE_DISABLE (1ULL << 28)
#define CVMM_TDX_ATTR_PKS             (1ULL << 30)
#define CVMM_TDX_ATTR_PERFMON         (1ULL << 63)

/* TDG.VP.VMCALL leaves that reach userspace (kvm_run.tdx.nr) and their status codes. */
#define CVMM_TDVMCALL_GET_TD_VM_CALL_INFO       0x10000ULL
#define CVMM_TDVMCALL_MAP_GPA                   0x10001ULL
#define CVMM_TDVMCALL_GET_QUOTE                 0x10002ULL
#define CVMM_TDVMCALL_REPORT_FATAL_ERROR        0x10003ULL
#define CVMM_TDVMCALL_SETUP_EVENT_NOTIFY        0x10004ULL
#define CVMM_TDVMCALL_STATUS_SUCCESS            0x0ULL
#define CVMM_TDVMCALL_STATUS_RETRY              0x1ULL
#define CVMM_TDVMCALL_STATUS_INVALID_OPERAND    0x8000000000000000ULL
#define CVMM_TDVMCALL_STATUS_GPA_INUSE          0x8000000000000001ULL
#define CVMM_TDVMCALL_STATUS_ALIGN_ERROR        0x8000000000000002ULL
#define CVMM_TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED 0x8000000000000003ULL
/* GetTdVmCallInfo leaf 1, R11: the user-handled TDVMCALLs KVM may forward. */
#define CVMM_TDVMCALLINFO_1_R11_SETUP_EVENT_NOTIFY (1ULL << 1)

/* ---- AMD SEV-SNP (KVM_MEMORY_ENCRYPT_OP with struct kvm_sev_cmd) ---- */
enum cvmm_kvm_sev_cmd_id {
	KVM_SEV_INIT2 = 22,
	KVM_SEV_SNP_LAUNCH_START = 100,
	KVM_SEV_SNP_LAUNCH_UPDATE = 101,
	KVM_SEV_SNP_LAUNCH_FINISH = 102,
};

struct cvmm_kvm_sev_cmd {
	__u32 id;
	__u32 pad0;
	__u64 data;
	__u32 error;
	__u32 sev_fd;
};
CVMM_ASSERT_SIZE(struct cvmm_kvm_sev_cmd, 24);

struct cvmm_kvm_sev_init {
	__u64 vmsa_features;
	__u32 flags;
	__u16 ghcb_version;
	__u16 pad1;
	__u32 pad2[8];
};
CVMM_ASSERT_SIZE(struct cvmm_kvm_sev_init, 48);

struct cvmm_kvm_sev_snp_launch_start {
	__u64 policy;
	__u8 gosvw[16];
	__u16 flags;
	__u8 pad0[6];
	__u64 pad1[4];
};
CVMM_ASSERT_SIZE(struct cvmm_kvm_sev_snp_launch_start, 64);

/* SNP page types (PAGE_INFO.page_type / LAUNCH_UPDATE type). */
#define SNP_PAGE_TYPE_NORMAL     1
#define SNP_PAGE_TYPE_VMSA       2
#define SNP_PAGE_TYPE_ZERO       3
#define SNP_PAGE_TYPE_UNMEASURED 4
#define SNP_PAGE_TYPE_SECRETS    5
#define SNP_PAGE_TYPE_CPUID      6

struct cvmm_kvm_sev_snp_launch_update {
	__u64 gfn_start;
	__u64 uaddr;
	__u64 len;
	__u8 type;
	__u8 pad0;
	__u16 flags;
	__u32 pad1;
	__u64 pad2[4];
};
CVMM_ASSERT_SIZE(struct cvmm_kvm_sev_snp_launch_update, 64);
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_sev_snp_launch_update, type, 24);

struct cvmm_kvm_sev_snp_launch_finish {
	__u64 id_block_uaddr;
	__u64 id_auth_uaddr;
	__u8 id_block_en;
	__u8 auth_key_en;
	__u8 vcek_disabled;
	__u8 host_data[32];
	__u8 pad0[3];
	__u16 flags;
	__u64 pad1[4];
};
CVMM_ASSERT_SIZE(struct cvmm_kvm_sev_snp_launch_finish, 88);
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_sev_snp_launch_finish, host_data, 19);
CVMM_ASSERT_LAYOUT(struct cvmm_kvm_sev_snp_launch_finish, flags, 54);

/* SEV-SNP: what KVM_SEV_INIT2 and LAUNCH_FINISH take, and how a guest asks to terminate. */
#ifndef KVM_X86_GRP_SEV
#define KVM_X86_GRP_SEV 1 /* KVM_GET_DEVICE_ATTR group on /dev/kvm */
#endif
#ifndef KVM_X86_SEV_VMSA_FEATURES
#define KVM_X86_SEV_VMSA_FEATURES 0 /* attribute: vmsa_features bits INIT2 accepts */
#endif
#define CVMM_SVM_SEV_FEAT_SNP_ACTIVE (1ULL << 0) /* KVM ORs it into an SNP VM's features */
#define CVMM_SEV_GHCB_VERSION_2      2
#define KVM_SEV_SNP_ID_BLOCK_SIZE    96
#define KVM_SEV_SNP_ID_AUTH_SIZE     4096
#define KVM_SEV_SNP_FINISH_DATA_SIZE 32
_Static_assert(sizeof(((struct cvmm_kvm_sev_snp_launch_finish *)0)->host_data) ==
		       KVM_SEV_SNP_FINISH_DATA_SIZE,
	       "host_data size");

/*
 * KVM_SYSTEM_EVENT_SEV_TERM: data[0] is the GHCB MSR value.  For the MSR protocol's termination
 * request (GHCBInfo 0x100) it carries the reason code set in bits 15:12 and the code in 23:16;
 * for a request through a GHCB page it is that page's address (no reason in it).  ndata 0: the
 * guest shut down (triple fault), as KVM reports it for SEV-ES guests since Linux 6.6.
 */
#define CVMM_GHCB_MSR_INFO_MASK     0xfffULL
#define CVMM_GHCB_MSR_TERM_REQ      0x100ULL
#define CVMM_GHCB_TERM_SET(v)       ((unsigned)(((v) >> 12) & 0xf))
#define CVMM_GHCB_TERM_CODE(v)      ((unsigned)(((v) >> 16) & 0xff))

#endif
