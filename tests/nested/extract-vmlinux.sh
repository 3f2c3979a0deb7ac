#!/bin/bash
# Extracts the uncompressed ELF vmlinux from an x86 bzImage whose payload is LZ4-compressed, and
# checks that the result is a PVH-bootable ELF (it carries XEN_ELFNOTE_PHYS32_ENTRY).
#   usage: extract-vmlinux.sh BZIMAGE OUT
set -euo pipefail

IN=${1:?usage: extract-vmlinux.sh BZIMAGE OUT}
OUT=${2:?usage: extract-vmlinux.sh BZIMAGE OUT}

# Little-endian unsigned integer of WIDTH bytes at OFFSET.
le()
{
	od -An -t "u$2" -j "$1" -N "$2" --endian=little "$IN" | tr -d ' '
}

[ "$(dd if="$IN" bs=1 skip=514 count=4 status=none)" = "HdrS" ] ||
	{ echo "extract-vmlinux: $IN is not a bzImage" >&2; exit 1; }
setup_sects=$(le 497 1)
[ "$setup_sects" -ne 0 ] || setup_sects=4
payload_offset=$(le 584 4)
payload_length=$(le 588 4)
# The payload is offset from the protected-mode code, which follows the setup sectors.  The
# build appends the decompressed size (4 bytes) after the compressed stream.
start=$(((setup_sects + 1) * 512 + payload_offset))
size=$(stat -c %s "$IN")
if [ "$payload_length" -le 4 ] || [ $((start + payload_length)) -gt "$size" ]; then
	echo "extract-vmlinux: payload outside $IN" >&2
	exit 1
fi
magic=$(od -An -t x1 -j "$start" -N 4 "$IN" | tr -d ' ')
[ "$magic" = "02214c18" ] || { echo "extract-vmlinux: payload is not legacy LZ4 ($magic)" >&2; exit 1; }

dd if="$IN" bs=64K iflag=skip_bytes,count_bytes skip="$start" count=$((payload_length - 4)) status=none |
	lz4 -d -q -c >"$OUT.tmp"
expected=$(od -An -t u4 -j $((start + payload_length - 4)) -N 4 --endian=little "$IN" | tr -d ' ')
[ "$(stat -c %s "$OUT.tmp")" -eq "$expected" ] ||
	{ echo "extract-vmlinux: decompressed size differs from the recorded $expected" >&2; exit 1; }
readelf -nW "$OUT.tmp" | grep -q 'Xen .*note type: (0x00000012)' ||
	{ echo "extract-vmlinux: no XEN_ELFNOTE_PHYS32_ENTRY in the extracted ELF" >&2; exit 1; }
mv "$OUT.tmp" "$OUT"
