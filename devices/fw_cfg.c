// SPDX-License-Identifier: MIT
/*
 * fw_cfg device model: items by selector key, files sorted by name behind FW_CFG_FILE_DIR, the
 * byte-wide data port and the DMA interface.
 *
 * Everything the guest controls is bounded here: the selector (an unknown key reads as zeros), the
 * offset (never past the item's end), the DMA descriptor (copied out of guest memory before it is
 * looked at) and the DMA buffer (one guest_mem_dma() range of at most FW_CFG_DMA_MAX_LEN bytes,
 * checked before anything is written).  Nothing here aborts on guest input.  One mutex serialises
 * the vCPUs; the guest cannot make a vCPU hold it for more than one capped copy.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "vmm/log.h"
#include "vmm/memory.h"
#include "vmm/util.h"

_Static_assert(sizeof(struct fw_cfg_file) == 64, "fw_cfg directory entry is 64 bytes");
_Static_assert(sizeof(struct fw_cfg_dma_access) == 16, "FWCfgDmaAccess is 16 bytes");

#define DMA_PORT_OFFSET (FW_CFG_PORT_DMA_HIGH - FW_CFG_PIO_BASE) /* 4 */
#define DMA_SIG_LEN     8

static const uint8_t dma_signature[DMA_SIG_LEN] = "QEMU CFG";

/* Why a DMA transfer ends with ERROR. */
enum dma_status {
	DMA_OK,
	DMA_BAD_DESC,   /* descriptor not entirely in (shared) RAM */
	DMA_BAD_BUFFER, /* buffer not entirely in (shared) RAM, or wrapping */
	DMA_TOO_LONG,   /* READ over FW_CFG_DMA_MAX_LEN */
	DMA_WRITE,      /* the guest may not write */
};

static const char *const dma_status_text[] = {
	[DMA_OK] = "ok",
	[DMA_BAD_DESC] = "descriptor not in shared guest RAM",
	[DMA_BAD_BUFFER] = "buffer not in shared guest RAM",
	[DMA_TOO_LONG] = "read longer than the per-transfer cap",
	[DMA_WRITE] = "write to a read-only item",
};

/* An item's bytes; owned (freed with the device) when copied, borrowed otherwise. */
struct fw_cfg_blob {
	const uint8_t *data;
	uint32_t len;
	uint8_t *owned;
};

struct fw_cfg_item {
	uint16_t key; /* index, with FW_CFG_ARCH_LOCAL for the arch-local table */
	struct fw_cfg_blob blob;
};

struct fw_cfg_named {
	char name[FW_CFG_MAX_FILE_PATH];
	struct fw_cfg_blob blob;
};

struct fw_cfg {
	const struct guest_mem *gm;
	pthread_mutex_t lock;

	struct fw_cfg_item *items;
	unsigned nr_items;
	struct fw_cfg_named *files; /* sorted by name; files[k] has key FW_CFG_FILE_FIRST + k */
	unsigned nr_files;
	struct fw_cfg_blob dir;     /* FW_CFG_FILE_DIR, rebuilt when a file is added */

	/* Guest-controlled state. */
	uint16_t cur_key;
	uint32_t cur_offset;
	uint32_t dma_high;

	uint64_t dma_errors;
	bool logged; /* the first refusal is logged, the others only counted */
};

static void blob_free(struct fw_cfg_blob *b)
{
	free(b->owned);
	*b = (struct fw_cfg_blob){ 0 };
}

/* Fills @b with @data, copied unless @borrow. */
static int blob_set(struct fw_cfg_blob *b, const void *data, size_t len, bool borrow)
{
	if (len > FW_CFG_MAX_ITEM_LEN)
		return -E2BIG;
	if (len && !data)
		return -EINVAL;
	*b = (struct fw_cfg_blob){ .data = data, .len = (uint32_t)len };
	if (borrow || !len)
		return 0;
	b->owned = malloc(len);
	if (!b->owned)
		return -ENOMEM;
	memcpy(b->owned, data, len);
	b->data = b->owned;
	return 0;
}

/* The item behind @key (write-channel bit ignored, as QEMU does), or NULL. */
static const struct fw_cfg_blob *find_blob(const struct fw_cfg *fc, uint16_t key)
{
	uint16_t arch = key & FW_CFG_ARCH_LOCAL;
	uint16_t index = key & FW_CFG_ENTRY_MASK;

	if (!arch && index == FW_CFG_FILE_DIR)
		return &fc->dir;
	if (!arch && index >= FW_CFG_FILE_FIRST) {
		index -= FW_CFG_FILE_FIRST;
		return index < fc->nr_files ? &fc->files[index].blob : NULL;
	}
	for (unsigned i = 0; i < fc->nr_items; i++)
		if (fc->items[i].key == (arch | index))
			return &fc->items[i].blob;
	return NULL;
}

