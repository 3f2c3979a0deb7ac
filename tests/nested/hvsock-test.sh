#!/bin/bash
# Checks hvsock (the L1 host side of cvmm's hybrid vsock) on the build host against a fake cvmm
# socket: a sound peer for each mode must pass; a refused handshake, corrupted echo or source
# data, and a wrong sink count must each fail.
#   usage: hvsock-test.sh HVSOCK
set -uo pipefail

HVSOCK=$(realpath "${1:?usage: hvsock-test.sh HVSOCK}")
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$WORK"' EXIT
failures=0

# fake_peer SOCKET BEHAVIOUR: serves one connection the way cvmm plus the test guest would.
fake_peer()
{
	python3 - "$@" 2>/dev/null <<'PY' &
import os, socket, struct, sys
path, how = sys.argv[1], sys.argv[2]
pattern = bytes(((j * 157 + (j >> 8)) & 0xff) for j in range(65536))
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(1)
c, _ = srv.accept()
line = b""
while not line.endswith(b"\n"):
    line += c.recv(1)
if how == "refuse":
    c.close()
    sys.exit(0)
c.sendall(b"OK 1073741824\n")
if how in ("echo", "echo-corrupt"):
    n = 0
    while True:
        d = c.recv(65536)
        if not d:
            break
        if how == "echo-corrupt" and n <= 5000 < n + len(d):
            d = d[:5000 - n] + bytes([d[5000 - n] ^ 1]) + d[5000 - n + 1:]
        n += len(d)
        c.sendall(d)
elif how in ("sink", "sink-short"):
    n = 0
    while True:
        d = c.recv(65536)
        if not d:
            break
        n += len(d)
    c.sendall(struct.pack("<QI", n - (how == "sink-short"), 0))
elif how in ("source", "source-corrupt"):
    data = bytearray(pattern * 4)
    if how == "source-corrupt":
        data[70000] ^= 0x80
    c.sendall(bytes(data))
c.close()
PY
	for _ in $(seq 50); do
		[ -S "$1" ] && return
		sleep 0.1
	done
}

# expect NAME pass|fail BEHAVIOUR HVSOCK-ARGS...
expect()
{
	local name=$1 want=$2 how=$3 out rc sock=$WORK/s.$RANDOM
	shift 3
	fake_peer "$sock" "$how"
	out=$(timeout 30 "$HVSOCK" "$1" "$sock" "${@:2}" 2>&1)
	rc=$?
	wait
	if { [ "$want" = pass ] && [ $rc -eq 0 ] && ! grep -q FAIL <<<"$out"; } ||
		{ [ "$want" = fail ] && [ $rc -eq 1 ] && grep -q "^hvsock: FAIL" <<<"$out"; }; then
		echo "ok   hvsock: $name"
	else
		echo "FAIL hvsock: $name (expected $want, exit $rc): $out"
		failures=$((failures + 1))
	fi
}

expect "echo through a sound peer" pass echo echo 1024 300000
expect "echo with one flipped byte" fail echo-corrupt echo 1024 300000
expect "refused handshake" fail refuse echo 1024 1000
expect "sink report matches" pass sink sink 1025 200000
expect "sink report short by one" fail sink-short sink 1025 200000
expect "source pattern" pass source source 1026
expect "source with a flipped bit" fail source-corrupt source 1026
expect "stop" pass echo stop 1027

[ "$failures" -eq 0 ] && echo "hvsock: all checks behave" || echo "hvsock: $failures case(s) wrong"
[ "$failures" -eq 0 ]
