// SPDX-License-Identifier: MIT
/*
 * cvm (run on request; written for cvmm --tee emulated, where all RAM starts private): what a
 * confidential guest does with its memory, checked step by step.
 *
 *  1. KVM_HC_MAP_GPA_RANGE from ring 3 is refused by KVM itself (-1); a no-op request works.
 *  2. A shared pool (cvmmtest.cvm_pool_mib, default 16, 2 MiB aligned) is converted with one
 *     hypercall and reads as zero.  From then on rings live there and every other buffer is
 *     bounced through it (dma.h, virtq.c), also for the checks that run after this one.
 *  3. A page reads as zero after each change of side; a no-op request keeps its content.
 *  4. Bad requests: outside RAM or unknown attributes get -22 from cvmm; misaligned, empty and
 *     wrapping ranges get -22 from KVM without an exit.  cvmm keeps running.
 *  5. Conversion round trips, 4 KiB and 2 MiB (cvmmtest.cvm_time=4k,2m), timed with RDTSC around
 *     the hypercall (BENCH lines).
 *  6. virtio-blk: a data buffer, an indirect table, the rings, and a ring made private after
 *     set-up, each in private memory, must make the device set NEEDS_RESET; after a reset it
 *     works again.  Then a pattern goes private -> pool -> disk and back, and is compared.
 *  7. virtio-vsock: a transmit header, and a receive buffer the device must fill, in private
 *     memory: NEEDS_RESET each time, and a working reset.
 */
#include "tests/guest/blk.h"
#include "tests/guest/blk_check.h"
#include "tests/guest/cmdline.h"
#include "tests/guest/cvm.h"
#include "tests/guest/dma.h"
#include "tests/guest/guest.h"
#include "tests/guest/libc.h"
#include "tests/guest/printf.h"
#include "tests/guest/trap.h"

#define MIB        (1ULL << 20)
#define PAGE       4096ULL
#define BLOCK_2M   (2 * MIB)
#define HOLE_GPA   0xfec00000ULL /* never RAM (the memmap check insists) */
#define POLL_PAUSES 1000
#define RT_BYTES   (256 * 1024)  /* the bounced blk round trip */
#define RT_SEED    0xc0ffee

#define F_NEXT     VIRTQ_DESC_F_NEXT
#define F_WRITE    VIRTQ_DESC_F_WRITE

volatile uint64_t cvm_hc_cycles;
static bool use_vmmcall;

static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;

	asm volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return (uint64_t)hi << 32 | lo;
}

uint64_t cvm_hypercall_ring0(uint64_t gpa, uint64_t npages, uint64_t attrs)
{
	uint64_t ret = KVM_HC_MAP_GPA_RANGE, t0 = rdtsc_ordered();

	if (use_vmmcall)
		asm volatile("vmmcall" : "+a"(ret) : "b"(gpa), "c"(npages), "d"(attrs) : "memory");
	else
		asm volatile("vmcall" : "+a"(ret) : "b"(gpa), "c"(npages), "d"(attrs) : "memory");
	cvm_hc_cycles = rdtsc_ordered() - t0;
	return ret;
}

static uint64_t map_gpa(uint64_t gpa, uint64_t npages, uint64_t attrs)
{
	return syscall3(SYS_MAP_GPA, gpa, npages, attrs);
}

/* The same instruction at CPL 3: KVM must answer -KVM_EPERM without asking the VMM. */
static uint64_t hypercall_ring3(uint64_t gpa)
{
	uint64_t ret = KVM_HC_MAP_GPA_RANGE;

	if (use_vmmcall)
		asm volatile("vmmcall" : "+a"(ret) : "b"(gpa), "c"(1ULL), "d"(0ULL) : "memory");
	else
		asm volatile("vmcall" : "+a"(ret) : "b"(gpa), "c"(1ULL), "d"(0ULL) : "memory");
	return ret;
}

static bool opt(const char *key, uint64_t *v)
{
	return cmdline_get_u64(boot.cmdline, key, v);
}

static char msg[160];

#define FAILF(...) (snprintf(msg, sizeof(msg), __VA_ARGS__), (const char *)msg)

