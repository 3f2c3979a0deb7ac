// SPDX-License-Identifier: MIT
/*
 * mptable (runs with acpi=off on the command line, where a guest has no ACPI): the MP floating
 * pointer is found where Linux looks (the first KiB of memory, the last KiB below 640 KiB,
 * 0xf0000-0xfffff, the EBDA), both checksums are right, and its configuration table lists exactly
 * cvmmtest.vcpus enabled processors with distinct APIC IDs and one boot processor, an ISA bus, an
 * enabled IOAPIC, COM1's ISA IRQ 4, and an interrupt source for the IRQ of every
 * virtio_mmio.device= entry.  What it finds also stands in for the MADT (platform_get()), so smp,
 * irq and devirq work the same way without ACPI.
 */
#include "tests/guest/acpi.h"
#include "tests/guest/cmdline.h"
#include "tests/guest/guest.h"
#include "tests/guest/io.h"
#include "tests/guest/libc.h"
#include "tests/guest/printf.h"
#include "tests/guest/virtio_mmio.h"

#define MP_HDR_LEN 44

static struct acpi_info mp;
static bool parsed;
static uint64_t fps_addr;

static uint8_t sum(const uint8_t *p, uint32_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

static uint32_t rd(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

/* Low memory (the first page included) without the compiler taking it for a null pointer. */
static const uint8_t *low_ptr(uint64_t addr)
{
	const uint8_t *p = phys_ptr(addr);

	__asm__("" : "+r"(p));
	return p;
}

static uint64_t scan(uint64_t base, uint64_t len)
{
	for (uint64_t a = base; a + 16 <= base + len; a += 16) {
		const uint8_t *p = low_ptr(a);

		if (!memcmp(p, "_MP_", 4) && p[8] == 1 && !sum(p, 16))
			return a;
	}
	return 0;
}

static bool mp_fail(const char *why)
{
	if (!mp.error[0])
		snprintf(mp.error, sizeof(mp.error), "%s", why);
	return false;
}

static bool parse_entries(const uint8_t *h, uint32_t len)
{
	uint32_t off = MP_HDR_LEN, nr_boot = 0;
	bool isa = false;

	while (off < len) {
		const uint8_t *e = h + off;

		switch (e[0]) {
		case 0: /* processor */
			if (off + 20 > len)
				return mp_fail("truncated processor entry");
			if (e[3] & 1) {
				for (uint32_t i = 0; i < mp.n_cpus; i++)
					if (mp.cpu_apic_id[i] == e[1])
						return mp_fail("an APIC ID is listed twice");
				if (mp.n_cpus < ACPI_MAX_CPUS)
					mp.cpu_apic_id[mp.n_cpus++] = e[1];
				nr_boot += (e[3] & 2) ? 1 : 0;
			}
			off += 20;
			continue;
		case 1: /* bus */
			isa |= !memcmp(e + 2, "ISA", 3);
			break;
		case 2: /* IOAPIC */
			if ((e[3] & 1) && !mp.has_ioapic) {
				mp.has_ioapic = true;
				mp.ioapic_addr = rd(e + 4, 4);
				mp.ioapic_gsi_base = 0;
			}
			break;
		case 3: /* I/O interrupt: source bus IRQ e[5] on IOAPIC pin e[7] */
			if (e[1] == 0 && !mp.irq_routed[e[5]]) {
				mp.irq_routed[e[5]] = true;
				mp.irq_pin[e[5]] = e[7];
				mp.irq_flags[e[5]] = (uint16_t)rd(e + 2, 2);
			}
			break;
		case 4: /* local interrupt */
			break;
		default:
			return mp_fail("unknown entry type");
		}
		off += 8;
	}
	if (off != len)
		return mp_fail("entries overrun the table");
	if (nr_boot != 1)
		return mp_fail("not exactly one boot processor");
	if (!isa)
		return mp_fail("no ISA bus");
	return true;
}

static void parse(void)
{
	const uint8_t *f, *h;
	uint32_t len, ebda;

	mp.lapic_base = 0xfee00000;
	fps_addr = scan(0, 0x400);
	if (!fps_addr)
		fps_addr = scan(639 * 0x400, 0x400);
	if (!fps_addr)
		fps_addr = scan(0xf0000, 0x10000);
	ebda = (uint32_t)rd(low_ptr(0x40e), 2) << 4;
	if (!fps_addr && ebda && ebda < 0xa0000)
		fps_addr = scan(ebda, 0x400);
	if (!fps_addr) {
		mp_fail("no MP floating pointer where Linux looks");
		return;
	}
	f = phys_ptr(fps_addr);
	if (f[9] != 1 && f[9] != 4) {
		mp_fail("floating pointer: unknown specification revision");
		return;
	}
	if (!rd(f + 4, 4) || !phys_range_ok(rd(f + 4, 4), MP_HDR_LEN)) {
		mp_fail("floating pointer: no configuration table");
		return;
	}
	h = phys_ptr(rd(f + 4, 4));
	len = rd(h + 4, 2);
	if (memcmp(h, "PCMP", 4) || len < MP_HDR_LEN || !phys_range_ok(rd(f + 4, 4), len) ||
	    sum(h, len)) {
		mp_fail("configuration table: bad signature, length or checksum");
		return;
	}
	mp.has_madt = true; /* the CPU list the checks use */
	mp.lapic_base = rd(h + 36, 4);
	if (!parse_entries(h, len))
		return;
	if (!mp.has_ioapic)
		mp_fail("no enabled IOAPIC");
	mp.com1_gsi = mp.irq_routed[4] ? mp.irq_pin[4] : 4;
	mp.com1_flags = mp.irq_flags[4];
	mp.ok = !mp.error[0];
}

const struct acpi_info *mptable_get(void)
{
	if (!parsed) {
		parsed = true;
		parse();
	}
	return &mp;
}

bool guest_acpi_off(void)
{
	const char *v;
	size_t len;

	return cmdline_get(boot.cmdline, "acpi", &v, &len) && len == 3 && !memcmp(v, "off", 3);
}

const struct acpi_info *platform_get(void)
{
	return guest_acpi_off() ? mptable_get() : acpi_get();
}

bool check_mptable(struct check_result *res)
{
	const struct acpi_info *m = mptable_get();
	struct virtio_mmio_dev devs[VIRTIO_MMIO_MAX];
	char err[80];
	int n = virtio_mmio_discover(boot.cmdline, devs, VIRTIO_MMIO_MAX, err, sizeof(err));
	uint64_t want;
	bool ok = m->ok;

	if (!fps_addr || !m->has_madt) {
		result_add(res, "%s", m->error);
		return false;
	}
	result_add(res, "at 0x%lx: %u CPUs, IOAPIC at 0x%lx, COM1 IRQ 4 -> pin %u", fps_addr,
		   m->n_cpus, m->ioapic_addr, m->com1_gsi);
	if (!m->ok)
		result_add(res, "%s", m->error);
	if (cmdline_get_u64(boot.cmdline, "cvmmtest.vcpus", &want) && want != m->n_cpus) {
		result_add(res, "expected %lu CPUs", want);
		ok = false;
	}
	if (!m->irq_routed[4]) {
		result_add(res, "no source for COM1's IRQ 4");
		ok = false;
	}
	for (int i = 0; i < n; i++) {
		if (devs[i].irq > 255 || !m->irq_routed[devs[i].irq]) {
			result_add(res, "no source for the IRQ %u of the device at 0x%lx", devs[i].irq,
				   devs[i].base);
			ok = false;
		}
	}
	if (n >= 0)
		result_add(res, "%d device IRQs routed", n);
	return ok;
}