/*
 * Takes up to @len bytes of the selected item from the current offset, copying them to @dst unless
 * it is NULL (SKIP), and advances the offset.  Returns how many there were: 0 past the end or for
 * an unknown key.
 */
static uint32_t take_bytes(struct fw_cfg *fc, uint8_t *dst, uint32_t len)
{
	const struct fw_cfg_blob *b = find_blob(fc, fc->cur_key);
	uint32_t n;

	if (!b || fc->cur_offset >= b->len)
		return 0;
	n = MIN(len, b->len - fc->cur_offset);
	if (dst)
		memcpy(dst, b->data + fc->cur_offset, n);
	fc->cur_offset += n;
	return n;
}

static void select_key(struct fw_cfg *fc, uint16_t key)
{
	fc->cur_key = key;
	fc->cur_offset = 0;
}

/* READ of @length bytes into [address, address + length): all of it or nothing. */
static enum dma_status dma_read(struct fw_cfg *fc, uint64_t address, uint32_t length)
{
	uint8_t *dst;
	uint32_t n;

	if (length == 0)
		return DMA_OK;
	if (length > FW_CFG_DMA_MAX_LEN)
		return DMA_TOO_LONG;
	if (address + length < address)
		return DMA_BAD_BUFFER;
	dst = guest_mem_dma(fc->gm, address, length);
	if (!dst)
		return DMA_BAD_BUFFER;
	n = take_bytes(fc, dst, length);
	/* Past the item's end (or an unknown key) the guest reads zeros, as on QEMU. */
	memset(dst + n, 0, length - n);
	return DMA_OK;
}

/* Runs the request of a descriptor. */
static enum dma_status dma_run(struct fw_cfg *fc, uint32_t control, uint32_t length,
			       uint64_t address)
{
	if (control & FW_CFG_DMA_CTL_SELECT)
		select_key(fc, (uint16_t)(control >> 16));
	/* QEMU's precedence: READ, then WRITE, then SKIP. */
	if (control & FW_CFG_DMA_CTL_READ)
		return dma_read(fc, address, length);
	if (control & FW_CFG_DMA_CTL_WRITE)
		return DMA_WRITE;
	if (control & FW_CFG_DMA_CTL_SKIP)
		take_bytes(fc, NULL, length);
	return DMA_OK;
}

/*
 * Counts a refusal and logs the first one: OVMF release builds wait forever on ERROR, so the one
 * line says why a firmware hangs; a guest cannot make more of them.
 */
static void dma_refused(struct fw_cfg *fc, uint64_t desc_gpa, enum dma_status status)
{
	__atomic_fetch_add(&fc->dma_errors, 1, __ATOMIC_RELAXED);
	if (fc->logged)
		return;
	fc->logged = true;
	log_warn("fw_cfg: DMA descriptor at 0x%llx refused: %s (further refusals are counted only)",
		 (unsigned long long)desc_gpa, dma_status_text[status]);
}

/*
 * Writes the completion into the descriptor's control word when that word is shared RAM (a
 * descriptor the guest could not have us read may still have a writable first word; QEMU reports
 * ERROR there too).  Everything the transfer wrote is visible before it.
 */
static void dma_complete(struct fw_cfg *fc, uint64_t desc_gpa, enum dma_status status)
{
	uint32_t be = htobe32(status == DMA_OK ? 0 : FW_CFG_DMA_CTL_ERROR);
	uint8_t *p;

	if (status != DMA_OK)
		dma_refused(fc, desc_gpa, status);
	p = guest_mem_dma(fc->gm, desc_gpa, sizeof(be));
	if (!p)
		return;
	if (((uintptr_t)p & (sizeof(be) - 1)) == 0) {
		__atomic_store_n((uint32_t *)(void *)p, be, __ATOMIC_RELEASE);
	} else {
		__atomic_thread_fence(__ATOMIC_RELEASE);
		memcpy(p, &be, sizeof(be));
	}
}

static void dma_transfer(struct fw_cfg *fc, uint64_t desc_gpa)
{
	struct fw_cfg_dma_access desc;

	/* A copy: the guest may rewrite the descriptor while we work. */
	if (guest_mem_read(fc->gm, desc_gpa, &desc, sizeof(desc)) != 0) {
		dma_complete(fc, desc_gpa, DMA_BAD_DESC);
		return;
	}
	dma_complete(fc, desc_gpa,
		     dma_run(fc, be32toh(desc.control), be32toh(desc.length),
			     be64toh(desc.address)));
}

