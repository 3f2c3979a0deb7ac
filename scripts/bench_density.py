#!/usr/bin/env python3
"""Density benchmark: N sandboxes started at once, each with 128 MiB of RAM, a virtio-blk disk and
a vsock device, up to the first byte each guest writes on its console; cvmm, then QEMU (-M microvm
with virtio-blk-device and vhost-vsock-device) on the same machine in the same run.

Reported per VMM:
  starts per second per core  N / (exec of the first -> first guest byte of the last) / CPUs
                              this process may run on
  RSS beyond guest RAM        per sandbox: the process's resident set minus the resident pages
                              of its guest-RAM mapping (as bench_boot.py), averaged over the N;
                              and the sum over the N (shared pages such as the VMM's text count
                              once per process there, once in the cgroup)
  cgroup beyond guest RAM     per sandbox: what the cgroup v2 holding all N is charged
                              (memory.current: user pages, page tables, KVM's and the kernel's
                              objects) minus the guest-RAM pages resident, over N
The guest is the PVH test guest holding after boot (cvmmtest.only=none cvmmtest.hold=1): its
first console byte comes early, and it touches little of its RAM, so "beyond guest RAM" is what
the VMM itself costs.  Memory is sampled once every guest has written its byte and settled.
"""
import argparse
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_boot  # noqa: E402  (guest_ram_rss_kib, total_rss_kib)
import bench_machine  # noqa: E402


def cgroup_root():
    """A cgroup v2 mount with the memory controller (mounted here in a test VM if there is none)."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            parts = line.split()
            sep = parts.index("-")
            if parts[sep + 1] == "cgroup2":
                mnt = parts[4]
                break
        else:
            mnt = None
    if mnt is None and os.geteuid() == 0:
        mnt = "/sys/fs/cgroup"
        if subprocess.run(["mount", "-t", "cgroup2", "none", mnt]).returncode != 0:
            return None
    if mnt is None:
        return None
    try:
        if "memory" not in open(os.path.join(mnt, "cgroup.controllers")).read().split():
            return None
        with open(os.path.join(mnt, "cgroup.subtree_control"), "w") as f:
            f.write("+memory")
    except OSError:
        return None
    return mnt


def own_cgroup(root):
    """The directory of this process's cgroup (v2) under root."""
    with open("/proc/self/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                return os.path.join(root, line[3:].strip().lstrip("/"))
    return root


class Cgroup:
    """A cgroup for one batch: this process moves in to start the VMMs (they inherit it), and
    back to where it was."""

    def __init__(self, root, name):
        self.root = root
        self.path = None
        if root:
            try:
                self.home = own_cgroup(root)
                path = os.path.join(root, name)
                os.makedirs(path, exist_ok=True)
                self.path = path
            except OSError as e:
                print(f"cgroup: cannot make {name}: {e}; memory.current not measured")

    def enter(self):
        if self.path:
            with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))

    def leave(self):
        if self.path:
            with open(os.path.join(self.home, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))

    def current_kib(self):
        if not self.path:
            return None
        with open(os.path.join(self.path, "memory.current")) as f:
            return int(f.read()) // 1024

    def remove(self):
        if self.path:
            try:
                os.rmdir(self.path)
            except OSError:
                pass


def kill_all(procs):
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
    for p in procs:
        p.wait()


