// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the fw_cfg device: the input is a program of port accesses, DMA
 * descriptors and raw guest-memory writes run against 2 MiB of confidential guest memory whose
 * device-side mapping is PROT_NONE on private pages (an access there crashes the target).  Checked
 * after every transfer: the descriptor's control word, when it is in shared RAM, reads 0 or ERROR.
 *
 * Program: a sequence of operations, each an opcode byte (taken modulo OP_COUNT) and its operands,
 * little endian; the program ends where the input does.
 *   OP_PIO   u8 port, u8 width (1 << n % 4), u8 flags, u8 data[8]: flags bit 0 writes; bit 1
 *            calls fw_cfg_pio() at offset port, else the bus at 0x510 + port % 16
 *   OP_DESC  u32 gpa, u32 control, u32 length, u64 address, u8 mode: writes the descriptor (big
 *            endian) at gpa % (RAM + 1 page), clipped at the end of RAM, and starts it; mode bit 0
 *            keeps the address raw (else modulo RAM + 2 pages), bit 1 the length (else modulo 16K)
 *   OP_DMA   u64 address: both halves written, whatever lies there
 *   OP_READ  u8 n: n byte reads of the data port
 *   OP_RESET
 *   OP_POKE  u32 gpa, u8 bytes[8]: written into RAM at gpa % RAM (host side, clipped)
 *
 * Run: make fuzz FUZZ_TARGETS=fuzz_fw_cfg [FUZZ_SECONDS=N]
 */
#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "vmm/bus.h"
#include "vmm/log.h"
#include "vmm/memory.h"

#define RAM        (2u << 20)
#define PG         4096u
#define SHARED_END (1u << 20)          /* [0, 1 MiB) shared */
#define MIXED_END  (SHARED_END + 0x10000) /* then pages alternate: even ones shared */

enum { OP_PIO, OP_DESC, OP_DMA, OP_READ, OP_RESET, OP_POKE, OP_COUNT };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct guest_mem mem;
static struct bus pio;
static struct fw_cfg *dev;
static uint8_t kernel[8192], initrd[4096], tables[3000], loader[200];

struct reader {
	const uint8_t *p;
	size_t left;
};

static bool take(struct reader *r, void *out, size_t n)
{
	if (r->left < n)
		return false;
	memcpy(out, r->p, n);
	r->p += n;
	r->left -= n;
	return true;
}

static void share(uint64_t gpa, uint64_t len)
{
	if (mem_attr_set(mem.attrs, gpa, len, true) || guest_mem_set_dev_access(&mem, gpa, len, true))
		abort();
}

static void init_once(void)
{
	log_threshold = LOG_ERROR; /* each device logs its first refusal */
	if (guest_mem_create(&mem, RAM) || guest_mem_enable_attrs(&mem, true))
		abort();
	share(0, SHARED_END);
	for (uint64_t gpa = SHARED_END; gpa < MIXED_END; gpa += 2 * PG)
		share(gpa, PG);
	for (size_t i = 0; i < sizeof(kernel); i++)
		kernel[i] = (uint8_t)(i * 13);
	kernel[0x1f1] = 3;
	memcpy(kernel + 0x202, "HdrS", 4);
	kernel[0x206] = 0x0f;
	kernel[0x207] = 0x02;
	kernel[0x211] = 0x01;
	memset(initrd, 0x11, sizeof(initrd));
	memset(tables, 0x22, sizeof(tables));
	memset(loader, 0x33, sizeof(loader));
}

static struct fw_cfg *new_device(void)
{
	static const struct boot_mem_range e820[] = {
		{ .addr = 0, .size = RAM, .type = BOOT_E820_RAM },
	};
	const struct fw_cfg_linux lb = {
		.kernel = kernel, .kernel_len = sizeof(kernel), .initrd = initrd,
		.initrd_len = sizeof(initrd), .cmdline = "console=ttyS0", .initrd_limit = RAM,
	};
	struct fw_cfg *fc = fw_cfg_create(&mem);

	if (!fc || fw_cfg_add_file_ref(fc, "etc/acpi/tables", tables, sizeof(tables)) ||
	    fw_cfg_add_file(fc, "etc/table-loader", loader, sizeof(loader)) ||
	    fw_cfg_add_file(fc, "bootorder", NULL, 0) || fw_cfg_add_e820(fc, e820, 1) ||
	    fw_cfg_add_u16(fc, FW_CFG_NB_CPUS, 2) || fw_cfg_add_linux(fc, &lb))
		abort();
	return fc;
}

