#!/usr/bin/env python3
"""virtio-blk benchmark: the test guest's `blkbench` phases (polling driver, EVENT_IDX, one
notification per refill batch) against a file in tmpfs, on cvmm (sync and io_uring engines) and on
QEMU's virtio-blk-device (-M microvm; aio=threads, aio=io_uring, and aio=io_uring in an iothread,
which polls adaptively), interleaved runs, same file.

The guest prints `BENCH begin <phase>` right before its first request and `BENCH end <phase>` right
after its last completion.  The script reads the serial output live, takes the wall time between
the two lines and samples the VMM's CPU time there: every thread but the vCPU threads (cvmm's
"vcpuN", QEMU's "CPU N/KVM" under -name debug-threads=on), from /proc/PID/task/TID/schedstat (ns;
utime+stime of /proc/PID/task/TID/stat if schedstat is missing; the user-space share from
utime / (utime+stime)).
Threads that exit during a phase are reported.
Notifications per request are the guest's QueueNotify writes (each one an exit).
"""
import argparse
import os
import select
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_machine  # noqa: E402

PHASES = [
    ("randread-4k-qd1", 20000),
    ("randread-4k-qd32", 300000),
    ("seqread-64k-qd32", 60000),
    ("seqwrite-64k-qd32", 60000),
]
CLK_TCK = os.sysconf("SC_CLK_TCK")


