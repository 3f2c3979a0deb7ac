#!/bin/bash
# Kata's Go clh driver, replayed byte for byte (tests/integration/clh_kata.py), with cvmm in Cloud
# Hypervisor's place:
#  pod  `cvmm --api-socket <dir>/clh-api.sock -v`, vmm.ping every 10 ms, vm.create (an ordinary
#       pod: kernel, initrd, cmdline, a read-only disk holding a pattern, rng, vsock, max_vcpus
#       and hotplug_size for later resizes, serial Tty as with enable_debug), vm.info Created,
#       vm.add-net with a tap fd in SCM_RIGHTS (a bad body first: 400, no descriptor kept; then
#       204, cvmm keeps exactly the tap, vm.info lists it), vm.boot, vm.info Running, the vcpu0
#       thread; in the L2 guest: the disk's pattern read back and writes refused, the agent over
#       clh.sock (1 MiB echoed), eth0 on the tap (offloads, 10.0.2.2/24, ping, 4 MiB each way
#       with checksums); vm.counters (the bytes the net device and the disk carried), vm.resize
#       (no change: 204; a change: 400), vm.add-disk refused, vmm.shutdown: exit 0 and the
#       socket removed;
#  tdx  a TDX pod (platform.tdx, payload.firmware, the image as a read-only disk) on this host,
#       whose KVM has no TDX: vm.create 204, vm.boot 500 with the probe's one line, cvmm still
#       answering, vmm.shutdown: exit 0.
# The L2 guest is the nested harness's Debian kernel, initramfs and agent (as api_linux.sh).
set -u
CVMM=${CVMM:-build/cvmm}
NESTED=${NESTED:-build/nested}
mkdir -p build
tmp=$(mktemp -d "$PWD/build/api-clh.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0

kernel=$NESTED/root/boot/vmlinuz-$(cat "$NESTED/kernel-version")
initrd=$NESTED/l2-initrd.cpio.lz4
# Kata's parameters (clhKernelParams, then the debug ones), then the scenario's for the agent.
cmdline="panic=1 no_timer_check noreplace-smp console=ttyS0,115200n8 systemd.log_target=console"
cmdline="$cmdline reboot=k nested.vcpus=1 nested.mem_mib=256 nested.virtio=1,2,4,19"
cmdline="$cmdline nested.action=hold nested.run=blk-ro,vsock-echo,net-io nested.vsock_conns=1"
cmdline="$cmdline nested.blk_seed=4243 nested.net_mib=4"
# The pod's disk: 1 MiB of the agent's pattern for that seed, then zeroes.
python3 tests/integration/blk_pattern.py "$tmp/pod-disk.img" 4243 1 4194304

echo "== an ordinary pod"
python3 tests/integration/clh_kata.py pod "$CVMM" "$tmp" "$PWD/$kernel" "$PWD/$initrd" \
	"$tmp/pod-disk.img" "$cmdline" || {
	fail=$((fail + $?))
	echo "-- console:"
	grep -E 'L2:|cvmm' "$tmp/console.log" | tail -20 | sed 's/^/   /'
}

echo "== a TDX pod, on a host without TDX"
python3 tests/integration/measure_ref.py gen ovmf 1 "$tmp/tdvf.fd"
head -c 1048576 /dev/zero >"$tmp/kata-containers.img"
python3 tests/integration/clh_kata.py tdx "$CVMM" "$tmp" "$tmp/tdvf.fd" "$PWD/$kernel" \
	"$tmp/kata-containers.img" || fail=$((fail + $?))

echo "api_kata_clh: $fail failed"
[ "$fail" -eq 0 ]
