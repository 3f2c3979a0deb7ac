#!/usr/bin/env python3
"""One KVM runner for the integration tests and the benchmarks that boot guests.

Each item is a shell command run from the repository's top directory.  The runner decides once
where KVM is:

  local   this machine's /dev/kvm, when it exists and a probe VM runs on it (build/kvm-probe);
  nested  otherwise, a QEMU TCG machine with emulated AMD SVM (L1) running kvm-amd with nested=1.

CVMM_KVM=local|nested forces one.  In L1 the host's file system is shared read-only over
virtio-fs (the repository read-write), and every item runs in a chroot of it, so the same
scripts, binaries, bash and python3 run in both places and print the same lines.  One L1 boot
serves all items.  L1 sends a heartbeat every few seconds; an L1 that stops talking (TCG's SVM
emulation wedges now and then) is killed and a fresh one resumes at the item it was running,
which gets one second attempt.

Exit status: 0 when every item passed, 1 when any failed or had no verdict, 2 for a usage error.
"""
import argparse
import os
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# Environment variables that describe the calling shell, not the test.
ENV_SKIP = {"PWD", "OLDPWD", "SHLVL", "_", "TERM", "TERMCAP", "COLUMNS", "LINES", "MAKEFLAGS",
            "MFLAGS", "MAKELEVEL", "MAKE_TERMOUT", "MAKE_TERMERR"}
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def log(label, text):
    print(f"{label}: {text}", flush=True)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--label", default="kvm", help="prefix of the runner's own lines")
    ap.add_argument("--item", nargs=2, action="append", default=[], metavar=("NAME", "COMMAND"),
                    help="an item: its name and the shell command (repeatable)")
    ap.add_argument("--host-item", nargs=2, action="append", default=[],
                    metavar=("NAME", "COMMAND"),
                    help="an item that needs no KVM: runs on this machine in both places, "
                         "before the others (repeatable)")
    ap.add_argument("--probe", default="build/kvm-probe", help="the probe program")
    ap.add_argument("--kernel", help="L1 kernel")
    ap.add_argument("--initrd", help="L1 initramfs (tests/kvm/l1-init and its modules)")
    ap.add_argument("--out", default="build/kvm-run", help="run directory (inside the repository)")
    ap.add_argument("--mem-mib", type=int, default=int(os.environ.get("CVMM_L1_MEM_MIB", 6144)))
    ap.add_argument("--smp", type=int, default=int(os.environ.get("CVMM_L1_SMP", 1)))
    ap.add_argument("--item-timeout", type=int, default=1800,
                    help="seconds one item may take in L1 before L1 counts as hung")
    ap.add_argument("--boot-limit", type=int, default=180, help="seconds for L1 to boot")
    ap.add_argument("--heartbeat-limit", type=int, default=60,
                    help="seconds without a heartbeat before L1 counts as wedged")
    ap.add_argument("--max-boots", type=int, default=4)
    ap.add_argument("--wedge-item", type=int, default=0,
                    help="(runner self-test) L1 pretends to wedge at this item")
    ap.add_argument("--wedge-boots", type=int, default=1,
                    help="(runner self-test) ... in this many L1 boots")
    a = ap.parse_args()
    if not a.item and not a.host_item:
        ap.error("no --item given")
    return a


