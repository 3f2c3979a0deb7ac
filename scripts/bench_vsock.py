#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""vsock benchmark with the test guest on /dev/kvm (informational, never pass/fail).

cvmm boots tests/guest with its vsock services (sink, source, echo) and this script measures,
through cvmm's hybrid Unix socket:
  host->guest and guest->host throughput (MB/s), and the CPU time cvmm's event-loop thread
  (the device; vCPU threads excluded) spends per MB;
  echo round trips (both directions at once);
  connection set-up rate: connect, CONNECT, OK from the guest, close, K in flight.
Peers: socat relaying a Unix socket to a Unix socket (the same byte stream through another
user-space relay), and, where /dev/vhost-vsock exists, QEMU -M microvm with vhost-vsock-device
booting the same guest, reached with AF_VSOCK sockets (its device CPU is the kernel's
vhost-PID worker thread).
"""
import argparse
import os
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_machine  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
import vsock_host  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def loop_cpu(pid):
    """CPU seconds of cvmm's threads other than its vCPUs (the event loop does the vsock work)."""
    return thread_cpu([(pid, lambda name: not name.startswith("vcpu"))])


def hybrid(path):
    """Dials a guest port through cvmm's hybrid Unix socket."""
    return lambda port: vsock_host.connect(path, port)[0]


def af_vsock(cid):
    """Dials a guest port with an AF_VSOCK socket (QEMU's vhost-vsock)."""
    def dial(port):
        s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect((cid, port))
        return s
    return dial


def thread_cpu(pids_and_filter):
    """CPU seconds of the threads of each (pid, keep(name)) pair."""
    total = 0
    for pid, keep in pids_and_filter:
        for tid in os.listdir("/proc/%d/task" % pid):
            try:
                with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                    stat = f.read()
            except FileNotFoundError:
                continue
            if not keep(stat[stat.index("(") + 1:stat.rindex(")")]):
                continue
            fields = stat.rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / TICK


def vhost_workers(qemu_pid):
    """Pids of the kernel's vhost worker threads serving qemu_pid."""
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/comm" % p) as f:
                    if f.read().strip() == "vhost-%d" % qemu_pid:
                        out.append(int(p))
            except OSError:
                pass
    return out


def sink(dial, port, nbytes):
    s = dial(port)
    buf = b"\x5a" * (1 << 20)
    sent = 0
    while sent < nbytes:
        s.sendall(buf[:min(len(buf), nbytes - sent)])
        sent += min(len(buf), nbytes - sent)
    s.shutdown(socket.SHUT_WR)
    rep = b""
    while len(rep) < 12:
        d = s.recv(12)
        if not d:
            break
        rep += d
    s.close()
    return int.from_bytes(rep[:8], "little") if len(rep) == 12 else -1


def source(dial, port):
    s = dial(port)
    got = 0
    while True:
        d = s.recv(1 << 20)
        if not d:
            break
        got += len(d)
    s.close()
    return got


def setup_rate_af_vsock(cid, port, count, inflight):
    """Connections/s from connect() to established, AF_VSOCK, `inflight` at once."""
    sel = selectors.DefaultSelector()
    started = done = 0
    t = time.time()

    def start():
        s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((cid, port))
        sel.register(s, selectors.EVENT_WRITE)

    while started < min(inflight, count):
        start()
        started += 1
    while done < count:
        ready = sel.select(timeout=5)
        if not ready:
            raise RuntimeError("AF_VSOCK connections stalled at %d of %d" % (done, count))
        for key, _ in ready:
            s = key.fileobj
            sel.unregister(s)
            err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            s.close()
            if err:
                raise RuntimeError("AF_VSOCK connect: %s" % os.strerror(err))
            done += 1
            if started < count:
                start()
                started += 1
    return count / (time.time() - t)


