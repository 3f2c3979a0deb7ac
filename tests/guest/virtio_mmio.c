// SPDX-License-Identifier: MIT
#include "tests/guest/cmdline.h"
#include "tests/guest/libc.h"
#include "tests/guest/printf.h"
#include "tests/guest/virtio_mmio.h"

/* Linux memparse(): a number (decimal or 0x hex) with an optional K/M/G suffix. */
static bool memparse(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p, *q = s;
	unsigned int shift = 0;

	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		q += 2;
		while (q < end && ((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f') ||
				   (*q >= 'A' && *q <= 'F')))
			q++;
	} else {
		while (q < end && *q >= '0' && *q <= '9')
			q++;
	}
	if (!parse_u64(s, (size_t)(q - s), out))
		return false;
	if (q < end) {
		switch (*q) {
		case 'K': case 'k': shift = 10; break;
		case 'M': case 'm': shift = 20; break;
		case 'G': case 'g': shift = 30; break;
		}
		if (shift) {
			if (*out > (UINT64_MAX >> shift))
				return false;
			*out <<= shift;
			q++;
		}
	}
	*p = q;
	return true;
}

static bool parse_entry(const char *s, size_t len, struct virtio_mmio_dev *dev)
{
	const char *p = s, *end = s + len, *q;
	uint64_t irq, id;

	if (!memparse(&p, end, &dev->size) || p >= end || *p++ != '@' ||
	    !memparse(&p, end, &dev->base) || p >= end || *p++ != ':')
		return false;
	for (q = p; q < end && *q != ':'; q++)
		;
	if (!parse_u64(p, (size_t)(q - p), &irq) || irq > UINT32_MAX)
		return false;
	dev->irq = (uint32_t)irq;
	if (q < end && !parse_u64(q + 1, (size_t)(end - q - 1), &id))
		return false;
	return dev->size >= VIRTIO_MMIO_CONFIG && phys_range_ok(dev->base, dev->size);
}

int virtio_mmio_discover(const char *cmdline, struct virtio_mmio_dev *devs, int max, char *err,
			 size_t err_len)
{
	const char *pos = cmdline;
	struct token tok;
	int n = 0;

	while (cmdline_next(&pos, &tok)) {
		if (tok.key_len != 18 || memcmp(tok.key, "virtio_mmio.device", 18) || !tok.val)
			continue;
		if (n == max) {
			snprintf(err, err_len, "more than %d virtio_mmio.device entries", max);
			return -1;
		}
		memset(&devs[n], 0, sizeof(devs[n]));
		if (!parse_entry(tok.val, tok.val_len, &devs[n])) {
			snprintf(err, err_len, "bad virtio_mmio.device=%.*s", (int)tok.val_len,
				 tok.val);
			return -1;
		}
		n++;
	}
	return n;
}

bool virtio_mmio_probe(struct virtio_mmio_dev *dev)
{
	if (vmmio_read32(dev, VIRTIO_MMIO_MAGIC) != VIRTIO_MMIO_MAGIC_VALUE)
		return false;
	dev->version = vmmio_read32(dev, VIRTIO_MMIO_VERSION);
	dev->device_id = vmmio_read32(dev, VIRTIO_MMIO_DEVICE_ID);
	dev->vendor_id = vmmio_read32(dev, VIRTIO_MMIO_VENDOR_ID);
	return true;
}

const char *virtio_device_name(uint32_t device_id)
{
	switch (device_id) {
	case 0: return "none";
	case VIRTIO_ID_NET: return "net";
	case VIRTIO_ID_BLOCK: return "block";
	case 3: return "console";
	case 4: return "rng";
	case VIRTIO_ID_VSOCK: return "vsock";
	default: return "other";
	}
}
