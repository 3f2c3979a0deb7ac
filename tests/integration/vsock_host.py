#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Host side of cvmm's hybrid vsock, for the integration test and the benchmark.

Talks to cvmm's Unix socket PATH ("CONNECT <port>\\n" / "OK <host_port>\\n") and to the test
guest's services (tests/guest/vsock.c): echo, sink, source, stop.  Each subcommand prints one
line and exits 0 on success, 1 with "FAIL: why" otherwise.
"""
import argparse
import hashlib
import os
import selectors
import socket
import struct
import sys
import threading
import time
import zlib

PATTERN = bytes(((j * 157 + (j >> 8)) & 0xff) for j in range(65536))


def fail(why):
    print("FAIL: " + why)
    sys.exit(1)


def connect(path, port, timeout=30.0):
    """Returns (socket, host_port) once cvmm answered OK; raises on refusal."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    s.sendall(b"CONNECT %d\n" % port)
    line = b""
    while not line.endswith(b"\n"):
        d = s.recv(1)
        if not d:
            s.close()
            raise ConnectionRefusedError("closed during handshake (%r)" % line)
        line += d
    if not line.startswith(b"OK "):
        raise ConnectionError("bad answer %r" % line)
    return s, int(line[3:-1])


def closed_by_peer(s, timeout=10.0):
    """True when the peer closes s (EOF or reset) within timeout without sending data."""
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def echo_many(path, port, sizes):
    """Concurrent echo connections, one per size; every byte must come back in order."""
    sel = selectors.DefaultSelector()
    state = {}
    for i, size in enumerate(sizes):
        s, _ = connect(path, port)
        s.setblocking(False)
        data = os.urandom(size)
        state[s] = {"data": data, "sent": 0, "hash": hashlib.sha256(), "got": 0}
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    deadline = time.time() + 600
    while state and time.time() < deadline:
        for key, ev in sel.select(timeout=1.0):
            s, st = key.fileobj, state[key.fileobj]
            if ev & selectors.EVENT_WRITE and st["sent"] < len(st["data"]):
                try:
                    n = s.send(st["data"][st["sent"]:st["sent"] + 262144])
                    st["sent"] += n
                except BlockingIOError:
                    pass
                if st["sent"] == len(st["data"]):
                    s.shutdown(socket.SHUT_WR)
                    sel.modify(s, selectors.EVENT_READ)
            if ev & selectors.EVENT_READ:
                try:
                    d = s.recv(262144)
                except BlockingIOError:
                    continue
                if d:
                    st["hash"].update(d)
                    st["got"] += len(d)
                    continue
                sel.unregister(s)
                s.close()
                del state[s]
                if st["got"] != len(st["data"]):
                    fail("echo returned %d of %d bytes" % (st["got"], len(st["data"])))
                if st["hash"].digest() != hashlib.sha256(st["data"]).digest():
                    fail("echoed data differs (sha256)")
    if state:
        fail("%d echo connections did not finish" % len(state))


def cmd_echo(a):
    t = time.time()
    echo_many(a.path, a.port, [a.bytes] * a.conns)
    dt = time.time() - t
    print("echo: %d connection(s) x %d bytes, sha256 equal, %.2f s, %.1f MB/s each way" %
          (a.conns, a.bytes, dt, a.conns * a.bytes / dt / 1e6))


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def cmd_cycles(a):
    """connect / echo a few bytes / close, count times; cvmm's open fds must come back."""
    before = fd_count(a.pid)
    t = time.time()
    for i in range(a.count):
        s, _ = connect(a.path, a.port)
        msg = b"cycle %d\n" % i
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            d = s.recv(64)
            if not d:
                fail("cycle %d: connection closed early" % i)
            got += d
        if got != msg:
            fail("cycle %d: echo differs" % i)
        if a.half_close:
            s.shutdown(socket.SHUT_WR)
            if s.recv(1) != b"":
                fail("cycle %d: no EOF after half-close" % i)
        s.close()
    rate = a.count / (time.time() - t)
    # Closing is asynchronous (cvmm waits for the guest's RST): give it a moment.
    after = fd_count(a.pid)
    for _ in range(100):
        if after <= before:
            break
        time.sleep(0.05)
        after = fd_count(a.pid)
    if after != before:
        fail("cvmm had %d open fds before %d cycles and %d after" % (before, a.count, after))
    print("cycles: %d connect/echo/close, cvmm fds %d before and after, %.0f cycles/s" %
          (a.count, before, rate))