struct cvm {
	uint8_t *pool;
	uint64_t pool_bytes;
	uint64_t *scratch;  /* one private page */
	uint8_t *block;     /* a private 2 MiB block for timing */
	uint64_t ram_top;
	uint64_t cvmm_rejects; /* bad requests that reached cvmm */
};

static bool all_zero(const void *p, uint64_t len)
{
	const uint64_t *w = p;

	for (uint64_t i = 0; i < len / 8; i++)
		if (w[i])
			return false;
	return true;
}

static void fill_page(uint64_t *w, uint64_t v)
{
	for (unsigned i = 0; i < PAGE / 8; i++)
		w[i] = v;
}

static void pick_vendor(struct check_result *res)
{
	uint32_t a = 0, b, c, d;
	char v[13];

	asm volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
	memcpy(v, &b, 4);
	memcpy(v + 4, &d, 4);
	memcpy(v + 8, &c, 4);
	v[12] = 0;
	use_vmmcall = !memcmp(v, "AuthenticAMD", 12) || !memcmp(v, "HygonGenuine", 12);
	result_add(res, "%s", use_vmmcall ? "vmmcall" : "vmcall");
}

static const char *step_probe(struct cvm *s)
{
	uint64_t r = hypercall_ring3(dma_addr(s->scratch));

	if (r != HC_EPERM)
		return FAILF("ring 3 hypercall returned %ld, expected -1 (KVM_EPERM)", (long)r);
	r = map_gpa(dma_addr(s->scratch), 1, MAP_GPA_TO_PRIVATE);
	if (r == HC_ENOSYS)
		return "hypercall exit not enabled (-1000): not a --tee emulated VM?";
	if (r != HC_OK)
		return FAILF("private -> private (no-op) returned %ld", (long)r);
	return NULL;
}

static const char *step_pool(struct cvm *s, struct check_result *res)
{
	uint64_t r, t0, mib = 16;

	opt("cvmmtest.cvm_pool_mib", &mib);
	if (mib < 2 || mib % 2 || mib * MIB > DMA_POOL_MAX)
		return "cvm_pool_mib must be an even number of MiB, 2..256";
	s->pool_bytes = mib * MIB;
	s->pool = dma_alloc(s->pool_bytes, BLOCK_2M);
	if (!s->pool)
		return "no room for the shared pool";
	/* Private content that must not survive the conversion. */
	s->pool[0] = 0xa5;
	s->pool[s->pool_bytes / 2] = 0x5a;
	s->pool[s->pool_bytes - 1] = 0xc3;
	t0 = rdtsc_ordered();
	r = map_gpa(dma_addr(s->pool), s->pool_bytes / PAGE, MAP_GPA_PAGE_2M);
	t0 = rdtsc_ordered() - t0;
	if (r != HC_OK)
		return FAILF("converting the pool to shared returned %ld", (long)r);
	if (!all_zero(s->pool, s->pool_bytes))
		return "the pool does not read as zero after the conversion";
	if (!dma_shared_pool_init(s->pool, s->pool_bytes))
		return "pool unusable";
	result_add(res, "pool %lu MiB", mib);
	printf("  cvm: pool %lu MiB at 0x%lx shared in %lu cycles\n", mib, dma_addr(s->pool), t0);
	return NULL;
}

static const char *step_zero_each_way(struct cvm *s)
{
	uint64_t gpa = dma_addr(s->scratch), r;

	fill_page(s->scratch, 0x1111111111111111ULL);
	r = map_gpa(gpa, 1, 0);
	if (r != HC_OK)
		return FAILF("private -> shared returned %ld", (long)r);
	if (!all_zero(s->scratch, PAGE))
		return "a page converted to shared still holds its private data";
	fill_page(s->scratch, 0x2222222222222222ULL);
	r = map_gpa(gpa, 1, MAP_GPA_TO_PRIVATE);
	if (r != HC_OK)
		return FAILF("shared -> private returned %ld", (long)r);
	if (!all_zero(s->scratch, PAGE))
		return "a page converted to private still holds its shared data";
	fill_page(s->scratch, 0x3333333333333333ULL);
	r = map_gpa(gpa, 1, MAP_GPA_TO_PRIVATE);
	if (r != HC_OK || s->scratch[0] != 0x3333333333333333ULL ||
	    s->scratch[PAGE / 8 - 1] != 0x3333333333333333ULL)
		return "a no-op conversion changed the page";
	return NULL;
}

