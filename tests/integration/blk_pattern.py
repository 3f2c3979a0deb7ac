#!/usr/bin/env python3
"""Writes the image a drive holds after the test guest's `blk` check (tests/guest/blk.c): MIB MiB
of the pattern (little-endian 64-bit word i is splitmix64(seed + i)), then zeroes up to TOTAL.

  blk_pattern.py FILE SEED MIB [TOTAL_BYTES]
"""
import struct
import sys

MASK = (1 << 64) - 1


def mix64(x):
    x = (x + 0x9E3779B97F4A7C15) & MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK
    return x ^ (x >> 31)


def pattern(seed, nbytes):
    words = nbytes // 8
    return struct.pack("<%dQ" % words, *(mix64((seed + i) & MASK) for i in range(words)))


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    path, seed, mib = sys.argv[1], int(sys.argv[2], 0), int(sys.argv[3])
    want = pattern(seed, mib << 20)
    total = int(sys.argv[4]) if len(sys.argv) > 4 else len(want)
    with open(path, "wb") as f:
        f.write(want)
        f.truncate(max(total, len(want)))


if __name__ == "__main__":
    main()
