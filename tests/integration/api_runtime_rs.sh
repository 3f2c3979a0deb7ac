#!/bin/bash
# Kata runtime-rs's fc driver, as it drives Firecracker, with cvmm in its place and the test guest
# as the VM: `cvmm --api-sock <vm>/run/fc.sock`, each request retried every 10 ms until the socket
# answers, bodies as serde_json writes them (sorted keys):
#   PUT /boot-source, PUT /machine-config, PUT /drives/rootfs, PUT /drives/drive1..5 (empty
#   placeholders), PUT /vsock, PUT /network-interfaces/<id>, PUT /actions InstanceStart,
#   then PATCH /drives/driveN with an empty rate limiter, and SIGKILL to stop.
# The pod's interface is a tap in a network namespace the script creates (and deletes), where
# cvmm runs, as the shim's netns would be; the guest sees it as the eighth device.  A stale socket
# left by the SIGKILL is replaced on the next start.
set -u
CVMM=${CVMM:-build/cvmm}
GUEST_DIR=${GUEST_DIR:-build/guest}
tmp=$(mktemp -d)
pid=
NS=cvmmkata$$
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; wait 2>/dev/null; ip netns del $NS 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

vm=$tmp/kata/sandbox1
sock=$vm/run/fc.sock
mkdir -p "$vm/run" "$vm/root"

# request_with_retry: up to 500 attempts 10 ms apart until a 2xx; prints the last status.
req() { # req METHOD PATH BODY
	local st=000
	for _ in $(seq 500); do
		st=$(curl -sS --unix-socket "$sock" -o "$tmp/body" -w '%{http_code}' -X "$1" \
			-H 'accept: application/json' -H 'content-type: application/json' \
			--data-binary "$3" "http://localhost$2" 2>/dev/null)
		case "$st" in 2??) break ;; 4??|5??) [ "${4:-}" = once ] && break ;; esac
		sleep 0.01
	done
	echo "$st"
}

head -c 1048576 /dev/urandom >"$vm/rootfs.img"
for i in 1 2 3 4 5; do : >"$vm/root/drive$i"; done
truncate -s 2M "$tmp/container.img"
gargs="cvmmtest.vcpus=2 cvmmtest.mem_mib=256 cvmmtest.expect_devices=8 cvmmtest.hold=1"
gargs="$gargs cvmmtest.only=memmap,acpi,madt-cpus,devices,smp,irq"

ip netns add $NS && ip netns exec $NS ip tuntap add dev tap0_kata mode tap ||
	bad "cannot create the pod's network namespace and tap"
ip netns exec $NS "$CVMM" --api-sock "$sock" >"$tmp/console.log" 2>&1 </dev/null &
pid=$!
st=$(req PUT /boot-source "{\"boot_args\":\"pci=off iommu=off root=/dev/vda rootflags=data=ordered,errors=remount-ro ro rootfstype=ext4 $gargs\",\"kernel_image_path\":\"$GUEST_DIR/cvmm-test.pvh.elf\"}")
[ "$st" = 204 ] && ok || bad "PUT /boot-source: $st $(cat "$tmp/body")"
st=$(req PUT /machine-config '{"mem_size_mib":256,"vcpu_count":2}')
[ "$st" = 204 ] && ok || bad "PUT /machine-config: $st $(cat "$tmp/body")"
st=$(req PUT /drives/rootfs "{\"drive_id\":\"rootfs\",\"is_read_only\":true,\"is_root_device\":false,\"path_on_host\":\"$vm/rootfs.img\"}")
[ "$st" = 204 ] && ok || bad "PUT /drives/rootfs: $st $(cat "$tmp/body")"
for i in 1 2 3 4 5; do
	st=$(req PUT /drives/drive$i "{\"drive_id\":\"drive$i\",\"is_read_only\":false,\"is_root_device\":false,\"path_on_host\":\"$vm/root/drive$i\"}")
	[ "$st" = 204 ] && ok || bad "PUT /drives/drive$i: $st $(cat "$tmp/body")"
done
st=$(req PUT /vsock "{\"guest_cid\":3,\"uds_path\":\"$vm/kata.hvsock\",\"vsock_id\":\"root\"}")
[ "$st" = 204 ] && ok || bad "PUT /vsock: $st $(cat "$tmp/body")"
st=$(req PUT /network-interfaces/eth0 '{"guest_mac":"02:42:ac:11:00:02","host_dev_name":"tap0_kata","iface_id":"eth0"}' once)
[ "$st" = 204 ] && ok || bad "PUT /network-interfaces: $st $(cat "$tmp/body")"
st=$(req PUT /actions '{"action_type":"InstanceStart"}')
[ "$st" = 204 ] && ok || bad "InstanceStart: $st $(cat "$tmp/body")"

for _ in $(seq 600); do grep -q '^RESULT' "$tmp/console.log" && break; sleep 0.1; done
grep -q '^RESULT: 6/6 PASS' "$tmp/console.log" && ok ||
	bad "guest: $(grep -E 'FAIL|RESULT|error' "$tmp/console.log" | head -5)"
[ -S "$vm/kata.hvsock" ] && ok || bad "no hybrid vsock socket"

st=$(req PATCH /drives/drive1 "{\"drive_id\":\"drive1\",\"path_on_host\":\"$tmp/container.img\",\"rate_limiter\":{\"bandwidth\":null,\"ops\":null}}")
[ "$st" = 204 ] && ok || bad "PATCH /drives/drive1: $st $(cat "$tmp/body")"
# A running drive's limit cannot change: a real one is refused, not silently ignored.
st=$(req PATCH /drives/drive2 "{\"drive_id\":\"drive2\",\"path_on_host\":\"$tmp/container.img\",\"rate_limiter\":{\"bandwidth\":{\"size\":1000,\"one_time_burst\":null,\"refill_time\":1000},\"ops\":null}}" once)
[ "$st" = 400 ] && grep -q "rate limit cannot be changed" "$tmp/body" && ok ||
	bad "PATCH with a rate limit: $st $(cat "$tmp/body")"

# runtime-rs stops the VMM with SIGKILL; the socket file stays and the next start replaces it.
kill -9 "$pid"
wait "$pid" 2>/dev/null
[ -S "$sock" ] && ok || bad "expected the stale socket after SIGKILL"
"$CVMM" --api-sock "$sock" >/dev/null 2>&1 </dev/null &
pid=$!
st=$(req GET / '')
[ "$st" = 200 ] && grep -q '"started":false' "$tmp/body" && ok || bad "restart on a stale socket: $st"
kill -TERM "$pid"
wait "$pid"
[ $? = 0 ] && ok || bad "SIGTERM before InstanceStart: not status 0"
pid=

echo "api_runtime_rs: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
