#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Independent reference for `cvmm measure`, written from the specification text alone.

It shares no code with cvmm: it parses the firmware metadata itself, computes the TDX MRTD and
the SEV-SNP launch digest with hashlib, and generates synthetic firmware images (random content
plus hand-made metadata) so the integration test can compare cvmm against it.

  measure_ref.py mrtd FIRMWARE
  measure_ref.py snp FIRMWARE VCPUS SIG FEATURES [KERNEL INITRD CMDLINE] [--firmware-only]
  measure_ref.py gen LAYOUT SEED OUT      (LAYOUT: see LAYOUTS below)
  measure_ref.py rtmr12 KERNEL INITRD|- CMDLINE   (RTMR[1] and RTMR[2] of TDVF direct boot)
  measure_ref.py authenticode IMAGE sha256|sha384
  measure_ref.py genpe SEED OUT           (a small PE32+ image with a few sections)
"""
import hashlib
import random
import struct
import sys
import uuid

PAGE = 4096


def guid(text):
    return uuid.UUID(text).bytes_le


FOOTER = guid("96b582de-1fb2-45f7-baea-a366c55a082d")
SEV_ES_RESET = guid("00f771de-1a7e-4fcb-890e-68c77e2fb44e")
SEV_HASHES = guid("7255371f-3a3b-4b04-927b-1da6efa8d454")
SEV_META = guid("dc886566-984a-4798-a75e-5585a7bf67cc")
TDX_META = guid("e47a6535-984a-4798-865e-4685a7bf8ec2")
TDVF_GUID = guid("e9eaf9f3-168e-44d5-a8eb-7f4d8738f6ae")
HT_GUID = guid("9438d606-4f22-4cc9-b479-a793d411fd21")
HT_CMDLINE = guid("97d02dd8-bd20-4c94-aa78-e7714d36ab2a")
HT_INITRD = guid("44baf731-3a2f-4bd7-9af1-41e29169781d")
HT_KERNEL = guid("4de79437-abd2-427f-b835-d5b172d2045b")

# ---------------------------------------------------------------- TDVF direct boot RTMRs


def authenticode(img, alg="sha384"):
    """Authenticode digest of a PE/COFF image (the Microsoft PE spec), as virtee/tdx-measure
    takes it for RTMR[1]: trailing data hashed only for signed images, then zero padding of the
    file size to 8 bytes."""
    h = hashlib.new(alg)
    pe = struct.unpack_from("<I", img, 0x3c)[0]
    if img[pe:pe + 4] != b"PE\0\0":
        raise ValueError("not PE")
    nsec, = struct.unpack_from("<H", img, pe + 6)
    optsize, = struct.unpack_from("<H", img, pe + 20)
    opt = pe + 24
    magic, = struct.unpack_from("<H", img, opt)
    csum = opt + 64
    cert = opt + (112 if magic == 0x20b else 96) + 4 * 8
    hdrs, = struct.unpack_from("<I", img, opt + 60)
    h.update(img[:csum])
    h.update(img[csum + 4:cert])
    h.update(img[cert + 8:hdrs])
    hashed = hdrs
    secs = []
    for i in range(nsec):
        size, ptr = struct.unpack_from("<II", img, opt + optsize + 40 * i + 16)
        if size:
            secs.append((ptr, size))
    for ptr, size in sorted(secs):
        h.update(img[ptr:ptr + size])
        hashed += size
    cert_addr, cert_size = struct.unpack_from("<II", img, cert)
    if cert_addr and cert_size and len(img) > hashed and len(img) - hashed > cert_size:
        h.update(img[hashed:len(img) - cert_size])
    if len(img) % 8:
        h.update(bytes(8 - len(img) % 8))
    return h.digest()


def extend_log(events):
    rtmr = bytes(48)
    for ev in events:
        rtmr = hashlib.sha384(rtmr + ev).digest()
    return rtmr


def rtmr12(kernel, initrd, cmdline):
    """RTMR[1] and RTMR[2] of TDVF direct boot: kernel and fixed events; command line, initrd."""
    sha = lambda b: hashlib.sha384(b).digest()
    r1 = extend_log([authenticode(kernel), sha(b"Calling EFI Application from Boot Option"),
                     sha(bytes(4)), sha(b"Exit Boot Services Invocation"),
                     sha(b"Exit Boot Services Returned with Success")])
    line = cmdline + (" initrd=initrd" if initrd is not None else "")
    events = [sha(line.encode("latin-1").decode("latin-1").encode("utf-16-le") + b"\0\0")]
    if initrd is not None:
        events.append(sha(initrd))
    return r1, extend_log(events)


# ---------------------------------------------------------------- footer table


def footer_entries(fw):
    """Returns {guid: data} of the GUIDed table that ends 32 bytes before the end of fw."""
    end = len(fw) - 32
    if fw[end - 16:end] != FOOTER:
        raise ValueError("no footer GUID")
    total = struct.unpack_from("<H", fw, end - 18)[0]
    start = end - total
    pos = end - 18
    out = {}
    while pos > start:
        g = fw[pos - 16:pos]
        length = struct.unpack_from("<H", fw, pos - 18)[0]
        out[g] = fw[pos - length:pos - 18]
        pos -= length
    return out


def tdvf_sections(fw):
    off = struct.unpack("<I", footer_entries(fw)[TDX_META][:4])[0]
    base = len(fw) - off
    sig, _length, _version, count = struct.unpack_from("<4sIII", fw, base)
    assert sig == b"TDVF"
    return [struct.unpack_from("<IIQQII", fw, base + 16 + 32 * i) for i in range(count)]


def sev_sections(fw):
    off = struct.unpack("<I", footer_entries(fw)[SEV_META][:4])[0]
    base = len(fw) - off
    sig, _length, _version, count = struct.unpack_from("<4sIII", fw, base)
    assert sig == b"ASEV"
    return [struct.unpack_from("<III", fw, base + 16 + 12 * i) for i in range(count)]

# ---------------------------------------------------------------- TDX MRTD


def mrtd(fw):
    h = hashlib.sha384()
    for data_off, raw, addr, size, _type, attrs in tdvf_sections(fw):
        content = fw[data_off:data_off + raw] + bytes(size - raw)
        for p in range(0, size, PAGE):
            gpa = addr + p
            if not attrs & 2:  # PAGE.AUG pages are not added at launch
                h.update(b"MEM.PAGE.ADD".ljust(16, b"\0") + struct.pack("<Q", gpa) + bytes(104))
            if attrs & 1:
                for c in range(0, PAGE, 256):
                    h.update(b"MR.EXTEND".ljust(16, b"\0") + struct.pack("<Q", gpa + c)
                             + bytes(104))
                    h.update(content[p + c:p + c + 256])
    return h.digest()

# ---------------------------------------------------------------- SNP launch digest


class LaunchDigest:
    def __init__(self):
        self.ld = bytes(48)

    def page(self, gpa, page_type, contents):
        digest = hashlib.sha384(contents).digest() if contents is not None else bytes(48)
        info = self.ld + digest + struct.pack("<HBBBBBBQ", 0x70, page_type, 0, 0, 0, 0, 0, gpa)
        assert len(info) == 0x70
        self.ld = hashlib.sha384(info).digest()

    def normal(self, gpa, data):
        for p in range(0, len(data), PAGE):
            self.page(gpa + p, 1, data[p:p + PAGE])

    def typed(self, gpa, size, page_type):
        for p in range(0, size, PAGE):
            self.page(gpa + p, page_type, None)


def seg(selector, attrib, limit, base):
    return struct.pack("<HHIQ", selector, attrib, limit, base)


def vmsa(eip, sig, features):
    """The VMSA page of a vCPU reset as QEMU leaves it (AMD APM vol. 2, VMSA layout)."""
    v = bytearray(PAGE)
    segs = [seg(0, 0x93, 0xffff, 0),                      # es
            seg(0xf000, 0x9b, 0xffff, eip & 0xffff0000),  # cs
            seg(0, 0x93, 0xffff, 0),                      # ss
            seg(0, 0x93, 0xffff, 0),                      # ds
            seg(0, 0x93, 0xffff, 0),                      # fs
            seg(0, 0x93, 0xffff, 0),                      # gs
            seg(0, 0, 0xffff, 0),                         # gdtr
            seg(0, 0x82, 0xffff, 0),                      # ldtr
            seg(0, 0, 0xffff, 0),                         # idtr
            seg(0, 0x8b, 0xffff, 0)]                      # tr
    v[0:160] = b"".join(segs)
    for off, val in ((0xd0, 0x1000), (0x148, 0x40), (0x158, 0x10), (0x160, 0x400),
                     (0x168, 0xffff0ff0), (0x170, 2), (0x178, eip & 0xffff),
                     (0x268, 0x0007040600070406), (0x310, sig), (0x3b0, features),
                     (0x3e8, 1)):
        struct.pack_into("<Q", v, off, val)
    struct.pack_into("<I", v, 0x408, 0x1f80)  # mxcsr
    struct.pack_into("<H", v, 0x410, 0x37f)   # x87 fcw
    return bytes(v)


def hashes_table(kernel, initrd, cmdline):
    def entry(g, data):
        return g + struct.pack("<H", 50) + hashlib.sha256(data).digest()
    body = (entry(HT_CMDLINE, cmdline.encode() + b"\0") + entry(HT_INITRD, initrd)
            + entry(HT_KERNEL, kernel))
    table = HT_GUID + struct.pack("<H", 18 + len(body)) + body
    assert len(table) == 168
    return table + bytes(8)


def snp_digest(fw, vcpus, sig, features, kernel=None, initrd=b"", cmdline="",
               firmware_only=False):
    ld = LaunchDigest()
    ld.normal((1 << 32) - len(fw), fw)
    if firmware_only:
        return ld.ld
    entries = footer_entries(fw)
    for base, length, stype in sev_sections(fw):
        if stype in (1, 4):
            ld.typed(base, length, 3)
        elif stype == 2:
            ld.typed(base, length, 5)
        elif stype == 3:
            ld.typed(base, length, 6)
        elif stype == 0x10:
            if kernel is None:
                ld.typed(base, length, 3)
            else:
                ht_base = struct.unpack("<I", entries[SEV_HASHES][:4])[0]
                page = bytearray(PAGE)
                off = ht_base & 0xfff
                table = hashes_table(kernel, initrd, cmdline)
                page[off:off + len(table)] = table
                ld.normal(base, bytes(page))
        else:
            raise ValueError("unknown SEV section type")
    ap_eip = struct.unpack("<I", entries[SEV_ES_RESET][:4])[0]
    for i in range(vcpus):
        ld.page(0xfffffffff000, 2, vmsa(0xfffffff0 if i == 0 else ap_eip, sig, features))
    return ld.ld

# ---------------------------------------------------------------- synthetic firmware

# Each layout: firmware size, TDVF sections (data_offset, raw, gpa, size, type, attrs) with
# data_offset relative to the start of the file, SEV sections (gpa, size, type), whether the
# hashes-table entry is present and where it points.
LAYOUTS = {
    # OVMF-like: BFV measured, CFV only added, TD_HOB and TempMem zero, PermMem accepted later.
    "ovmf": dict(size=0x40000,
                 tdvf=[(0x8000, 0x37000, 0xfffc8000, 0x38000, 0, 1),
                       (0x0, 0x8000, 0xfffc0000, 0x8000, 1, 0),
                       (0, 0, 0x809000, 0x2000, 2, 0),
                       (0, 0, 0x800000, 0x6000, 3, 0),
                       (0, 0, 0x1000000, 0x20000, 4, 2)],
                 sev=[(0x800000, 0x9000, 1), (0x80a000, 0x1000, 2), (0x80b000, 0x1000, 3),
                      (0x80c000, 0x1000, 0x10), (0x80d000, 0x3000, 1)],
                 hashes=(0x80cc00, 0x400)),
    # td-shim-like: payload measured with a partial last page, TdInfo, payload parameters.
    "shim": dict(size=0x30000,
                 tdvf=[(0x1000, 0x1800, 0x1100000, 0x4000, 5, 1),
                       (0x3000, 0x400, 0x1200000, 0x1000, 7, 1),
                       (0x4000, 0x2c000, 0xfffd4000, 0x2c000, 0, 1),
                       (0, 0, 0x1300000, 0x1000, 6, 0),
                       (0, 0, 0x1000000, 0x10000, 3, 0),
                       (0, 0, 0x1400000, 0x4000, 4, 2)],
                 sev=[(0x900000, 0x2000, 1), (0x902000, 0x1000, 3), (0x903000, 0x1000, 2),
                      (0x904000, 0x1000, 4), (0x905000, 0x1000, 0x10)],
                 hashes=(0x905000, 0x1000)),
    # Two pages: the smallest image with every kind of metadata (also the fuzzing seed).
    "tiny": dict(size=0x2000,
                 tdvf=[(0x0, 0x2000, 0xffffe000, 0x2000, 0, 1),
                       (0, 0, 0x800000, 0x1000, 2, 0),
                       (0, 0, 0x801000, 0x1000, 3, 0)],
                 sev=[(0x800000, 0x1000, 1), (0x801000, 0x1000, 2), (0x802000, 0x1000, 3),
                      (0x803000, 0x1000, 0x10)],
                 hashes=(0x803000, 0x400)),
    # No kernel-hashes section: a kernel must be refused for SNP.
    "nohashes": dict(size=0x20000,
                     tdvf=[(0x0, 0x20000, 0xfffe0000, 0x20000, 0, 1),
                           (0, 0, 0x800000, 0x1000, 2, 0)],
                     sev=[(0x800000, 0x4000, 1), (0x804000, 0x1000, 2), (0x805000, 0x1000, 3)],
                     hashes=None),
}


def gen(layout, seed, out):
    lay = LAYOUTS[layout]
    rnd = random.Random(seed)
    fw = bytearray(rnd.randbytes(lay["size"]))
    size = len(fw)
    # Metadata lives in the last page: TDVF descriptor (with its GUID) at end - 0xa00, SEV
    # metadata at end - 0x600, the GUIDed table right before the last 32 bytes.
    tdvf_at = size - 0xa00
    tdvf = struct.pack("<4sIII", b"TDVF", 16 + 32 * len(lay["tdvf"]), 1, len(lay["tdvf"]))
    tdvf += b"".join(struct.pack("<IIQQII", *s) for s in lay["tdvf"])
    fw[tdvf_at - 16:tdvf_at] = TDVF_GUID
    fw[tdvf_at:tdvf_at + len(tdvf)] = tdvf
    sev_at = size - 0x600
    sev = struct.pack("<4sIII", b"ASEV", 16 + 12 * len(lay["sev"]), 1, len(lay["sev"]))
    sev += b"".join(struct.pack("<III", *s) for s in lay["sev"])
    fw[sev_at:sev_at + len(sev)] = sev

    def entry(g, data):
        return data + struct.pack("<H", len(data) + 18) + g
    ap_reset = 0xfffff000 + rnd.randrange(0, 0x100) * 4
    table = entry(TDX_META, struct.pack("<I", size - tdvf_at))
    table += entry(SEV_META, struct.pack("<I", size - sev_at))
    if lay["hashes"]:
        table += entry(SEV_HASHES, struct.pack("<II", *lay["hashes"]))
    table += entry(SEV_ES_RESET, struct.pack("<I", ap_reset))
    table += struct.pack("<H", len(table) + 18) + FOOTER
    end = size - 32
    fw[end - len(table):end] = table
    with open(out, "wb") as f:
        f.write(fw)


def genpe(seed, out):
    """A PE32+ image: DOS stub, headers, three sections out of file order, trailing bytes, a
    size that is not a multiple of 8."""
    rnd = random.Random(seed)
    img = bytearray(rnd.randbytes(0x3000 + rnd.randrange(1, 700)))
    pe = 0x80
    struct.pack_into("<I", img, 0x3c, pe)
    img[pe:pe + 4] = b"PE\0\0"
    struct.pack_into("<HHIIIHH", img, pe + 4, 0x8664, 3, 0, 0, 0, 240, 0x22)
    opt = pe + 24
    struct.pack_into("<H", img, opt, 0x20b)
    struct.pack_into("<I", img, opt + 60, 0x400)            # SizeOfHeaders
    struct.pack_into("<II", img, opt + 112 + 32, 0, 0)      # no certificate table
    for i, (ptr, size) in enumerate([(0x2000, 0x800), (0x400, 0x1000), (0x1400, 0x200)]):
        struct.pack_into("<II", img, opt + 240 + 40 * i + 16, size, ptr)
    with open(out, "wb") as f:
        f.write(img)


def main(argv):
    if len(argv) >= 2 and argv[0] == "mrtd":
        print(mrtd(open(argv[1], "rb").read()).hex())
    elif len(argv) >= 5 and argv[0] == "snp":
        fw = open(argv[1], "rb").read()
        args = [a for a in argv[1:] if a != "--firmware-only"]
        kernel = initrd = None
        cmdline = ""
        if len(args) >= 7:
            kernel = open(args[4], "rb").read()
            initrd = open(args[5], "rb").read() if args[5] != "-" else b""
            cmdline = args[6]
        print(snp_digest(fw, int(args[1]), int(args[2], 0), int(args[3], 0), kernel,
                         initrd, cmdline, "--firmware-only" in argv).hex())
    elif len(argv) == 4 and argv[0] == "gen":
        gen(argv[1], int(argv[2]), argv[3])
    elif len(argv) == 4 and argv[0] == "rtmr12":
        initrd = open(argv[2], "rb").read() if argv[2] != "-" else None
        r1, r2 = rtmr12(open(argv[1], "rb").read(), initrd, argv[3])
        print(r1.hex())
        print(r2.hex())
    elif len(argv) == 3 and argv[0] == "authenticode":
        print(authenticode(open(argv[1], "rb").read(), argv[2]).hex())
    elif len(argv) == 3 and argv[0] == "genpe":
        genpe(int(argv[1]), argv[2])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