def setup_rate(path, port, count, inflight):
    """Connections/s from connect() to the guest's OK, with `inflight` handshakes at once."""
    sel = selectors.DefaultSelector()
    started = done = 0
    t = time.time()

    def start():
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        s.setblocking(False)
        s.send(b"CONNECT %d\n" % port)
        sel.register(s, selectors.EVENT_READ, bytearray())

    while started < min(inflight, count):
        start()
        started += 1
    while done < count:
        for key, _ in sel.select(timeout=5):
            s, line = key.fileobj, key.data
            d = s.recv(64)
            line += d
            if d and not line.endswith(b"\n"):
                continue
            sel.unregister(s)
            s.close()
            if not line.startswith(b"OK "):
                raise RuntimeError("connection refused: %r" % bytes(line))
            done += 1
            if started < count:
                start()
                started += 1
    return count / (time.time() - t)


def socat_peer(tmp, nbytes):
    """host writer -> socat (UNIX-LISTEN -> UNIX-CONNECT) -> host reader, MB/s."""
    src, dst = os.path.join(tmp, "in"), os.path.join(tmp, "out")
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(dst)
    ls.listen(1)
    p = subprocess.Popen(["socat", "-b", "65536", "UNIX-LISTEN:" + src, "UNIX-CONNECT:" + dst])
    for _ in range(100):
        if os.path.exists(src):
            break
        time.sleep(0.02)
    w = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    w.connect(src)
    r, _ = ls.accept()
    got = [0]

    def read():
        while True:
            d = r.recv(1 << 20)
            if not d:
                break
            got[0] += len(d)

    t = time.time()
    th = threading.Thread(target=read)
    th.start()
    buf = b"\x5a" * (1 << 20)
    sent = 0
    while sent < nbytes:
        w.sendall(buf)
        sent += len(buf)
    w.shutdown(socket.SHUT_WR)
    th.join()
    dt = time.time() - t
    w.close()
    r.close()
    p.wait(timeout=10)
    return got[0] / dt / 1e6