def probe_local(probe):
    """(usable, reason) for this machine's /dev/kvm (CVMM_KVM_DEVICE names another device)."""
    device = os.environ.get("CVMM_KVM_DEVICE", "/dev/kvm")
    if not os.path.exists(device):
        return False, f"no {device} on this machine"
    if not os.access(probe, os.X_OK):
        return False, f"the probe {probe} is not built"
    try:
        r = subprocess.run([probe, "--device", device], capture_output=True, text=True,
                           timeout=30)
    except subprocess.TimeoutExpired:
        return False, f"{device} is there but the probe VM did not finish in 30 s"
    if r.returncode != 0:
        why = (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[-1]
        return False, f"{device} is there but a probe VM does not run ({why})"
    return True, f"{device} works here (a probe VM ran)"


def choose_mode(a):
    forced = os.environ.get("CVMM_KVM", "")
    if forced not in ("", "auto", "local", "nested"):
        log(a.label, f"CVMM_KVM={forced}: expected local, nested or auto")
        sys.exit(2)
    if forced == "nested":
        return "nested", "CVMM_KVM=nested"
    ok, why = probe_local(a.probe)
    if forced == "local":
        if not ok:
            log(a.label, f"CVMM_KVM=local, but {why}")
            sys.exit(1)
        return "local", f"CVMM_KVM=local; {why}"
    return ("local", why) if ok else ("nested", why)


def summary(a, results, mode, started, boots=None):
    names = [n for n, _ in a.host_item + a.item]
    failed = [n for n in names if results.get(n, (None,))[0] != 0]
    where = "local /dev/kvm" if mode == "local" else f"nested L1, {boots} L1 boot(s)"
    for n in names:
        if n not in results:
            log(a.label, f"FAIL {n}: no verdict (the run did not get to it)")
    took = time.monotonic() - started
    if failed:
        log(a.label, f"{len(names) - len(failed)} of {len(names)} passed, failed: "
            f"{', '.join(failed)} ({where}, {took:.0f} s)")
        return 1
    log(a.label, f"all {len(names)} passed ({where}, {took:.0f} s)")
    return 0


def run_host_items(a, results):
    for name, cmd in a.host_item:
        t0 = time.monotonic()
        rc = subprocess.run(["bash", "-c", cmd], stdin=subprocess.DEVNULL).returncode
        results[name] = (rc, time.monotonic() - t0)
        report_item(a, name, rc, results[name][1], " (no KVM needed: on this machine)")


def run_local(a, started, results):
    for name, cmd in a.item:
        t0 = time.monotonic()
        rc = subprocess.run(["bash", "-c", cmd], stdin=subprocess.DEVNULL).returncode
        results[name] = (rc, time.monotonic() - t0)
        report_item(a, name, rc, results[name][1])
    return summary(a, results, "local", started)


def report_item(a, name, rc, secs, note=""):
    if rc == 0:
        log(a.label, f"ok   {name} ({secs:.0f} s){note}")
    else:
        log(a.label, f"FAIL {name}: exit status {rc} ({secs:.0f} s){note}")


class L1:
    """One boot of L1 with its virtiofsd; every process it starts is killed by stop()."""

    def __init__(self, a, run_dir, sock_dir, start_at, wedge):
        self.procs = []
        sock = os.path.join(sock_dir, "vfs.sock")
        if os.path.exists(sock):
            os.unlink(sock)
        vlog = open(os.path.join(run_dir, "virtiofsd.log"), "ab")
        self.procs.append(subprocess.Popen(
            [virtiofsd(), f"--socket-path={sock}", "-o", "source=/", "-o", "cache=always",
             "-o", "sandbox=chroot", "-o", "log_level=warn"],
            stdin=subprocess.DEVNULL, stdout=vlog, stderr=vlog, start_new_session=True))
        deadline = time.monotonic() + 10
        while not os.path.exists(sock):
            if time.monotonic() > deadline or self.procs[0].poll() is not None:
                self.stop()
                raise RuntimeError("virtiofsd did not start (see " + vlog.name + ")")
            time.sleep(0.02)
        append = (f"console=ttyS0 quiet transparent_hugepage=never kvmrun.dir={run_dir} "
                  f"kvmrun.repo={os.getcwd()} kvmrun.from={start_at} kvmrun.wedge={wedge}")
        mem = f"{a.mem_mib}M"
        cmd = ["qemu-system-x86_64", "-machine", "q35,accel=tcg", "-cpu", "EPYC,+svm",
               "-m", mem, "-smp", str(a.smp), "-display", "none", "-no-reboot", "-nodefaults",
               "-kernel", a.kernel, "-initrd", a.initrd, "-append", append,
               "-object", f"memory-backend-memfd,id=mem,size={mem},share=on",
               "-numa", "node,memdev=mem",
               "-chardev", f"socket,id=vfs,path={sock}",
               "-device", "vhost-user-fs-pci,chardev=vfs,tag=host",
               "-chardev", f"file,id=con,path={os.path.join(run_dir, 'console.log')},append=on",
               "-serial", "chardev:con", "-serial", "stdio", "-monitor", "none"]
        qerr = open(os.path.join(run_dir, "qemu.err"), "ab")
        self.qemu = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=qerr, start_new_session=True)
        self.procs.append(self.qemu)
        self.buf = b""

    def lines(self, timeout):
        """Lines from L1's verdict port within timeout seconds; None once L1 has exited."""
        r, _, _ = select.select([self.qemu.stdout], [], [], timeout)
        if not r:
            return []
        data = os.read(self.qemu.stdout.fileno(), 65536)
        if not data:
            return None
        self.buf += data
        *done, self.buf = self.buf.split(b"\n")
        return [d.rstrip(b"\r").decode("utf-8", "replace") for d in done]

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in reversed(self.procs):
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def virtiofsd():
    for path in ("/usr/lib/qemu/virtiofsd", "/usr/libexec/virtiofsd", "/usr/lib/virtiofsd"):
        if os.access(path, os.X_OK):
            return path
    found = shutil.which("virtiofsd")
    if not found:
        raise RuntimeError("virtiofsd not found (scripts/setup.sh installs qemu-system-x86)")
    return found


def host_facts():
    """What benchmarks print about the machine: its CPU model and kernel."""
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return model, os.uname().release


def write_run_files(a, run_dir):
    model, kernel = host_facts()
    os.environ["CVMM_KVM_WHERE"] = "nested"
    os.environ["CVMM_HOST_CPU"] = model
    os.environ["CVMM_HOST_KERNEL"] = kernel
    with open(os.path.join(run_dir, "items"), "w") as f:
        for i, (name, cmd) in enumerate(a.item, 1):
            if "\n" in cmd:
                raise RuntimeError(f"item {name}: one line per command")
            f.write(f"{i}\t{name}\t{cmd}\n")
    with open(os.path.join(run_dir, "env"), "w") as f:
        for k, v in sorted(os.environ.items()):
            if ENV_NAME.match(k) and k not in ENV_SKIP:
                f.write(f"export {k}={shlex.quote(v)}\n")


