// SPDX-License-Identifier: MIT
/* AML encoder; encodings from ACPI 6.x sections 20.2 (AML grammar) and 6.4 (resource data). */
#include <errno.h>
#include <string.h>

#include "boot/aml.h"

enum {
	AML_ZERO_OP = 0x00,
	AML_ONE_OP = 0x01,
	AML_NAME_OP = 0x08,
	AML_BYTE_PREFIX = 0x0a,
	AML_WORD_PREFIX = 0x0b,
	AML_DWORD_PREFIX = 0x0c,
	AML_STRING_PREFIX = 0x0d,
	AML_QWORD_PREFIX = 0x0e,
	AML_SCOPE_OP = 0x10,
	AML_BUFFER_OP = 0x11,
	AML_PACKAGE_OP = 0x12,
	AML_METHOD_OP = 0x14,
	AML_DUAL_NAME_PREFIX = 0x2e,
	AML_MULTI_NAME_PREFIX = 0x2f,
	AML_EXT_OP_PREFIX = 0x5b,
	AML_DEVICE_OP = 0x82, /* after AML_EXT_OP_PREFIX */
	AML_ROOT_CHAR = 0x5c,
	AML_PARENT_PREFIX_CHAR = 0x5e,
	AML_RETURN_OP = 0xa4,
};

/* Resource descriptor tags (small items: type << 3 | length; large items: 0x80 | type). */
enum {
	RES_IRQ_NOFLAGS = 0x22,
	RES_IO = 0x47,
	RES_END_TAG = 0x79,
	RES_MEMORY32_FIXED = 0x86,
	RES_EXT_INTERRUPT = 0x89,
};

#define NAMESEG_LEN 4
#define MULTI_NAME_MAX 255

void aml_init(struct aml *aml, uint8_t *buf, size_t cap)
{
	aml->buf = buf;
	aml->cap = buf ? cap : 0;
	aml->len = 0;
	aml->err = 0;
}

static void aml_fail(struct aml *aml, int err)
{
	if (!aml->err)
		aml->err = err;
}

/* True while everything encoded so far sits in the buffer. */
static bool aml_writable(const struct aml *aml)
{
	return aml->buf && !aml->err;
}

/* Accounts for n more bytes; true when they may be written, at offset old length. */
static bool aml_grow(struct aml *aml, size_t n)
{
	if (n > SIZE_MAX - aml->len) {
		aml_fail(aml, -ENOSPC);
		return false;
	}
	aml->len += n;
	if (aml->err || !aml->buf)
		return false;
	if (aml->len > aml->cap) {
		aml_fail(aml, -ENOSPC);
		return false;
	}
	return true;
}

void aml_bytes(struct aml *aml, const void *data, size_t n)
{
	size_t at = aml->len;

	if (aml_grow(aml, n) && n)
		memcpy(aml->buf + at, data, n);
}

void aml_byte(struct aml *aml, uint8_t b)
{
	aml_bytes(aml, &b, 1);
}

/* Inserts n bytes at offset at (<= len), moving what follows up. */
static void aml_insert(struct aml *aml, size_t at, const uint8_t *data, size_t n)
{
	size_t old_len = aml->len;

	if (!aml_grow(aml, n))
		return;
	memmove(aml->buf + at + n, aml->buf + at, old_len - at);
	memcpy(aml->buf + at, data, n);
}

static void put_le(uint8_t *out, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = (uint8_t)(v >> (8 * i));
}

unsigned aml_pkglength_encode(uint32_t value, uint8_t out[4])
{
	unsigned n;

	if (value <= 0x3f) {
		out[0] = (uint8_t)value;
		return 1;
	}
	if (value <= 0xfff)
		n = 2;
	else if (value <= 0xfffff)
		n = 3;
	else if (value <= AML_PKGLENGTH_MAX)
		n = 4;
	else
		return 0;
	/* Lead byte: bits 7-6 count the bytes that follow, bits 3-0 hold the low nibble. */
	out[0] = (uint8_t)(((n - 1) << 6) | (value & 0xf));
	put_le(out + 1, value >> 4, n - 1);
	return n;
}

static struct aml_pkg aml_pkg_begin(struct aml *aml)
{
	struct aml_pkg pkg = { .at = aml->len };

	aml_byte(aml, 0); /* one-byte placeholder, widened on close */
	return pkg;
}

void aml_close(struct aml *aml, struct aml_pkg pkg)
{
	uint8_t enc[4];
	size_t content;
	unsigned n = 0;

	if (pkg.at >= aml->len) {
		aml_fail(aml, -EINVAL);
		return;
	}
	content = aml->len - pkg.at - 1;
	/* The PkgLength counts its own bytes: pick the first width that holds content + width. */
	for (unsigned w = 1; w <= 4 && !n; w++) {
		if (content > AML_PKGLENGTH_MAX - w)
			break;
		if (aml_pkglength_encode((uint32_t)(content + w), enc) == w)
			n = w;
	}
	if (!n) {
		aml_fail(aml, -E2BIG);
		return;
	}
	if (n > 1)
		aml_insert(aml, pkg.at + 1, enc + 1, n - 1);
	if (aml_writable(aml))
		aml->buf[pkg.at] = enc[0];
}