struct bad_request {
	const char *name;
	uint64_t gpa, npages, attrs;
	bool reaches_cvmm;
};

static const char *step_bad_requests(struct cvm *s, struct check_result *res)
{
	uint64_t page = dma_addr(s->scratch);
	const struct bad_request reqs[] = {
		{ "mmio-hole", HOLE_GPA, 1, 0, true },
		{ "past-ram", s->ram_top, 1, 0, true },
		{ "straddling-ram-end", s->ram_top - PAGE, 2, 0, true },
		{ "beyond-ram", page, 1ULL << 40, 0, true },
		{ "unknown-attrs", page, 1, 1ULL << 5, true },
		{ "misaligned", page + 8, 1, 0, false },
		{ "zero-pages", page, 0, 0, false },
		{ "wrapping", page, ~0ULL, 0, false },
	};
	unsigned by_kvm = 0;

	for (size_t i = 0; i < ARRAY_SIZE(reqs); i++) {
		uint64_t r = map_gpa(reqs[i].gpa, reqs[i].npages, reqs[i].attrs);

		if (r != HC_EINVAL)
			return FAILF("%s request returned %ld, expected -22", reqs[i].name, (long)r);
		s->cvmm_rejects += reqs[i].reaches_cvmm;
		by_kvm += !reqs[i].reaches_cvmm;
	}
	/* Still served afterwards. */
	if (map_gpa(page, 1, 0) != HC_OK || map_gpa(page, 1, MAP_GPA_TO_PRIVATE) != HC_OK)
		return "conversions fail after the bad requests";
	printf("  cvm: bad requests answered -22: %lu by cvmm (MMIO hole, past/straddling the end "
	       "of RAM at 0x%lx, 2^40 pages, unknown attributes), %u by KVM (misaligned, 0 pages, "
	       "wrapping)\n", s->cvmm_rejects, s->ram_top, by_kvm);
	result_add(res, "%zu bad requests -22", ARRAY_SIZE(reqs));
	return NULL;
}

/* Round trips of one range: to shared and back, `rounds` times; BENCH line per size. */
static const char *time_round_trips(const char *label, uint64_t gpa, uint64_t npages,
				    uint64_t hint, uint64_t rounds)
{
	uint64_t hc = 0, hc_min = ~0ULL, t0, total, khz = 0;

	t0 = rdtsc_ordered();
	for (uint64_t i = 0; i < 2 * rounds; i++) {
		uint64_t attrs = hint | (i & 1 ? MAP_GPA_TO_PRIVATE : 0);

		if (map_gpa(gpa, npages, attrs) != HC_OK)
			return FAILF("%s conversion %lu failed", label, i);
		hc += cvm_hc_cycles;
		if (cvm_hc_cycles < hc_min)
			hc_min = cvm_hc_cycles;
	}
	total = rdtsc_ordered() - t0;
	printf("BENCH cvm-convert size=%s conversions=%lu hc_cycles=%lu hc_min_cycles=%lu "
	       "total_cycles=%lu", label, 2 * rounds, hc, hc_min, total);
	if (opt("cvmmtest.tsc_khz", &khz) && khz)
		printf(" hc_ns_avg=%lu total_ns_avg=%lu", hc * 1000000 / khz / (2 * rounds),
		       total * 1000000 / khz / (2 * rounds));
	printf("\n");
	return NULL;
}

static const char *step_timing(struct cvm *s, struct check_result *res)
{
	uint64_t rounds = 100;
	const char *why = NULL, *sizes = "4k,2m";
	size_t len = 5;

	opt("cvmmtest.cvm_rounds", &rounds);
	if (rounds == 0 || rounds > 1000000)
		return "cvm_rounds must be 1..1000000";
	cmdline_get(boot.cmdline, "cvmmtest.cvm_time", &sizes, &len);
	if (list_contains(sizes, len, "4k"))
		why = time_round_trips("4k", dma_addr(s->scratch), 1, 0, rounds);
	if (!why && list_contains(sizes, len, "2m"))
		why = time_round_trips("2m", dma_addr(s->block), BLOCK_2M / PAGE, MAP_GPA_PAGE_2M,
				       rounds);
	if (!why)
		result_add(res, "%lu round trips timed", rounds);
	return why;
}