def console_tail(run_dir, n):
    try:
        with open(os.path.join(run_dir, "console.log"), "rb") as f:
            lines = f.read().decode("utf-8", "replace").replace("\r", "").splitlines()
    except OSError:
        return
    for line in lines[-n:]:
        print("       | " + line, flush=True)


def run_nested(a, started, results):
    for what, path in (("--kernel", a.kernel), ("--initrd", a.initrd)):
        if not path or not os.path.exists(path):
            log(a.label, f"nested L1 needs {what} (make builds it)")
            return 1
    run_dir = os.path.abspath(a.out)
    repo = os.getcwd()
    if os.path.commonpath([run_dir, repo]) != repo:
        log(a.label, f"--out {a.out} must be inside {repo} (the part L1 may write)")
        return 2
    os.makedirs(run_dir, exist_ok=True)
    for f in ("console.log", "qemu.err", "virtiofsd.log"):
        open(os.path.join(run_dir, f), "w").close()
    write_run_files(a, run_dir)
    sock_dir = tempfile.mkdtemp(prefix=f"cvmm-kvm-{re.sub('[^A-Za-z0-9]', '_', a.label)}-")
    names = [n for n, _ in a.item]
    attempts = {}
    start_at, boots, done = 1, 0, False
    l1 = None

    def on_signal(sig, frame):
        if l1:
            l1.stop()
        shutil.rmtree(sock_dir, ignore_errors=True)
        sys.exit(128 + sig)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        while names and not done and boots < a.max_boots and start_at <= len(names):
            boots += 1
            wedge = a.wedge_item if boots <= a.wedge_boots else 0
            l1 = L1(a, run_dir, sock_dir, start_at, wedge)
            cur, cur_t0, why = None, None, None
            deadline = alive = time.monotonic() + a.boot_limit
            while True:
                lines = l1.lines(1.0)
                if lines is None:
                    why = "L1 stopped"
                    break
                for line in lines:
                    kind, _, rest = line.partition(" ")
                    if kind == "O":
                        _, _, text = rest.partition(" ")
                        print(text, flush=True)
                    elif kind == "ALIVE":
                        alive = time.monotonic() + a.heartbeat_limit
                    elif kind == "INFO":
                        log(a.label, f"{rest} ({time.monotonic() - started:.0f} s)")
                        alive = time.monotonic() + a.heartbeat_limit
                    elif kind == "START":
                        cur, cur_t0 = int(rest), time.monotonic()
                        deadline = cur_t0 + a.item_timeout
                    elif kind == "RESULT":
                        idx, _, rc = rest.partition(" ")
                        name = names[int(idx) - 1]
                        note = " (second attempt: L1 hung on the first)" if attempts.get(name) \
                            else ""
                        results[name] = (int(rc), time.monotonic() - cur_t0)
                        report_item(a, name, int(rc), results[name][1], note)
                        start_at, cur = int(idx) + 1, None
                        deadline = time.monotonic() + a.boot_limit
                    elif kind == "ABORT":
                        log(a.label, f"L1 aborted: {rest}")
                        console_tail(run_dir, 20)
                        return summary(a, results, "nested", started, boots)
                    elif kind == "DONE":
                        done = True
                if done:
                    break
                now = time.monotonic()
                if now > alive:
                    why = f"L1 sent no heartbeat for {a.heartbeat_limit} s"
                    break
                if now > deadline:
                    why = "no verdict in time" if cur else "L1 did not get to the next item"
                    break
            l1.stop()
            l1 = None
            if done:
                break
            if cur is None:
                log(a.label, f"{why} outside any item")
                console_tail(run_dir, 20)
                continue
            name = names[cur - 1]
            log(a.label, f"{why} during {name}")
            console_tail(run_dir, 20)
            if not attempts.get(name):
                attempts[name] = 1
                start_at = cur
                log(a.label, f"booting a fresh L1 to run {name} again")
            else:
                results[name] = (1, time.monotonic() - (cur_t0 or started))
                log(a.label, f"FAIL {name}: L1 hung on it twice")
                start_at = cur + 1
    finally:
        if l1:
            l1.stop()
        shutil.rmtree(sock_dir, ignore_errors=True)
    return summary(a, results, "nested", started, boots)


def main():
    a = parse_args()
    started = time.monotonic()
    mode, why = choose_mode(a)
    results = {}
    if mode == "local":
        os.environ["CVMM_KVM_WHERE"] = "local"
        log(a.label, f"{why}; running locally")
        run_host_items(a, results)
        return run_local(a, started, results)
    log(a.label, f"{why}; running in the nested L1 (QEMU TCG, emulated SVM, kvm-amd)")
    run_host_items(a, results)
    return run_nested(a, started, results)


if __name__ == "__main__":
    sys.exit(main())
