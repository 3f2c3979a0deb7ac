#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Kata's Go clh driver, replayed against `cvmm --api-socket` byte for byte.

The driver's requests as its openapi Go client writes them (Host, User-Agent, Content-Length,
sorted headers, Accept-Encoding; bodies marshalled from maps, hence keys sorted and every
constructor default present), on one keep-alive connection; vm.add-net as its vmAddNetPut writes
it: httputil.DumpRequest's bytes in one sendmsg with the tap fds in SCM_RIGHTS, on a connection of
its own.  Each step prints `ok: ...` or `FAIL: ...`, and `measure: ...` lines with figures that
are reported, never judged.  The exit status is the number of failures (at most 100).

    clh_kata.py pod  CVMM DIR KERNEL INITRD CMDLINE   an ordinary pod, its L2 guest's agent
    clh_kata.py tdx  CVMM DIR FIRMWARE KERNEL DISK     a TDX pod on a host without TDX
"""
import array
import ctypes
import fcntl
import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vsock_host  # noqa: E402  (the hybrid vsock handshake)

FAILS = []
UA = b"User-Agent: OpenAPI-Generator/1.0.0/go\r\n"


def ok(what):
    print("ok: " + what, flush=True)


def fail(what):
    print("FAIL: " + what, flush=True)
    FAILS.append(what)


def check(cond, what):
    (ok if cond else fail)(what)
    return cond


def gojson(obj):
    """encoding/json of the openapi maps: compact, keys sorted."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


class Api:
    """The Go client's keep-alive connection to the API socket."""

    def __init__(self, path):
        self.path = path
        self.sock = None

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(60)
        s.connect(self.path)
        self.sock = s

    def request(self, method, endpoint, body=None, accept=True):
        head = b"%s /api/v1/%s HTTP/1.1\r\nHost: localhost\r\n" % (method, endpoint) + UA
        if body is not None:
            head += b"Content-Length: %d\r\n" % len(body)
        elif method == b"PUT":
            head += b"Content-Length: 0\r\n"
        if accept:
            head += b"Accept: application/json\r\n"
        if body is not None:
            head += b"Content-Type: application/json\r\n"
        head += b"Accept-Encoding: gzip\r\n\r\n"
        if self.sock is None:
            self.connect()
        self.sock.sendall(head + (body or b""))
        return read_response(self.sock)


def read_response(s):
    data = b""
    while b"\r\n\r\n" not in data:
        c = s.recv(4096)
        if not c:
            raise ConnectionError("the API closed the connection")
        data += c
    head, rest = data.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ")[1])
    m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    want = int(m.group(1)) if m else 0
    while len(rest) < want:
        c = s.recv(4096)
        if not c:
            break
        rest += c
    ctype = re.search(rb"(?i)\r\ncontent-type: *([^\r]*)", head)
    return status, rest.decode(errors="replace"), ctype.group(1).decode() if ctype else ""


def add_net(path, body, fds):
    """vmAddNetPutRequest: DumpRequest's bytes and the fds in one sendmsg, on its own conn."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect(path)
    raw = (b"PUT /api/v1/vm.add-net HTTP/1.1\r\nHost: localhost\r\nAccept: application/json\r\n"
           b"Content-Length: %d\r\nContent-Type: application/json\r\n\r\n" % len(body)) + body
    oob = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))]
    sent = s.sendmsg([raw], oob)
    r = read_response(s)
    s.close()
    return sent == len(raw), r


def open_tap(name):
    """A tap as Kata's tcfilter endpoint makes it: TAP, NO_PI, VNET_HDR, multi-queue."""
    iff_tap, iff_no_pi, iff_vnet_hdr, iff_multi_queue = 0x2, 0x1000, 0x4000, 0x100
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
    ifr = struct.pack("16sH22x", name.encode(),
                      iff_tap | iff_no_pi | iff_vnet_hdr | iff_multi_queue)
    fcntl.ioctl(fd, 0x400454CA, ifr)  # TUNSETIFF
    return fd


