#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Kata's Go clh driver, replayed against `cvmm --api-socket` byte for byte.

The driver's requests as its openapi Go client writes them (Host, User-Agent, Content-Length,
sorted headers, Accept-Encoding; bodies marshalled from maps, hence keys sorted and every
constructor default present), on one keep-alive connection; vm.add-net as its vmAddNetPut writes
it: httputil.DumpRequest's bytes in one sendmsg with the tap fds in SCM_RIGHTS, on a connection of
its own.  Each step prints `ok: ...` or `FAIL: ...`, and `measure: ...` lines with figures that
are reported, never judged.  The exit status is the number of failures (at most 100).

    clh_kata.py pod  CVMM DIR KERNEL INITRD DISK CMDLINE   an ordinary pod, its L2 guest's agent
    clh_kata.py tdx  CVMM DIR FIRMWARE KERNEL DISK     a TDX pod on a host without TDX
"""
import array
import ctypes
import fcntl
import hashlib
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
        # Go's transport: a kept-alive connection the server closed meanwhile (its idle
        # timeout) is replaced by a new one.
        for attempt in (0, 1):
            fresh = self.sock is None
            if fresh:
                self.connect()
            try:
                self.sock.sendall(head + (body or b""))
                return read_response(self.sock)
            except (BrokenPipeError, ConnectionResetError, ConnectionError):
                self.sock.close()
                self.sock = None
                if fresh or attempt:
                    raise
        raise ConnectionError("unreachable")


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


def settle(pid, want):
    """Waits (at most 5 s) for cvmm to close the add-net connection's sockets."""
    end = time.monotonic() + 5
    while nr_fds(pid) != want and time.monotonic() < end:
        time.sleep(0.05)


def start(cvmm, sock, console):
    """launchClh: `--api-socket S` (Kata adds -v when debugging), then vmm.ping every 10 ms."""
    t0 = time.monotonic()
    p = subprocess.Popen([cvmm, "--api-socket", sock, "-v"], stdin=subprocess.DEVNULL,
                         stdout=console, stderr=subprocess.STDOUT)
    STARTED.append(p)
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


NET_MIB = 4


class NetUpload(threading.Thread):
    """The host side of the agent's upload: accepts on 10.0.2.1:5001, hashes what comes."""

    def __init__(self):
        super().__init__(daemon=True)
        self.srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("10.0.2.1", 5001))
        self.srv.listen(1)
        self.srv.settimeout(600)
        self.sha = hashlib.sha256()
        self.got = 0
        self.start()

    def run(self):
        try:
            c, _ = self.srv.accept()
            c.settimeout(600)
            while True:
                d = c.recv(65536)
                if not d:
                    break
                self.sha.update(d)
                self.got += len(d)
            c.close()
        except OSError:
            pass


def net_io(console, up):
    """The guest's eth0 on the tap: its checks, the upload it sent, the download it got."""
    if not check(wait_for(console, rb"L2: net down-ready", 600),
                 "the guest's eth0 is up, pings 10.0.2.1 and has sent its upload"):
        return
    down = os.urandom(NET_MIB << 20)
    with socket.create_connection(("10.0.2.2", 5002), timeout=600) as c:
        c.sendall(down)
    # The whole line: the serial console writes it a byte at a time.
    if not wait_for(console, rb"L2: net down_sha256=[0-9a-f]{64}", 300):
        fail("the guest never reported the download")
        return
    up.join(60)
    with open(console, "rb") as f:
        log = f.read().decode(errors="replace")
    sums = dict(re.findall(r"L2: net (up|down)_sha256=([0-9a-f]{64})", log))
    check(up.got == NET_MIB << 20 and sums.get("up") == up.sha.hexdigest(),
          "network: the guest's %d MiB upload arrived intact" % NET_MIB)
    check(sums.get("down") == hashlib.sha256(down).hexdigest(),
          "network: %d MiB down to the guest arrived intact" % NET_MIB)


# What the agent checks in the guest (nested.run in api_kata_clh.sh): each must report ok.
GUEST_CHECKS = ("virtio", "blk_ro", "vsock_echo", "net_offloads", "net_addr", "net_mtu",
                "net_ping", "net_up", "net_listen", "net_down")


def guest_checks(console):
    with open(console, "rb") as f:
        got = dict(re.findall(r"L2: check (\w+)=(\w+)", f.read().decode(errors="replace")))
    for name in GUEST_CHECKS:
        check(got.get(name) == "ok", "the guest's %s check (%s)" % (name, got.get(name)))
    for name in sorted(set(got) - set(GUEST_CHECKS)):
        check(got[name] == "ok", "the guest's %s check (%s)" % (name, got[name]))


def counters_of(devices, key):
    """The device whose counters have key (cvmm names devices after their backends)."""
    for name, c in devices.items():
        if isinstance(c, dict) and key in c:
            return name, c
    return None, {}


NET = {"iommu": False, "ip": "192.168.249.1", "mac": "02:00:ca:fe:00:01",
       "mask": "255.255.255.0", "num_queues": 2, "queue_size": 256, "vhost_mode": "Client",
       "vhost_user": False}


