#!/usr/bin/env python3
"""Boot benchmark: exec -> first guest byte on the serial port, and the VMM's RSS beyond guest
memory, for cvmm and QEMU (-M microvm) booting the same PVH test guest, interleaved in one run,
next to the floor: kvm-probe --floor, a bare C program that creates a VM and writes the byte its
first guest instruction sends out (the least any VMM must do).  cvmm-ns is cvmm with --no-seccomp
on the first-byte guest: the difference is what building and installing the filters costs.

RSS beyond guest memory = the process's resident set minus the resident pages of its guest-RAM
mapping (Firecracker's way of measuring VMM overhead), sampled while the guest is still running.
"""
import argparse
import os
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_machine  # noqa: E402


def guest_ram_rss_kib(pid, mem_mib):
    """Resident KiB of the mapping that backs guest RAM (the memfd for cvmm; QEMU's RAM block)."""
    size_kib = mem_mib * 1024
    best = 0
    cur_size = None
    cur_name = ""
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            parts = line.split()
            if "-" in parts[0] and len(parts) >= 5 and ":" not in parts[0]:
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                cur_size = (hi - lo) // 1024
                cur_name = parts[5] if len(parts) > 5 else ""
            elif parts[0] == "Rss:" and cur_size is not None:
                if "cvmm-guest-ram" in cur_name or cur_size == size_kib:
                    best = max(best, int(parts[1]))
    return best


def total_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def run_once(cmd, mem_mib, settle_s):
    """Returns (ms to first stdout byte, RSS beyond guest memory in KiB)."""
    r, w = os.pipe()
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=w, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    os.close(w)
    ready, _, _ = select.select([r], [], [], 20)
    if not ready:
        p.kill()
        p.wait()
        os.close(r)
        raise RuntimeError("no guest output within 20 s: " + " ".join(cmd))
    os.read(r, 1)
    t1 = time.perf_counter()
    time.sleep(settle_s)
    overhead = None
    try:
        overhead = total_rss_kib(p.pid) - guest_ram_rss_kib(p.pid, mem_mib)
    except OSError:
        pass
    p.send_signal(signal.SIGKILL)
    p.wait()
    os.close(r)
    return (t1 - t0) * 1000.0, overhead


TINY_GUEST_CODE = "66baf803 b058 ee fa f4 ebfd"  # mov dx,0x3f8; mov al,'X'; out; cli; hlt


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cvmm", default="build/cvmm")
    ap.add_argument("--guest", default="build/guest/cvmm-test.pvh.elf")
    ap.add_argument("--append", default="cvmmtest.only=none cvmmtest.hold=1")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--mem-mib", type=int, default=256)
    ap.add_argument("--settle-ms", type=int, default=150,
                    help="wait after the first byte before sampling RSS")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--floor", default="build/kvm-probe", help="the floor program")
    a = ap.parse_args()

    # The first-byte guest: its first instruction writes the byte, so exec -> byte is what the
    # VMM does before the guest runs (plus one exit), as for the floor.
    tmp = tempfile.mkdtemp(prefix="cvmm-bench-boot-")
    tiny = os.path.join(tmp, "first-byte.elf")
    here = os.path.dirname(os.path.abspath(__file__))
    subprocess.run([sys.executable, os.path.join(here, "..", "tests", "integration", "mkguest.py"),
                    tiny, TINY_GUEST_CODE], check=True)

    def cvmm(kernel, append):
        return [a.cvmm, "--kernel", kernel, "--mem-mib", str(a.mem_mib), "--cmdline", append]

    def qemu(kernel, append):
        return [a.qemu, "-M", "microvm,acpi=on", "-enable-kvm", "-cpu", "host,-arch-capabilities",
                "-m", str(a.mem_mib), "-smp", "1", "-nodefaults", "-no-user-config", "-display",
                "none", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0x501,iosize=1",
                "-kernel", kernel, "-append", append]

    have_qemu = subprocess.run(["which", a.qemu], capture_output=True).returncode == 0
    runs = [("first-byte", "floor", [a.floor, "--floor"]),
            ("first-byte", "cvmm", cvmm(tiny, "")),
            ("first-byte", "cvmm-ns", cvmm(tiny, "") + ["--no-seccomp"]),
            ("first-byte", "qemu", qemu(tiny, "")),
            ("test guest", "cvmm", cvmm(a.guest, a.append)),
            ("test guest", "qemu", qemu(a.guest, a.append))]
    results = {(g, n): ([], []) for g, n, _ in runs}
    try:
        for _ in range(a.runs):  # interleaved, so all see the same machine state
            for guest, name, cmd in runs:
                if name == "qemu" and not have_qemu:
                    continue
                ms, rss = run_once(cmd, a.mem_mib,
                                   0 if name == "floor" else a.settle_ms / 1000.0)
                results[(guest, name)][0].append(ms)
                if rss is not None and name != "floor":
                    results[(guest, name)][1].append(rss)
    finally:
        os.unlink(tiny)
        os.rmdir(tmp)

    def med(xs):
        return statistics.median(xs) if xs else float("nan")

    print(f"boot: exec -> first guest byte on COM1, {a.runs} interleaved runs, median; "
          f"{a.mem_mib} MiB; first-byte guest: its first instruction writes the byte; "
          f"test guest: {os.path.basename(a.guest)} (ring-0 prologue first)")
    print(bench_machine.describe())
    print(f"{'guest':<11} {'VMM':<7} {'first byte (ms)':>16} {'min (ms)':>10} "
          f"{'RSS beyond guest (MiB)':>24}")
    for guest, name, _ in runs:
        ms, rss = results[(guest, name)]
        if not ms:
            continue
        r = f"{med(rss) / 1024:.2f}" if rss else ""
        print(f"{guest:<11} {name:<7} {med(ms):>16.2f} {min(ms):>10.2f} {r:>24}")
    f_ms = med(results[("first-byte", "floor")][0])
    c_ms = med(results[("first-byte", "cvmm")][0])
    n_ms = med(results[("first-byte", "cvmm-ns")][0])
    print(f"seccomp (cvmm-ns: --no-seccomp): {c_ms - n_ms:+.2f} ms on the first byte")
    print(f"first-byte: cvmm / floor {c_ms / f_ms:.2f} (target <= 1.5)", end="")
    if have_qemu:
        q_ms = med(results[("first-byte", "qemu")][0])
        t_c = med(results[("test guest", "cvmm")][0])
        t_q = med(results[("test guest", "qemu")][0])
        print(f", cvmm / QEMU {c_ms / q_ms:.3f} (target <= 0.05); "
              f"test guest: cvmm / QEMU {t_c / t_q:.3f}")
        rc = med(results[("test guest", "cvmm")][1])
        rq = med(results[("test guest", "qemu")][1])
        print(f"RSS beyond guest memory: cvmm {rc / 1024:.2f} MiB, QEMU {rq / 1024:.2f} MiB "
              f"(target cvmm <= 3 MiB)")
    else:
        print("\nqemu: not installed, no comparison")


if __name__ == "__main__":
    sys.exit(main())
