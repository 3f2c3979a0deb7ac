// SPDX-License-Identifier: MIT
/*
 * blk: data path and request semantics of a virtio-blk device.  Writable drive: a seeded pattern
 * over the first blk_mib MiB (batched OUT streams), FLUSH, read back and compare, GET_ID, requests
 * past the capacity, WRITE_ZEROES and DISCARD on the last 64 KiB (left zeroed).  Read-only drive
 * (blk_ro=1): RO offered, OUT answered IOERR, reads work (and match the pattern with blk_seed).
 */
#include "tests/guest/blk.h"
#include "tests/guest/blk_check.h"
#include "tests/guest/cmdline.h"
#include "tests/guest/dma.h"
#include "tests/guest/guest.h"
#include "tests/guest/libc.h"
#include "tests/guest/printf.h"

#define SCRATCH_SECTORS 128ULL /* 64 KiB at the end of the drive */
#define STREAM_DEPTH    16

struct verify_ctx {
	uint64_t seed;
	uint32_t io_bytes;
	uint64_t bad;            /* requests with a wrong status, length or content */
	int64_t first_bad;       /* byte offset of the first wrong byte, or -1 */
	uint8_t bad_status;
};

static void prepare_seq(void *ctx, uint64_t n, uint64_t *sector, void *buf)
{
	struct verify_ctx *v = ctx;

	*sector = n * (v->io_bytes / BLK_SECTOR);
	gblk_pattern_fill(v->seed, n * v->io_bytes, buf, v->io_bytes);
}

static void prepare_seq_read(void *ctx, uint64_t n, uint64_t *sector, void *buf)
{
	struct verify_ctx *v = ctx;

	*sector = n * (v->io_bytes / BLK_SECTOR);
	memset(buf, 0, v->io_bytes);
}

static bool complete_write(void *ctx, uint64_t n, uint64_t sector, void *buf, uint8_t status,
			   uint32_t used_len)
{
	struct verify_ctx *v = ctx;

	(void)n;
	(void)buf;
	(void)used_len;
	if (status != VIRTIO_BLK_S_OK) {
		if (!v->bad++) {
			v->first_bad = (int64_t)(sector * BLK_SECTOR);
			v->bad_status = status;
		}
	}
	return true;
}

static bool complete_verify(void *ctx, uint64_t n, uint64_t sector, void *buf, uint8_t status,
			    uint32_t used_len)
{
	struct verify_ctx *v = ctx;
	int64_t at = -1;

	if (status == VIRTIO_BLK_S_OK && used_len == v->io_bytes + 1)
		at = gblk_pattern_check(v->seed, n * v->io_bytes, buf, v->io_bytes);
	else
		at = 0;
	if (at >= 0 && !v->bad++) {
		v->first_bad = (int64_t)(sector * BLK_SECTOR) + at;
		v->bad_status = status;
	}
	return true;
}

/* The largest power-of-two request size up to 64 KiB the device takes in one buffer. */
static uint32_t stream_io_bytes(const struct gblk *b)
{
	uint32_t io = 65536;

	while (b->size_max && io > b->size_max && io > BLK_SECTOR)
		io /= 2;
	return io;
}

static const char *pattern_stream(struct gblk *b, uint32_t type, uint64_t seed, uint64_t bytes,
				  struct verify_ctx *v, uint64_t *requests)
{
	struct gblk_stream s = {
		.type = type,
		.io_bytes = stream_io_bytes(b),
		.depth = STREAM_DEPTH,
		.ctx = v,
	};

	*v = (struct verify_ctx){ .seed = seed, .io_bytes = s.io_bytes, .first_bad = -1 };
	s.count = bytes / s.io_bytes;
	s.prepare = type == VIRTIO_BLK_T_OUT ? prepare_seq : prepare_seq_read;
	s.complete = type == VIRTIO_BLK_T_OUT ? complete_write : complete_verify;
	*requests = s.count;
	return gblk_stream_run(b, &s);
}

