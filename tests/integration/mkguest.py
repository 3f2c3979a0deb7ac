#!/usr/bin/env python3
"""Writes a minimal PVH ELF whose 32-bit entry (at 1 MiB) runs the given machine code.

usage: mkguest.py OUT.elf HEXBYTES   (e.g. "66baf803 b058 ee fa f4 ebfd")
"""
import struct
import sys

out, code = sys.argv[1], bytes.fromhex("".join(sys.argv[2:]))
entry = 0x100000
note = struct.pack("<III", 4, 4, 18) + b"Xen\0" + struct.pack("<I", entry)
ehdr = struct.pack("<16sHHIQQQIHHHHHH", b"\x7fELF\x02\x01\x01" + b"\0" * 9, 2, 62, 1, entry, 64, 0,
                   0, 64, 56, 2, 0, 0, 0)
load = struct.pack("<IIQQQQQQ", 1, 7, 0x1000, entry, entry, len(code), len(code) + 0x1000, 0x1000)
pnote = struct.pack("<IIQQQQQQ", 4, 4, 0x200, 0, 0, len(note), len(note), 4)
img = bytearray(0x1000 + len(code))
img[0:64] = ehdr
img[64:120] = load
img[120:176] = pnote
img[0x200:0x200 + len(note)] = note
img[0x1000:] = code
open(out, "wb").write(img)
