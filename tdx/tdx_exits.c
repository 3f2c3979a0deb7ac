// SPDX-License-Identifier: MIT
/*
 * A TD's exits to cvmm.  KVM handles most TDVMCALLs itself and forwards these:
 *
 *   MapGPA          as KVM_EXIT_HYPERCALL MAP_GPA_RANGE, in chunks of at most 2 MiB with the
 *                   shared bit stripped: the conversion engine answers; a non-zero answer makes
 *                   KVM fail the TDVMCALL with INVALID_OPERAND and R11 = the chunk's GPA
 *   (memory faults) implicit conversions, the same engine
 *   GetQuote        the shared buffer {u64 version 1, u64 status, u32 in_len, u32 out_len, data}
 *                   goes to the quote generation service; the TDVMCALL returns at once with the
 *                   buffer marked in flight, the reply lands later (event loop thread) and the
 *                   notification vector is injected
 *   GetTdVmCallInfo leaf 1: which user-handled TDVMCALLs cvmm implements
 *   SetupEventNotifyInterrupt  the vector (and the vCPU) for GetQuote completions
 *   ReportFatalError  as KVM_SYSTEM_EVENT_TDX_FATAL with the guest's registers: one line, exit 1
 *
 * Everything the guest hands over is copied out of shared memory before it is checked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tdx/qgs.h"
#include "tdx/tdx_vm.h"
#include "vmm/cvm_memory.h"
#include "vmm/log.h"
#include "vmm/util.h"
#include "vmm/vm.h"

/* The GetQuote buffer (GHCI): its header, and the status values cvmm writes there. */
#define QUOTE_HDR_SIZE          24
#define QUOTE_VERSION           1
#define QUOTE_STATUS_SUCCESS    0ULL
#define QUOTE_STATUS_IN_FLIGHT  0xffffffffffffffffULL
#define QUOTE_STATUS_ERROR      0x8000000000000000ULL
#define QUOTE_STATUS_QGS_UNAVAILABLE 0x8000000000000001ULL
#define QUOTE_MAX_BUF           (128 * 1024) /* more is refused: no guest-sized host buffers */

/* ReportFatalError: error code in R12 (bit 63: R13 holds a GPA), message bytes in R14, R15,
 * RBX, RDI, RSI, R8, R9, RDX as far as RCX's mask says. */
#define FATAL_GPA_VALID (1ULL << 63)
#define FATAL_NR_REGS   16
enum { R_RCX = 1, R_RDX = 2, R_RBX = 3, R_RSI = 6, R_RDI = 7, R_R8 = 8, R_R9 = 9, R_R12 = 12,
       R_R13 = 13, R_R14 = 14, R_R15 = 15 };

struct quote_hdr {
	uint64_t version;
	uint64_t status;
	uint32_t in_len;
	uint32_t out_len;
};
_Static_assert(sizeof(struct quote_hdr) == QUOTE_HDR_SIZE, "GetQuote header");

/* A GetQuote in flight: where its answer goes. */
struct quote_req {
	struct vm *vm;
	uint64_t gpa;
	struct quote_hdr hdr;
};

int tdx_handle_hypercall(struct vm *vm, struct vcpu *vcpu, struct kvm_run *run)
{
	struct tdx_vm *t = vm->tee;

	return cvm_handle_hypercall(vm, &t->conv, vcpu, run);
}

int tdx_handle_memory_fault(struct vm *vm, struct vcpu *vcpu, struct kvm_run *run)
{
	struct tdx_vm *t = vm->tee;

	return cvm_handle_memory_fault(vm, &t->conv, vcpu, run);
}

/* The guest's buffer header is little endian; so is every host cvmm runs on. */
static int write_hdr(struct vm *vm, uint64_t gpa, const struct quote_hdr *h)
{
	__atomic_thread_fence(__ATOMIC_RELEASE); /* the quote before the status that announces it */
	return guest_mem_write(&vm->mem, gpa, h, sizeof(*h));
}

static void notify(struct vm *vm)
{
	struct tdx_vm *t = vm->tee;
	struct kvm_msi msi = { 0 };
	uint8_t vector;
	uint32_t apic;
	int ret;

	pthread_mutex_lock(&t->lock);
	vector = t->notify_vector;
	apic = t->notify_apic_id;
	pthread_mutex_unlock(&t->lock);
	if (!vector)
		return;
	/* Fixed delivery, physical destination, edge (x2APIC IDs above 255 in address_hi). */
	msi.address_lo = 0xfee00000u | (apic & 0xffu) << 12;
	msi.address_hi = apic & 0xffffff00u;
	msi.data = vector;
	ret = kvm_signal_msi(vm->vm_fd, &msi);
	if (ret < 0)
		log_warn("GetQuote: notifying the TD (vector %u) failed: %s", vector, strerror(-ret));
}

