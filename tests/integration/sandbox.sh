#!/bin/bash
# The agent-sandbox policy (--sandbox-policy, docs/sandbox.md) with the test guest: drives not
# listed as outputs are read-only to the guest (also one the API gave), output drives writable;
# guest-initiated vsock reaches only the listed host ports (a listener elsewhere is refused); the
# memory cap is a
# cgroup's memory.max around cvmm (where cgroup v2 has the memory controller); a policy cannot be
# combined with --no-seccomp, nor with more guest RAM than its cap leaves.
set -u
CVMM=${CVMM:-build/cvmm}
GUEST=${GUEST:-build/guest/cvmm-test.pvh.elf}
HOST="python3 $(dirname "$0")/vsock_host.py"
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "${cg_mounted:-}" ] && umount "$cg_mounted" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# The rules but the memory cap (which needs cgroup v2), and the cap alone.
cat >"$tmp/policy.json" <<EOF
{ "network": false, "output_drives": ["out"], "vsock_host_ports": [2000],
  "limits": { "vsock_conns": 16 } }
EOF
echo '{ "memory_max_mib": 192 }' >"$tmp/cap.json"
truncate -s 4M "$tmp/in.img" "$tmp/out.img"

# run NAME WANT_STATUS REGEX CVMM_ARGS... -- GUEST_ARGS
run() {
	local name=$1 want=$2 regex=$3 status
	shift 3
	local args=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do args+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	timeout 120 "$CVMM" --debug-exit --sandbox-policy "$policy" --kernel "$GUEST" \
		--mem-mib 128 "${args[@]}" --cmdline "$*" >"$tmp/out" 2>"$tmp/err" </dev/null
	status=$?
	if [ "$status" -eq "$want" ] && grep -Eq "$regex" "$tmp/out" "$tmp/err"; then ok; else
		bad "$name: status $status (want $want), want /$regex/: $(grep -Eh 'FAIL|RESULT|error' "$tmp/out" "$tmp/err" | head -5)"
	fi
}

policy=$tmp/policy.json
drives=(--drive "path=$tmp/in.img,id=in" --drive "path=$tmp/out.img,id=out")
# The input drive was asked for read-write; the policy makes it read-only.
run "input drive read-only" 0 '^RESULT: 1/1 PASS' "${drives[@]}" -- \
	cvmmtest.only=blk cvmmtest.blk_id=in cvmmtest.blk_dev=0 cvmmtest.blk_ro=1
run "output drive writable" 0 '^RESULT: 1/1 PASS' "${drives[@]}" -- \
	cvmmtest.only=blk cvmmtest.blk_id=out cvmmtest.blk_dev=1 cvmmtest.blk_mib=1

# The same through the API (a Firecracker --config-file): its drive asked for read-write is
# read-only to the guest once the VM starts.
cat >"$tmp/vm.json" <<EOF
{ "boot-source": { "kernel_image_path": "$GUEST",
    "boot_args": "cvmmtest.only=blk cvmmtest.blk_id=in cvmmtest.blk_dev=0 cvmmtest.blk_ro=1" },
  "drives": [ { "drive_id": "in", "path_on_host": "$tmp/in.img", "is_root_device": false,
                "is_read_only": false } ],
  "machine-config": { "vcpu_count": 1, "mem_size_mib": 128 } }
EOF
timeout 120 "$CVMM" --debug-exit --sandbox-policy "$policy" --config-file "$tmp/vm.json" \
	>"$tmp/out" 2>"$tmp/err" </dev/null
status=$?
if [ "$status" -eq 0 ] && grep -q '^RESULT: 1/1 PASS' "$tmp/out"; then ok; else
	bad "API drive read-only: status $status: $(grep -Eh 'FAIL|RESULT|error' "$tmp/out" "$tmp/err" | head -5)"
fi

# vsock: port 2000 is listed, 2001 is not (both have a listener): the guest reaches only 2000.
sock=$tmp/v.sock
for port in 2000 2001; do
	$HOST --path "$sock" listen --port $port >"$tmp/listen$port.log" 2>&1 &
	pids+=($!)
done
for _ in $(seq 50); do [ -S "${sock}_2000" ] && [ -S "${sock}_2001" ] && break; sleep 0.1; done
run "vsock only to listed host ports" 0 '^RESULT: 1/1 PASS' --vsock "cid=3,uds=$sock" -- \
	cvmmtest.only=vsock cvmmtest.vsock_refused_port=2001 cvmmtest.vsock_connect_port=2000 \
	cvmmtest.vsock_connect_bytes=65536

# Refused before KVM: no filters, or more RAM than the cap leaves.
run "no --no-seccomp" 2 'strictest seccomp' --no-seccomp --
policy=$tmp/cap.json
run "RAM within the cap" 2 'caps memory at 192 MiB' --mem-mib 180 --

# The cap as a cgroup's memory.max (mounted here if there is no cgroup v2: a test VM).
mnt=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
if [ -z "$mnt" ] && [ "$(id -u)" -eq 0 ] && mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null; then
	mnt=/sys/fs/cgroup
	cg_mounted=$mnt
fi
if [ -n "$mnt" ] && grep -qw memory "$mnt/cgroup.controllers" 2>/dev/null; then
	# Delegated as a manager would: its controllers enabled by its parent.
	for c in memory pids; do echo "+$c" >"$mnt/cgroup.subtree_control"; done 2>/dev/null
	mkdir -p "$mnt/cvmm-test-sandbox"
	echo "{ \"memory_max_mib\": 192, \"cgroup\": \"$mnt/cvmm-test-sandbox\" }" >"$tmp/cap.json"
	"$CVMM" --sandbox-policy "$tmp/cap.json" --kernel "$GUEST" --mem-mib 128 \
		--serial "file:$tmp/hold.log" --cmdline "cvmmtest.only=none cvmmtest.hold=1" \
		</dev/null 2>"$tmp/err" &
	pid=$!
	pids+=($pid)
	for _ in $(seq 200); do grep -q RESULT "$tmp/hold.log" 2>/dev/null && break; sleep 0.05; done
	cg=$mnt/cvmm-test-sandbox/cvmm-sandbox-$pid
	[ "$(cat "$cg/memory.max" 2>/dev/null)" = $((192 << 20)) ] && ok ||
		bad "memory.max: $(cat "$cg/memory.max" 2>&1) $(cat "$tmp/err")"
	grep -q "^0::/cvmm-test-sandbox/cvmm-sandbox-$pid\$" "/proc/$pid/cgroup" && ok ||
		bad "cvmm is in $(cat "/proc/$pid/cgroup")"
	kill -TERM $pid
	wait $pid
	rmdir "$cg" "$mnt/cvmm-test-sandbox" 2>/dev/null
else
	echo "sandbox: memory cap not checked: no cgroup v2 with the memory controller here"
fi

echo "sandbox: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
