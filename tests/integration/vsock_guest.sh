#!/bin/bash
# virtio-vsock end to end on /dev/kvm: cvmm boots the test guest with its vsock services
# (tests/guest/vsock.c) and tests/integration/vsock_host.py talks to them through cvmm's hybrid
# Unix socket:
#  - guest-initiated: the guest connects to CID 2 port 2000 (a host echo listener at PATH_2000)
#    and gets 1 MiB echoed back; port 2001 has no listener and must be refused (RST);
#  - host-initiated: 64 MiB echoed with a sha256 check, 100 concurrent echo connections,
#    bad handshakes closed without harm, a port with no guest listener refused;
#  - sink (host->guest, CRC-32 checked by the guest's report) and source (guest->host pattern);
#  - cvmm's open-fd count equal before and after 1000 connect/echo/close cycles;
#  - the guest's summary: every connection served, no protocol error, exit status 0;
#  - a uds path that is a regular file is refused; a stale socket file is replaced;
#  - a client connecting as soon as the socket exists is served.
set -u
CVMM=${CVMM:-build/cvmm}
GUEST_DIR=${GUEST_DIR:-build/guest}
HOST="python3 tests/integration/vsock_host.py"
tmp=$(mktemp -d)
sock=$tmp/v.sock
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
pass=0
fail=0

step() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass=$((pass + 1))
		echo "  $out"
	else
		fail=$((fail + 1))
		echo "FAIL: $name: $(tail -n 3 <<<"$out")"
	fi
}

cycles=1000
concurrent=100
# early client + echo 64 MiB + concurrent + negative's partial line + cycles + sink + source
served=$((1 + 1 + concurrent + 1 + cycles + 1 + 1))

# A path that cannot be listened on: one error line, exit status 2 (before KVM is opened).
touch "$tmp/file"
out=$("$CVMM" --kernel "$GUEST_DIR/cvmm-test.pvh.elf" --vsock "cid=7,uds=$tmp/file" 2>&1 </dev/null)
status=$?
if [ "$status" -eq 2 ] && [ "$(grep -c '' <<<"$out")" -eq 1 ] &&
   grep -q -- "--vsock $tmp/file: exists and is not a socket" <<<"$out"; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL: a regular file at the uds path: status $status: $out"
fi
# A socket file left by a process that is gone is replaced.
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$sock"

$HOST --path "$sock" listen --port 2000 >"$tmp/listen.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [ -S "${sock}_2000" ] && break; sleep 0.1; done

"$CVMM" --debug-exit --kernel "$GUEST_DIR/cvmm-test.pvh.elf" --mem-mib 256 \
	--vsock "cid=7,uds=$sock" --cmdline "cvmmtest.only=vsock cvmmtest.vsock_cid=7 \
cvmmtest.vsock_connect_port=2000 cvmmtest.vsock_refused_port=2001 \
cvmmtest.vsock_echo_port=1024 cvmmtest.vsock_sink_port=1025 cvmmtest.vsock_sink_crc=1 \
cvmmtest.vsock_source_port=1026 cvmmtest.vsock_source_bytes=16777216 \
cvmmtest.vsock_stop_port=9 cvmmtest.vsock_expect_served=$served" \
	>"$tmp/cvmm.log" 2>&1 </dev/null &
cvmm_pid=$!
pids+=($cvmm_pid)
# Watchdog: a hung guest must not hang the suite.
(timeout 600 tail --pid="$cvmm_pid" -f /dev/null || kill "$cvmm_pid") >/dev/null 2>&1 &
# A client that connects as soon as the socket exists, likely before the guest probed the device.
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.01; done
$HOST --path "$sock" echo --port 1024 --bytes 4096 >"$tmp/early.log" 2>&1 &
early=$!
# The guest prints this once its client checks are done and its services listen.
for _ in $(seq 600); do grep -q "vsock: serving" "$tmp/cvmm.log" && break; sleep 0.1; done

if wait "$early"; then
	pass=$((pass + 1))
	echo "  early $(cat "$tmp/early.log")"
else
	fail=$((fail + 1))
	echo "FAIL: client connected at once: $(cat "$tmp/early.log")"
fi
step "64 MiB echo" $HOST --path "$sock" echo --port 1024 --bytes $((64 << 20))
step "$concurrent concurrent" $HOST --path "$sock" echo --port 1024 --bytes 262144 \
	--conns $concurrent
step "bad handshakes" $HOST --path "$sock" negative --port 1024 --closed-port 5555
step "sink" $HOST --path "$sock" sink --port 1025 --bytes $((8 << 20)) --crc
step "source" $HOST --path "$sock" source --port 1026 --bytes 16777216 --verify
step "fd count over $cycles cycles" $HOST --path "$sock" cycles --port 1024 --count $cycles \
	--pid "$cvmm_pid" --half-close
step "stop" $HOST --path "$sock" stop --port 9

wait "$cvmm_pid"
status=$?
if [ "$status" -eq 0 ] && grep -q '^PASS vsock: cid 7, port 2001 refused, client 1048576 bytes' \
	"$tmp/cvmm.log"; then
	pass=$((pass + 1))
	echo "  $(grep '^PASS vsock' "$tmp/cvmm.log")"
else
	fail=$((fail + 1))
	echo "FAIL: guest (status $status):"
	grep -E "FAIL|RESULT|error|warn" "$tmp/cvmm.log" | head -5 | sed 's/^/    /'
fi
if [ -e "$sock" ]; then
	fail=$((fail + 1))
	echo "FAIL: $sock left behind after exit"
fi

echo "vsock guest: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