static bool nameseg_char_ok(char c, bool lead)
{
	if ((c >= 'A' && c <= 'Z') || c == '_')
		return true;
	return !lead && c >= '0' && c <= '9';
}

/* Length of the segment at s (up to '.' or NUL), or 0 if it is not a valid NameSeg. */
static size_t nameseg_len(const char *s)
{
	size_t n = 0;

	while (s[n] && s[n] != '.') {
		if (n == NAMESEG_LEN || !nameseg_char_ok(s[n], n == 0))
			return 0;
		n++;
	}
	return n;
}

static void aml_nameseg(struct aml *aml, const char *s, size_t n)
{
	uint8_t seg[NAMESEG_LEN] = { '_', '_', '_', '_' };

	memcpy(seg, s, n);
	aml_bytes(aml, seg, sizeof(seg));
}

void aml_namestring(struct aml *aml, const char *path)
{
	const char *p = path, *segs;
	unsigned nr_segs = 0;
	size_t n;

	if (!path) {
		aml_fail(aml, -EINVAL);
		return;
	}
	if (*p == '\\')
		p++;
	else
		while (*p == '^')
			p++;
	segs = p;
	/* Validate everything before writing anything. */
	while (*p) {
		n = nameseg_len(p);
		if (!n || nr_segs == MULTI_NAME_MAX) {
			aml_fail(aml, -EINVAL);
			return;
		}
		nr_segs++;
		p += n;
		if (*p == '.' && !*++p) {
			aml_fail(aml, -EINVAL); /* trailing dot */
			return;
		}
	}

	for (p = path; p < segs; p++)
		aml_byte(aml, *p == '\\' ? AML_ROOT_CHAR : AML_PARENT_PREFIX_CHAR);
	if (nr_segs == 0) {
		aml_byte(aml, 0); /* NullName */
		return;
	}
	if (nr_segs == 2) {
		aml_byte(aml, AML_DUAL_NAME_PREFIX);
	} else if (nr_segs > 2) {
		aml_byte(aml, AML_MULTI_NAME_PREFIX);
		aml_byte(aml, (uint8_t)nr_segs);
	}
	for (p = segs; *p; p += n + (p[n] == '.')) {
		n = nameseg_len(p);
		aml_nameseg(aml, p, n);
	}
}

static unsigned integer_encode(uint64_t value, uint8_t out[9])
{
	unsigned n;

	if (value <= 1) {
		out[0] = value ? AML_ONE_OP : AML_ZERO_OP;
		return 1;
	}
	if (value <= UINT8_MAX) {
		out[0] = AML_BYTE_PREFIX;
		n = 1;
	} else if (value <= UINT16_MAX) {
		out[0] = AML_WORD_PREFIX;
		n = 2;
	} else if (value <= UINT32_MAX) {
		out[0] = AML_DWORD_PREFIX;
		n = 4;
	} else {
		out[0] = AML_QWORD_PREFIX;
		n = 8;
	}
	put_le(out + 1, value, n);
	return n + 1;
}

void aml_integer(struct aml *aml, uint64_t value)
{
	uint8_t enc[9];

	aml_bytes(aml, enc, integer_encode(value, enc));
}

void aml_string(struct aml *aml, const char *s)
{
	if (!s) {
		aml_fail(aml, -EINVAL);
		return;
	}
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p > 0x7f) {
			aml_fail(aml, -EINVAL);
			return;
		}
	}
	aml_byte(aml, AML_STRING_PREFIX);
	aml_bytes(aml, s, strlen(s) + 1);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void aml_eisaid(struct aml *aml, const char *id)
{
	uint8_t enc[5] = { AML_DWORD_PREFIX };
	uint16_t vendor = 0;
	int digits[4];

	if (!id || strlen(id) != 7) {
		aml_fail(aml, -EINVAL);
		return;
	}
	/* Three capitals, 5 bits each ('A' is 1), big-endian; then four hex digits, big-endian. */
	for (unsigned i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z') {
			aml_fail(aml, -EINVAL);
			return;
		}
		vendor = (uint16_t)(vendor << 5 | (id[i] - 'A' + 1));
	}
	for (unsigned i = 0; i < 4; i++) {
		digits[i] = hex_digit(id[3 + i]);
		if (digits[i] < 0) {
			aml_fail(aml, -EINVAL);
			return;
		}
	}
	enc[1] = (uint8_t)(vendor >> 8);
	enc[2] = (uint8_t)vendor;
	enc[3] = (uint8_t)(digits[0] << 4 | digits[1]);
	enc[4] = (uint8_t)(digits[2] << 4 | digits[3]);
	aml_bytes(aml, enc, sizeof(enc));
}

void aml_name(struct aml *aml, const char *name)
{
	aml_byte(aml, AML_NAME_OP);
	aml_namestring(aml, name);
}

void aml_name_integer(struct aml *aml, const char *name, uint64_t value)
{
	aml_name(aml, name);
	aml_integer(aml, value);
}

void aml_name_string(struct aml *aml, const char *name, const char *s)
{
	aml_name(aml, name);
	aml_string(aml, s);
}

