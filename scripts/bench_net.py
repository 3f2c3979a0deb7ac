#!/usr/bin/env python3
"""virtio-net benchmark: the test guest's `netbench` phases through a tap in a network namespace
of the benchmark's own, on cvmm and on QEMU's virtio-net-device (-M microvm, tap netdev with
vnet_hdr, vhost=off; and vhost=on where /dev/vhost-net exists), interleaved runs, same tap, same
guest (tests/guest/net_bench.c):

  tx-64      64-byte frames, guest -> tap, a ring's worth in flight
  tx-stream  TCP-like 64 KiB writes, guest -> tap: one 65549-byte TSO frame (TCPv4 offload) each
  rx-64      64-byte frames, tap -> guest
  rx-stream  65535-byte frames (MTU 65521, a tap's largest), tap -> guest

Transmitted frames go to an address nobody has, so the host drops them at once.  For a receive
phase the tap's queue is filled first (`netpeer fill`, an AF_PACKET socket on the tap's
interface, tests/nested/l1/netpeer.c), while the guest waits; then a byte on the guest's console
lets it go, and the phase measures how fast the VMM delivers the queued frames, not how fast a
sender on the same machine can produce them.  Rates come from the guest's RDTSC between its first
and last frame; the VMM's CPU is sampled between the guest's `BENCH begin` and `BENCH end` lines:
every thread but the vCPU threads (cvmm's "vcpuN", QEMU's "CPU N/KVM" under -name
debug-threads=on) from /proc/PID/task/TID/schedstat, plus the vhost worker kernel thread with
vhost=on.

Exit status 0 when every configuration ran; a configuration that cannot run is reported and
left out of the table.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_machine  # noqa: E402

TAP = "cvmmbench0"
MTU = 65521  # the largest a tap takes (65535 minus its Ethernet header)
PHASES = [("tx-64", 100000), ("tx-stream", 20000), ("rx-64", 28000), ("rx-stream", 3000)]
FILL_SIZE = {"rx-64": "64", "rx-stream": "stream"}
TXQUEUELEN = 30000  # the tap's queue holds a whole receive phase (6.1 refuses 32768)


def tsc_khz():
    """The TSC frequency the kernel settled on: the guest's RDTSC deltas are converted with it."""
    log = subprocess.run(["dmesg"], capture_output=True, text=True).stdout
    found = re.findall(r"tsc: (?:Detected|Refined TSC clocksource calibration:) "
                       r"(\d+)\.(\d{3}) MHz", log)
    if found:
        mhz, frac = found[-1]
        return int(mhz) * 1000 + int(frac)
    return 0


def sh(*args, check=True):
    return subprocess.run(list(args), check=check, capture_output=True, text=True)


def vmm_threads(pid, vcpu_prefix):
    """{thread: on-CPU ns} of the VMM's own threads: all but the vCPUs, and its vhost workers
    (kernel threads named vhost-PID)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if f.read().startswith(vcpu_prefix):
                    continue
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                out[tid] = int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/comm") as f:
                if f.read().strip() != f"vhost-{pid}":
                    continue
            with open(f"/proc/{p}/schedstat") as f:
                out[f"vhost-{p}"] = int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return out


def cpu_delta(before, after):
    """CPU the threads used between two samples (threads that came or went count from 0)."""
    return sum(ns - before.get(t, 0) for t, ns in after.items())


class Run:
    """One boot of the guest with its phases; the receive phases' queue is filled here."""

    def __init__(self, a, cmd, vcpu_prefix, phases):
        self.a, self.cmd, self.vcpu_prefix, self.phases = a, cmd, vcpu_prefix, phases
        self.results = {}

    def fill(self, phase):
        """Queues the phase's frames on the tap; netpeer's line and the tap's drops."""
        index = [p for p, _ in self.phases].index(phase)
        count = dict(self.phases)[phase]
        dropped0 = tap_dropped(self.a.netns)
        out = subprocess.run(
            ["ip", "netns", "exec", self.a.netns, self.a.netpeer, "fill", TAP,
             FILL_SIZE[phase], str(count), str(index)],
            capture_output=True, text=True, timeout=600).stdout.strip()
        return f"{out}, tap dropped {tap_dropped(self.a.netns) - dropped0}"

    def go(self, timeout_s):
        p = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.PIPE)
        watchdog = threading.Timer(timeout_s, p.kill)
        cur, result, filled = None, None, {}
        watchdog.start()
        try:
            for raw in p.stdout:  # one console line at a time, as the guest prints it
                now = time.perf_counter()
                text = raw.decode(errors="replace").strip()
                w = text.split()
                if text.startswith("BENCH ready "):
                    filled[w[2]] = self.fill(w[2])
                    p.stdin.write(b"g")
                    p.stdin.flush()
                elif text.startswith("BENCH begin "):
                    cur = {"t0": now, "cpu0": vmm_threads(p.pid, self.vcpu_prefix)}
                    self.results[w[2]] = cur
                elif text.startswith("BENCH end ") and cur:
                    cur["t1"] = now
                    cur["cpu_ns"] = cpu_delta(cur["cpu0"], vmm_threads(p.pid, self.vcpu_prefix))
                elif text.startswith("BENCH result "):
                    kv = dict(x.split("=", 1) for x in w[3:])
                    self.results[w[2]].update({k: int(v) for k, v in kv.items()})
                    self.results[w[2]]["sender"] = filled.get(w[2], "")
                elif text.startswith("FAIL "):
                    sys.stderr.write(text + "\n")
                elif text.startswith("RESULT:"):
                    result = text
                    break
        finally:
            watchdog.cancel()
            try:
                err = p.communicate(timeout=10)[1]
            except subprocess.TimeoutExpired:
                p.kill()
                err = p.communicate()[1]
        if not (result and "PASS" in result):
            last = err.decode(errors="replace").strip().splitlines()[-3:]
            raise RuntimeError(f"the guest did not pass ({result}): {' / '.join(last)}")
        return self.results


