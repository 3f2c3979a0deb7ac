#!/bin/bash
# virtio-net end to end: in a network namespace of its own, with a tap and netpeer echoing raw
# frames of ethertype 0x88b5 on it (tests/nested/l1/netpeer.c), the test guest's `net` check sends
# frames of 60, 1514, 9000 and 9014 bytes (MTU 9000) through cvmm and must get them back intact:
#  - the tap given by name (cvmm attaches to it), the MAC, MTU and link status the guest reads;
#  - the tap given as an inherited fd (opened the way a Kata shim does), which stays open;
#  - a tap fd without IFF_VNET_HDR, a tap name that is not a tap, a multicast MAC: refused at
#    start with exit status 2 and one line;
#  - the guest's frames and cvmm's counters agree with what the tap saw;
# and the namespace is gone afterwards, whatever happened.
set -u
CVMM=${CVMM:-build/cvmm}
GUEST=${GUEST:-build/guest/cvmm-test.pvh.elf}
NETPEER=${NETPEER:-build/nested-bin/netpeer}
NS=cvmmnet$$
TAP=cvmmtap0
tmp=$(mktemp -d)
pass=0
fail=0
peer=

cleanup() {
	[ -n "$peer" ] && kill "$peer" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { pass=$((pass + 1)); }
bad() {
	echo "FAIL: $*"
	fail=$((fail + 1))
}
in_ns() { ip netns exec "$NS" "$@"; }

if ! ip netns add "$NS" 2>"$tmp/err"; then
	echo "FAIL: cannot create a network namespace: $(cat "$tmp/err")"
	exit 1
fi
in_ns ip link set lo up
in_ns ip tuntap add dev $TAP mode tap || { echo "FAIL: cannot create a tap"; exit 1; }
in_ns sysctl -qw net.ipv6.conf.$TAP.disable_ipv6=1 2>/dev/null
in_ns ip link set $TAP mtu 9000 up
ip netns exec "$NS" "$NETPEER" echo $TAP >"$tmp/peer" 2>&1 &
peer=$!
for _ in $(seq 50); do grep -q "echo ready" "$tmp/peer" && break; sleep 0.1; done

ECHO="cvmmtest.only=net cvmmtest.net_echo=60,1514,9000,9014 cvmmtest.net_mtu=9000"
MAC=52:54:00:12:34:56

# echo NAME NET_SPEC [PYTHON_FD_OPENER]: one boot, the guest's net check must pass.
echo_run() {
	local name=$1 spec=$2 status
	if [ $# -gt 2 ]; then
		in_ns python3 -c "$3" "$CVMM" --kernel "$GUEST" --net "$spec" --cmdline "$ECHO" \
			>"$tmp/out" 2>"$tmp/err" </dev/null
	else
		in_ns timeout 300 "$CVMM" --kernel "$GUEST" --net "$spec" --cmdline "$ECHO" \
			--verbose >"$tmp/out" 2>"$tmp/err" </dev/null
	fi
	status=$?
	if [ "$status" -eq 0 ] && grep -q "^PASS net: mac $MAC, mtu 9000, echoed 60 1514 9000 9014" \
		"$tmp/out"; then
		ok
		echo "  $name: $(grep '^PASS net' "$tmp/out")"
	else
		bad "$name: status $status"
		grep -Eh "FAIL|RESULT|error|net" "$tmp/out" "$tmp/err" | head -8 | sed 's/^/    /'
	fi
}

rx0=$(in_ns cat /sys/class/net/$TAP/statistics/rx_packets)
echo_run "tap by name" "tap=$TAP,mac=$MAC,mtu=9000,id=eth0"

# The fd a shim opened and passed: IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, inherited as fd 5.
OPEN_FD='
import fcntl, os, struct, subprocess, sys
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"'$TAP'", 0x0002 | 0x1000 | 0x4000))
os.dup2(fd, 5)
st = subprocess.run(["timeout", "300"] + sys.argv[1:], pass_fds=(5,)).returncode
# cvmm worked on a duplicate: the fd is still open here.
os.fstat(5)
sys.exit(st)'
echo_run "tap by fd" "fd=5,mac=$MAC,mtu=9000" "$OPEN_FD"

# The tap saw the guest's frames: 4 per boot (and nothing else, IPv6 being off).
rx1=$(in_ns cat /sys/class/net/$TAP/statistics/rx_packets)
if [ $((rx1 - rx0)) -eq 8 ]; then
	ok
else
	bad "the tap received $((rx1 - rx0)) frames from the guests, want 8"
fi

# Refused before KVM: one line, status 2.
refuse() {
	local name=$1 regex=$2 status
	shift 2
	in_ns "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	status=$?
	if [ "$status" -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -Eq "$regex" "$tmp/err"
	then
		ok
	else
		bad "$name: status $status: $(head -3 "$tmp/err")"
	fi
}
NOVNET='
import fcntl, os, struct, subprocess, sys
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"cvmmtap1", 0x0002 | 0x1000))
os.dup2(fd, 5)
sys.exit(subprocess.run(sys.argv[1:], pass_fds=(5,)).returncode)'
refuse "tap fd without a vnet header" "fd 5 \(cvmmtap1\) is not a tap opened with" \
	python3 -c "$NOVNET" "$CVMM" --kernel "$GUEST" --net fd=5
refuse "not a tap" "cannot attach to tap lo" "$CVMM" --kernel "$GUEST" --net tap=lo
refuse "multicast MAC" "mac=01:00:5e:00:00:01 is a multicast address" \
	"$CVMM" --kernel "$GUEST" --net tap=$TAP,mac=01:00:5e:00:00:01

kill "$peer" 2>/dev/null
wait "$peer" 2>/dev/null
peer=
grep -q "^netpeer: echo frames=8 " "$tmp/peer" && ok || bad "netpeer: $(tail -1 "$tmp/peer")"
ip netns del "$NS"
if ip netns list | grep -qw "$NS"; then
	bad "namespace $NS still there"
else
	ok
fi

echo "net_guest: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
