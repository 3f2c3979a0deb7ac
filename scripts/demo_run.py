#!/usr/bin/env python3
"""The first-run demo: cvmm boots Debian's kernel with a virtio-blk root disk and the vsock agent
channel; the host runs a command in the guest through cvmm's hybrid vsock socket (as a Kata shim
talks to its agent) and prints the output; the guest powers off; then the boot times.

Run through the KVM runner (make demo), so it uses this machine's /dev/kvm or the nested L1.
Exit status 0 when every step worked.
"""
import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_machine  # noqa: E402

COMMAND = ("echo \"hello from $(hostname), a $(uname -m) guest: $(uname -sr)\"; "
           "echo \"root: $(df -h / | tail -1)\"; "
           "echo \"memory: $(grep MemTotal /proc/meminfo)\"; "
           "echo \"virtio devices: $(ls /sys/bus/virtio/devices | tr '\\n' ' ')\"")


class Console:
    """Reads the guest console, echoes it indented, notes when lines first appear."""

    def __init__(self, stream, t0):
        self.t0 = t0
        self.seen = {}
        self.lines = []
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream):
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            with self.cond:
                self.lines.append(line)
                for key in ("guest: init on", "vsock: serving", "command exited"):
                    if key in line and key not in self.seen:
                        self.seen[key] = time.monotonic() - self.t0
                self.cond.notify_all()
            print("  | " + line, flush=True)

    def wait_for(self, key, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while key not in self.seen:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)
            return self.seen[key]


def run_command(path, command, timeout):
    """Hybrid vsock: CONNECT 1024, then the command; returns (handshake reply, output)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    s.sendall(b"CONNECT 1024\n")
    reply = b""
    while not reply.endswith(b"\n"):
        chunk = s.recv(1)
        if not chunk:
            raise RuntimeError("cvmm closed the connection during the handshake")
        reply += chunk
    if not reply.startswith(b"OK "):
        raise RuntimeError(f"handshake refused: {reply!r}")
    s.sendall(command.encode() + b"\n")
    out = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    s.close()
    return reply.decode().strip(), out.decode("utf-8", "replace")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--cvmm", default="build/cvmm")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--initrd", required=True)
    ap.add_argument("--disk", required=True)
    ap.add_argument("--command", default=COMMAND)
    ap.add_argument("--timeout", type=int, default=90)
    a = ap.parse_args()

    print(bench_machine.describe().replace("machine:", "demo: running on"), flush=True)
    tmp = tempfile.mkdtemp(prefix="cvmm-demo-")
    uds = os.path.join(tmp, "kata.hvsock")
    cmd = [a.cvmm, "--kernel", a.kernel, "--initrd", a.initrd, "--vcpus", "2", "--mem-mib", "256",
           "--cmdline", "console=ttyS0 loglevel=3 pci=off reboot=k panic=-1",
           "--drive", f"path={a.disk},id=rootfs", "--vsock", f"cid=3,uds={uds}"]
    print("demo: " + " ".join(cmd), flush=True)
    t0 = time.monotonic()
    vmm = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
    console = Console(vmm.stdout, t0)
    ok = False
    try:
        if console.wait_for("vsock: serving", a.timeout) is None:
            print("demo: FAIL: the guest agent did not come up", flush=True)
            return 1
        reply, out = run_command(uds, a.command, a.timeout)
        answered = time.monotonic() - t0
        print(f"demo: host -> guest over {uds}: CONNECT 1024 -> {reply}", flush=True)
        print(f"demo: `{a.command}` ran in the guest and said:", flush=True)
        for line in out.splitlines():
            print("    " + line, flush=True)
        try:
            status = vmm.wait(timeout=a.timeout)
        except subprocess.TimeoutExpired:
            print("demo: FAIL: the guest did not power off", flush=True)
            return 1
        console.thread.join(5)
        print(f"demo: the guest powered off; cvmm exited with status {status}", flush=True)
        init_s = console.seen.get("guest: init on")
        print(f"demo: boot time: cvmm exec -> init on the virtio-blk root "
              f"{init_s * 1000:.0f} ms, -> command answered over vsock {answered * 1000:.0f} ms"
              if init_s is not None else "demo: no init line seen", flush=True)
        ok = status == 0 and "hello from cvmm-demo" in out and init_s is not None
        print("demo: " + ("everything worked" if ok else "FAIL: see above"), flush=True)
        return 0 if ok else 1
    finally:
        if vmm.poll() is None:
            vmm.kill()
            vmm.wait()
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)


if __name__ == "__main__":
    sys.exit(main())