def pod(cvmm, d, kernel, initrd, disk, cmdline):
    """An ordinary pod (initrd, debug console on the serial port), its agent over vsock."""
    own_netns()
    sock, hvsock, console = d + "/clh-api.sock", d + "/clh.sock", d + "/console.log"
    with open(console, "wb") as out:
        p, api = start(cvmm, sock, out)
    if not api:
        return
    # CreateVM: NewVmConfig, NewMemoryConfig(size) + shared + hotplug_size, NewCpusConfig(1, 4)
    # with its topology, NewRngConfig, serial Tty (enable_debug), console Off, vsock cid 3; and
    # a read-only disk as the driver writes one for an image with disable_image_nvdimm (here
    # beside the initrd the agent lives in; it holds a pattern the agent checks).
    cfg = {"payload": {"kernel": kernel, "initramfs": initrd, "cmdline": cmdline},
           "memory": {"size": 256 << 20, "mergeable": False, "hotplug_method": "Acpi",
                      "shared": True, "hugepages": False, "prefault": False, "thp": True,
                      "hotplug_size": 2048 << 20},
           "cpus": {"boot_vcpus": 1, "max_vcpus": 4, "kvm_hyperv": False,
                    "topology": {"threads_per_core": 1, "cores_per_die": 4,
                                 "dies_per_package": 1, "packages": 1}},
           "disks": [{"path": disk, "readonly": True, "direct": False, "iommu": False,
                      "num_queues": 1, "queue_size": 128, "vhost_user": False}],
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
          c.get("memory", {}).get("size") == 256 << 20 and
          [x.get("readonly") for x in c.get("disks", [])] == [True] and
          c.get("vsock", {}).get("socket") == hvsock,
          "vm.info: the config cvmm runs (1 vCPU, 256 MiB, no hotplug room, the read-only "
          "disk, the vsock)")

    # vmAddNetPut: the tap's fd with the request's bytes; the host side of the pod's network
    # (what tcfilter would bridge) is the tap's address, 10.0.2.1/24, in our namespace.
    tap = open_tap("tap0_kata")
    for cmd in (["ip", "link", "set", "lo", "up"], ["ip", "link", "set", "tap0_kata", "up"],
                ["ip", "addr", "add", "10.0.2.1/24", "dev", "tap0_kata"]):
        subprocess.run(cmd, check=True)
    before = nr_fds(p.pid)
    whole, (status, body, ctype) = add_net(sock, gojson(dict(NET, num_queues=4)), [tap])
    check(status == 400 and "one queue pair" in body and ctype == "text/plain",
          "vm.add-net with 4 queues: 400 naming num_queues (%d %s)" % (status, body.strip()))
    settle(p.pid, before)
    check(nr_fds(p.pid) == before, "the refused vm.add-net left no descriptor in cvmm (%d, "
          "was %d)" % (nr_fds(p.pid), before))
    whole, (status, body, ctype) = add_net(sock, gojson(NET), [tap])
    check(whole, "vm.add-net: the request and its fd went in one sendmsg")
    check(status == 204, "vm.add-net: 204, the tap is the VM's network device (%d %s)" %
          (status, body.strip()))
    settle(p.pid, before + 1)
    check(nr_fds(p.pid) == before + 1, "cvmm keeps exactly the tap's descriptor (%d, was %d)" %
          (nr_fds(p.pid), before))
    status, info = vm_state(api)
    nets = info.get("config", {}).get("net", [])
    check(len(nets) == 1 and nets[0].get("mac") == NET["mac"],
          "vm.info: the interface, with Kata's MAC (%s)" % nets)
    os.close(tap)
    up = NetUpload()

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
    # The pod's network: the agent's net-io (offloads, address, ping, NET_MIB each way).
    net_io(console, up)
    check(wait_for(console, rb"L2: NESTED-DONE", 60) and
          wait_for(console, rb"L2: result=PASS", 1), "the agent's checks in the guest passed")
    guest_checks(console)
    status, body, _ = api.request(b"GET", b"vm.counters")
    try:
        devs = json.loads(body) if status == 200 else {}
    except ValueError:
        devs = {}
    name, net = counters_of(devs, "tx_bytes")
    check(net.get("tx_bytes", 0) >= NET_MIB << 20 and net.get("rx_bytes", 0) >= NET_MIB << 20,
          "vm.counters: the network device (%s) carried %d MiB each way (tx %d, rx %d bytes)" %
          (name, NET_MIB, net.get("tx_bytes", 0), net.get("rx_bytes", 0)))
    name, blk = counters_of(devs, "bytes_read")
    check(blk.get("bytes_read", 0) >= 1 << 20 and blk.get("bytes_written", -1) == 0,
          "vm.counters: the disk (%s) was read (%d bytes), never written" %
          (name, blk.get("bytes_read", 0)))
    check("exits_io" in devs.get("vm", {}), "vm.counters: the VM's exits by kind")
    # Kata caps a CPU resize at max_vcpus (1): no change, 204; a real change is refused.
    status, body, _ = api.request(b"PUT", b"vm.resize", gojson({"desired_vcpus": 1}))
    check(status == 204, "vm.resize to the VM's size: 204")
    status, body, _ = api.request(b"PUT", b"vm.resize", gojson({"desired_vcpus": 2}))
    check(status == 400 and "no CPU hotplug" in body, "vm.resize to 2 vCPUs: 400 saying why")
    status, body, _ = api.request(b"PUT", b"vm.add-disk", gojson({"path": kernel}))
    check(status == 400 and "no PCI hotplug" in body, "vm.add-disk: 400 saying why")
    stop(p, api, sock)


def tdx(cvmm, d, firmware, kernel, disk):
    """A TDX pod on a host without TDX: the probe's line is vm.boot's 500, cvmm lives on."""
    sock, console = d + "/clh-api-tdx.sock", d + "/console-tdx.log"
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


STARTED = []


def main(argv):
    if len(argv) != {"pod": 8, "tdx": 7}.get(argv[1] if len(argv) > 1 else "", 0):
        print(__doc__, file=sys.stderr)
        return 100
    try:
        (pod if argv[1] == "pod" else tdx)(*argv[2:])
    except (OSError, ValueError, ConnectionError) as e:
        fail("%s: %s" % (type(e).__name__, e))
    finally:
        for p in STARTED:
            if p.poll() is None:
                p.kill()
                p.wait()
    return min(len(FAILS), 100)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