def qemu_peer(a, nbytes, cmdline):
    """The same guest and services under QEMU with vhost-vsock: (rows, set-up rate, why not)."""
    if not shutil.which(a.qemu):
        return None, None, "QEMU not installed"
    if not os.path.exists("/dev/vhost-vsock"):
        return None, None, "unavailable here (no /dev/vhost-vsock)"
    cid = 3
    q = subprocess.Popen([a.qemu, "-M", "microvm,acpi=off", "-enable-kvm",
                          "-cpu", "host,-arch-capabilities", "-m", "256", "-smp", "1",
                          "-nodefaults", "-no-user-config", "-display", "none",
                          "-serial", "stdio", "-global", "virtio-mmio.force-legacy=false",
                          "-device", "vhost-vsock-device,guest-cid=%d" % cid,
                          "-kernel", a.guest, "-append", cmdline],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    rows, rate = [], None
    try:
        for line in q.stdout:
            if b"vsock: serving" in line:
                break
        else:
            return None, None, "QEMU's guest never served vsock"
        workers = vhost_workers(q.pid)
        dial = af_vsock(cid)

        def run(name, fn):
            keep = [(w, lambda name: True) for w in workers]
            c0, t0 = thread_cpu(keep), time.time()
            moved = fn()
            dt, cpu = time.time() - t0, thread_cpu(keep) - c0
            rows.append((name, moved / dt / 1e6, cpu * 1e3 / (moved / 1e6)))

        for name, fn in (("host->guest (guest sink)", lambda: sink(dial, 1025, nbytes)),
                         ("guest->host (guest source)", lambda: source(dial, 1026))):
            try:
                run(name, fn)
            except OSError as e:
                rows.append((name, None, "%s (%s)" % (type(e).__name__, e)))
        try:
            rate = setup_rate_af_vsock(cid, 1024, max(a.conns // 10, 100), 32)
        except (OSError, RuntimeError) as e:
            rate = "%s" % e
    finally:
        q.kill()
        q.wait()
    return rows, rate, None


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cvmm", default="build/cvmm")
    ap.add_argument("--guest", default="build/guest/cvmm-test.pvh.elf")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--mib", type=int, default=512, help="MiB per throughput run")
    ap.add_argument("--conns", type=int, default=20000, help="connections for the set-up rate")
    ap.add_argument("--client", default="build/bench/bench-vsock",
                    help="C client for the set-up rate (else a slower Python one)")
    a = ap.parse_args()
    nbytes = a.mib << 20
    tmp = tempfile.mkdtemp(prefix="cvmm-bench-vsock-")
    path = os.path.join(tmp, "v.sock")
    args = [a.cvmm, "--debug-exit", "--kernel", a.guest, "--mem-mib", "256", "--vsock", "cid=3,uds=" + path,
            "--cmdline", "cvmmtest.only=vsock cvmmtest.vsock_echo_port=1024 "
            "cvmmtest.vsock_sink_port=1025 cvmmtest.vsock_source_port=1026 "
            "cvmmtest.vsock_source_bytes=%d cvmmtest.vsock_stop_port=9 "
            "cvmmtest.vsock_rx_bufs=64 cvmmtest.vsock_rx_buf=65536" % nbytes]
    vm = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    cmdline = args[-1]
    rows = []
    try:
        # The guest says when its services listen.
        for line in vm.stdout:
            if b"vsock: serving" in line:
                break

        def run(name, fn):
            c0, t0 = loop_cpu(vm.pid), time.time()
            moved = fn()
            dt, cpu = time.time() - t0, loop_cpu(vm.pid) - c0
            rows.append((name, moved / dt / 1e6, cpu * 1e3 / (moved / 1e6)))

        run("host->guest (guest sink)", lambda: sink(hybrid(path), 1025, nbytes))
        run("guest->host (guest source)", lambda: source(hybrid(path), 1026))

        def echo():
            vsock_host.echo_many(path, 1024, [64 << 20])
            return 2 * (64 << 20)
        run("echo, 64 MiB each way (sum)", echo)
        c0 = loop_cpu(vm.pid)
        if a.client and os.path.exists(a.client):
            out = subprocess.run([a.client, "--connect-rate", path, "1024", str(a.conns),
                                  "32"], capture_output=True, check=True, timeout=300)
            rate = float(out.stdout)
        else:
            rate = setup_rate(path, 1024, a.conns, 32)
        setup_cpu = (loop_cpu(vm.pid) - c0) / a.conns * 1e6
        stop, _ = vsock_host.connect(path, 9)
        stop.close()
        out = vm.communicate(timeout=60)[0].decode(errors="replace")
    finally:
        if vm.poll() is None:
            vm.kill()
            vm.wait()
    peer = socat_peer(tmp, nbytes) if shutil.which("socat") else None
    shutil.rmtree(tmp, ignore_errors=True)
    qrows, qrate, qwhy = qemu_peer(a, nbytes, cmdline)

    print("vsock with the test guest (%d MiB per run; cvmm CPU = its threads other "
          "than the vCPUs)" % a.mib)
    print(bench_machine.describe())
    print("| path | MB/s | cvmm CPU ms/MB |\n| --- | --- | --- |")
    for name, mbs, cpu in rows:
        print("| %s | %.0f | %.3f |" % (name, mbs, cpu))
    print("| peer: socat Unix->Unix relay, same client | %s | - |" %
          ("%.0f" % peer if peer else "socat not installed"))
    if qrows:
        for name, mbs, cpu in qrows:
            if mbs is None:
                print("| peer: QEMU vhost-vsock, %s | failed: %s | - |" % (name, cpu))
            else:
                print("| peer: QEMU vhost-vsock, %s | %.0f | vhost thread %.3f |" %
                      (name, mbs, cpu))
    else:
        print("| peer: QEMU vhost-vsock | %s | - |" % qwhy)
    print("\n| connection set-up, 32 in flight | %.0f connections/s | cvmm CPU %.1f us each |" %
          (rate, setup_cpu))
    if isinstance(qrate, float):
        print("| QEMU vhost-vsock, AF_VSOCK, 32 in flight | %.0f connections/s | |" % qrate)
        print("cvmm / QEMU vhost-vsock, connection set-up: %.2f" % (rate / qrate))
    elif qrate:
        print("| QEMU vhost-vsock, AF_VSOCK, 32 in flight | failed: %s | |" % qrate)
    for (name, mbs, _), (_, qmbs, _) in zip(rows, qrows or []):
        if qmbs:
            print("cvmm / QEMU vhost-vsock, %s: %.2f" % (name, mbs / qmbs))
    res = [ln for ln in out.splitlines() if ln.startswith(("PASS vsock", "FAIL vsock"))]
    print("guest: " + (res[0] if res else "no result line"))


if __name__ == "__main__":
    main()