def cmd_negative(a):
    """Handshakes that must be refused, and a guest port nobody listens on."""
    cases = [b"HELLO 5\n", b"CONNECT\n", b"CONNECT abc\n", b"CONNECT 4294967295\n",
             b"C" * 100, b"CONNECT 1024 x\n"]
    held = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)  # a partial line, kept open
    held.connect(a.path)
    held.sendall(b"CONN")
    for line in cases:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(a.path)
        s.sendall(line)
        if not closed_by_peer(s):
            fail("handshake %r was not refused" % line[:20])
        s.close()
    try:
        s, _ = connect(a.path, a.closed_port)
        fail("port %d has no guest listener but was accepted" % a.closed_port)
    except ConnectionRefusedError:
        pass
    # The partial line completes: a working connection after all.
    held.sendall(b"ECT %d\n" % a.port)
    line = held.recv(64)
    if not line.startswith(b"OK "):
        fail("partial handshake did not complete: %r" % line)
    held.sendall(b"x")
    if held.recv(1) != b"x":
        fail("no echo after a partial handshake")
    held.close()
    print("negative: %d bad handshakes closed, port %d refused, split line accepted" %
          (len(cases), a.closed_port))


def cmd_sink(a):
    """Sends bytes to the guest's sink; returns its report (count, CRC)."""
    s, _ = connect(a.path, a.port)
    data = os.urandom(min(a.bytes, 1 << 20))
    t, sent = time.time(), 0
    while sent < a.bytes:
        n = min(len(data), a.bytes - sent)
        s.sendall(data[:n])
        sent += n
    s.shutdown(socket.SHUT_WR)
    rep = b""
    while len(rep) < 12:
        d = s.recv(12 - len(rep))
        if not d:
            fail("sink closed without a report")
        rep += d
    dt = time.time() - t
    count, crc = struct.unpack("<QI", rep)
    if count != a.bytes:
        fail("sink counted %d of %d bytes" % (count, a.bytes))
    if a.crc:
        want = 0
        sent = 0
        while sent < a.bytes:
            n = min(len(data), a.bytes - sent)
            want = zlib.crc32(data[:n], want)
            sent += n
        if crc != want:
            fail("sink CRC %08x, expected %08x" % (crc, want))
    if not closed_by_peer(s):
        fail("sink did not close")
    print("sink: %d bytes host->guest%s, %.1f MB/s" %
          (a.bytes, ", CRC equal" if a.crc else "", a.bytes / dt / 1e6))


def cmd_source(a):
    s, _ = connect(a.path, a.port)
    t, got, bad = time.time(), 0, False
    while True:
        d = s.recv(1 << 20)
        if not d:
            break
        if a.verify:
            off = got % 65536
            want = (PATTERN * ((len(d) + off) // 65536 + 2))[off:off + len(d)]
            bad |= d != want
        got += len(d)
    dt = time.time() - t
    if got != a.bytes or bad:
        fail("source sent %d bytes (expected %d)%s" % (got, a.bytes,
                                                      ", pattern differs" if bad else ""))
    print("source: %d bytes guest->host%s, %.1f MB/s" %
          (got, ", pattern equal" if a.verify else "", got / dt / 1e6))


def cmd_stop(a):
    s, _ = connect(a.path, a.port)
    s.close()
    print("stop: sent")


def cmd_listen(a):
    """Echo server at PATH_port for guest-initiated connections; runs until killed."""
    lpath = "%s_%d" % (a.path, a.port)
    if os.path.exists(lpath):
        os.unlink(lpath)
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(lpath)
    ls.listen(16)

    def serve(c):
        while True:
            d = c.recv(65536)
            if not d:
                break
            c.sendall(d)
        c.close()

    print("listen: %s" % lpath, flush=True)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--path", required=True, help="cvmm's --vsock uds= path")
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("echo")
    e.add_argument("--port", type=int, required=True)
    e.add_argument("--bytes", type=int, default=1 << 20)
    e.add_argument("--conns", type=int, default=1)
    c = sub.add_parser("cycles")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--count", type=int, default=1000)
    c.add_argument("--pid", type=int, required=True)
    c.add_argument("--half-close", action="store_true")
    n = sub.add_parser("negative")
    n.add_argument("--port", type=int, required=True)
    n.add_argument("--closed-port", type=int, required=True)
    s = sub.add_parser("sink")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--bytes", type=int, default=1 << 20)
    s.add_argument("--crc", action="store_true")
    o = sub.add_parser("source")
    o.add_argument("--port", type=int, required=True)
    o.add_argument("--bytes", type=int, required=True)
    o.add_argument("--verify", action="store_true")
    st = sub.add_parser("stop")
    st.add_argument("--port", type=int, required=True)
    li = sub.add_parser("listen")
    li.add_argument("--port", type=int, required=True)
    a = p.parse_args()
    try:
        globals()["cmd_" + a.cmd](a)
    except (OSError, ConnectionError) as ex:
        fail("%s: %s" % (a.cmd, ex))


if __name__ == "__main__":
    main()