static uint32_t get_be32(const uint8_t *data)
{
	uint32_t v;

	memcpy(&v, data, sizeof(v));
	return be32toh(v);
}

/* 0x510..0x513: 16-bit selector writes at 0x510, byte reads of the data at 0x510 or 0x511. */
static void ctl_access(struct fw_cfg *fc, uint64_t offset, uint8_t *data, uint32_t len,
		       bool is_write)
{
	if (is_write) {
		if (offset == 0 && len == 2)
			select_key(fc, (uint16_t)(data[0] | data[1] << 8));
		/* Byte writes to the data port: ignored, as since QEMU 2.4. */
		return;
	}
	if (offset <= 1 && len == 1) {
		data[0] = 0;
		take_bytes(fc, data, 1);
		return;
	}
	memset(data, 0xff, len);
}

/* 0x514..0x51b: the DMA address halves (big endian) and the signature. */
static void dma_port_access(struct fw_cfg *fc, uint64_t offset, uint8_t *data, uint32_t len,
			    bool is_write)
{
	if (!is_write) {
		for (uint32_t i = 0; i < len; i++)
			data[i] = offset + i < DMA_SIG_LEN ? dma_signature[offset + i] : 0xff;
		return;
	}
	if (len != 4)
		return;
	if (offset == 0) {
		fc->dma_high = get_be32(data);
	} else if (offset == 4) {
		uint64_t desc_gpa = (uint64_t)fc->dma_high << 32 | get_be32(data);

		fc->dma_high = 0;
		dma_transfer(fc, desc_gpa);
	}
}

void fw_cfg_pio(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct fw_cfg *fc = opaque;

	if (len == 0 || offset >= FW_CFG_PIO_LEN || len > FW_CFG_PIO_LEN - offset) {
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&fc->lock);
	if (offset < DMA_PORT_OFFSET)
		ctl_access(fc, offset, data, len, is_write);
	else
		dma_port_access(fc, offset - DMA_PORT_OFFSET, data, len, is_write);
	pthread_mutex_unlock(&fc->lock);
}

void fw_cfg_reset(struct fw_cfg *fc)
{
	pthread_mutex_lock(&fc->lock);
	select_key(fc, FW_CFG_SIGNATURE);
	fc->dma_high = 0;
	pthread_mutex_unlock(&fc->lock);
}

uint64_t fw_cfg_dma_errors(const struct fw_cfg *fc)
{
	return __atomic_load_n(&fc->dma_errors, __ATOMIC_RELAXED);
}

/* Lock held.  Directory for the current files: be32 count, then one fw_cfg_file each. */
static int rebuild_dir(struct fw_cfg *fc)
{
	size_t len = sizeof(uint32_t) + (size_t)fc->nr_files * sizeof(struct fw_cfg_file);
	uint8_t *dir = calloc(1, len);
	uint32_t count = htobe32(fc->nr_files);

	if (!dir)
		return -ENOMEM;
	memcpy(dir, &count, sizeof(count));
	for (unsigned k = 0; k < fc->nr_files; k++) {
		struct fw_cfg_file entry = {
			.size = htobe32(fc->files[k].blob.len),
			.select = htobe16((uint16_t)(FW_CFG_FILE_FIRST + k)),
		};

		memcpy(entry.name, fc->files[k].name, sizeof(entry.name));
		memcpy(dir + sizeof(count) + k * sizeof(entry), &entry, sizeof(entry));
	}
	blob_free(&fc->dir);
	fc->dir = (struct fw_cfg_blob){ .data = dir, .len = (uint32_t)len, .owned = dir };
	return 0;
}

static int add_item(struct fw_cfg *fc, uint16_t key, const void *data, size_t len, bool borrow)
{
	struct fw_cfg_item *items;
	struct fw_cfg_blob blob;
	int ret;

	/* Plain item keys only: files and the directory have their own keys. */
	if ((key & FW_CFG_WRITE_CHANNEL) || (key & FW_CFG_ENTRY_MASK) >= FW_CFG_FILE_FIRST ||
	    key == FW_CFG_FILE_DIR)
		return -EINVAL;
	pthread_mutex_lock(&fc->lock);
	ret = find_blob(fc, key) ? -EEXIST : 0;
	if (!ret) {
		/* At most 64 keys exist (two tables of 32), so one realloc per item is fine. */
		items = realloc(fc->items, (fc->nr_items + 1) * sizeof(*items));
		ret = items ? 0 : -ENOMEM;
	}
	if (!ret) {
		fc->items = items;
		ret = blob_set(&blob, data, len, borrow);
	}
	if (!ret)
		fc->items[fc->nr_items++] = (struct fw_cfg_item){ .key = key, .blob = blob };
	pthread_mutex_unlock(&fc->lock);
	return ret;
}