def run_batch(name, cmds, mem_mib, cg, settle_s, timeout_s, tmp):
    """Starts every command at once; returns (seconds to the last first byte, [overhead KiB],
    cgroup KiB beyond guest RAM per sandbox or None)."""
    base = cg.current_kib()
    procs, pipes, errs = [], {}, []
    cg.enter()
    t0 = time.perf_counter()
    try:
        try:
            for i, cmd in enumerate(cmds):
                r, w = os.pipe()
                pipes[r] = i
                errs.append(os.path.join(tmp, f"{name}{i}.err"))
                with open(errs[-1], "wb") as err:
                    try:
                        procs.append(subprocess.Popen(cmd, stdout=w, stderr=err,
                                                      stdin=subprocess.DEVNULL))
                    finally:
                        os.close(w)
        finally:
            cg.leave()
        waiting = dict(pipes)
        last = t0
        while waiting:
            left = t0 + timeout_s - time.perf_counter()
            ready, _, _ = select.select(list(waiting), [], [], max(0.1, left))
            if not ready:
                raise RuntimeError(f"{name}: {len(waiting)} of {len(cmds)} guests wrote nothing "
                                   f"within {timeout_s} s: {' '.join(cmds[0])}")
            for r in ready:
                i = waiting.pop(r)
                if not os.read(r, 1):
                    status = procs[i].wait()
                    with open(errs[i], errors="replace") as f:
                        why = f.read()[-2000:]
                    raise RuntimeError(f"{name} #{i} ended (status {status}) before its guest "
                                       f"wrote: {' '.join(cmds[i])}\n{why}")
                last = time.perf_counter()
    except BaseException:
        kill_all(procs)
        for r in pipes:
            os.close(r)
        raise
    elapsed = last - t0
    time.sleep(settle_s)
    overheads, guest_kib = [], 0
    for p in procs:
        g = bench_boot.guest_ram_rss_kib(p.pid, mem_mib)
        guest_kib += g
        overheads.append(bench_boot.total_rss_kib(p.pid) - g)
    cur = cg.current_kib()
    per_cg = (cur - (base or 0) - guest_kib) / len(cmds) if cur is not None else None
    kill_all(procs)
    for r in pipes:
        os.close(r)
    return elapsed, overheads, per_cg


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cvmm", default="build/cvmm")
    ap.add_argument("--guest", default="build/guest/cvmm-test.pvh.elf")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("-n", "--sandboxes", type=int, default=32)
    ap.add_argument("--mem-mib", type=int, default=128)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--settle-ms", type=int, default=300)
    ap.add_argument("--timeout", type=int, default=600)
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="cvmm-density-")
    append = "cvmmtest.only=none cvmmtest.hold=1"
    cvmm, qemu = [], []
    for i in range(a.sandboxes):
        disk = os.path.join(tmp, f"disk{i}.img")
        with open(disk, "wb") as f:
            f.truncate(4 << 20)
        cvmm.append([a.cvmm, "--kernel", a.guest, "--mem-mib", str(a.mem_mib), "--cmdline",
                     append, "--drive", f"path={disk},id=d{i}",
                     "--vsock", f"cid=3,uds={os.path.join(tmp, f'v{i}.sock')}"])
        qemu.append([a.qemu, "-M", "microvm,acpi=on", "-enable-kvm", "-cpu",
                     "host,-arch-capabilities", "-m", str(a.mem_mib), "-smp", "1", "-nodefaults",
                     "-no-user-config", "-display", "none", "-serial", "stdio",
                     "-drive", f"if=none,id=d{i},format=raw,file={disk}",
                     "-device", f"virtio-blk-device,drive=d{i}",
                     "-device", f"vhost-vsock-device,guest-cid={3 + i}",
                     "-kernel", a.guest, "-append", append])
    have_qemu = shutil.which(a.qemu) is not None and os.path.exists("/dev/vhost-vsock")
    root = cgroup_root()
    cpus = len(os.sched_getaffinity(0))
    results = {"cvmm": [], "qemu": []}
    try:
        for _ in range(a.runs):  # interleaved, so both see the same machine state
            for name, cmds in (("cvmm", cvmm), ("qemu", qemu)):
                if name == "qemu" and not have_qemu:
                    continue
                cg = Cgroup(root, f"cvmm-bench-density-{name}")
                try:
                    results[name].append(run_batch(name, cmds, a.mem_mib, cg,
                                                   a.settle_ms / 1000.0, a.timeout, tmp))
                finally:
                    cg.remove()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def med(xs):
        xs = sorted(xs)
        return xs[len(xs) // 2] if xs else float("nan")

    print(f"density: {a.sandboxes} sandboxes started at once, each {a.mem_mib} MiB, a virtio-blk "
          f"disk and vsock, up to the first guest byte; {a.runs} interleaved runs, median")
    print(bench_machine.describe())
    print(f"{'VMM':<6} {'all started (s)':>16} {'starts/s/core':>14} {'RSS beyond guest':>17} "
          f"{'sum of those':>13} {'cgroup beyond guest':>20}")
    rates = {}
    for name in ("cvmm", "qemu"):
        rs = results[name]
        if not rs:
            print(f"{name:<6} not run ({'no QEMU or /dev/vhost-vsock' if name == 'qemu' else ''})")
            continue
        t = med([r[0] for r in rs])
        rss = med([sum(r[1]) / len(r[1]) for r in rs]) / 1024
        total = med([sum(r[1]) for r in rs]) / 1024
        cgs = [r[2] for r in rs if r[2] is not None]
        cgv = f"{med(cgs) / 1024:.2f} MiB" if cgs else "n/a"
        rates[name] = a.sandboxes / t / cpus
        print(f"{name:<6} {t:>16.2f} {rates[name]:>14.2f} {rss:>13.2f} MiB {total:>9.1f} MiB "
              f"{cgv:>20}")
    if "cvmm" in rates and "qemu" in rates:
        print(f"start rate cvmm / QEMU: {rates['cvmm'] / rates['qemu']:.1f} (target >= 10)")
    print("targets: cvmm costs <= 2 MiB per sandbox beyond guest RAM; starts >= 10 x QEMU's rate")
    if root is None:
        print("cgroup: no cgroup v2 with the memory controller here: memory.current not measured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