/* NULL when the device set NEEDS_RESET; an explanation when q completed a chain instead. */
static const char *await_needs_reset(struct virtio_mmio_dev *dev, struct gvirtq *q)
{
	uint64_t polls = spin_limit / POLL_PAUSES + 1;
	uint32_t used;

	for (uint64_t i = 0; i < polls; i++) {
		if (gvirtio_status(dev) & VIRTIO_STATUS_NEEDS_RESET)
			return NULL;
		if (q && gvirtq_get(q, &used) != -1)
			return "the device served it";
		for (int k = 0; k < POLL_PAUSES; k++)
			cpu_relax();
	}
	return FAILF("no NEEDS_RESET (status 0x%x)", gvirtio_status(dev));
}

/* The blk cases share a header, a status byte and a sector in the pool. */
struct blk_bits {
	struct gblk_hdr *hdr;
	uint8_t *status;
	uint8_t *sector;     /* shared */
	uint8_t *priv;       /* three private pages */
};

static void blk_raw_read(struct gblk *b, struct blk_bits *x, uint64_t data_gpa)
{
	*x->hdr = (struct gblk_hdr){ .type = VIRTIO_BLK_T_IN };
	gvirtq_raw_desc(&b->q, 0, dma_addr(x->hdr), 16, F_NEXT, 1);
	gvirtq_raw_desc(&b->q, 1, data_gpa, BLK_SECTOR, F_WRITE | F_NEXT, 2);
	gvirtq_raw_desc(&b->q, 2, dma_addr(x->status), 1, F_WRITE, 0);
	gvirtq_raw_publish(&b->q, 0);
}

/* Header and status shared, the data buffer private: a partially private chain. */
static const char *blk_private_data(struct gblk *b, struct virtio_mmio_dev *dev,
				    struct blk_bits *x)
{
	blk_raw_read(b, x, dma_addr(x->priv));
	return await_needs_reset(dev, &b->q);
}

/* Every buffer shared, the indirect table that lists them private. */
static const char *blk_private_indirect(struct gblk *b, struct virtio_mmio_dev *dev,
					struct blk_bits *x)
{
	struct vring_desc *t = (struct vring_desc *)x->priv;

	if (!gblk_has(b, VIRTIO_F_INDIRECT_DESC))
		return "INDIRECT_DESC not negotiated";
	*x->hdr = (struct gblk_hdr){ .type = VIRTIO_BLK_T_IN };
	t[0] = (struct vring_desc){ dma_addr(x->hdr), 16, F_NEXT, 1 };
	t[1] = (struct vring_desc){ dma_addr(x->sector), BLK_SECTOR, F_WRITE | F_NEXT, 2 };
	t[2] = (struct vring_desc){ dma_addr(x->status), 1, F_WRITE, 0 };
	gvirtq_raw_desc(&b->q, 0, dma_addr(t), 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	gvirtq_raw_publish(&b->q, 0);
	return await_needs_reset(dev, &b->q);
}

static void write_queue_addr(struct virtio_mmio_dev *dev, uint32_t lo_reg, uint64_t v)
{
	vmmio_write32(dev, lo_reg, (uint32_t)v);
	vmmio_write32(dev, lo_reg + 4, (uint32_t)(v >> 32));
}

/* QueueReady with all three rings in private pages must not take. */
static const char *blk_private_rings(struct gblk *b, struct virtio_mmio_dev *dev,
				     struct blk_bits *x)
{
	uint64_t got;
	const char *why = gvirtio_negotiate(dev, 0, &got);