/* Lock held.  Index of the first file whose name sorts after @name (strcmp order). */
static unsigned file_insert_pos(const struct fw_cfg *fc, const char *name)
{
	unsigned lo = 0, hi = fc->nr_files;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (strcmp(fc->files[mid].name, name) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int add_file(struct fw_cfg *fc, const char *name, const void *data, size_t len,
		    bool borrow)
{
	struct fw_cfg_named file = { 0 }, *files;
	size_t name_len = name ? strnlen(name, FW_CFG_MAX_FILE_PATH) : 0;
	unsigned pos;
	int ret;

	if (name_len == 0 || name_len >= FW_CFG_MAX_FILE_PATH)
		return -EINVAL;
	memcpy(file.name, name, name_len);
	pthread_mutex_lock(&fc->lock);
	pos = file_insert_pos(fc, name);
	ret = pos > 0 && !strcmp(fc->files[pos - 1].name, name) ? -EEXIST : 0;
	if (!ret && fc->nr_files == FW_CFG_MAX_FILES)
		ret = -ENOSPC;
	if (!ret) {
		files = realloc(fc->files, (fc->nr_files + 1) * sizeof(*files));
		ret = files ? 0 : -ENOMEM;
	}
	if (!ret) {
		fc->files = files;
		ret = blob_set(&file.blob, data, len, borrow);
	}
	if (!ret) {
		memmove(&fc->files[pos + 1], &fc->files[pos],
			(fc->nr_files - pos) * sizeof(*fc->files));
		fc->files[pos] = file;
		fc->nr_files++;
		ret = rebuild_dir(fc);
		if (ret) {
			fc->nr_files--;
			memmove(&fc->files[pos], &fc->files[pos + 1],
				(fc->nr_files - pos) * sizeof(*fc->files));
			blob_free(&file.blob);
		}
	}
	pthread_mutex_unlock(&fc->lock);
	return ret;
}

int fw_cfg_add_item(struct fw_cfg *fc, uint16_t key, const void *data, size_t len)
{
	return add_item(fc, key, data, len, false);
}

int fw_cfg_add_item_ref(struct fw_cfg *fc, uint16_t key, const void *data, size_t len)
{
	return add_item(fc, key, data, len, true);
}

int fw_cfg_add_file(struct fw_cfg *fc, const char *name, const void *data, size_t len)
{
	return add_file(fc, name, data, len, false);
}

int fw_cfg_add_file_ref(struct fw_cfg *fc, const char *name, const void *data, size_t len)
{
	return add_file(fc, name, data, len, true);
}

int fw_cfg_add_u16(struct fw_cfg *fc, uint16_t key, uint16_t value)
{
	uint16_t le = htole16(value);

	return fw_cfg_add_item(fc, key, &le, sizeof(le));
}

int fw_cfg_add_u32(struct fw_cfg *fc, uint16_t key, uint32_t value)
{
	uint32_t le = htole32(value);

	return fw_cfg_add_item(fc, key, &le, sizeof(le));
}

int fw_cfg_add_u64(struct fw_cfg *fc, uint16_t key, uint64_t value)
{
	uint64_t le = htole64(value);

	return fw_cfg_add_item(fc, key, &le, sizeof(le));
}

struct fw_cfg *fw_cfg_create(const struct guest_mem *gm)
{
	struct fw_cfg *fc = calloc(1, sizeof(*fc));

	if (!fc)
		return NULL;
	fc->gm = gm;
	pthread_mutex_init(&fc->lock, NULL);
	if (rebuild_dir(fc) != 0 ||
	    fw_cfg_add_item(fc, FW_CFG_SIGNATURE, FW_CFG_SIGNATURE_BYTES, FW_CFG_SIG_SIZE) != 0 ||
	    fw_cfg_add_u32(fc, FW_CFG_ID, FW_CFG_VERSION | FW_CFG_VERSION_DMA) != 0) {
		fw_cfg_destroy(fc);
		return NULL;
	}
	select_key(fc, FW_CFG_SIGNATURE);
	return fc;
}

void fw_cfg_destroy(struct fw_cfg *fc)
{
	if (!fc)
		return;
	for (unsigned i = 0; i < fc->nr_items; i++)
		blob_free(&fc->items[i].blob);
	for (unsigned k = 0; k < fc->nr_files; k++)
		blob_free(&fc->files[k].blob);
	blob_free(&fc->dir);
	free(fc->items);
	free(fc->files);
	pthread_mutex_destroy(&fc->lock);
	free(fc);
}