def thread_cpu_ns(pid, vcpu_prefixes):
    """{tid: (ns on CPU, utime ticks, stime ticks)} of every thread of pid but the vCPU threads."""
    out = {}
    vcpus = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        base = f"/proc/{pid}/task/{tid}"
        try:
            with open(base + "/comm") as f:
                comm = f.read().strip()
            if comm.startswith(vcpu_prefixes):
                vcpus += 1
                continue
            with open(base + "/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            utime, stime = int(fields[11]), int(fields[12])
            try:
                with open(base + "/schedstat") as f:
                    ns = int(f.read().split()[0])
            except FileNotFoundError:
                ns = (utime + stime) * 10**9 // CLK_TCK
            out[tid] = (ns, utime, stime)
        except (FileNotFoundError, ProcessLookupError):
            pass  # the thread exited while we looked
    if not vcpus:
        raise RuntimeError(f"no vCPU thread ({vcpu_prefixes}) in process {pid}")
    return out


def run_guest(cmd, vcpu_prefixes, timeout_s):
    """Boots the guest, returns {phase: {...}} and the guest's RESULT line."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL)
    fd = p.stdout.fileno()
    buf = b""
    phases = {}
    cur = None
    result = None
    deadline = time.monotonic() + timeout_s
    try:
        while result is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("timed out: " + " ".join(cmd))
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            now = time.perf_counter()
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                words = line.decode(errors="replace").split()
                if line.startswith(b"BENCH begin "):
                    cur = {"t0": now, "cpu0": thread_cpu_ns(p.pid, vcpu_prefixes)}
                    phases[words[2]] = cur
                elif line.startswith(b"BENCH end ") and cur:
                    cur["t1"] = now
                    cur1 = thread_cpu_ns(p.pid, vcpu_prefixes)
                    c0 = cur["cpu0"]
                    d = [tuple(x - y for x, y in zip(v, c0.get(t, (0, 0, 0))))
                         for t, v in cur1.items()]
                    cur["cpu_ns"] = sum(x[0] for x in d)
                    ticks = sum(x[1] + x[2] for x in d)
                    cur["user_frac"] = sum(x[1] for x in d) / ticks if ticks else 0.0
                    cur["exited"] = len(set(c0) - set(cur1))
                elif line.startswith(b"BENCH result "):
                    kv = dict(w.split("=", 1) for w in words[3:])
                    phases[words[2]].update({k: int(v) for k, v in kv.items()})
                elif line.startswith(b"RESULT:") or line.startswith(b"FAIL "):
                    if line.startswith(b"FAIL "):
                        sys.stderr.write(line.decode(errors="replace") + "\n")
                    if line.startswith(b"RESULT:"):
                        result = line.decode()
    finally:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if result is None or "PASS" not in result:
        err = p.stderr.read().decode(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"guest did not pass ({result}): {' '.join(cmd)}: {err}")
    return phases


def prepare_file(path, size_mib):
    block = os.urandom(1 << 20)
    with open(path, "wb") as f:
        for _ in range(size_mib):
            f.write(block)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cvmm", default="build/cvmm")
    ap.add_argument("--guest", default="build/guest/cvmm-test.pvh.elf")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--file", default="/dev/shm/cvmm-bench-blk.img")
    ap.add_argument("--size-mib", type=int, default=256)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies every phase's count")
    ap.add_argument("--cvmm-drives", default="engine=sync;engine=uring",
                    help="';'-separated --drive options, one cvmm configuration each")
    ap.add_argument("--no-qemu", action="store_true")
    a = ap.parse_args()

    spec = ",".join(f"{n}:{max(1, int(c * a.scale))}" for n, c in PHASES)
    append = f"cvmmtest.only=blkbench cvmmtest.blkbench={spec}"
    configs = []
    for opts in a.cvmm_drives.split(";"):
        label = "cvmm " + opts.replace("engine=", "").replace("poll_us=", "poll ")
        configs.append((label, [
            a.cvmm, "--kernel", a.guest, "--mem-mib", "256", "--cmdline", append,
            "--drive", f"path={a.file},{opts}"], ("vcpu",)))
    have_qemu = not a.no_qemu and subprocess.run(
        ["which", a.qemu], capture_output=True).returncode == 0
    if have_qemu:
        for aio, iothread in (("threads", False), ("io_uring", False), ("io_uring", True)):
            dev = "virtio-blk-device,drive=d0" + (",iothread=io0" if iothread else "")
            extra = ["-object", "iothread,id=io0"] if iothread else []
            configs.append((f"qemu {aio}{'+iothread' if iothread else ''}", [
                a.qemu, "-name", "bench,debug-threads=on", "-M", "microvm,acpi=off",
                "-enable-kvm", "-cpu", "host,-arch-capabilities", "-m", "256", "-smp", "1",
                "-nodefaults",
                "-no-user-config", "-display", "none", "-serial", "stdio",
                "-device", "isa-debug-exit,iobase=0x501,iosize=1",
                "-global", "virtio-mmio.force-legacy=false",
                "-drive", f"id=d0,if=none,file={a.file},format=raw,cache=writeback,aio={aio}",
                "-device", dev,
                "-kernel", a.guest, "-append", append] + extra, ("CPU ",)))

    prepare_file(a.file, a.size_mib)
    samples = {name: {ph: [] for ph, _ in PHASES} for name, _, _ in configs}
    skipped = {}
    try:
        for _ in range(a.runs):  # interleaved: every VMM sees the same machine state
            for name, cmd, vcpus in configs:
                if name in skipped:
                    continue
                try:
                    got = run_guest(cmd, vcpus, 600)
                except RuntimeError as e:
                    skipped[name] = str(e)
                    continue
                for ph, _ in PHASES:
                    samples[name][ph].append(got[ph])
    finally:
        os.unlink(a.file)

    ncpu = os.cpu_count()
    print(f"virtio-blk: test guest blkbench, {a.size_mib} MiB file in {os.path.dirname(a.file)},"
          f" {a.runs} interleaved runs, median; host {ncpu} CPUs"
          f"{', nested (PVM)' if os.path.exists('/sys/module/kvm_pvm') else ''}; guest 1 vCPU")
    print(bench_machine.describe())
    print("CPU us/req: the VMM's threads other than vCPUs (user: the share in user space); "
          "exits/req: guest notifications;\nvs QEMU: IOPS / the better of QEMU threads and "
          "io_uring (its main loop; the iothread line is for reference)")
    print("QEMU: cache=writeback (tmpfs has no O_DIRECT, so cache=none cannot open the file)")
    hdr = (f"{'phase':<18} {'VMM':<22} {'IOPS':>9} {'MB/s':>8} {'CPU us/req':>11} "
           f"{'(user)':>7} {'exits/req':>10} {'vs QEMU':>8}")
    print(hdr)
    print("-" * len(hdr))
    table = {}
    for ph, _ in PHASES:
        for name, _, _ in configs:
            rows = samples[name][ph]
            if not rows:
                continue
            iops = statistics.median(r["ios"] / (r["t1"] - r["t0"]) for r in rows)
            mbs = statistics.median(r["bytes"] / (r["t1"] - r["t0"]) / 1e6 for r in rows)
            cpu = statistics.median(r["cpu_ns"] / 1000 / r["ios"] for r in rows)
            user = statistics.median(r["user_frac"] * r["cpu_ns"] / 1000 / r["ios"] for r in rows)
            exits = statistics.median(r["notifications"] / r["ios"] for r in rows)
            exited = sum(r["exited"] for r in rows)
            table[(ph, name)] = (iops, mbs, cpu, user, exits, exited)
        best_q = max((v[0] for (p, n), v in table.items()
                      if p == ph and n in ("qemu threads", "qemu io_uring")), default=None)
        for name, _, _ in configs:
            if (ph, name) not in table:
                continue
            iops, mbs, cpu, user, exits, exited = table[(ph, name)]
            ratio = f"{iops / best_q:.2f}x" if best_q else "-"
            note = f"  ({exited} threads exited mid-phase)" if exited else ""
            print(f"{ph:<18} {name:<22} {iops:>9.0f} {mbs:>8.1f} {cpu:>11.2f} {user:>7.2f} "
                  f"{exits:>10.3f} {ratio:>8}{note}")
    for name, why in skipped.items():
        print(f"{name}: not measured: {why}")
    print("targets: cvmm >= 1.5 x QEMU's IOPS at depth 32; <= 2 us of cvmm CPU per 4 KiB request")


if __name__ == "__main__":
    sys.exit(main())
