#!/usr/bin/env python3
"""Confidential-memory benchmark (run through the KVM runner: make bench-memory).

1. Conversion round trips: the test guest converts a 4 KiB / 2 MiB range to shared and back
   (KVM_HC_MAP_GPA_RANGE, --tee emulated) R times; two runs that differ only in R give the cost
   per conversion: the guest's RDTSC view and the CPU time of cvmm's vCPU thread.
2. Bounce overhead with the test guest: virtio-blk 64 KiB sequential phases and vsock streams,
   plain (no TEE) against bounced (--tee emulated: rings in a shared pool, every buffer copied
   through it by the guest), in alternating pairs.  Two figures per workload: the guest's
   throughput ratio, and cvmm's own CPU per byte (its threads but the vCPUs, from
   /proc/PID/task/*/schedstat between the guest's begin and end marks) — cvmm copies nothing in
   either mode, so that ratio should stay near 1.
3. The same with Debian's Linux as the guest: plain against --virtio-access-platform with
   swiotlb=force (the kernel bounces every DMA through its swiotlb), O_DIRECT dd-like
   sequential I/O on /dev/vda and a vsock echo stream.

Exit status 0 when every run worked.  Timings are informational.
"""
import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_machine  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def tsc_khz():
    """The TSC frequency the kernel settled on (test guests convert RDTSC with it)."""
    try:
        log = subprocess.run(["dmesg"], capture_output=True, text=True).stdout
    except OSError:
        log = ""
    found = re.findall(r"tsc: (?:Detected|Refined TSC clocksource calibration:) "
                       r"(\d+)\.(\d{3}) MHz", log)
    if found:
        mhz, frac = found[-1]
        return int(mhz) * 1000 + int(frac)
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("cpu MHz"):
                return int(float(line.split(":")[1]) * 1000)
    return 0


def threads(pid):
    """{comm-tid: on-CPU ns} of every thread of pid."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                comm = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                out[f"{comm}-{tid}"] = int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return out


def cvmm_cpu_ns(pid):
    """On-CPU ns of cvmm's own threads: all but the vCPUs."""
    return sum(ns for name, ns in threads(pid).items() if not name.startswith("vcpu"))