def own_netns():
    """A network namespace of our own: the tap and its addresses touch nothing else."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x40000000) != 0:  # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET)")


def nr_fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def start(cvmm, sock, console):
    """launchClh: `--api-socket S` (Kata adds -v when debugging), then vmm.ping every 10 ms."""
    t0 = time.monotonic()
    p = subprocess.Popen([cvmm, "--api-socket", sock, "-v"], stdin=subprocess.DEVNULL,
                         stdout=console, stderr=subprocess.STDOUT)
    api = Api(sock)
    tries = 0
    while True:
        tries += 1
        if p.poll() is not None:
            fail("cvmm exited (%s) before answering vmm.ping" % p.returncode)
            return p, None
        try:
            status, body, _ = api.request(b"GET", b"vmm.ping")
            break
        except (FileNotFoundError, ConnectionRefusedError):
            api.sock = None
            if time.monotonic() - t0 > 10:
                fail("vmm.ping: no answer within the driver's 10 s")
                return p, None
            time.sleep(0.01)
    ready = (time.monotonic() - t0) * 1000
    info = json.loads(body) if status == 200 else {}
    check(status == 200 and "version" in info and info.get("pid") == p.pid and
          "tdx" in info.get("features", []), "vmm.ping: 200 with version, pid, features (tdx)")
    print("measure: exec -> vmm.ping answered: %.1f ms (%d tries at 10 ms)" % (ready, tries),
          flush=True)
    return p, api


def vm_state(api):
    status, body, _ = api.request(b"GET", b"vm.info")
    try:
        return status, json.loads(body)
    except ValueError:
        return status, {}


def wait_for(path, pattern, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with open(path, "rb") as f:
            if re.search(pattern, f.read()):
                return True
        time.sleep(0.1)
    return False


def stop(p, api, sock):
    """terminate(): vmm.shutdown, then wait for the process (3 s, 10 s for TDX guests)."""
    t0 = time.monotonic()
    status, body, _ = api.request(b"PUT", b"vmm.shutdown", accept=False)
    check(status == 204, "vmm.shutdown: 204 (%d %s)" % (status, body.strip()))
    try:
        code = p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        code = "still running after 15 s"
    print("measure: vmm.shutdown -> process gone: %.0f ms" % ((time.monotonic() - t0) * 1000),
          flush=True)
    check(code == 0, "cvmm exits 0 after vmm.shutdown (%s)" % code)
    check(not os.path.exists(sock), "the API socket is removed")


def vsock_echo(path, port, nbytes):
    """The agent's echo through the hybrid vsock socket (vsock_host.py's handshake)."""
    try:
        s, _ = vsock_host.connect(path, port, timeout=60)
    except (OSError, ConnectionError) as e:
        return "handshake: %s" % e
    data = os.urandom(nbytes)

    def send():
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)

    t = threading.Thread(target=send)
    t.start()
    got = b""
    s.settimeout(120)
    while len(got) < len(data):
        c = s.recv(65536)
        if not c:
            break
        got += c
    t.join()
    return None if got == data else "echo differs (%d of %d bytes)" % (len(got), len(data))


NET = {"iommu": False, "ip": "192.168.249.1", "mac": "02:00:ca:fe:00:01",
       "mask": "255.255.255.0", "num_queues": 2, "queue_size": 256, "vhost_mode": "Client",
       "vhost_user": False}


def pod(cvmm, d, kernel, initrd, cmdline):
    """An ordinary pod (initrd, debug console on the serial port), its agent over vsock."""
    own_netns()
    sock, hvsock, console = d + "/clh-api.sock", d + "/clh.sock", d + "/console.log"
    with open(console, "wb") as out:
        p, api = start(cvmm, sock, out)
    if not api:
        return
    # CreateVM: NewVmConfig, NewMemoryConfig(size) + shared + hotplug_size, NewCpusConfig(1, 4)
    # with its topology, NewRngConfig, serial Tty (enable_debug), console Off, vsock cid 3.
    cfg = {"payload": {"kernel": kernel, "initramfs": initrd, "cmdline": cmdline},
           "memory": {"size": 256 << 20, "mergeable": False, "hotplug_method": "Acpi",
                      "shared": True, "hugepages": False, "prefault": False, "thp": True,
                      "hotplug_size": 2048 << 20},
           "cpus": {"boot_vcpus": 1, "max_vcpus": 4, "kvm_hyperv": False,
                    "topology": {"threads_per_core": 1, "cores_per_die": 4,
                                 "dies_per_package": 1, "packages": 1}},
           "rng": {"src": "/dev/urandom", "iommu": False},
           "serial": {"mode": "Tty", "iommu": False}, "console": {"mode": "Off", "iommu": False},
           "vsock": {"cid": 3, "socket": hvsock, "iommu": False},
           "iommu": False, "watchdog": False, "pvpanic": False, "landlock_enable": False}
    t0 = time.monotonic()
    status, body, _ = api.request(b"PUT", b"vm.create", gojson(cfg))
    t_create = (time.monotonic() - t0) * 1000
    if not check(status == 204, "vm.create: 204 (%d %s)" % (status, body.strip())):
        stop(p, api, sock)
        return
    status, info = vm_state(api)
    check(status == 200 and info.get("state") == "Created", "vm.info: Created")
    c = info.get("config", {})
    check(c.get("cpus", {}).get("max_vcpus") == 1 and
          "hotplug_size" not in c.get("memory", {}) and
          c.get("memory", {}).get("size") == 256 << 20,
          "vm.info: the config cvmm runs (1 vCPU, 256 MiB, no hotplug room)")

    # vmAddNetPut: the tap's fd with the request's bytes.
    tap = open_tap("tap0_kata")
    before = nr_fds(p.pid)
    whole, (status, body, ctype) = add_net(sock, gojson(NET), [tap])
    check(whole, "vm.add-net: the request and its fd went in one sendmsg")
    if status == 204:
        ok("vm.add-net: 204, the tap is the VM's network device")
        net = True
    else:
        check(status == 400 and "no network device in this build yet" in body and
              ctype == "text/plain",
              "vm.add-net: the tap fd is checked, then refused until the VM has a network "
              "device (%d %s)" % (status, body.strip()))
        net = False
        # The relay and handler closed their copies: nothing left behind in cvmm.
        time.sleep(0.2)
        check(nr_fds(p.pid) == before, "vm.add-net: no descriptor left in cvmm (%d, was %d)" %
              (nr_fds(p.pid), before))
    os.close(tap)

    t0 = time.monotonic()
    status, body, _ = api.request(b"PUT", b"vm.boot", accept=False)
    t_boot = (time.monotonic() - t0) * 1000
    check(status == 204, "vm.boot: 204 (%d %s)" % (status, body.strip()))
    status, info = vm_state(api)
    check(status == 200 and info.get("state") == "Running", "vm.info: Running")
    print("measure: vm.create %.1f ms, vm.boot %.1f ms (the driver allows 1 s for both)" %
          (t_create, t_boot), flush=True)
    names = sorted(open("/proc/%d/task/%s/comm" % (p.pid, t)).read().strip()
                   for t in os.listdir("/proc/%d/task" % p.pid))
    check("vcpu0" in names, "the vCPU thread is named vcpu0 (GetThreadIDs)")

    # The agent in the guest, over the hybrid vsock socket.
    if check(wait_for(console, rb"L2: vsock: serving on port 1024", 240),
             "the L2 guest's agent serves vsock port 1024"):
        why = vsock_echo(hvsock, 1024, 1 << 20)
        check(why is None, "vsock: 1 MiB echoed by the agent over clh.sock (%s)" % why)
    check(wait_for(console, rb"L2: NESTED-DONE", 60) and
          wait_for(console, rb"L2: result=PASS", 1), "the agent's checks in the guest passed")
    status, body, _ = api.request(b"GET", b"vm.counters")
    check(status == 200 and '"vm":{' in body and "virtio" in body,
          "vm.counters: 200, per-device counters")
    # Kata caps a CPU resize at max_vcpus (1): no change, 204; a real change is refused.
    status, body, _ = api.request(b"PUT", b"vm.resize", gojson({"desired_vcpus": 1}))
    check(status == 204, "vm.resize to the VM's size: 204")
    status, body, _ = api.request(b"PUT", b"vm.resize", gojson({"desired_vcpus": 2}))
    check(status == 400 and "no CPU hotplug" in body, "vm.resize to 2 vCPUs: 400 saying why")
    status, body, _ = api.request(b"PUT", b"vm.add-disk", gojson({"path": kernel}))
    check(status == 400 and "no PCI hotplug" in body, "vm.add-disk: 400 saying why")
    if net:
        fail("the network works in the guest: not checked yet")
    stop(p, api, sock)


def tdx(cvmm, d, firmware, kernel, disk):
    """A TDX pod on a host without TDX: the probe's line is vm.boot's 500, cvmm lives on."""
    sock, console = d + "/clh-api.sock", d + "/console-tdx.log"
    with open(console, "wb") as out:
        p, api = start(cvmm, sock, out)
    if not api:
        return
    cfg = {"payload": {"firmware": firmware, "kernel": kernel,
                       "cmdline": "root=/dev/vda1 rootflags=data=ordered panic=1 quiet"},
           "memory": {"size": 256 << 20, "mergeable": False, "hotplug_method": "Acpi",
                      "shared": True, "hugepages": False, "prefault": False, "thp": True},
           "cpus": {"boot_vcpus": 1, "max_vcpus": 1, "kvm_hyperv": False,
                    "topology": {"threads_per_core": 1, "cores_per_die": 1,
                                 "dies_per_package": 1, "packages": 1}},
           "disks": [{"path": disk, "readonly": True, "direct": False, "iommu": False,
                      "num_queues": 1, "queue_size": 128, "vhost_user": False}],
           "rng": {"src": "/dev/urandom", "iommu": False},
           "serial": {"mode": "Off", "iommu": False}, "console": {"mode": "Off", "iommu": False},
           "vsock": {"cid": 3, "socket": d + "/clh-tdx.sock", "iommu": False},
           "platform": {"tdx": True},
           "iommu": False, "watchdog": False, "pvpanic": False, "landlock_enable": False}
    status, body, _ = api.request(b"PUT", b"vm.create", gojson(cfg))
    check(status == 204, "TDX vm.create: 204 (%d %s)" % (status, body.strip()))
    status, info = vm_state(api)
    check(status == 200 and info.get("state") == "Created" and
          info.get("config", {}).get("platform", {}).get("tdx") is True,
          "TDX vm.info: Created, platform.tdx")
    status, body, ctype = api.request(b"PUT", b"vm.boot", accept=False)
    check(status == 500 and "kvm_intel.tdx" in body and "\n" not in body.strip() and
          ctype == "text/plain",
          "TDX vm.boot without TDX: 500 with the probe's one line (%d %s)" % (status,
                                                                            body.strip()))
    check(p.poll() is None, "cvmm is still running after the refused launch")
    status, info = vm_state(api)
    check(status == 200 and info.get("state") == "Created", "TDX vm.info: still Created")
    stop(p, api, sock)


def main(argv):
    if len(argv) != 7 or argv[1] not in ("pod", "tdx"):
        print(__doc__, file=sys.stderr)
        return 100
    try:
        (pod if argv[1] == "pod" else tdx)(*argv[2:])
    except (OSError, ValueError, ConnectionError) as e:
        fail("%s: %s" % (type(e).__name__, e))
    return min(len(FAILS), 100)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