void aml_name_eisaid(struct aml *aml, const char *name, const char *id)
{
	aml_name(aml, name);
	aml_eisaid(aml, id);
}

void aml_return(struct aml *aml)
{
	aml_byte(aml, AML_RETURN_OP);
}

struct aml_pkg aml_scope_open(struct aml *aml, const char *path)
{
	struct aml_pkg pkg;

	aml_byte(aml, AML_SCOPE_OP);
	pkg = aml_pkg_begin(aml);
	aml_namestring(aml, path);
	return pkg;
}

struct aml_pkg aml_device_open(struct aml *aml, const char *name)
{
	static const uint8_t op[] = { AML_EXT_OP_PREFIX, AML_DEVICE_OP };
	struct aml_pkg pkg;

	aml_bytes(aml, op, sizeof(op));
	pkg = aml_pkg_begin(aml);
	aml_namestring(aml, name);
	return pkg;
}

struct aml_pkg aml_method_open(struct aml *aml, const char *name, unsigned nr_args,
			       bool serialized)
{
	struct aml_pkg pkg;

	aml_byte(aml, AML_METHOD_OP);
	pkg = aml_pkg_begin(aml);
	aml_namestring(aml, name);
	if (nr_args > 7)
		aml_fail(aml, -EINVAL);
	/* MethodFlags: bits 2-0 ArgCount, bit 3 SerializeFlag, bits 7-4 SyncLevel (0). */
	aml_byte(aml, (uint8_t)((nr_args & 7) | (serialized ? 8 : 0)));
	return pkg;
}

struct aml_pkg aml_package_open(struct aml *aml, unsigned nr_elements)
{
	struct aml_pkg pkg;

	aml_byte(aml, AML_PACKAGE_OP);
	pkg = aml_pkg_begin(aml);
	if (nr_elements > UINT8_MAX)
		aml_fail(aml, -EINVAL);
	aml_byte(aml, (uint8_t)nr_elements);
	return pkg;
}

struct aml_pkg aml_buffer_open(struct aml *aml)
{
	aml_byte(aml, AML_BUFFER_OP);
	return aml_pkg_begin(aml);
}

void aml_buffer_close(struct aml *aml, struct aml_pkg pkg)
{
	uint8_t enc[9];

	if (pkg.at >= aml->len) {
		aml_fail(aml, -EINVAL);
		return;
	}
	/* BufferSize goes between the PkgLength and the bytes. */
	aml_insert(aml, pkg.at + 1, enc, integer_encode(aml->len - pkg.at - 1, enc));
	aml_close(aml, pkg);
}

struct aml_pkg aml_restemplate_open(struct aml *aml)
{
	return aml_buffer_open(aml);
}

void aml_restemplate_close(struct aml *aml, struct aml_pkg pkg)
{
	uint8_t end[2] = { RES_END_TAG, 0 };
	uint8_t sum = RES_END_TAG;

	if (pkg.at >= aml->len) {
		aml_fail(aml, -EINVAL);
		return;
	}
	/* The checksum makes the bytes of all descriptors, end tag included, sum to zero. */
	if (aml_writable(aml))
		for (size_t i = pkg.at + 1; i < aml->len; i++)
			sum = (uint8_t)(sum + aml->buf[i]);
	end[1] = (uint8_t)-sum;
	aml_bytes(aml, end, sizeof(end));
	aml_buffer_close(aml, pkg);
}

void aml_res_io(struct aml *aml, bool decode16, uint16_t min, uint16_t max, uint8_t alignment,
		uint8_t length)
{
	uint8_t d[8] = { RES_IO, decode16 ? 1 : 0 };

	if (min > max) {
		aml_fail(aml, -EINVAL);
		return;
	}
	put_le(d + 2, min, 2);
	put_le(d + 4, max, 2);
	d[6] = alignment;
	d[7] = length;
	aml_bytes(aml, d, sizeof(d));
}

void aml_res_irq_noflags(struct aml *aml, unsigned irq)
{
	uint8_t d[3] = { RES_IRQ_NOFLAGS };

	if (irq > 15) {
		aml_fail(aml, -EINVAL);
		return;
	}
	put_le(d + 1, 1u << irq, 2);
	aml_bytes(aml, d, sizeof(d));
}

void aml_res_memory32_fixed(struct aml *aml, bool writable, uint32_t base, uint32_t length)
{
	uint8_t d[12] = { RES_MEMORY32_FIXED, 9, 0, writable ? 1 : 0 };

	put_le(d + 4, base, 4);
	put_le(d + 8, length, 4);
	aml_bytes(aml, d, sizeof(d));
}

void aml_res_interrupt(struct aml *aml, unsigned flags, uint32_t gsi)
{
	/* Length 6: flags, table length, one DWord interrupt number. */
	uint8_t d[9] = { RES_EXT_INTERRUPT, 6, 0, (uint8_t)flags, 1 };

	if (flags & ~0x1fu) {
		aml_fail(aml, -EINVAL);
		return;
	}
	put_le(d + 5, gsi, 4);
	aml_bytes(aml, d, sizeof(d));
}
