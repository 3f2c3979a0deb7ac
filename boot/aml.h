/* SPDX-License-Identifier: MIT */
/*
 * A small AML encoder (ACPI 6.x, section 20 "ACPI Machine Language Specification" and 6.4
 * "Resource Data Types") that appends to a caller-provided byte buffer.
 *
 * Errors are sticky: the first bad argument (-EINVAL) or overflow (-ENOSPC) is kept in the
 * builder, later calls write nothing, and aml_error() reports it once at the end.  The length
 * keeps counting past the end of the buffer.  An encoder over a NULL buffer only measures: it
 * reports bad arguments but never -ENOSPC, and its length is what the real encoding needs.
 *
 * Objects with a PkgLength (Scope, Device, Method, Package, Buffer) are opened, filled and closed:
 * the open call returns a handle, the close call backpatches the PkgLength.  Close them innermost
 * first.  The encoder never needs more room than the finished encoding.
 */
#ifndef CVMM_AML_H
#define CVMM_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *buf;
	size_t cap;
	size_t len; /* bytes encoded so far, counted even past cap */
	int err;    /* first error, 0 if none */
};

/* Returned by the *_open calls, passed to the matching *_close call. */
struct aml_pkg {
	size_t at; /* offset of the PkgLength placeholder */
};

#define AML_PKGLENGTH_MAX 0x0fffffffu

void aml_init(struct aml *aml, uint8_t *buf, size_t cap);
static inline int aml_error(const struct aml *aml) { return aml->err; }
static inline size_t aml_len(const struct aml *aml) { return aml->len; }

/* Encodes a PkgLength value (it counts its own bytes) into out; returns 1..4, or 0 if too big. */
unsigned aml_pkglength_encode(uint32_t value, uint8_t out[4]);

void aml_bytes(struct aml *aml, const void *data, size_t n);
void aml_byte(struct aml *aml, uint8_t b);

/*
 * A NameString: optional root '\' or parent '^' prefixes, then dot-separated segments of 1-4
 * characters ([A-Z_] then [A-Z0-9_]), padded with '_' ("_SB" is "_SB_").  "" is the NullName.
 */
void aml_namestring(struct aml *aml, const char *path);
/* The shortest of ZeroOp, OneOp, BytePrefix, WordPrefix, DWordPrefix and QWordPrefix. */
void aml_integer(struct aml *aml, uint64_t value);
/* A String of ASCII characters 0x01..0x7f. */
void aml_string(struct aml *aml, const char *s);
/* EISAID("PNP0501"): three capitals and four hex digits, encoded as a DWord. */
void aml_eisaid(struct aml *aml, const char *id);

/* Name(name, ...): the caller appends the data object. */
void aml_name(struct aml *aml, const char *name);
void aml_name_integer(struct aml *aml, const char *name, uint64_t value);
void aml_name_string(struct aml *aml, const char *name, const char *s);
void aml_name_eisaid(struct aml *aml, const char *name, const char *id);
/* Return(...): the caller appends the value. */
void aml_return(struct aml *aml);

struct aml_pkg aml_scope_open(struct aml *aml, const char *path);
struct aml_pkg aml_device_open(struct aml *aml, const char *name);
struct aml_pkg aml_method_open(struct aml *aml, const char *name, unsigned nr_args,
			       bool serialized);
/* The caller appends exactly nr_elements data objects. */
struct aml_pkg aml_package_open(struct aml *aml, unsigned nr_elements);
/* Closes a Scope, Device, Method or Package. */
void aml_close(struct aml *aml, struct aml_pkg pkg);

/* Buffer() { bytes }: the BufferSize is filled in by aml_buffer_close. */
struct aml_pkg aml_buffer_open(struct aml *aml);
void aml_buffer_close(struct aml *aml, struct aml_pkg pkg);

/* ResourceTemplate() { descriptors }: a Buffer ending with an EndTag whose checksum zeroes it. */
struct aml_pkg aml_restemplate_open(struct aml *aml);
void aml_restemplate_close(struct aml *aml, struct aml_pkg pkg);

/* IO(Decode16 or Decode10, min, max, alignment, length) */
void aml_res_io(struct aml *aml, bool decode16, uint16_t min, uint16_t max, uint8_t alignment,
		uint8_t length);
/* IRQNoFlags() {irq}: an ISA IRQ 0..15, edge-triggered, active high. */
void aml_res_irq_noflags(struct aml *aml, unsigned irq);
/* Memory32Fixed(ReadWrite or ReadOnly, base, length) */
void aml_res_memory32_fixed(struct aml *aml, bool writable, uint32_t base, uint32_t length);

/* Extended Interrupt flags; 0 means ResourceProducer, Level, ActiveHigh, Exclusive. */
#define AML_INT_CONSUMER   (1u << 0)
#define AML_INT_EDGE       (1u << 1)
#define AML_INT_ACTIVE_LOW (1u << 2)
#define AML_INT_SHARED     (1u << 3)
#define AML_INT_WAKE       (1u << 4)
/* Interrupt(..., ...) {gsi}: one interrupt, no resource source. */
void aml_res_interrupt(struct aml *aml, unsigned flags, uint32_t gsi);

#endif