	(void)b;
	if (why)
		return why;
	vmmio_write32(dev, VIRTIO_MMIO_QUEUE_SEL, 0);
	vmmio_write32(dev, VIRTIO_MMIO_QUEUE_NUM, 16);
	write_queue_addr(dev, VIRTIO_MMIO_QUEUE_DESC_LOW, dma_addr(x->priv));
	write_queue_addr(dev, VIRTIO_MMIO_QUEUE_DRIVER_LOW, dma_addr(x->priv + PAGE));
	write_queue_addr(dev, VIRTIO_MMIO_QUEUE_DEVICE_LOW, dma_addr(x->priv + 2 * PAGE));
	vmmio_write32(dev, VIRTIO_MMIO_QUEUE_READY, 1);
	if (vmmio_read32(dev, VIRTIO_MMIO_QUEUE_READY))
		return "QueueReady accepted rings in private memory";
	return await_needs_reset(dev, NULL);
}

/* A live queue whose avail ring the guest then converts to private: the next kick must fail. */
static const char *blk_ring_turned_private(struct gblk *b, struct virtio_mmio_dev *dev,
					   struct blk_bits *x)
{
	uint64_t ring_page = dma_addr((const void *)b->q.avail) & ~(PAGE - 1);
	const char *why;

	(void)x;
	if (map_gpa(ring_page, 1, MAP_GPA_TO_PRIVATE) != HC_OK)
		return "converting the avail ring's page to private failed";
	if (gblk_submit(b, VIRTIO_BLK_T_IN, 0, x->priv, BLK_SECTOR, true) < 0)
		why = "could not queue the request";
	else {
		gblk_kick(b);
		why = await_needs_reset(dev, &b->q);
	}
	if (map_gpa(ring_page, 1, 0) != HC_OK)
		return "converting the ring's page back to shared failed";
	return why;
}

/* A pattern written from private memory through the pool, flushed, read back and compared. */
static const char *blk_round_trip(struct gblk *b)
{
	uint32_t chunk = 64 * 1024;
	uint8_t *wbuf = dma_alloc(RT_BYTES, PAGE), *rbuf = dma_alloc(RT_BYTES, PAGE);
	struct dma_bounce_stats st0, st1;
	const char *why;
	uint8_t st;

	if (!wbuf || !rbuf)
		return "out of memory";
	if (b->size_max && b->size_max < chunk)
		chunk = b->size_max & ~(BLK_SECTOR - 1);
	if (!chunk)
		return "SIZE_MAX below one sector";
	if (gblk_has(b, VIRTIO_BLK_F_RO))
		return "the drive is read-only";
	if (b->capacity < RT_BYTES / BLK_SECTOR)
		return "the drive is smaller than 256 KiB";
	dma_bounce_get_stats(&st0);
	gblk_pattern_fill(RT_SEED, 0, wbuf, RT_BYTES);
	for (uint32_t off = 0; off < RT_BYTES; off += chunk) {
		uint32_t n = RT_BYTES - off < chunk ? RT_BYTES - off : chunk;

		if (gblk_do(b, VIRTIO_BLK_T_OUT, off / BLK_SECTOR, wbuf + off, n, false, &st,
			    &why) < 0)
			return why;
		if (st != VIRTIO_BLK_S_OK)
			return "a bounced write failed";
	}
	if (gblk_has(b, VIRTIO_BLK_F_FLUSH) &&
	    (gblk_do(b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false, &st, &why) < 0 ||
	     st != VIRTIO_BLK_S_OK))
		return "flush failed";
	for (uint32_t off = 0; off < RT_BYTES; off += chunk) {
		uint32_t n = RT_BYTES - off < chunk ? RT_BYTES - off : chunk;

		if (gblk_do(b, VIRTIO_BLK_T_IN, off / BLK_SECTOR, rbuf + off, n, true, &st,
			    &why) < 0)
			return why;
		if (st != VIRTIO_BLK_S_OK)
			return "a bounced read failed";
	}
	if (gblk_pattern_check(RT_SEED, 0, rbuf, RT_BYTES) >= 0)
		return "the data read back differs from what was written";
	dma_bounce_get_stats(&st1);
	if (st1.bytes_out - st0.bytes_out < RT_BYTES || st1.bytes_in - st0.bytes_in < RT_BYTES)
		return "the data did not go through the pool";
	return NULL;
}

struct dev_case {
	const char *name;
	const char *(*run)(struct gblk *b, struct virtio_mmio_dev *dev, struct blk_bits *x);
};

static const char *step_blk(struct check_result *res)
{
	static const struct dev_case cases[] = {
		{ "private-data", blk_private_data },
		{ "private-indirect-table", blk_private_indirect },
		{ "private-rings", blk_private_rings },
		{ "ring-made-private", blk_ring_turned_private },
	};
	static struct virtio_mmio_dev dev;
	static struct gblk b;
	struct check_result sub = { .len = 0 };
	struct blk_bits x = {
		.hdr = dma_alloc_coherent(16, 16),
		.status = dma_alloc_coherent(1, 16),
		.sector = dma_alloc_coherent(BLK_SECTOR, BLK_SECTOR),
		.priv = dma_alloc(3 * PAGE, PAGE),
	};
	const char *why;

	if (!x.hdr || !x.status || !x.sector || !x.priv)
		return "out of memory";
	if (!blk_pick_device(&dev, &sub))
		return FAILF("blk: %s", sub.detail);
	why = gblk_recover(&b, &dev, x.priv);
	if (why)
		return FAILF("blk: %s", why);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		why = cases[i].run(&b, &dev, &x);
		printf("  cvm: blk %s: %s\n", cases[i].name, why ? why : "refused, NEEDS_RESET");
		if (why)
			return FAILF("blk %s: %s", cases[i].name, why);
		why = gblk_recover(&b, &dev, x.priv);
		if (why)
			return FAILF("blk %s: after the reset: %s", cases[i].name, why);
	}
	why = blk_round_trip(&b);
	gvirtio_reset(&dev);
	if (why)
		return FAILF("blk round trip: %s", why);
	result_add(res, "blk: %zu private refused, %u KiB bounced",
		   ARRAY_SIZE(cases), RT_BYTES / 1024);
	return NULL;
}