static void quote_done(void *opaque, enum qgs_status status, const uint8_t *quote,
		       size_t quote_len)
{
	struct quote_req *q = opaque;
	struct quote_hdr h = q->hdr;

	if (status == QGS_CANCELLED) {
		free(q);
		return;
	}
	h.out_len = 0;
	h.status = status == QGS_UNAVAILABLE ? QUOTE_STATUS_QGS_UNAVAILABLE : QUOTE_STATUS_ERROR;
	if (status == QGS_OK) {
		/* The client never hands over more than the buffer holds (max_quote). */
		if (guest_mem_write(&q->vm->mem, q->gpa + QUOTE_HDR_SIZE, quote, quote_len)) {
			log_warn("GetQuote: the TD made its buffer at 0x%llx private meanwhile; the "
				 "quote is dropped", (unsigned long long)q->gpa);
			free(q);
			return;
		}
		h.status = QUOTE_STATUS_SUCCESS;
		h.out_len = (uint32_t)quote_len;
	}
	if (write_hdr(q->vm, q->gpa, &h))
		log_warn("GetQuote: the TD's buffer at 0x%llx is no longer shared; the answer is "
			 "dropped", (unsigned long long)q->gpa);
	else
		notify(q->vm);
	free(q);
}

/* Starts a quote for the buffer; the TDVMCALL's status (ret) says whether it was taken. */
static uint64_t get_quote(struct vm *vm, uint64_t gpa, uint64_t size)
{
	struct tdx_vm *t = vm->tee;
	struct quote_hdr h, in_flight;
	struct quote_req *q;
	uint8_t *report;
	int ret;

	if (!size)
		return CVMM_TDVMCALL_STATUS_INVALID_OPERAND;
	if (!IS_ALIGNED(gpa, GUEST_PAGE_SIZE) || !IS_ALIGNED(size, GUEST_PAGE_SIZE))
		return CVMM_TDVMCALL_STATUS_ALIGN_ERROR;
	/* All of it shared RAM, and small enough: checked before a byte is read. */
	if (size > QUOTE_MAX_BUF || !guest_mem_dma(&vm->mem, gpa, size) ||
	    guest_mem_read(&vm->mem, gpa, &h, sizeof(h)))
		return CVMM_TDVMCALL_STATUS_INVALID_OPERAND;
	if (h.version != QUOTE_VERSION || h.in_len > size - QUOTE_HDR_SIZE)
		return CVMM_TDVMCALL_STATUS_INVALID_OPERAND;
	if (!t->qgs) {
		h.status = QUOTE_STATUS_QGS_UNAVAILABLE;
		h.out_len = 0;
		return write_hdr(vm, gpa, &h) ? CVMM_TDVMCALL_STATUS_INVALID_OPERAND
					      : CVMM_TDVMCALL_STATUS_SUCCESS;
	}
	q = calloc(1, sizeof(*q));
	report = malloc(h.in_len ? h.in_len : 1);
	if (!q || !report || guest_mem_read(&vm->mem, gpa + QUOTE_HDR_SIZE, report, h.in_len)) {
		free(q);
		free(report);
		return CVMM_TDVMCALL_STATUS_INVALID_OPERAND;
	}
	*q = (struct quote_req){ .vm = vm, .gpa = gpa, .hdr = h };
	/* In flight before the request exists: its answer must not be overwritten by this. */
	in_flight = h;
	in_flight.status = QUOTE_STATUS_IN_FLIGHT;
	in_flight.out_len = 0;
	ret = write_hdr(vm, gpa, &in_flight);
	if (!ret)
		ret = qgs_client_submit(t->qgs, report, h.in_len, size - QUOTE_HDR_SIZE, quote_done,
					q);
	free(report);
	if (!ret)
		return CVMM_TDVMCALL_STATUS_SUCCESS;
	free(q);
	write_hdr(vm, gpa, &h); /* as the guest left it */
	return ret == -EBUSY ? CVMM_TDVMCALL_STATUS_RETRY : CVMM_TDVMCALL_STATUS_INVALID_OPERAND;
}

