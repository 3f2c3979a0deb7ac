// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/input_files.h"

void input_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

void input_write_pvh_kernel(const char *path)
{
	uint8_t img[0x1200] = { 0 };
	const uint32_t entry = 0x100000;

	memcpy(img, "\x7f" "ELF\x02\x01\x01", 7);
	put16(img + 16, 2);         /* ET_EXEC */
	put16(img + 18, 62);        /* EM_X86_64 */
	put32(img + 20, 1);
	put64(img + 24, entry);
	put64(img + 32, 64);        /* e_phoff */
	put16(img + 52, 64);        /* e_ehsize */
	put16(img + 54, 56);        /* e_phentsize */
	put16(img + 56, 2);         /* e_phnum */
	put32(img + 64, 1);         /* PT_LOAD: 16 bytes at file 0x1000 -> 1 MiB */
	put64(img + 64 + 8, 0x1000);
	put64(img + 64 + 24, entry);
	put64(img + 64 + 32, 16);
	put64(img + 64 + 40, 0x1000);
	put32(img + 120, 4);        /* PT_NOTE at 0x1100 */
	put64(img + 120 + 8, 0x1100);
	put64(img + 120 + 32, 20);
	memset(img + 0x1000, 0xf4, 16);
	put32(img + 0x1100, 4);     /* namesz */
	put32(img + 0x1104, 4);     /* descsz */
	put32(img + 0x1108, 18);    /* XEN_ELFNOTE_PHYS32_ENTRY */
	memcpy(img + 0x110c, "Xen", 4);
	put32(img + 0x1110, entry);
	input_write_file(path, img, sizeof(img));
}
