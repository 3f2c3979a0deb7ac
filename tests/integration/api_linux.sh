#!/bin/bash
# A real Linux guest (the nested harness's Debian cloud kernel, L2 initramfs and agent) booted and
# managed through the API, as a Kata shim does:
#  - `cvmm --api-sock S`, then PUT boot-source, machine-config, drives (a read-only rootfs and an
#    empty placeholder drive_0), vsock (cid 3, uds .../kata.hvsock), entropy, InstanceStart;
#  - the agent answers over kata.hvsock: `CONNECT 1024`, 1 MiB echoed and compared;
#  - PATCH /drives/drive_0 swaps the placeholder for a 1 MiB disk holding a pattern: the guest sees
#    the disk grow (configuration-change interrupt, new capacity) and reads the pattern back;
#  - SIGTERM ends it: exit status 0 within 15 s, the socket removed.
# The guest boots with ACPI (Debian's kernel has no virtio_mmio.device= support; acpi=off guests
# are covered by mptable_guest.sh with the test guest).
set -u
CVMM=${CVMM:-build/cvmm}
NESTED=${NESTED:-build/nested}
# Under the build directory: readable from outside while the item runs (L1 shares it).
mkdir -p build
tmp=$(mktemp -d "$PWD/build/api-linux.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

kernel=$NESTED/root/boot/vmlinuz-$(cat "$NESTED/kernel-version")
initrd=$NESTED/l2-initrd.cpio.lz4
sock=$tmp/api.sock
api() { # api METHOD PATH [BODY]: prints the status, the answer goes to $tmp/body
	local args=(-sS --max-time 60 --unix-socket "$sock" -o "$tmp/body" -w '%{http_code}' -X "$1")
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	curl "${args[@]}" "http://localhost$2" 2>/dev/null
}
wait_console() { # wait_console REGEX SECONDS
	for _ in $(seq $(($2 * 10))); do grep -Eq "$1" "$tmp/console.log" && return 0; sleep 0.1; done
	return 1
}

head -c 1048576 /dev/urandom >"$tmp/rootfs.img"
: >"$tmp/drive_0"
python3 tests/integration/blk_pattern.py "$tmp/disk.img" 4242 1

"$CVMM" --api-sock "$sock" --id linux-1 >"$tmp/console.log" 2>&1 </dev/null &
pid=$!
for _ in $(seq 500); do [ -S "$sock" ] && break; sleep 0.01; done
args="console=ttyS0 reboot=k panic=-1 quiet nested.vcpus=1 nested.mem_mib=256"
args="$args nested.virtio=2,2,4,19 nested.action=hold nested.run=vsock-echo,blk-swap"
args="$args nested.vsock_conns=1 nested.blk_dev=/dev/vdb nested.blk_seed=4242"
args="$args nested.swap_bytes=1048576"
for req in \
	"PUT /boot-source {\"kernel_image_path\":\"$kernel\",\"initrd_path\":\"$initrd\",\"boot_args\":\"$args\"}" \
	'PUT /machine-config {"vcpu_count":1,"mem_size_mib":256}' \
	"PUT /drives/rootfs {\"drive_id\":\"rootfs\",\"path_on_host\":\"$tmp/rootfs.img\",\"is_root_device\":false,\"is_read_only\":true}" \
	"PUT /drives/drive_0 {\"drive_id\":\"drive_0\",\"path_on_host\":\"$tmp/drive_0\",\"is_root_device\":false,\"is_read_only\":false}" \
	"PUT /vsock {\"guest_cid\":3,\"uds_path\":\"$tmp/kata.hvsock\",\"vsock_id\":\"root\"}" \
	'PUT /entropy {}' \
	'PUT /actions {"action_type":"InstanceStart"}'; do
	set -- $req
	st=$(api "$1" "$2" "${req#* * }")
	[ "$st" = 204 ] && ok || bad "$1 $2: $st $(cat "$tmp/body")"
done

# The agent's vsock echo, through the hybrid socket.
if wait_console 'L2: vsock: serving on port 1024' 240; then
	if python3 - "$tmp/kata.hvsock" <<'PY'
import os, socket, sys, threading
s = socket.socket(socket.AF_UNIX)
s.settimeout(60)
s.connect(sys.argv[1])
s.sendall(b"CONNECT 1024\n")
line = b""
while not line.endswith(b"\n"):
    c = s.recv(1)
    assert c, "closed during the handshake"
    line += c
assert line.startswith(b"OK "), line
data = os.urandom(1 << 20)
s.settimeout(120)


def send():
    s.sendall(data)  # while the echo is read below: neither side's buffer fills up
    s.shutdown(socket.SHUT_WR)


t = threading.Thread(target=send)
t.start()
got = b""
while len(got) < len(data):
    c = s.recv(65536)
    assert c, "echo ended early after %d bytes" % len(got)
    got += c
t.join()
assert got == data, "echo differs"
PY
	then ok; else bad "vsock echo over kata.hvsock"; fi
else
	bad "the agent never served vsock: $(grep -E 'L2:|error' "$tmp/console.log" | tail -5)"
fi
wait_console 'L2: check vsock_echo=ok' 60 && ok || bad "agent: vsock_echo not ok"

# The placeholder becomes a real disk while the guest runs; the guest reads the new contents.
wait_console 'L2: blk_swap: waiting' 60 || bad "the agent never started blk-swap"
st=$(api PATCH /drives/drive_0 "{\"drive_id\":\"drive_0\",\"path_on_host\":\"$tmp/disk.img\"}")
[ "$st" = 204 ] && ok || bad "PATCH /drives/drive_0: $st $(cat "$tmp/body")"
if wait_console 'L2: check blk_swap=' 120 && grep -q 'L2: check blk_swap=ok' "$tmp/console.log"
then ok; else bad "guest after the swap: $(grep -E 'blk_swap|error' "$tmp/console.log" | tail -3)"; fi
grep -h 'blk_swap: .* sectors after' "$tmp/console.log" | sed 's/^/  /'
wait_console 'L2: NESTED-DONE' 30 && grep -q 'L2: result=PASS' "$tmp/console.log" && ok ||
	bad "agent checks: $(grep -E 'check .*FAIL' "$tmp/console.log" | head -3)"
[ "$(api GET /)" = 200 ] && grep -q '"state":"Running"' "$tmp/body" && ok || bad "GET /"

# SIGTERM: a clean stop.
t0=$(date +%s%N)
kill -TERM "$pid"
status=timeout
for _ in $(seq 150); do
	if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; status=$?; break; fi
	sleep 0.1
done
pid=
echo "  SIGTERM -> exit in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
[ "$status" = 0 ] && ok || bad "after SIGTERM: status $status"
[ ! -e "$sock" ] && ok || bad "API socket left behind"

echo "api_linux: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