bool blk_pick_device(struct virtio_mmio_dev *dev, struct check_result *res)
{
	static struct virtio_mmio_dev devs[VIRTIO_MMIO_MAX];
	const char *why = NULL;
	uint64_t index = 0;
	int n;

	n = gblk_find(devs, VIRTIO_MMIO_MAX, &why);
	if (n < 0) {
		result_add(res, "%s", why);
		return false;
	}
	cmdline_get_u64(boot.cmdline, "cvmmtest.blk_dev", &index);
	if (index >= (uint64_t)n) {
		result_add(res, "blk_dev=%lu but %d virtio-blk device%s", index, n,
			   n == 1 ? "" : "s");
		return false;
	}
	*dev = devs[index];
	return true;
}

bool blk_present(void)
{
	static struct virtio_mmio_dev devs[1];
	const char *why;

	return gblk_find(devs, 1, &why) > 0;
}

/* GET_ID against cvmmtest.blk_id (when given); the id goes into the detail. */
static bool check_get_id(struct gblk *b, struct check_result *res)
{
	static char id[VIRTIO_BLK_ID_BYTES];
	const char *want, *why;
	size_t want_len, len;
	uint8_t st;

	memset(id, 0x5a, sizeof(id));
	if (gblk_do(b, VIRTIO_BLK_T_GET_ID, 0, id, sizeof(id), true, &st, &why) < 0) {
		result_add(res, "GET_ID: %s", why);
		return false;
	}
	if (st != VIRTIO_BLK_S_OK) {
		result_add(res, "GET_ID: status %u", st);
		return false;
	}
	len = strnlen(id, sizeof(id));
	result_add(res, "id \"%.*s\"", (int)len, id);
	if (!cmdline_get(boot.cmdline, "cvmmtest.blk_id", &want, &want_len))
		return true;
	/* The id ends at the first NUL (none when it is 20 bytes long); QEMU writes no padding. */
	if (want_len > sizeof(id) || len != want_len || memcmp(id, want, len)) {
		result_add(res, "expected id \"%.*s\"", (int)want_len, want);
		return false;
	}
	return true;
}

/* Requests that reach past the capacity must fail with IOERR. */
static bool check_past_end(struct gblk *b, bool writable, struct check_result *res)
{
	static uint8_t buf[2 * BLK_SECTOR] __attribute__((aligned(4096)));
	struct {
		uint32_t type;
		uint64_t sector;
		uint32_t len;
	} cases[] = {
		{ VIRTIO_BLK_T_IN, b->capacity, BLK_SECTOR },
		{ VIRTIO_BLK_T_IN, b->capacity - 1, 2 * BLK_SECTOR },
		{ VIRTIO_BLK_T_IN, ~0ULL, BLK_SECTOR },
		{ VIRTIO_BLK_T_OUT, b->capacity - 1, 2 * BLK_SECTOR },
	};
	const char *why;
	uint8_t st;

	memset(buf, 0xa5, sizeof(buf));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		bool out = cases[i].type == VIRTIO_BLK_T_OUT;

		if (out && !writable)
			continue;
		if (gblk_do(b, cases[i].type, cases[i].sector, buf, cases[i].len, !out, &st,
			    &why) < 0) {
			result_add(res, "past the end: %s", why);
			return false;
		}
		if (st != VIRTIO_BLK_S_IOERR) {
			result_add(res, "%s of %u bytes at sector %lu (capacity %lu): status %u, "
				   "want IOERR", out ? "OUT" : "IN", cases[i].len, cases[i].sector,
				   b->capacity, st);
			return false;
		}
	}
	result_add(res, "past-end IOERR");
	return true;
}