/* virtio-vsock header (virtio 1.2, 5.10.6). */
struct vsock_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} __attribute__((packed));

#define VSOCK_HDR_BYTES 44
#define VSOCK_OP_REQUEST 1
#define VSOCK_NOBODY_PORT 0x7ffffff0U /* no host listener: the device answers RST */

struct vsock_q {
	struct virtio_mmio_dev dev;
	struct gvirtq rx, tx, ev;
	uint64_t cid;
};

static const char *vsock_start(struct vsock_q *v)
{
	uint64_t got;
	const char *why = gvirtio_negotiate(&v->dev, 0, &got);

	if (why)
		return why;
	v->cid = vmmio_read32(&v->dev, VIRTIO_MMIO_CONFIG) |
		 (uint64_t)vmmio_read32(&v->dev, VIRTIO_MMIO_CONFIG + 4) << 32;
	why = gvirtq_setup(&v->rx, &v->dev, 0, 16, false);
	if (!why)
		why = gvirtq_setup(&v->tx, &v->dev, 1, 16, false);
	if (!why)
		why = gvirtq_setup(&v->ev, &v->dev, 2, 4, false);
	if (why)
		return why;
	gvirtio_driver_ok(&v->dev);
	return NULL;
}

static void vsock_request(struct vsock_q *v, struct vsock_hdr *h)
{
	*h = (struct vsock_hdr){
		.src_cid = v->cid, .dst_cid = 2, .src_port = 0x40000001, .dst_port =
		VSOCK_NOBODY_PORT, .type = 1, .op = VSOCK_OP_REQUEST, .buf_alloc = 65536,
	};
}

