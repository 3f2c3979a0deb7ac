// SPDX-License-Identifier: MIT
/* Synthetic firmware images for unit tests (see fw_image.h). */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/fw_image.h"

/* GUIDs in their on-disk (mixed-endian) byte order. */
static const uint8_t footer_guid[16] = { 0xde, 0x82, 0xb5, 0x96, 0xb2, 0x1f, 0xf7, 0x45,
					 0xba, 0xea, 0xa3, 0x66, 0xc5, 0x5a, 0x08, 0x2d };
static const uint8_t reset_guid[16] = { 0xde, 0x71, 0xf7, 0x00, 0x7e, 0x1a, 0xcb, 0x4f,
					0x89, 0x0e, 0x68, 0xc7, 0x7e, 0x2f, 0xb4, 0x4e };
static const uint8_t hashes_guid[16] = { 0x1f, 0x37, 0x55, 0x72, 0x3b, 0x3a, 0x04, 0x4b,
					 0x92, 0x7b, 0x1d, 0xa6, 0xef, 0xa8, 0xd4, 0x54 };
static const uint8_t sev_guid[16] = { 0x66, 0x65, 0x88, 0xdc, 0x4a, 0x98, 0x98, 0x47,
				      0xa7, 0x5e, 0x55, 0x85, 0xa7, 0xbf, 0x67, 0xcc };
static const uint8_t tdx_guid[16] = { 0x35, 0x65, 0x7a, 0xe4, 0x4a, 0x98, 0x98, 0x47,
				      0x86, 0x5e, 0x46, 0x85, 0xa7, 0xbf, 0x8e, 0xc2 };
static const uint8_t tdvf_desc_guid[16] = { 0xf3, 0xf9, 0xea, 0xe9, 0x8e, 0x16, 0xd5, 0x44,
					    0xa8, 0xeb, 0x7f, 0x4d, 0x87, 0x38, 0xf6, 0xae };

static const struct fw_image_tdvf ovmf_tdvf[] = {
	{ 0x8000, 0x17000, 0xfffe8000, 0x18000, 0, 1 }, /* BFV, measured */
	{ 0x0, 0x8000, 0xfffe0000, 0x8000, 1, 0 },      /* CFV */
	{ 0, 0, 0x809000, 0x2000, 2, 0 },               /* TD_HOB */
	{ 0, 0, 0x800000, 0x6000, 3, 0 },               /* TempMem */
	{ 0, 0, 0x1000000, 0x10000, 4, 2 },             /* PermMem, PAGE.AUG */
};

static const struct fw_image_sev ovmf_sev[] = {
	{ 0x800000, 0x9000, 1 }, { 0x80a000, 0x1000, 2 }, { 0x80b000, 0x1000, 3 },
	{ 0x80c000, 0x1000, 0x10 }, { 0x80d000, 0x3000, 1 },
};

const struct fw_image_layout fw_image_ovmf = {
	.size = 0x20000,
	.tdvf = ovmf_tdvf,
	.nr_tdvf = 5,
	.sev = ovmf_sev,
	.nr_sev = 5,
	.hashes_base = 0x80cc00,
	.hashes_size = 0x400,
	.ap_reset = 0xffffb004,
};

void fw_image_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void fw_image_put32(uint8_t *p, uint32_t v)
{
	fw_image_put16(p, (uint16_t)v);
	fw_image_put16(p + 2, (uint16_t)(v >> 16));
}

void fw_image_put64(uint8_t *p, uint64_t v)
{
	fw_image_put32(p, (uint32_t)v);
	fw_image_put32(p + 4, (uint32_t)(v >> 32));
}

/* Prepends an entry [data][u16 len][GUID] that ends at *pos; returns the data position. */
static size_t put_entry(uint8_t *fw, size_t *pos, const uint8_t *guid, const void *data,
			uint16_t len)
{
	size_t total = len + 18u;

	*pos -= total;
	memcpy(fw + *pos, data, len);
	fw_image_put16(fw + *pos + len, (uint16_t)total);
	memcpy(fw + *pos + len + 2, guid, 16);
	return *pos;
}

void fw_image_build(struct fw_image *img, const struct fw_image_layout *l)
{
	uint8_t *fw = malloc(l->size);
	size_t size = l->size, pos;
	uint8_t u32[4], u64[8];

	memset(img, 0, sizeof(*img));
	for (size_t i = 0; i < size; i++)
		fw[i] = (uint8_t)(i * 131 + (i >> 12) * 7 + 1);
	img->data = fw;
	img->len = size;
	img->table_end = size - 32;
	memcpy(fw + img->table_end - 16, footer_guid, 16);
	pos = img->table_end - 18;
	if (l->tdvf) {
		img->tdvf_pos = size - 0xa00;
		memcpy(fw + img->tdvf_pos - 16, tdvf_desc_guid, 16);
		memcpy(fw + img->tdvf_pos, "TDVF", 4);
		fw_image_put32(fw + img->tdvf_pos + 4, 16 + 32 * l->nr_tdvf);
		fw_image_put32(fw + img->tdvf_pos + 8, 1);
		fw_image_put32(fw + img->tdvf_pos + 12, l->nr_tdvf);
		for (unsigned i = 0; i < l->nr_tdvf; i++) {
			uint8_t *s = fw + img->tdvf_pos + 16 + 32 * i;

			fw_image_put32(s, l->tdvf[i].data_offset);
			fw_image_put32(s + 4, l->tdvf[i].raw_size);
			fw_image_put64(s + 8, l->tdvf[i].gpa);
			fw_image_put64(s + 16, l->tdvf[i].size);
			fw_image_put32(s + 24, l->tdvf[i].type);
			fw_image_put32(s + 28, l->tdvf[i].attrs);
		}
		fw_image_put32(u32, (uint32_t)(size - img->tdvf_pos));
		img->tdx_entry = put_entry(fw, &pos, tdx_guid, u32, 4);
	}
	if (l->sev) {
		img->sev_pos = size - 0x600;
		memcpy(fw + img->sev_pos, "ASEV", 4);
		fw_image_put32(fw + img->sev_pos + 4, 16 + 12 * l->nr_sev);
		fw_image_put32(fw + img->sev_pos + 8, 1);
		fw_image_put32(fw + img->sev_pos + 12, l->nr_sev);
		for (unsigned i = 0; i < l->nr_sev; i++) {
			uint8_t *s = fw + img->sev_pos + 16 + 12 * i;

			fw_image_put32(s, l->sev[i].base);
			fw_image_put32(s + 4, l->sev[i].length);
			fw_image_put32(s + 8, l->sev[i].type);
		}
		fw_image_put32(u32, (uint32_t)(size - img->sev_pos));
		img->sev_entry = put_entry(fw, &pos, sev_guid, u32, 4);
	}
	if (l->hashes_base) {
		fw_image_put32(u64, l->hashes_base);
		fw_image_put32(u64 + 4, l->hashes_size);
		put_entry(fw, &pos, hashes_guid, u64, 8);
	}
	if (l->ap_reset) {
		fw_image_put32(u32, l->ap_reset);
		put_entry(fw, &pos, reset_guid, u32, 4);
	}
	img->table_start = pos;
	fw_image_put16(fw + img->table_end - 18, (uint16_t)(img->table_end - pos));
}

void fw_image_free(struct fw_image *img)
{
	free(img->data);
	img->data = NULL;
}