static uint64_t setup_event_notify(struct vm *vm, struct vcpu *vcpu, uint64_t vector)
{
	struct tdx_vm *t = vm->tee;

	if (vector < 32 || vector > 255)
		return CVMM_TDVMCALL_STATUS_INVALID_OPERAND;
	pthread_mutex_lock(&t->lock);
	t->notify_vector = (uint8_t)vector;
	t->notify_apic_id = vcpu->id; /* cvmm's APIC IDs are the vCPU indices */
	pthread_mutex_unlock(&t->lock);
	return CVMM_TDVMCALL_STATUS_SUCCESS;
}

static void get_tdvmcall_info(struct vm *vm, struct cvmm_kvm_tdx_exit *x)
{
	struct tdx_vm *t = vm->tee;

	if (x->get_tdvmcall_info.leaf != 1) {
		x->get_tdvmcall_info.ret = CVMM_TDVMCALL_STATUS_INVALID_OPERAND;
		return;
	}
	/* Of what KVM forwards, what cvmm implements: SetupEventNotifyInterrupt. */
	x->get_tdvmcall_info.r11 =
		t->caps->user_tdvmcallinfo_1_r11 & CVMM_TDVMCALLINFO_1_R11_SETUP_EVENT_NOTIFY;
	x->get_tdvmcall_info.r12 = 0;
	x->get_tdvmcall_info.r13 = 0;
	x->get_tdvmcall_info.r14 = 0;
	x->get_tdvmcall_info.ret = CVMM_TDVMCALL_STATUS_SUCCESS;
}

/* The message registers, in the order the GHCI gives them, as printable text. */
static void fatal_message(const uint64_t *regs, char *out, size_t outlen)
{
	static const int order[] = { R_R14, R_R15, R_RBX, R_RDI, R_RSI, R_R8, R_R9, R_RDX };
	uint64_t mask = regs[R_RCX];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		if (!(mask & (1ULL << order[i])))
			continue;
		for (int b = 0; b < 8; b++) {
			char c = (char)(regs[order[i]] >> (8 * b));

			if (!c || n + 1 >= outlen)
				goto out;
			out[n++] = c >= 0x20 && c < 0x7f && c != '"' ? c : '?';
		}
	}
out:
	out[n] = 0;
}

static int fatal_error(struct vm *vm, struct vcpu *vcpu, struct kvm_run *run)
{
	char msg[8 * 8 + 1], gpa[40] = "", line[200];
	uint64_t regs[FATAL_NR_REGS];

	if (run->system_event.ndata < FATAL_NR_REGS) {
		snprintf(line, sizeof(line), "vcpu%u: the TD reported a fatal error (no registers "
			 "from KVM)", vcpu->id);
		vm_stop(vm, VM_EXIT_GUEST_ERROR, line);
		return -1;
	}
	memcpy(regs, run->system_event.data, sizeof(regs)); /* one copy, then read */
	fatal_message(regs, msg, sizeof(msg));
	if (regs[R_R12] & FATAL_GPA_VALID)
		snprintf(gpa, sizeof(gpa), ", details at GPA 0x%llx",
			 (unsigned long long)regs[R_R13]);
	snprintf(line, sizeof(line), "vcpu%u: the TD reported a fatal error: code 0x%llx%s%s%s%s",
		 vcpu->id, (unsigned long long)regs[R_R12], msg[0] ? ", \"" : "", msg,
		 msg[0] ? "\"" : "", gpa);
	vm_stop(vm, VM_EXIT_GUEST_ERROR, line);
	return -1;
}

int tdx_handle_exit(struct vm *vm, struct vcpu *vcpu, struct kvm_run *run)
{
	struct cvmm_kvm_tdx_exit *x = kvm_run_tdx(run);

	if (run->exit_reason == KVM_EXIT_SYSTEM_EVENT)
		return fatal_error(vm, vcpu, run);
	switch (x->nr) {
	case CVMM_TDVMCALL_GET_QUOTE:
		x->get_quote.ret = get_quote(vm, x->get_quote.gpa, x->get_quote.size);
		break;
	case CVMM_TDVMCALL_GET_TD_VM_CALL_INFO:
		get_tdvmcall_info(vm, x);
		break;
	case CVMM_TDVMCALL_SETUP_EVENT_NOTIFY:
		x->setup_event_notify.ret = setup_event_notify(vm, vcpu, x->setup_event_notify.vector);
		break;
	default:
		/* Every forwarded TDVMCALL has ret first; KVM preset it, say it again. */
		x->get_quote.ret = CVMM_TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED;
		log_debug("vcpu%u: TDVMCALL 0x%llx is not supported", vcpu->id,
			  (unsigned long long)x->nr);
		break;
	}
	return 0;
}
