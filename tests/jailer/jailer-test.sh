#!/bin/bash
# cvmm-jailer as root: what the jailed process sees (tests/jailer/jail_probe.c stands in for the
# VMM): its own user and group without capabilities, PID 1 of a new PID namespace, its id as host
# name, a network namespace of its own or the one --netns names, only stdin/stdout/stderr, no
# environment, its resource limits, and a root holding only itself, its libraries, /run and
# /dev/kvm; the exit status and SIGTERM passed through; the cgroup v2 limits, where the host has
# the controllers.  With /dev/kvm: cvmm itself, jailed, boots the test guest with a drive and a
# vsock, its seccomp filters on.
set -u
JAILER=${JAILER:-build/cvmm-jailer}
PROBE=${PROBE:-build/tests/jail-probe}
CVMM=${CVMM:-build/cvmm}
GUEST=${GUEST:-build/guest/cvmm-test.pvh.elf}
if [ "$(id -u)" -ne 0 ]; then
	echo "jailer: skipped: needs root"
	exit 0
fi
JAILER=$(realpath "$JAILER")
PROBE=$(realpath "$PROBE")
CVMM=$(realpath "$CVMM")
GUEST=$(realpath "$GUEST")
tmp=$(mktemp -d /tmp/cvmm-jailer-XXXXXX)
netns_file=
cleanup() {
	[ -n "$netns_file" ] && umount "$netns_file" 2>/dev/null
	[ -n "${cg_mounted:-}" ] && umount "$cg_mounted" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
# expect NAME KEY=VALUE: the probe's output line
expect() {
	if grep -qx -- "$2" "$tmp/out"; then ok; else bad "$1: want '$2', got '$(grep "^${2%%=*}=" "$tmp/out")'"; fi
}

# cgroup v2: mounted here if there is none (a test VM), before any jail.
mnt=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
if [ -z "$mnt" ] && mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null; then
	mnt=/sys/fs/cgroup
	cg_mounted=$mnt
fi

base=$tmp/jail
"$JAILER" --id probe-1 --exec-file "$PROBE" --uid 4242 --gid 4343 --chroot-base-dir "$base" \
	-- one two >"$tmp/out" 2>"$tmp/err"
status=$?
if [ "$status" -eq 0 ]; then ok; else bad "probe: status $status: $(cat "$tmp/err")"; fi
expect "user" "uid=4242 gid=4343 euid=4242"
expect "supplementary groups" "groups=0"
expect "PID namespace" "pid=1"
expect "UTS namespace" "hostname=probe-1"
expect "capabilities" "cap_effective=000000000 cap_permitted=000000000"
expect "bounding set" "cap_bounding=0"
expect "no_new_privs" "no_new_privs=1"
expect "inherited fds closed" "fds=3"
expect "environment" "env=0"
expect "no-file limit" "nofile=2048"
expect "no core dumps" "core=0"
expect "network namespace (lo only)" "net_interfaces=1"
expect "mknod refused" "mknod=Operation not permitted"
expect "setuid(0) refused" "setuid0=Operation not permitted"
expect "VMM arguments" "args=2 one two"
expect "old root gone" "cwd_root=1"
# The root holds the VMM, its loader and libraries, /run (the VMM's), /dev/kvm when the host
# has it, and the pid file: nothing else of the host.
extra=$(sed -n 's/^file=\([^ ]*\) .*/\1/p' "$tmp/out" | grep -Ev \
	'^/jail-probe(\.pid)?$|^/run$|^/dev$|^/dev/kvm$|^/lib64(/ld-linux-x86-64\.so\.2)?$|^/(usr/)?lib(/x86_64-linux-gnu)?(/[^/]*\.so[.0-9]*)?$')
if [ -z "$extra" ]; then ok; else bad "jail holds more: $extra"; fi
grep -q '^file=/run dir 4242$' "$tmp/out" && ok || bad "/run not the VMM's"
if [ -e /dev/kvm ]; then
	grep -q '^file=/dev/kvm chr 4242$' "$tmp/out" && ok || bad "/dev/kvm node missing"
fi
grep -q '^file=/dev/net/tun' "$tmp/out" && bad "/dev/net/tun without a tap" || ok
[ -f "$base/jail-probe/probe-1/root/jail-probe.pid" ] && ok || bad "no pid file"

# The exit status, and --resource-limit, --netns, --daemonize.
"$JAILER" --id probe-2 --exec-file "$PROBE" --uid 1 --gid 1 --chroot-base-dir "$base" \
	--resource-limit no-file=77 -- exit7 >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" -eq 7 ] && ok || bad "exit status $status, want 7"
expect "--resource-limit no-file" "nofile=77"
if command -v ip >/dev/null; then
	netns_file=$tmp/netns
	touch "$netns_file"
	unshare --net="$netns_file" ip link set lo up
	"$JAILER" --id probe-3 --exec-file "$PROBE" --uid 1 --gid 1 --chroot-base-dir "$base" \
		--netns "$netns_file" >"$tmp/out" 2>"$tmp/err"
	expect "--netns joins that namespace (lo is up there)" "lo_up=1"
fi
"$JAILER" --id probe-3b --exec-file "$PROBE" --uid 1 --gid 1 --chroot-base-dir "$base" \
	>"$tmp/out" 2>"$tmp/err"
expect "a fresh network namespace without --netns (lo down)" "lo_up=0"
"$JAILER" --id probe-4 --exec-file "$PROBE" --uid 1 --gid 1 --chroot-base-dir "$base" \
	--daemonize -- exit7 >"$tmp/out" 2>&1
status=$?
# The VMM's stdio is /dev/null (the jailer's own warnings come before it detaches).
[ "$status" -eq 7 ] && ! grep -q '^uid=' "$tmp/out" && ok ||
	bad "--daemonize: status $status, output '$(head -c 200 "$tmp/out")'"

# cgroup v2 limits, where the host has the controllers.
if [ -n "$mnt" ] && grep -qw memory "$mnt/cgroup.controllers" &&
   grep -qw pids "$mnt/cgroup.controllers"; then
	"$JAILER" --id probe-5 --exec-file "$PROBE" --uid 1 --gid 1 --chroot-base-dir "$base" \
		--cgroup cpu.weight=50 -- wait --mem-mib 128 --vcpus 2 >"$tmp/out" 2>"$tmp/err" &
	jailer=$!
	for _ in $(seq 100); do grep -q waiting "$tmp/out" && break; sleep 0.05; done
	cg=$mnt/jail-probe/probe-5
	[ "$(cat "$cg/memory.max" 2>/dev/null)" = $(((128 + 64) << 20)) ] && ok ||
		bad "memory.max $(cat "$cg/memory.max" 2>&1)"
	[ "$(cat "$cg/pids.max" 2>/dev/null)" = 66 ] && ok || bad "pids.max $(cat "$cg/pids.max" 2>&1)"
	[ "$(cat "$cg/cpu.weight" 2>/dev/null)" = 50 ] && ok || bad "cpu.weight $(cat "$cg/cpu.weight" 2>&1)"
	# Two vCPUs and one CPU for the device threads, per 100 ms.
	[ "$(cat "$cg/cpu.max" 2>/dev/null)" = "300000 100000" ] && ok ||
		bad "cpu.max $(cat "$cg/cpu.max" 2>&1)"
	vmm=$(cat "$base/jail-probe/probe-5/root/jail-probe.pid")
	grep -q "^0::/jail-probe/probe-5$" "/proc/$vmm/cgroup" && ok ||
		bad "the VMM is in $(cat "/proc/$vmm/cgroup")"
	# SIGTERM to the jailer reaches the VMM, whose status comes back.
	kill -TERM $jailer
	wait $jailer
	status=$?
	[ "$status" -eq 0 ] && grep -q "got SIGTERM" "$tmp/out" && ok ||
		bad "SIGTERM: status $status, output: $(tail -n 2 "$tmp/out")"
	rmdir "$cg" 2>/dev/null
else
	echo "jailer: cgroup limits not checked: no cgroup v2 with the memory and pids controllers here"
fi

# cvmm, jailed, boots the test guest: drive and vsock inside the jail, filters on.
if [ -e /dev/kvm ]; then
	root=$base/cvmm/vm-1/root
	mkdir -p "$root"
	cp "$GUEST" "$root/guest.elf"
	truncate -s 4M "$root/disk.img"
	chown 4242:4242 "$root/disk.img"
	"$JAILER" --id vm-1 --exec-file "$CVMM" --uid 4242 --gid 4242 --chroot-base-dir "$base" \
		-- --debug-exit --kernel /guest.elf --mem-mib 128 --serial file:/run/console.log \
		--drive path=/disk.img,id=jailed --vsock cid=3,uds=/run/v.sock \
		--cmdline "cvmmtest.only=blk cvmmtest.blk_id=jailed cvmmtest.blk_mib=1" \
		>"$tmp/out" 2>"$tmp/err"
	status=$?
	if [ "$status" -eq 0 ] && grep -q '^RESULT: 1/1 PASS' "$root/run/console.log"; then ok; else
		bad "jailed cvmm: status $status: $(cat "$tmp/err") $(grep -E 'FAIL|RESULT' "$root/run/console.log" 2>/dev/null)"
	fi
fi

echo "jailer: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