def vcpu_cpu(pid):
    """(utime, stime, guest_time) ticks and on-CPU ns of vcpu0."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            if f.read().strip() != "vcpu0":
                continue
        with open(f"/proc/{pid}/task/{tid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
            ns = int(f.read().split()[0])
        return int(fields[11]), int(fields[12]), int(fields[40]), ns
    raise RuntimeError("no vcpu0 thread")


class Vmm:
    """A cvmm process; its console lines are collected, marks can be waited for, CPU sampled."""

    def __init__(self, cmd):
        self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        self.lines = []
        self.cpu_at = {}
        self.cond = threading.Condition()
        self.marks = []
        threading.Thread(target=self._read, daemon=True).start()

    def sample_on(self, regex):
        """Sample cvmm's CPU the moment a line matching regex arrives (once per regex)."""
        self.marks.append(re.compile(regex))

    def _read(self):
        for raw in iter(self.p.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            for m in self.marks:
                if m.search(line) and line not in self.cpu_at:
                    try:
                        self.cpu_at[line] = cvmm_cpu_ns(self.p.pid)
                    except (FileNotFoundError, ProcessLookupError):
                        pass
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_line(self, regex, timeout):
        r = re.compile(regex)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    if r.search(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or self.p.poll() is not None:
                    return None
                self.cond.wait(min(left, 1.0))

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()


def hvsock(tool, mode, path, port, nbytes=None):
    cmd = [tool, mode, path, str(port)] + ([str(nbytes)] if nbytes else [])
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    m = re.search(r"bytes=(\d+) ms=([\d.]+) MBps=([\d.]+)", r.stdout)
    if mode == "stop" and r.returncode == 0:
        return 0, 0.0
    if r.returncode != 0 or not m:
        raise RuntimeError(f"hvsock {mode}: {r.stdout.strip()} {r.stderr.strip()}")
    return int(m.group(1)), float(m.group(3))


def convert(a, khz, rounds, size):
    v = Vmm([a.cvmm, "--kernel", a.guest, "--mem-mib", "256", "--tee", "emulated",
             "--serial", "stdio", "--cmdline",
             f"cvmmtest.only=cvm cvmmtest.hold=1 cvmmtest.cvm_rounds={rounds} "
             f"cvmmtest.cvm_time={size} cvmmtest.tsc_khz={khz}"])
    try:
        res = v.wait_line(r"^RESULT: ", 300)
        if not res or "PASS" not in res:
            raise RuntimeError(f"conversion run failed: {res}")
        cpu = vcpu_cpu(v.p.pid)
        line = v.wait_line(rf"^BENCH cvm-convert size={size} ", 5)
        f = dict(kv.split("=") for kv in line.split()[2:])
        return int(f["conversions"]), cpu, float(f.get("hc_ns_avg", 0)) / 1000
    finally:
        v.stop()


def per_mib_cpu(v, begin, end, nbytes):
    """cvmm CPU ns per KiB between the samples taken at the begin and end lines."""
    b = next((ns for line, ns in v.cpu_at.items() if re.search(begin, line)), None)
    e = next((ns for line, ns in v.cpu_at.items() if re.search(end, line)), None)
    if b is None or e is None or not nbytes:
        return None
    return (e - b) / (nbytes / 1024)


def testguest_blk(a, khz, bounced, disk):
    only = "cvm,blkbench" if bounced else "blkbench"
    tee = ["--tee", "emulated"] if bounced else []
    with open(disk, "wb") as f:
        f.truncate(64 << 20)
    # No busy polling: it spends CPU per unit of wall time, which the slower bounced guest
    # stretches; without it cvmm's CPU per byte is its per-request work.
    v = Vmm([a.cvmm, "--kernel", a.guest, "--mem-mib", "256", *tee,
             "--drive", f"path={disk},poll_us=0",
             "--serial", "stdio", "--cmdline",
             f"cvmmtest.only={only} cvmmtest.cvm_time=none cvmmtest.tsc_khz={khz} "
             "cvmmtest.blkbench=seqwrite-64k-qd32:1024,seqread-64k-qd32:1024"])
    v.sample_on(r"^BENCH (begin|end) ")
    out = {}
    try:
        if not v.wait_line(r"^RESULT: ", 600):
            raise RuntimeError("blk run did not finish")
        for line in v.lines:
            m = re.match(r"^BENCH result (\S+) .*bytes=(\d+) .*tsc=(\d+)", line)
            if m:
                ph, nbytes, tsc = m.group(1), int(m.group(2)), int(m.group(3))
                mbps = nbytes * khz / (tsc * 1000) if tsc and khz else 0
                cpu = per_mib_cpu(v, rf"^BENCH begin {ph}$", rf"^BENCH end {ph}$", nbytes)
                out["blk " + ph] = (mbps, cpu)
    finally:
        v.stop()
        os.unlink(disk)
    return out


def testguest_vsock(a, khz, bounced, sock):
    only = "cvm,vsock" if bounced else "vsock"
    tee = ["--tee", "emulated"] if bounced else []
    nbytes = a.vsock_mib << 20
    v = Vmm([a.cvmm, "--kernel", a.guest, "--mem-mib", "256", *tee,
             "--vsock", f"cid=3,uds={sock}", "--serial", "stdio", "--cmdline",
             f"cvmmtest.only={only} cvmmtest.cvm_time=none cvmmtest.vsock_sink_port=1025 "
             f"cvmmtest.vsock_source_port=1026 cvmmtest.vsock_stop_port=1027 "
             f"cvmmtest.vsock_source_bytes={nbytes}"])
    out = {}
    try:
        if not v.wait_line(r"vsock: serving", 120):
            raise RuntimeError("the test guest's vsock did not come up")
        c0 = cvmm_cpu_ns(v.p.pid)
        n, mbps = hvsock(a.hvsock, "sink", sock, 1025, nbytes)
        c1 = cvmm_cpu_ns(v.p.pid)
        out["vsock host->guest"] = (mbps, (c1 - c0) / (n / 1024))
        n, mbps = hvsock(a.hvsock, "source", sock, 1026)
        c2 = cvmm_cpu_ns(v.p.pid)
        out["vsock guest->host"] = (mbps, (c2 - c1) / (n / 1024))
        hvsock(a.hvsock, "stop", sock, 1027)
        v.wait_line(r"^RESULT: ", 60)
    finally:
        v.stop()
    return out


def linux(a, bounced, disk, sock):
    with open(disk, "wb") as f:
        f.truncate((a.blk_mib + 1) << 20)
    extra = ["--virtio-access-platform"] if bounced else []
    append = " swiotlb=force" if bounced else ""
    v = Vmm([a.cvmm, "--kernel", a.l2_kernel, "--initrd", a.l2_initrd, "--mem-mib", "512",
             *extra, "--drive", f"path={disk},poll_us=0", "--vsock", f"cid=3,uds={sock}",
             "--serial", "stdio", "--cmdline",
             f"console=ttyS0 quiet reboot=k panic=-1 nested.run=blk-bench,vsock-echo "
             f"nested.blk_mib={a.blk_mib}{append}"])
    v.sample_on(r"blk-bench (begin|end) ")
    out = {}
    try:
        for phase in ("write", "read"):
            line = v.wait_line(rf"blk-bench end {phase} ", 600)
            m = re.search(r"bytes=(\d+) ms=[\d.]+ MBps=([\d.]+)", line or "")
            if not m:
                raise RuntimeError(f"Linux blk-bench {phase}: {line}")
            cpu = per_mib_cpu(v, rf"blk-bench begin {phase}$", rf"blk-bench end {phase} ",
                              int(m.group(1)))
            out[f"blk 64k {phase}"] = (float(m.group(2)), cpu)
        if not v.wait_line(r"vsock: serving", 120):
            raise RuntimeError("the Linux guest's vsock echo did not come up")
        c0 = cvmm_cpu_ns(v.p.pid)
        n, mbps = hvsock(a.hvsock, "echo", sock, 1024, a.vsock_mib << 20)
        c1 = cvmm_cpu_ns(v.p.pid)
        out["vsock echo (both ways)"] = (mbps, (c1 - c0) / (2 * n / 1024))
        v.wait_line(r"NESTED-DONE", 120)
    finally:
        v.stop()
        os.unlink(disk)
    return out


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def print_bounce(title, res):
    print(title)
    print(f"{'workload':<26} {'plain MB/s':>11} {'bounced':>9} {'ratio':>6} {'range':>11} "
          f"{'cvmm ns/KiB plain':>18} {'bounced':>8} {'ratio':>6}")
    for w, runs in res.items():
        plain = [p[0] for p, _ in runs]
        boun = [b[0] for _, b in runs]
        ratios = [b[0] / p[0] for p, b in runs if p[0] and b[0]]
        cpu_p = median([p[1] for p, _ in runs])
        cpu_b = median([b[1] for _, b in runs])
        cr = f"{cpu_b / cpu_p:.2f}" if cpu_p and cpu_b else "-"
        rng = f"{min(ratios):.2f}-{max(ratios):.2f}" if ratios else "-"
        print(f"{w:<26} {median(plain) or 0:>11.1f} {median(boun) or 0:>9.1f} "
              f"{(median(ratios) or 0):>6.2f} {rng:>11} "
              f"{(cpu_p or 0):>18.0f} {(cpu_b or 0):>8.0f} {cr:>6}")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cvmm", default="build/cvmm")
    ap.add_argument("--guest", default="build/guest/cvmm-test.pvh.elf")
    ap.add_argument("--hvsock", default="build/nested-bin/hvsock")
    ap.add_argument("--l2-kernel", required=True)
    ap.add_argument("--l2-initrd", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--vsock-mib", type=int, default=64)
    ap.add_argument("--blk-mib", type=int, default=64)
    ap.add_argument("--skip-linux", action="store_true")
    a = ap.parse_args()

    khz = tsc_khz()
    tmp = tempfile.mkdtemp(prefix="cvmm-membench-")
    disk, sock = os.path.join(tmp, "disk.img"), os.path.join(tmp, "v.sock")
    print("memory: conversions and bounce buffering")
    print(bench_machine.describe())

    print("\nConversion round trips (test guest, --tee emulated), per conversion:")
    print(f"{'size':<7} {'guest us':>9} {'vCPU thread CPU us':>19} {'of it in cvmm (user) us':>24}")
    for size in ("4k", "2m"):
        lo = convert(a, khz, 1, size)
        hi = convert(a, khz, 2000, size)
        n = hi[0] - lo[0]
        ut_l, st_l, gt_l, ns_l = lo[1]
        ut_h, st_h, gt_h, ns_h = hi[1]
        print(f"{size:<7} {hi[2]:>9.1f} {(ns_h - ns_l) / 1000 / n:>19.1f} "
              f"{((ut_h - gt_h) - (ut_l - gt_l)) * 1e6 / CLK_TCK / n:>24.1f}")

    res = {}
    for r in range(a.runs):
        order = (False, True) if r % 2 == 0 else (True, False)
        got = {False: {}, True: {}}
        for bounced in order:
            got[bounced].update(testguest_blk(a, khz, bounced, disk))
            got[bounced].update(testguest_vsock(a, khz, bounced, sock))
        for w in got[False]:
            res.setdefault(w, []).append((got[False][w], got[True].get(w, (0, None))))
    print()
    print_bounce(f"Bounce overhead, test guest (median of {a.runs} alternating pairs; "
                 "cvmm ns/KiB: its non-vCPU threads' CPU per KiB moved; target ratios: "
                 "throughput >= 0.9, cvmm CPU <= 1.05):", res)

    if not a.skip_linux:
        res = {}
        for r in range(a.runs):
            order = (False, True) if r % 2 == 0 else (True, False)
            got = {}
            for bounced in order:
                got[bounced] = linux(a, bounced, disk, sock)
            for w in got[False]:
                res.setdefault(w, []).append((got[False][w], got[True].get(w, (0, None))))
        print()
        print_bounce(f"Bounce overhead, Debian Linux guest (swiotlb=force + ACCESS_PLATFORM vs "
                     f"plain; {a.blk_mib} MiB O_DIRECT 64 KiB x 8, {a.vsock_mib} MiB vsock "
                     f"echo; median of {a.runs} pairs):", res)
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
