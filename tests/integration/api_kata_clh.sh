#!/bin/bash
# Kata's Go clh driver, replayed byte for byte (tests/integration/clh_kata.py), with cvmm in Cloud
# Hypervisor's place:
#  pod  `cvmm --api-socket <dir>/clh-api.sock -v`, vmm.ping every 10 ms, vm.create (an ordinary
#       pod: initrd, max_vcpus and hotplug_size for later resizes, serial Tty as with
#       enable_debug), vm.info Created, vm.add-net with a tap fd in SCM_RIGHTS (refused with a 400
#       until the VM has a network device; cvmm keeps no descriptor), vm.boot, vm.info Running,
#       the vcpu0 thread, the L2 guest's agent over clh.sock (1 MiB echoed), vm.counters,
#       vm.resize (no change: 204; a change: 400), vm.add-disk refused, vmm.shutdown: exit 0 and
#       the socket removed;
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
cmdline="$cmdline reboot=k nested.vcpus=1 nested.mem_mib=256 nested.virtio=4,19"
cmdline="$cmdline nested.action=hold nested.run=vsock-echo nested.vsock_conns=1"

echo "== an ordinary pod"
python3 tests/integration/clh_kata.py pod "$CVMM" "$tmp" "$PWD/$kernel" "$PWD/$initrd" \
	"$cmdline" || {
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