static const char *step_vsock(struct check_result *res)
{
	static struct virtio_mmio_dev devs[VIRTIO_MMIO_MAX];
	static struct vsock_q v;
	struct vsock_hdr *priv = dma_alloc(PAGE, PAGE);
	struct vsock_hdr *shared = dma_alloc_coherent(VSOCK_HDR_BYTES, 64);
	const char *why;
	int n;

	if (!priv || !shared)
		return "out of memory";
	n = virtio_mmio_discover(boot.cmdline, devs, VIRTIO_MMIO_MAX, msg, sizeof(msg));
	for (int i = 0; i < n && !v.dev.base; i++)
		if (virtio_mmio_probe(&devs[i]) && devs[i].device_id == VIRTIO_ID_VSOCK)
			v.dev = devs[i];
	if (!v.dev.base)
		return NULL; /* reported as not applicable by the caller */

	/* A transmit header in private memory. */
	why = vsock_start(&v);
	if (why)
		return FAILF("vsock: %s", why);
	vsock_request(&v, priv);
	gvirtq_raw_desc(&v.tx, 0, dma_addr(priv), VSOCK_HDR_BYTES, 0, 0);
	gvirtq_raw_publish(&v.tx, 0);
	why = await_needs_reset(&v.dev, &v.tx);
	printf("  cvm: vsock private-tx-header: %s\n", why ? why : "refused, NEEDS_RESET");
	if (why)
		return FAILF("vsock private tx header: %s", why);

	/* A receive buffer in private memory, and a request the device must answer (RST). */
	why = vsock_start(&v);
	if (why)
		return FAILF("vsock after reset: %s", why);
	gvirtq_raw_desc(&v.rx, 0, dma_addr(priv), (uint32_t)PAGE, F_WRITE, 0);
	gvirtq_raw_publish(&v.rx, 0);
	vsock_request(&v, shared);
	if (gvirtq_add(&v.tx, &(struct gbuf){ shared, VSOCK_HDR_BYTES, false }, 1) < 0)
		return "vsock: cannot queue the request";
	gvirtq_kick(&v.tx);
	why = await_needs_reset(&v.dev, &v.rx);
	printf("  cvm: vsock private-rx-buffer: %s\n", why ? why : "refused, NEEDS_RESET");
	if (why)
		return FAILF("vsock private rx buffer: %s", why);

	/* Working again: the same request with a shared (bounced) buffer gets its RST. */
	why = vsock_start(&v);
	if (why)
		return FAILF("vsock after reset: %s", why);
	memset(priv, 0, PAGE);
	if (gvirtq_add(&v.rx, &(struct gbuf){ priv, (uint32_t)PAGE, true }, 1) < 0)
		return "vsock: cannot queue a receive buffer";
	gvirtq_kick(&v.rx);
	vsock_request(&v, shared);
	if (gvirtq_add(&v.tx, &(struct gbuf){ shared, VSOCK_HDR_BYTES, false }, 1) < 0)
		return "vsock: cannot queue the request";
	gvirtq_kick(&v.tx);
	if (gvirtq_wait(&v.rx, NULL) < 0)
		why = "no answer to a request after the reset";
	else if (priv->op != 3 /* RST */ || priv->dst_port != 0x40000001)
		why = "the answer after the reset is not the expected RST";
	gvirtio_reset(&v.dev);
	if (why)
		return FAILF("vsock: %s", why);
	result_add(res, "vsock: 2 private refused");
	return NULL;
}

static uint64_t ram_top(void)
{
	uint64_t top = 0;

	for (uint32_t i = 0; i < boot.map_entries; i++) {
		const struct mem_region *r = &boot.map[i];

		if (r->type == MEM_RAM && r->addr + r->size > top)
			top = r->addr + r->size;
	}
	return top;
}

bool check_cvm(struct check_result *res)
{
	static struct cvm s;
	const char *why;

	pick_vendor(res);
	s.ram_top = ram_top() & ~(PAGE - 1);
	s.scratch = dma_alloc(PAGE, PAGE);
	s.block = dma_alloc(BLOCK_2M, BLOCK_2M);
	if (!s.scratch || !s.block || s.ram_top < PAGE) {
		result_add(res, "no memory to work with");
		return false;
	}
	why = step_probe(&s);
	if (!why)
		why = step_pool(&s, res);
	if (!why)
		why = step_zero_each_way(&s);
	if (!why)
		result_add(res, "zero after each conversion");
	if (!why)
		why = step_bad_requests(&s, res);
	if (!why)
		why = step_timing(&s, res);
	if (!why && blk_present())
		why = step_blk(res);
	if (!why)
		why = step_vsock(res);
	if (why) {
		result_add(res, "%s", why);
		return false;
	}
	printf("  cvm: bad requests cvmm must have rejected: %lu\n", s.cvmm_rejects);
	return true;
}