def tap_dropped(ns):
    """Frames the tap's queue had no room for, so far."""
    out = sh("ip", "netns", "exec", ns, "cat", f"/sys/class/net/{TAP}/statistics/tx_dropped",
             check=False).stdout.strip()
    return int(out) if out.isdigit() else 0


def setup_netns(ns):
    sh("ip", "netns", "add", ns)
    sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
    sh("ip", "netns", "exec", ns, "ip", "tuntap", "add", "dev", TAP, "mode", "tap")
    sh("ip", "netns", "exec", ns, "sysctl", "-qw", f"net.ipv6.conf.{TAP}.disable_ipv6=1",
       check=False)
    sh("ip", "netns", "exec", ns, "ip", "link", "set", TAP, "mtu", str(MTU), "up")
    sh("ip", "netns", "exec", ns, "ip", "link", "set", TAP, "txqueuelen", str(TXQUEUELEN))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cvmm", default="build/cvmm")
    ap.add_argument("--guest", default="build/guest/cvmm-test.pvh.elf")
    ap.add_argument("--netpeer", default="build/nested-bin/netpeer")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies every phase's count")
    ap.add_argument("--no-qemu", action="store_true")
    a = ap.parse_args()
    a.netns = f"cvmmbench{os.getpid()}"
    a.netpeer = os.path.abspath(a.netpeer)

    phases = [(n, max(1, int(c * a.scale))) for n, c in PHASES]
    phases = [(n, min(c, TXQUEUELEN - 1024) if n.startswith("rx") else c) for n, c in phases]
    spec = ",".join(f"{n}:{c}" if n.startswith("tx") else n for n, c in phases)
    append = f"cvmmtest.only=netbench cvmmtest.netbench={spec}"
    ns = ["ip", "netns", "exec", a.netns]
    configs = [("cvmm", ns + [a.cvmm, "--kernel", a.guest, "--mem-mib", "256", "--cmdline",
                                append, "--net", f"tap={TAP},mtu={MTU}"], "vcpu")]
    have_qemu = not a.no_qemu and subprocess.run(
        ["which", a.qemu], capture_output=True).returncode == 0
    vhost_modes = ["off"] + (["on"] if os.path.exists("/dev/vhost-net") else [])
    for vhost in vhost_modes if have_qemu else []:
        configs.append((f"qemu vhost={vhost}", ns + [
            a.qemu, "-name", "bench,debug-threads=on", "-M", "microvm,acpi=off",
            "-enable-kvm", "-cpu", "host,-arch-capabilities", "-m", "256", "-smp", "1",
            "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio",
            "-device", "isa-debug-exit,iobase=0x501,iosize=1",
            "-global", "virtio-mmio.force-legacy=false",
            "-netdev", f"tap,id=n0,ifname={TAP},script=no,downscript=no,vnet_hdr=on,"
            f"vhost={vhost}",
            "-device", f"virtio-net-device,netdev=n0,host_mtu={MTU},mrg_rxbuf=on",
            "-kernel", a.guest, "-append", append], "CPU "))

    samples = {name: {ph: [] for ph, _ in phases} for name, _, _ in configs}
    skipped, senders = {}, []
    try:
        setup_netns(a.netns)
        for _ in range(a.runs):  # interleaved: every VMM sees the same machine state
            for name, cmd, vcpu in configs:
                if name in skipped:
                    continue
                try:
                    got = Run(a, cmd, vcpu, phases).go(900)
                except RuntimeError as e:
                    skipped[name] = str(e)
                    continue
                for ph, _ in phases:
                    samples[name][ph].append(got[ph])
                    if got[ph].get("sender") and len(samples[name][ph]) == 1:
                        senders.append(f"{name} {ph} (first run): {got[ph]['sender']}")
    finally:
        sh("ip", "netns", "del", a.netns, check=False)

    khz = tsc_khz()
    print(f"virtio-net: test guest netbench through a tap (MTU {MTU}) in a private network "
          f"namespace, {a.runs} interleaved runs, median; guest 1 vCPU, host {os.cpu_count()} "
          f"CPUs")
    print(bench_machine.describe())
    print(f"rate: frames (and Ethernet bytes) the guest sent or received per second between its "
          f"first and last frame (guest RDTSC, {khz} kHz);\nCPU: the VMM's threads other than "
          f"vCPUs (with vhost=on its vhost worker too) per frame;\nvs QEMU / vs vhost: median "
          f"(and range) of the per-run rate ratios to QEMU vhost=off / vhost=on")
    hdr = (f"{'phase':<10} {'VMM':<15} {'kframes/s':>10} {'MB/s':>9} {'CPU us/frame':>13} "
           f"{'exits/frame':>12} {'vs QEMU':>18} {'vs vhost':>18}")
    print(hdr)
    print("-" * len(hdr))
    def seconds(r):
        """The guest's own measure (RDTSC) when the TSC rate is known, else the lines' times."""
        return r["tsc"] / (khz * 1000) if khz and r.get("tsc") else r["t1"] - r["t0"]

    def rate(r):
        return r["frames"] / seconds(r)

    for ph, _ in phases:
        table = {}
        for name, _, _ in configs:
            rows = [r for r in samples[name][ph] if seconds(r) > 0]
            if not rows:
                continue
            fps = statistics.median(rate(r) for r in rows)
            mbs = statistics.median(r["bytes"] / seconds(r) / 1e6 for r in rows)
            cpu = statistics.median(r["cpu_ns"] / 1000 / max(1, r["frames"]) for r in rows)
            exits = statistics.median(r["notifications"] / max(1, r["frames"]) for r in rows)
            table[name] = (fps, mbs, cpu, exits)

        def ratio(name, peer):
            """Median and range of the per-run ratios (runs are interleaved: each pair of
            runs saw about the same machine)."""
            pairs = [rate(x) / rate(y) for x, y in zip(samples[name][ph], samples[peer][ph])
                     if seconds(x) > 0 and seconds(y) > 0]
            if not pairs:
                return "-"
            return (f"{statistics.median(pairs):.2f}x" +
                    (f" ({min(pairs):.2f}-{max(pairs):.2f})" if len(pairs) > 1 else ""))

        for name, (fps, mbs, cpu, exits) in table.items():
            vs_q = ratio(name, "qemu vhost=off") if "qemu vhost=off" in table else "-"
            vs_v = ratio(name, "qemu vhost=on") if "qemu vhost=on" in table else "-"
            print(f"{ph:<10} {name:<15} {fps / 1000:>10.1f} {mbs:>9.1f} {cpu:>13.2f} "
                  f"{exits:>12.3f} {vs_q:>18} {vs_v:>18}")
    if not os.path.exists("/dev/vhost-net"):
        print("QEMU vhost=on: not measured (no /dev/vhost-net here)")
    for name, why in skipped.items():
        print(f"{name}: not measured: {why}")
    for line in senders:
        print(f"queued for {line}")
    print("targets: cvmm >= 1.5 x QEMU vhost=off in stream throughput and small-packet rate, "
          "both directions")
    return 1 if skipped else 0


if __name__ == "__main__":
    sys.exit(main())
