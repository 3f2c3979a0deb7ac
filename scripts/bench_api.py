#!/usr/bin/env python3
"""API benchmark: how soon a VMM started by a shim can be talked to, and how soon a configured VM
runs once told to, for cvmm's API and QEMU's QMP in the same place, interleaved in one run.

  exec -> socket ready    from the fork/exec of the VMM until its control socket accepts
                          (cvmm: --api-sock; QEMU: -qmp unix:...,server=on,wait=off with -S)
  start -> first byte     cvmm: PUT /actions InstanceStart (boot source and machine config put
                          before) until the guest's first byte on COM1; QEMU: {"execute": "cont"}
                          on a VM created paused (-S), until its first serial byte
  API CPU                 cvmm's own account of the CPU time it spent until its socket listened
                          (metrics api_server.process_startup_time_cpu_us; Firecracker publishes
                          8 CPU-ms for the same)

Run through the KVM runner (make bench-api).  The guest is the PVH test guest with nothing to check
(cvmmtest.only=none cvmmtest.hold=1).
"""
import argparse
import json
import os
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_machine  # noqa: E402


def wait_socket(path, proc, limit_s=20.0):
    """Seconds until path accepts a connection (polled every 0.2 ms), and the connected socket."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit_s:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if proc.poll() is not None:
                raise RuntimeError(f"the VMM exited with status {proc.returncode}")
            time.sleep(0.0002)
    raise RuntimeError(f"{path} did not accept within {limit_s} s")


def http(sock, method, path, body=None):
    """One request on an open connection; returns (status, body)."""
    data = json.dumps(body).encode() if body is not None else b""
    head = (f"{method} {path} HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n").encode()
    sock.sendall(head + data)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("the API closed the connection")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(rest) < length:
        rest += sock.recv(65536)
    return status, rest[:length]


def first_byte(fd, limit_s=20.0):
    ready, _, _ = select.select([fd], [], [], limit_s)
    if not ready:
        raise RuntimeError(f"no guest output within {limit_s} s")
    os.read(fd, 1)
    return time.perf_counter()


def run_cvmm(a, tmp):
    sock = os.path.join(tmp, "api.sock")
    metrics = os.path.join(tmp, "metrics.json")
    r, w = os.pipe()
    t0 = time.perf_counter()
    p = subprocess.Popen([a.cvmm, "--api-sock", sock, "--id", "bench"], stdout=w,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    os.close(w)
    try:
        s = wait_socket(sock, p)
        t_ready = time.perf_counter()
        for method, path, body in (
                ("PUT", "/metrics", {"metrics_path": metrics}),
                ("PUT", "/boot-source", {"kernel_image_path": a.guest, "boot_args": a.append}),
                ("PUT", "/machine-config", {"vcpu_count": 1, "mem_size_mib": a.mem_mib})):
            st, out = http(s, method, path, body)
            if st != 204:
                raise RuntimeError(f"{method} {path}: {st} {out!r}")
        t1 = time.perf_counter()
        st, out = http(s, "PUT", "/actions", {"action_type": "InstanceStart"})
        if st != 204:
            raise RuntimeError(f"InstanceStart: {st} {out!r}")
        t2 = first_byte(r)
        http(s, "PUT", "/actions", {"action_type": "FlushMetrics"})
        with open(metrics) as f:
            cpu_us = json.loads(f.readline())["api_server"]["process_startup_time_cpu_us"]
        s.close()
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
        os.close(r)
    return (t_ready - t0) * 1e3, (t2 - t1) * 1e3, cpu_us / 1e3


def run_qemu(a, tmp):
    sock = os.path.join(tmp, "qmp.sock")
    r, w = os.pipe()
    cmd = [a.qemu, "-M", "microvm,acpi=on", "-enable-kvm", "-cpu", "host,-arch-capabilities",
           "-m", str(a.mem_mib), "-smp", "1", "-nodefaults", "-no-user-config", "-display", "none",
           "-serial", "stdio", "-device", "isa-debug-exit,iobase=0x501,iosize=1",
           "-kernel", a.guest, "-append", a.append, "-S",
           "-qmp", f"unix:{sock},server=on,wait=off"]
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=w, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    os.close(w)
    try:
        s = wait_socket(sock, p)
        t_ready = time.perf_counter()
        f = s.makefile("rwb", buffering=0)
        f.readline()  # greeting
        f.write(b'{"execute": "qmp_capabilities"}\n')
        f.readline()
        t1 = time.perf_counter()
        f.write(b'{"execute": "cont"}\n')
        t2 = first_byte(r)
        s.close()
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
        os.close(r)
    return (t_ready - t0) * 1e3, (t2 - t1) * 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cvmm", default="build/cvmm")
    ap.add_argument("--guest", default="build/guest/cvmm-test.pvh.elf")
    ap.add_argument("--append", default="cvmmtest.only=none cvmmtest.hold=1")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--mem-mib", type=int, default=256)
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    a = ap.parse_args()
    a.guest = os.path.abspath(a.guest)
    have_qemu = subprocess.run(["which", a.qemu], capture_output=True).returncode == 0

    res = {"cvmm": ([], [], []), "qemu": ([], [])}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(a.runs):  # interleaved: both see the same machine state
            for i, v in enumerate(run_cvmm(a, tmp)):
                res["cvmm"][i].append(v)
            if have_qemu:
                for i, v in enumerate(run_qemu(a, tmp)):
                    res["qemu"][i].append(v)

    med = statistics.median
    print(bench_machine.describe())
    print(f"api: {a.runs} interleaved runs, median (min); guest {os.path.basename(a.guest)}, "
          f"{a.mem_mib} MiB")
    print(f"{'VMM':<6} {'exec -> socket ready (ms)':>27} {'start -> first byte (ms)':>26} "
          f"{'API CPU (ms)':>13}")
    c = res["cvmm"]
    print(f"{'cvmm':<6} {med(c[0]):>17.2f} ({min(c[0]):7.2f}) {med(c[1]):>16.2f} "
          f"({min(c[1]):7.2f}) {med(c[2]):>13.2f}")
    if have_qemu:
        q = res["qemu"]
        print(f"{'qemu':<6} {med(q[0]):>17.2f} ({min(q[0]):7.2f}) {med(q[1]):>16.2f} "
              f"({min(q[1]):7.2f}) {'':>13}")
        print(f"{'ratio':<6} {med(c[0]) / med(q[0]):>27.3f} {med(c[1]) / med(q[1]):>26.3f}")
    else:
        print("qemu: not installed, no comparison")
    print("anchor: Firecracker publishes 8 CPU-ms from exec to its API socket; QEMU's start "
          "includes loading the kernel before QMP answers, cvmm's InstanceStart loads it")


if __name__ == "__main__":
    sys.exit(main())
