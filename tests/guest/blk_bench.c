// SPDX-License-Identifier: MIT
/*
 * blkbench: virtio-blk throughput phases for a host-side benchmark (scripts/bench_blk.py).  Runs
 * only when named in cvmmtest.only.  cvmmtest.blkbench=PHASE:COUNT,... where PHASE is
 * (randread|seqread|randwrite|seqwrite)-<KiB>k-qd<depth>, e.g. randread-4k-qd32:50000.  Each
 * phase prints, with nothing else in between:
 *
 *   BENCH begin <phase>            (the requests start right after this line)
 *   BENCH end <phase>              (printed as soon as the last request completed)
 *   BENCH result <phase> ios=N bytes=N notifications=N batches=N errors=N tsc=N
 *
 * The host times the phase and samples the VMM between the first two lines; notifications are
 * the guest's QueueNotify writes (exits), tsc the guest's RDTSC delta.
 */
#include "tests/guest/blk.h"
#include "tests/guest/blk_check.h"
#include "tests/guest/cmdline.h"
#include "tests/guest/guest.h"
#include "tests/guest/libc.h"
#include "tests/guest/printf.h"

#define DEFAULT_PHASES "randread-4k-qd1:2000,randread-4k-qd32:20000,seqread-64k-qd32:4000," \
	"seqwrite-64k-qd32:4000"

struct phase {
	char name[40];
	bool random, write;
	uint32_t io_bytes;
	unsigned depth;
	uint64_t count;
};

struct bench_ctx {
	uint64_t rng;
	uint64_t slots;      /* request-sized slots in the drive */
	uint32_t io_sectors;
	bool random;
	uint64_t errors;
};

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void bench_prepare(void *opaque, uint64_t n, uint64_t *sector, void *buf)
{
	struct bench_ctx *c = opaque;
	uint64_t slot = c->random ? xorshift64(&c->rng) % c->slots : n % c->slots;

	(void)buf; /* writes carry whatever the buffer holds: the data is not the point */
	*sector = slot * c->io_sectors;
}

static bool bench_complete(void *opaque, uint64_t n, uint64_t sector, void *buf, uint8_t status,
			   uint32_t used_len)
{
	struct bench_ctx *c = opaque;

	(void)n;
	(void)sector;
	(void)buf;
	(void)used_len;
	if (status != VIRTIO_BLK_S_OK)
		c->errors++;
	return true;
}

static bool take_number(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;

	while (*p < end && **p >= '0' && **p <= '9')
		(*p)++;
	return *p > s && parse_u64(s, (size_t)(*p - s), out);
}

/* "randread-4k-qd32:20000" */
static bool parse_phase(const char *s, size_t len, struct phase *ph)
{
	static const struct {
		const char *word;
		bool random, write;
	} kinds[] = {
		{ "randread-", true, false }, { "seqread-", false, false },
		{ "randwrite-", true, true }, { "seqwrite-", false, true },
	};
	const char *p = s, *end = s + len, *colon;
	uint64_t kib, depth;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		size_t n = strlen(kinds[i].word);

		if (len > n && !memcmp(s, kinds[i].word, n)) {
			p = s + n;
			break;
		}
	}
	if (i == ARRAY_SIZE(kinds))
		return false;
	for (colon = s; colon < end && *colon != ':'; colon++)
		;
	if (colon == end || (size_t)(colon - s) >= sizeof(ph->name))
		return false;
	if (!take_number(&p, end, &kib) || p + 3 > end || memcmp(p, "k-q", 3))
		return false;
	p += 3;
	if (p >= end || *p++ != 'd' || !take_number(&p, end, &depth) || p != colon)
		return false;
	p++;
	if (!take_number(&p, end, &ph->count) || p != end)
		return false;
	if (kib == 0 || kib > 1024 || depth == 0 || depth > GBLK_MAX_DEPTH || !ph->count)
		return false;
	memcpy(ph->name, s, (size_t)(colon - s));
	ph->name[colon - s] = 0;
	ph->random = kinds[i].random;
	ph->write = kinds[i].write;
	ph->io_bytes = (uint32_t)kib * 1024;
	ph->depth = (unsigned)depth;
	return true;
}

static bool run_phase(struct gblk *b, const struct phase *ph, struct check_result *res)
{
	struct bench_ctx c = {
		.rng = 0x2545f4914f6cdd1dULL,
		.io_sectors = ph->io_bytes / BLK_SECTOR,
		.random = ph->random,
	};
	struct gblk_stream s = {
		.type = ph->write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
		.io_bytes = ph->io_bytes,
		.depth = ph->depth,
		.count = ph->count,
		.prepare = bench_prepare,
		.complete = bench_complete,
		.ctx = &c,
	};
	uint64_t kicks = b->kicks, t0, t1;
	const char *why;

	c.slots = b->capacity / c.io_sectors;
	if (!c.slots) {
		result_add(res, "%s: drive smaller than one request", ph->name);
		return false;
	}
	printf("BENCH begin %s\n", ph->name);
	t0 = rdtsc();
	why = gblk_stream_run(b, &s);
	t1 = rdtsc();
	printf("BENCH end %s\n", ph->name);
	printf("BENCH result %s ios=%lu bytes=%lu notifications=%lu batches=%lu errors=%lu "
	       "tsc=%lu\n", ph->name, ph->count, ph->count * ph->io_bytes, b->kicks - kicks,
	       s.batches, c.errors, t1 - t0);
	if (why || c.errors) {
		result_add(res, "%s: %s", ph->name, why ? why : "requests failed");
		return false;
	}
	return true;
}

bool check_blkbench(struct check_result *res)
{
	static struct virtio_mmio_dev dev;
	static struct gblk b;
	const char *list = DEFAULT_PHASES, *why;
	size_t len = strlen(DEFAULT_PHASES), i = 0;
	unsigned phases = 0;

	if (!blk_pick_device(&dev, res))
		return false;
	cmdline_get(boot.cmdline, "cvmmtest.blkbench", &list, &len);
	why = gblk_init(&b, &dev);
	if (why) {
		result_add(res, "init: %s", why);
		return false;
	}
	while (i < len) {
		struct phase ph;
		size_t j = i;

		while (j < len && list[j] != ',')
			j++;
		if (!parse_phase(list + i, j - i, &ph)) {
			result_add(res, "bad phase \"%.*s\"", (int)(j - i), list + i);
			return false;
		}
		if (gblk_has(&b, VIRTIO_BLK_F_RO) && ph.write) {
			result_add(res, "%s on a read-only drive", ph.name);
			return false;
		}
		if (!run_phase(&b, &ph, res))
			return false;
		phases++;
		i = j + 1;
	}
	gvirtio_reset(&dev);
	result_add(res, "%u phases", phases);
	return true;
}