static bool all_zero(const uint8_t *p, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static bool simple_io(struct gblk *b, uint32_t type, uint64_t sector, void *data, uint32_t len,
		      const char *what, struct check_result *res)
{
	const char *why;
	uint8_t st;

	if (gblk_do(b, type, sector, data, len, type == VIRTIO_BLK_T_IN, &st, &why) < 0) {
		result_add(res, "%s: %s", what, why);
		return false;
	}
	if (st != VIRTIO_BLK_S_OK) {
		result_add(res, "%s: status %u", what, st);
		return false;
	}
	return true;
}

static bool dwz(struct gblk *b, uint32_t type, uint64_t sector, uint32_t n, uint32_t flags,
		uint8_t want, const char *what, struct check_result *res)
{
	static struct gblk_dwz_seg seg __attribute__((aligned(64)));
	const char *why;
	uint8_t st;

	seg = (struct gblk_dwz_seg){ .sector = sector, .num_sectors = n, .flags = flags };
	if (gblk_do(b, type, 0, &seg, sizeof(seg), false, &st, &why) < 0) {
		result_add(res, "%s: %s", what, why);
		return false;
	}
	if (st != want) {
		result_add(res, "%s: status %u, want %u", what, st, want);
		return false;
	}
	return true;
}

/*
 * The last 64 KiB: filled with non-zero data, then WRITE_ZEROES on the first half, DISCARD and
 * WRITE_ZEROES with UNMAP on the second; both must read back as zeroes.  Without WRITE_ZEROES the
 * discarded half is zeroed with OUT, so the region always ends up zero.
 */
static bool check_scratch(struct gblk *b, struct check_result *res)
{
	bool wz = gblk_has(b, VIRTIO_BLK_F_WRITE_ZEROES), dis = gblk_has(b, VIRTIO_BLK_F_DISCARD);
	uint64_t start = (b->capacity - SCRATCH_SECTORS) & ~7ULL, half = SCRATCH_SECTORS / 2;
	uint32_t bytes = SCRATCH_SECTORS * BLK_SECTOR;
	uint8_t *buf;

	if (!wz && !dis)
		return true;
	if (wz && gblk_config32(b, 48) < half) {
		result_add(res, "max_write_zeroes_sectors %u < %lu", gblk_config32(b, 48), half);
		return false;
	}
	buf = dma_alloc(bytes, 4096);
	if (!buf) {
		result_add(res, "out of DMA memory");
		return false;
	}
	gblk_pattern_fill(~0ULL, 0, buf, bytes);
	if (!simple_io(b, VIRTIO_BLK_T_OUT, start, buf, bytes, "scratch OUT", res))
		return false;
	if (wz && !dwz(b, VIRTIO_BLK_T_WRITE_ZEROES, start, (uint32_t)half, 0, VIRTIO_BLK_S_OK,
		       "WRITE_ZEROES", res))
		return false;
	if (dis && !dwz(b, VIRTIO_BLK_T_DISCARD, start + half, (uint32_t)half, 0, VIRTIO_BLK_S_OK,
			"DISCARD", res))
		return false;
	if (wz) {
		if (!dwz(b, VIRTIO_BLK_T_WRITE_ZEROES, start + half, (uint32_t)half, 1,
			 VIRTIO_BLK_S_OK, "WRITE_ZEROES unmap", res))
			return false;
		if (!dwz(b, VIRTIO_BLK_T_WRITE_ZEROES, b->capacity, 8, 0, VIRTIO_BLK_S_IOERR,
			 "WRITE_ZEROES past the end", res))
			return false;
	} else {
		memset(buf, 0, bytes);
		if (!simple_io(b, VIRTIO_BLK_T_OUT, start + half, buf, bytes / 2, "zeroing OUT",
			       res))
			return false;
	}
	memset(buf, 0xee, bytes);
	if (!simple_io(b, VIRTIO_BLK_T_IN, start, buf, bytes, "scratch IN", res))
		return false;
	if (!all_zero(buf, bytes)) {
		result_add(res, "zeroed range does not read back as zeroes");
		return false;
	}
	result_add(res, "%s%s%s zeroes", wz ? "write-zeroes" : "", wz && dis ? "+" : "",
		   dis ? "discard" : "");
	return true;
}

static bool report_stream(const char *what, const char *why, const struct verify_ctx *v,
			  struct check_result *res)
{
	if (why) {
		result_add(res, "%s: %s", what, why);
		return false;
	}
	if (v->bad) {
		result_add(res, "%s: %lu bad requests, first at byte %ld (status %u)", what, v->bad,
			   v->first_bad, v->bad_status);
		return false;
	}
	return true;
}

static bool check_rw(struct gblk *b, uint64_t mib, uint64_t seed, struct check_result *res)
{
	uint64_t bytes = mib << 20, reqs, need = mib * 2048;
	struct verify_ctx v;
	const char *why;
	uint64_t kicks;

	if (gblk_has(b, VIRTIO_BLK_F_DISCARD) || gblk_has(b, VIRTIO_BLK_F_WRITE_ZEROES))
		need += SCRATCH_SECTORS + 8;
	if (b->capacity < need) {
		result_add(res, "capacity %lu sectors, need %lu for blk_mib=%lu", b->capacity, need,
			   mib);
		return false;
	}
	kicks = b->kicks;
	why = pattern_stream(b, VIRTIO_BLK_T_OUT, seed, bytes, &v, &reqs);
	if (!report_stream("write", why, &v, res))
		return false;
	result_add(res, "wrote %lu MiB in %lu requests, %lu notifications", mib, reqs,
		   b->kicks - kicks);
	if (gblk_has(b, VIRTIO_BLK_F_FLUSH)) {
		if (!simple_io(b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, "FLUSH", res))
			return false;
		result_add(res, "flushed");
	}
	why = pattern_stream(b, VIRTIO_BLK_T_IN, seed, bytes, &v, &reqs);
	if (!report_stream("read back", why, &v, res))
		return false;
	result_add(res, "read back");
	if (!check_get_id(b, res) || !check_past_end(b, true, res) || !check_scratch(b, res))
		return false;
	if (gblk_has(b, VIRTIO_BLK_F_FLUSH) &&
	    !simple_io(b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, "final FLUSH", res))
		return false;
	return true;
}

static bool check_ro(struct gblk *b, uint64_t mib, struct check_result *res)
{
	static uint8_t buf[BLK_SECTOR] __attribute__((aligned(4096)));
	uint64_t seed, reqs;
	struct verify_ctx v;
	const char *why;
	uint8_t st;

	if (!gblk_has(b, VIRTIO_BLK_F_RO)) {
		result_add(res, "blk_ro=1 but the device does not offer VIRTIO_BLK_F_RO");
		return false;
	}
	/* Virtio 1.2, 5.2.6.2: a write to a device offering RO gets IOERR, and nothing is written. */
	memset(buf, 0xa5, sizeof(buf));
	if (gblk_do(b, VIRTIO_BLK_T_OUT, 0, buf, sizeof(buf), false, &st, &why) < 0) {
		result_add(res, "OUT: %s", why);
		return false;
	}
	if (st != VIRTIO_BLK_S_IOERR) {
		result_add(res, "OUT to a read-only drive: status %u, want IOERR", st);
		return false;
	}
	result_add(res, "read-only: OUT IOERR");
	if (cmdline_get_u64(boot.cmdline, "cvmmtest.blk_seed", &seed)) {
		if (b->capacity < mib * 2048) {
			result_add(res, "capacity %lu sectors < blk_mib=%lu", b->capacity, mib);
			return false;
		}
		why = pattern_stream(b, VIRTIO_BLK_T_IN, seed, mib << 20, &v, &reqs);
		if (!report_stream("read", why, &v, res))
			return false;
		result_add(res, "read %lu MiB, pattern ok", mib);
	} else if (!simple_io(b, VIRTIO_BLK_T_IN, 0, buf, sizeof(buf), "IN", res)) {
		return false;
	}
	if (gblk_has(b, VIRTIO_BLK_F_FLUSH) &&
	    !simple_io(b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, "FLUSH", res))
		return false;
	return check_get_id(b, res) && check_past_end(b, false, res);
}

bool check_blk(struct check_result *res)
{
	static struct virtio_mmio_dev dev;
	static struct gblk b;
	uint64_t mib = 1, seed = 1, ro = 0;
	const char *why;
	bool ok;

	if (!blk_pick_device(&dev, res))
		return false;
	cmdline_get_u64(boot.cmdline, "cvmmtest.blk_mib", &mib);
	cmdline_get_u64(boot.cmdline, "cvmmtest.blk_seed", &seed);
	cmdline_get_u64(boot.cmdline, "cvmmtest.blk_ro", &ro);
	if (mib == 0 || mib > 1024) {
		result_add(res, "blk_mib must be 1..1024");
		return false;
	}
	why = gblk_init(&b, &dev);
	if (why) {
		result_add(res, "init: %s", why);
		return false;
	}
	result_add(res, "0x%lx: %lu sectors", dev.base, b.capacity);
	if (!ro && gblk_has(&b, VIRTIO_BLK_F_RO)) {
		result_add(res, "device is read-only (VIRTIO_BLK_F_RO) without blk_ro=1");
		return false;
	}
	ok = ro ? check_ro(&b, mib, res) : check_rw(&b, mib, seed, res);
	printf("  blk: %lu notifications in total, features 0x%lx\n", b.kicks, b.features);
	gvirtio_reset(&dev);
	return ok;
}