/* Host-side write of guest RAM, clipped at its end (private pages included: that is the guest). */
static void poke(uint64_t gpa, const void *src, size_t len)
{
	if (gpa >= RAM)
		return;
	if (len > RAM - gpa)
		len = RAM - gpa;
	memcpy(guest_mem_ptr(&mem, gpa, len), src, len);
}

static void out32_be(uint16_t port, uint32_t v)
{
	uint32_t be = htobe32(v);

	bus_access(&pio, port, (uint8_t *)&be, 4, true);
}

static void start_dma(uint64_t gpa)
{
	const uint32_t *ctl;

	out32_be(FW_CFG_PORT_DMA_HIGH, (uint32_t)(gpa >> 32));
	out32_be(FW_CFG_PORT_DMA_LOW, (uint32_t)gpa);
	/* The completion, where the device could write it, is 0 or ERROR. */
	ctl = guest_mem_dma(&mem, gpa, sizeof(*ctl));
	if (ctl) {
		uint32_t v;

		memcpy(&v, ctl, sizeof(v));
		if (v != 0 && v != htobe32(FW_CFG_DMA_CTL_ERROR))
			abort();
	}
}

static bool run_op(struct reader *r)
{
	uint8_t op;

	if (!take(r, &op, 1))
		return false;
	switch (op % OP_COUNT) {
	case OP_PIO: {
		uint8_t port, width, write, d[8];

		if (!take(r, &port, 1) || !take(r, &width, 1) || !take(r, &write, 1) ||
		    !take(r, d, sizeof(d)))
			return false;
		if (write & 2) /* the handler itself, at any offset the bus would never pass */
			fw_cfg_pio(dev, port, d, 1u << (width % 4), write & 1);
		else
			bus_access(&pio, FW_CFG_PIO_BASE + port % 16, d, 1u << (width % 4), write & 1);
		return true;
	}
	case OP_DESC: {
		uint32_t gpa, control, length;
		uint64_t address;
		uint8_t mode;
		struct fw_cfg_dma_access desc;

		if (!take(r, &gpa, 4) || !take(r, &control, 4) || !take(r, &length, 4) ||
		    !take(r, &address, 8) || !take(r, &mode, 1))
			return false;
		gpa = le32toh(gpa) % (RAM + PG);
		address = le64toh(address);
		length = le32toh(length);
		if (!(mode & 1))
			address %= RAM + 2 * PG;
		if (!(mode & 2))
			length %= 16384;
		desc = (struct fw_cfg_dma_access){
			.control = htobe32(le32toh(control)),
			.length = htobe32(length),
			.address = htobe64(address),
		};
		poke(gpa, &desc, sizeof(desc));
		start_dma(gpa);
		return true;
	}
	case OP_DMA: {
		uint64_t address;

		if (!take(r, &address, 8))
			return false;
		start_dma(le64toh(address));
		return true;
	}
	case OP_READ: {
		uint8_t n, b;

		if (!take(r, &n, 1))
			return false;
		for (unsigned i = 0; i < n; i++)
			bus_access(&pio, FW_CFG_PORT_DATA, &b, 1, false);
		return true;
	}
	case OP_RESET:
		fw_cfg_reset(dev);
		return true;
	default: {
		uint32_t gpa;
		uint8_t bytes[8];

		if (!take(r, &gpa, 4) || !take(r, bytes, sizeof(bytes)))
			return false;
		poke(le32toh(gpa) % RAM, bytes, sizeof(bytes));
		return true;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = { .p = data, .left = size };

	if (!mem.nr_regions)
		init_once();
	memset(guest_mem_ptr(&mem, 0, RAM), 0, RAM);
	dev = new_device();
	bus_init(&pio);
	if (bus_register(&pio, FW_CFG_PIO_BASE, FW_CFG_PIO_LEN, fw_cfg_pio, dev, "fw_cfg"))
		abort();
	while (run_op(&r))
		;
	bus_destroy(&pio);
	fw_cfg_destroy(dev);
	dev = NULL;
	return 0;
}
