#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/.

The seeds are small scripts in each target's input format (see the comment at the top of
tests/fuzz/fuzz_<target>.c), chosen so that every path the target is meant to reach is a few
mutations away.  Run from the repository root:  python3 tests/fuzz/mkcorpus.py
"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import measure_ref  # noqa: E402  (the firmware image generator)

CORPUS = os.path.join(os.path.dirname(__file__), "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- fuzz_vsock

RAW, PKT, RX, CLIENT, HOST_WRITE, HOST_READ, HOST_CLOSE, EVENT, TIME = range(9)
REQUEST, RESPONSE, RST, SHUTDOWN, RW, CREDIT_UPDATE, CREDIT_REQUEST = range(1, 8)
RX_SMALL, RX_HEADER, RX_FEW, RX_4K, RX_64K = range(5)
EPOLLIN, EPOLLOUT = 0, 1  # indexes into the target's event table


def rec(kind, arg=0, data=b""):
    return struct.pack("<BBH", kind, arg, len(data)) + data


def pkt(op, ports, payload=b"", flags=0, buf_alloc=16, fwd=0, cut=0, repeat=1):
    """A well-formed guest packet; ports < 0x80: a learned pair, else a guest-chosen one."""
    return rec(PKT, cut, bytes([op, flags | (repeat - 1) << 3, ports, buf_alloc, fwd]) + payload)


def rx(size_class, count=1, cut=0):
    return rec(RX, size_class, bytes([count - 1, cut]))


def raw(hdr_fields, payload=b"", cut=0):
    src_cid, dst_cid, src_port, dst_port, length, typ, op, flags, buf_alloc, fwd = hdr_fields
    h = struct.pack("<QQIIIHHIII", src_cid, dst_cid, src_port, dst_port, length, typ, op, flags,
                    buf_alloc, fwd)
    return rec(RAW, cut, h + payload)


def vsock_seeds():
    # A host client connects, the guest accepts, data both ways (the guest's more than the
    # host socket holds, so it waits in the ring), half-close, close.
    host = (rec(CLIENT, 0, b"CONNECT 52\nearly") + rec(EVENT, 0, bytes([EPOLLIN])) + rx(RX_4K) +
            pkt(RESPONSE, 0) + rec(EVENT, 0, bytes([EPOLLIN])) + rx(RX_4K) +
            rec(HOST_WRITE, 0, b"to the guest") + rec(EVENT, 0, bytes([EPOLLIN])) + rx(RX_4K, 2) +
            pkt(RW, 0, bytes(range(256)) * 40, cut=0x85) + rec(HOST_READ, 0, b"\x07") +
            rec(EVENT, 0, bytes([EPOLLOUT])) + rec(HOST_READ, 0, b"\x7f") +
            rec(EVENT, 0, bytes([EPOLLOUT])) + rx(RX_4K) + pkt(SHUTDOWN, 0, flags=2) +
            rec(HOST_CLOSE, 0, b"\x01") + rec(EVENT, 0, bytes([EPOLLIN])) + rx(RX_4K, 3) +
            pkt(SHUTDOWN, 0, flags=3) + rec(TIME, 60))
    write("fuzz_vsock", "host_connect", host)
    # The guest connects to an even port (accepted) and an odd one (refused), talks, asks for
    # credit, and closes.
    guest = (pkt(REQUEST, 0x80) + pkt(REQUEST, 0x91) + rx(RX_4K, 2) +
             pkt(RW, 0, b"hello host") + rec(HOST_READ, 0, b"\x00") +
             rec(HOST_WRITE, 0, b"hello guest") + rec(EVENT, 0, bytes([EPOLLIN])) + rx(RX_64K) +
             pkt(CREDIT_REQUEST, 0) + rx(RX_FEW) + pkt(CREDIT_UPDATE, 0, fwd=0) +
             pkt(SHUTDOWN, 0, flags=1) + pkt(RST, 0) + rx(RX_4K))
    write("fuzz_vsock", "guest_connect", guest)
    # Receive buffers of every size while only data waits: below a header, a header alone
    # (control packets only), a few bytes.
    small = (rec(CLIENT, 0, b"connect 1024\n") + rec(EVENT, 0, bytes([EPOLLIN])) + rx(RX_4K) +
             pkt(RESPONSE, 0, buf_alloc=10) +
             rec(HOST_WRITE, 0, bytes(3000)) + rec(EVENT, 0, bytes([EPOLLIN])) +
             rx(RX_SMALL | 0x50) + rx(RX_HEADER, 3) + pkt(CREDIT_REQUEST, 0) + rx(RX_HEADER) +
             rx(RX_FEW | 0x40, 2, cut=0x31) + rx(RX_64K) + rx(RX_4K))
    write("fuzz_vsock", "header_only_buffers", small)
    # The guest fills most of the 256 KiB window while the host reads slowly: the ring holds
    # it, wraps around, and a packet beyond the window is a credit violation.
    block = bytes(range(251)) * 32  # 8032 bytes
    drain = (rec(HOST_READ, 0, b"\x7f") + rec(EVENT, 0, bytes([EPOLLOUT]))) * 24
    wrap = (pkt(REQUEST, 0x80) + rx(RX_4K) + pkt(RW, 0, block, repeat=24) + drain +
            rx(RX_4K, 2) + pkt(RW, 0, block, repeat=12) + drain + rx(RX_4K, 2) +
            pkt(RW, 0, block, repeat=32) + rx(RX_4K, 2))
    write("fuzz_vsock", "ring_wrap", wrap)
    # Malformed packets of each class, raw.
    good = [3, 2, 1000, 0, 0, 1, REQUEST, 0, 4096, 0]
    bad = b""
    for i, v in ((0, 4), (1, 3), (2, 0xffffffff), (5, 2), (6, 9), (4, 5), (7, 8)):
        f = list(good)
        f[i] = v
        bad += raw(f, cut=0x21)
    bad += rec(RAW, 0, b"short") + raw(good, cut=0xf0)
    write("fuzz_vsock", "malformed", bad)


# ---------------------------------------------------------------- fuzz_virtq

WIN = 64 * 1024
VRING_DESC_F_NEXT, VRING_DESC_F_WRITE, VRING_DESC_F_INDIRECT = 1, 2, 4
HIGH = 1 << 32


def virtq_input(qexp, flags, low, high, shared_low=0xffff, shared_high=0xffff, extra=(0, 0),
                start=0):
    hdr = struct.pack("<BB", qexp, flags) + struct.pack(">H", start) + \
        struct.pack("<HHIH", shared_low, shared_high, extra[0], extra[1])
    # Both windows, the same length each: the target splits the rest in halves.
    n = max(len(low), len(high))
    return hdr + low.ljust(n, b"\0") + high.ljust(n, b"\0")


def ring(qsize, chains, extra=(), start=0):
    """Window bytes with the rings at the bottom: descriptors (idx, addr, len, flags, next),
    the avail ring publishing chains (head indexes) from ring index start, and extra
    (offset, bytes) blobs."""
    mem = bytearray(WIN)
    for i, addr, length, flags, nxt in chains["desc"]:
        struct.pack_into("<QIHH", mem, 16 * i, addr, length, flags, nxt)
    avail = 16 * qsize
    heads = chains["heads"]
    struct.pack_into("<HH", mem, avail, 0, (start + len(heads)) & 0xffff)
    for k, h in enumerate(heads):
        struct.pack_into("<H", mem, avail + 4 + 2 * ((start + k) % qsize), h)
    for off, blob in extra:
        mem[off:off + len(blob)] = blob
    return bytes(mem).rstrip(b"\0") or b"\0"


def virtq_seeds():
    q = 4
    # A plain three-buffer chain in low RAM.
    low = ring(16, {"desc": [(0, 0x8000, 16, VRING_DESC_F_NEXT, 1),
                             (1, 0x9000, 512, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 2),
                             (2, 0xa000, 1, VRING_DESC_F_WRITE, 0)], "heads": [0]})
    write("fuzz_virtq", "chain", virtq_input(q, 0, low, b""))
    # An indirect table, EVENT_IDX, a start index near the 16-bit wrap.
    table = struct.pack("<QIHH", 0x8000, 16, VRING_DESC_F_NEXT, 1) + \
        struct.pack("<QIHH", 0x9000, 64, VRING_DESC_F_WRITE, 0)
    low = ring(16, {"desc": [(0, 0x800, 32, VRING_DESC_F_INDIRECT, 0)], "heads": [0]},
               extra=[(0x800, table)], start=0xfffe)
    write("fuzz_virtq", "indirect", virtq_input(q, 3, low, b"", start=0xfffe))
    # Rings in high RAM, buffers in both regions, one across the top of low RAM.
    high = ring(16, {"desc": [(0, HIGH + 0x8000, 16, VRING_DESC_F_NEXT, 1),
                              (1, 0x8000, 4096, VRING_DESC_F_NEXT, 2),
                              (2, 0xbffff000, 0x2000, VRING_DESC_F_WRITE, 0)], "heads": [0]})
    write("fuzz_virtq", "high_ram", virtq_input(q, 8, b"", high))
    # Two buffers of 2.5 GiB: more than 4 GiB in one chain.
    low = ring(16, {"desc": [(0, 0x10000, 0xa0000000, VRING_DESC_F_NEXT, 1),
                             (1, 0x10000, 0xa0000000, VRING_DESC_F_WRITE, 0)], "heads": [0]})
    write("fuzz_virtq", "over_4g", virtq_input(q, 0, low, b""))
    # Confidential: rings and some pages shared, a buffer in a private page, another in a
    # shared range far away.
    low = ring(16, {"desc": [(0, 0x8000, 16, VRING_DESC_F_NEXT, 1),
                             (1, 0x40000000, 8192, VRING_DESC_F_NEXT, 2),
                             (2, 0xe000, 1, VRING_DESC_F_WRITE, 0),
                             (3, 0x8000, 16, 0, 0)], "heads": [0, 3]})
    write("fuzz_virtq", "confidential", virtq_input(q, 4 | 2, low, b"", shared_low=0x81ff,
                                                    shared_high=0, extra=(0x40000, 16)))


# ---------------------------------------------------------------- fuzz_firmware

def firmware_seeds():
    # A 64 KiB image whose TempMem section is 1 TiB (refused: more than a launch can add) and
    # one with 256 MiB of TempMem (accepted: a larger walk, still fast, added pages only).
    for name, size in (("big-section.fd", 1 << 40), ("large-tempmem.fd", 256 << 20)):
        measure_ref.LAYOUTS[name] = dict(
            size=0x10000,
            tdvf=[(0x0, 0x8000, 0xffff8000, 0x8000, 0, 1),
                  (0, 0, 0x809000, 0x2000, 2, 0),
                  (0, 0, 1 << 32, size, 3, 0)],
            sev=[(0x800000, 0x1000, 1), (0x801000, 0x1000, 2), (0x802000, 0x1000, 3)],
            hashes=(0x802000, 0x400))
        measure_ref.gen(name, 7, os.path.join(CORPUS, "fuzz_firmware", name))


# ---------------------------------------------------------------- fuzz_boot, fuzz_launch

def pvh_elf(code=b"\xfa\xf4\xeb\xfd", bss=0x1000, elf32=False, note=True):
    """A minimal PVH ELF (64- or 32-bit) whose entry at 1 MiB runs code (as mkguest.py)."""
    entry = 0x100000
    xen = struct.pack("<III", 4, 4, 18) + b"Xen\0" + struct.pack("<I", entry)
    if elf32:
        ehdr = struct.pack("<16sHHIIIIIHHHHHH", b"\x7fELF\x01\x01\x01" + b"\0" * 9, 2, 3, 1,
                           entry, 52, 0, 0, 52, 32, 2 if note else 1, 0, 0, 0)
        load = struct.pack("<IIIIIIII", 1, 0x1000, entry, entry, len(code), len(code) + bss, 7,
                           0x1000)
        pnote = struct.pack("<IIIIIIII", 4, 0x200, 0, 0, len(xen), len(xen), 4, 4)
        hdrs = ehdr + load + (pnote if note else b"")
    else:
        ehdr = struct.pack("<16sHHIQQQIHHHHHH", b"\x7fELF\x02\x01\x01" + b"\0" * 9, 2, 62, 1,
                           entry, 64, 0, 0, 64, 56, 2 if note else 1, 0, 0, 0)
        load = struct.pack("<IIQQQQQQ", 1, 7, 0x1000, entry, entry, len(code), len(code) + bss,
                           0x1000)
        pnote = struct.pack("<IIQQQQQQ", 4, 4, 0x200, 0, 0, len(xen), len(xen), 4)
        hdrs = ehdr + load + (pnote if note else b"")
    img = bytearray(0x1000 + len(code))
    img[:len(hdrs)] = hdrs
    if note:
        img[0x200:0x200 + len(xen)] = xen
    img[0x1000:] = code
    return bytes(img)


def bzimage(payload=b"\xf4" * 4096, setup_sects=4, version=0x20f, xloadflags=1):
    """A minimal bzImage: boot sector, setup header (64-bit entry), protected-mode payload."""
    img = bytearray(512 * (setup_sects + 1))
    img[0x1f1] = setup_sects
    struct.pack_into("<H", img, 0x1fe, 0xaa55)
    struct.pack_into("<I", img, 0x1f4, (len(payload) + 15) // 16)   # syssize
    img[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", img, 0x206, version)
    img[0x211] = 1                                                  # loadflags: LOADED_HIGH
    struct.pack_into("<I", img, 0x214, 0x100000)                    # code32_start
    struct.pack_into("<I", img, 0x22c, 0x37ffffff)                  # initrd_addr_max
    struct.pack_into("<I", img, 0x230, 0x200000)                    # kernel_alignment
    img[0x234] = 1                                                  # relocatable_kernel
    struct.pack_into("<H", img, 0x236, xloadflags)
    struct.pack_into("<I", img, 0x238, 2047)                        # cmdline_size
    struct.pack_into("<I", img, 0x260, 0x400000)                    # init_size
    return bytes(img) + payload


def boot_seeds():
    kernels = {"pvh64": pvh_elf(), "pvh32": pvh_elf(elf32=True), "elf64": pvh_elf(note=False),
               "bzimage": bzimage()}
    for name, k in kernels.items():
        # 32 MiB, no initrd, a command line; 128 MiB with an initrd; 5 GiB (placement only).
        write("fuzz_boot", name, bytes([0x10]) + k)
        write("fuzz_boot", name + "-initrd", bytes([0x25]) + struct.pack("<H", 300) +
              bytes(range(256)) + bytes(44) + k)
        write("fuzz_boot", name + "-5g", bytes([0x03]) + k)
    write("fuzz_boot", "bzimage-huge-init", bytes([0x00]) + bzimage(xloadflags=1)[:0x260] +
          struct.pack("<I", 0x7fffffff) + bzimage()[0x264:])


def launch_seeds():
    k = pvh_elf()
    cmdline = b"console=ttyS0 quiet"
    # Plain VM: 2 vCPUs, 256 MiB, 3 drives, vsock, rng, kernel irqchip.
    write("fuzz_launch", "plain", bytes([1, (3 << 5) | 16 | 8]) + struct.pack("<H", 256) +
          bytes([len(cmdline)]) + cmdline + struct.pack("<H", 0) + k)
    # Emulated TEE, split irqchip, 3.5 GiB (across the MMIO hole), an initrd.
    write("fuzz_launch", "emulated-initrd", bytes([3, 2 | 1]) + struct.pack("<H", 3584) +
          bytes([0]) + struct.pack("<H", 64) + bytes(64) + k)
    # SNP and TDX with a firmware image from the firmware target's seeds (if generated).
    fw_dir = os.path.join(CORPUS, "fuzz_firmware")
    for tee, name in ((2, "snp"), (3, "tdx")):
        path = os.path.join(fw_dir, "tiny-1.fd")
        if not os.path.exists(path):
            continue
        fw = open(path, "rb").read()
        fw += bytes(-len(fw) % 16)
        write("fuzz_launch", name, bytes([0, tee << 1]) + struct.pack("<H", 512) +
              bytes([len(cmdline)]) + cmdline + struct.pack("<H", 0) +
              struct.pack("<H", len(fw) // 16) + fw + k)


# ---------------------------------------------------------------- fuzz_blk

BLK_BUF = 0x10000


def blk_rec(op, data=b""):
    return struct.pack("<BH", op, len(data)) + data


def blk_seeds():
    NEXT, WRITE = 1, 2
    hdr = lambda t, sector: struct.pack("<IIQ", t, 0, sector)
    mem = lambda off, data: blk_rec(2, struct.pack("<H", off // 16) + data)
    d = lambda i, addr, length, flags=0, nxt=0: blk_rec(0, struct.pack("<HIIBH", i, addr, length,
                                                                         flags, nxt))
    avail = lambda head: blk_rec(1, struct.pack("<H", head))
    # A write, a flush, a read back, GET_ID: three-part chains (header, data, status).
    seq = (mem(0, hdr(1, 8)) + mem(0x100, bytes(range(256)) * 2) +
           d(0, 0, 16, NEXT, 1) + d(1, 0x100, 512, NEXT, 2) + d(2, 0x1000, 1, WRITE) + avail(0) +
           blk_rec(3) + blk_rec(4) +
           mem(0x20, hdr(4, 0)) + d(3, 0x20, 16, NEXT, 4) + d(4, 0x1001, 1, WRITE) + avail(3) +
           mem(0x40, hdr(0, 8)) + d(5, 0x40, 16, NEXT, 6) + d(6, 0x2000, 512, NEXT | WRITE, 7) +
           d(7, 0x1002, 1, WRITE) + avail(5) + mem(0x60, hdr(8, 0)) + d(8, 0x60, 16, NEXT, 9) +
           d(9, 0x3000, 20, NEXT | WRITE, 10) + d(10, 0x1003, 1, WRITE) + avail(8) +
           blk_rec(3) + blk_rec(4))
    write("fuzz_blk", "rw_sync", bytes([0x04, 2]) + seq)
    write("fuzz_blk", "rw_uring", bytes([0x05, 4]) + seq)
    # Discard / write-zeroes segments, a chain running past the end, the image shrinking.
    seg = struct.pack("<QII", 4, 8, 0) + struct.pack("<QII", 1 << 40, 8, 1)
    odd = (mem(0, hdr(11, 0)) + mem(0x100, seg) + d(0, 0, 16, NEXT, 1) +
           d(1, 0x100, len(seg), NEXT, 2) + d(2, 0x1000, 1, WRITE) + avail(0) + blk_rec(3) +
           blk_rec(6, struct.pack("<I", 64)) + mem(0x20, hdr(0, 100)) + d(3, 0x20, 16, NEXT, 4) +
           d(4, 0x4000, 4096, NEXT | WRITE, 5) + d(5, 0x1001, 1, WRITE) + avail(3) +
           blk_rec(3) + blk_rec(5) + d(0, 0x1ff000, 0x10000, WRITE) + avail(0) + blk_rec(3))
    write("fuzz_blk", "discard_shrink_reset", bytes([0x09, 1]) + odd)
    write("fuzz_blk", "read_only_uring", bytes([0x03, 3]) + seq)


# ---------------------------------------------------------------- fuzz_api (Cloud Hypervisor)

CH, CH_FDS = 0x02, 0x06  # HTTP to the Cloud Hypervisor table; with two descriptors attached


def http(method, path, body=b"", extra=b""):
    head = b"%s /api/v1/%s HTTP/1.1\r\nHost: localhost\r\n" % (method, path)
    if body or method == b"PUT":
        head += b"Content-Length: %d\r\nContent-Type: application/json\r\n" % len(body)
    return head + extra + b"\r\n" + body


def api_ch_seeds():
    # Kata's Go clh driver: vm.create as its openapi client marshals it (keys sorted), then the
    # rest of its flow, pipelined; the TDX pod's body; vm.add-net as DumpRequest writes it, with
    # the tap descriptors attached; refused fields and endpoints.
    plain = (b'{"console":{"iommu":false,"mode":"Off"},"cpus":{"boot_vcpus":1,'
             b'"kvm_hyperv":false,"max_vcpus":4,"topology":{"cores_per_die":4,'
             b'"dies_per_package":1,"packages":1,"threads_per_core":1}},"iommu":false,'
             b'"landlock_enable":false,"memory":{"hotplug_method":"Acpi",'
             b'"hotplug_size":2147483648,"hugepages":false,"mergeable":false,"prefault":false,'
             b'"shared":true,"size":268435456,"thp":true},"payload":{"cmdline":"quiet",'
             b'"initramfs":"/bin/sh","kernel":"/bin/sh"},"pvpanic":false,"rng":{"iommu":false,'
             b'"src":"/dev/urandom"},"serial":{"iommu":false,"mode":"Off"},"vsock":{"cid":3,'
             b'"iommu":false,"socket":"/tmp/clh.sock"},"watchdog":false}')
    tdx = (b'{"console":{"iommu":false,"mode":"Off"},"cpus":{"boot_vcpus":2,"max_vcpus":2},'
           b'"disks":[{"direct":false,"iommu":false,"num_queues":1,"path":"/bin/sh",'
           b'"queue_size":128,"readonly":true,"vhost_user":false}],"memory":{"shared":true,'
           b'"size":67108864,"thp":true},"payload":{"cmdline":"root=/dev/vda1","firmware":'
           b'"/bin/sh","kernel":"/bin/sh"},"platform":{"num_pci_segments":1,"tdx":true},'
           b'"serial":{"mode":"Off"}}')
    net = (b'{"iommu":false,"ip":"192.168.249.1","mac":"02:aa:bb:cc:dd:01",'
           b'"mask":"255.255.255.0","num_queues":2,"queue_size":256,"vhost_mode":"Client",'
           b'"vhost_user":false}')
    flow = (http(b"GET", b"vmm.ping") + http(b"PUT", b"vm.create", plain) +
            http(b"GET", b"vm.info") + http(b"PUT", b"vm.boot") + http(b"GET", b"vm.counters") +
            http(b"PUT", b"vm.resize", b'{"desired_vcpus":2}') + http(b"PUT", b"vm.shutdown") +
            http(b"PUT", b"vmm.shutdown"))
    write("fuzz_api", "ch_kata_flow", bytes([CH]) + flow)
    write("fuzz_api", "ch_tdx_create", bytes([CH]) + http(b"PUT", b"vm.create", tdx) +
          http(b"PUT", b"vm.boot"))
    write("fuzz_api", "ch_add_net_fds", bytes([CH_FDS]) + http(b"PUT", b"vm.add-net", net,
                                                               b"Accept: application/json\r\n"))
    # runtime-rs's ch driver: the pod's interface in vm.create's net, a tap by name (serde: ip
    # and mask at their defaults); a second one by name through vm.add-net.
    rs_net = (b'{"payload":{"kernel":"/bin/sh","cmdline":"quiet"},"net":[{"tap":"tap0_kata",'
              b'"ip":"192.168.249.1","mask":"255.255.255.0","mac":"02:aa:bb:cc:dd:05",'
              b'"iommu":false,"num_queues":2,"queue_size":256,"vhost_user":false,'
              b'"vhost_mode":"Client","id":"eth0"}],"fs":[]}')
    write("fuzz_api", "ch_runtime_rs_net", bytes([CH]) + http(b"PUT", b"vm.create", rs_net) +
          http(b"PUT", b"vm.add-net", b'{"tap":"tap1","id":"eth1","mtu":9000}') +
          http(b"GET", b"vm.info") + http(b"PUT", b"vm.boot"))
    refused = (b'{"payload":{"kernel":"/bin/sh"},"fs":[{"tag":"t","socket":"/s",'
               b'"num_queues":1,"queue_size":1024}],"pmem":[{"file":"/f"}],"net":[{}]}')
    write("fuzz_api", "ch_refused", bytes([CH]) + http(b"PUT", b"vm.create", refused) +
          http(b"PUT", b"vm.add-disk", b'{"path":"/x"}'))


GROUPS = {"vsock": vsock_seeds, "virtq": virtq_seeds, "firmware": firmware_seeds,
          "boot": boot_seeds, "launch": launch_seeds, "blk": blk_seeds, "api_ch": api_ch_seeds}


def main(args):
    # Every group by default; or the ones named (e.g. "api_ch").
    for name in args or GROUPS:
        GROUPS[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
