#!/bin/bash
# Boots the ring-3 test guest on /dev/kvm in every image form (PVH ELF64 and ELF32, 64-bit ELF,
# bzImage), both irqchip modes, 1 and 4 vCPUs: every check the guest runs must pass (memory map,
# command line, initrd, ACPI, MADT, ring-0 gate, devices, SMP bring-up through INIT/SIPI, IOAPIC
# interrupts).
# A run with wrong expectations must fail the matching checks, so the suite can tell.
set -u
CVMM=${CVMM:-build/cvmm}
GUEST_DIR=${GUEST_DIR:-build/guest}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

head -c 300000 /dev/urandom >"$tmp/initrd"
size=$(stat -c %s "$tmp/initrd")
crc=$(python3 -c 'import sys, zlib; print("%08x" % zlib.crc32(open(sys.argv[1], "rb").read()))' "$tmp/initrd")

# boot NAME WANT_STATUS WANT_RESULT_REGEX CVMM_ARGS... -- GUEST_ARGS
boot() {
	local name=$1 want=$2 regex=$3 out status
	shift 3
	local args=() gargs=""
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do args+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	gargs="$*"
	out=$(timeout 60 "$CVMM" --debug-exit "${args[@]}" --cmdline "$gargs" 2>&1 </dev/null)
	status=$?
	if [ "$status" -eq "$want" ] && grep -Eq "$regex" <<<"$out"; then
		pass=$((pass + 1))
	else
		echo "FAIL: $name (status $status, want $want; want /$regex/):"
		grep -E "FAIL|RESULT|error" <<<"$out" | head -10 | sed 's/^/    /'
		fail=$((fail + 1))
	fi
	last_out=$out
}

for img in cvmm-test.pvh.elf cvmm-test.pvh32.elf cvmm-test.elf cvmm-test.bzImage; do
	for irqchip in kernel split; do
		for n in 1 4; do
			boot "$img $irqchip ${n}vcpu" 0 '^RESULT: 9/9 PASS' \
				--kernel "$GUEST_DIR/$img" --irqchip $irqchip --vcpus $n --mem-mib 256 \
				--initrd "$tmp/initrd" -- cvmmtest.mem_mib=256 cvmmtest.vcpus=$n \
				cvmmtest.cmdline_check=w$RANDOM cvmmtest.initrd_size=$size \
				cvmmtest.initrd_crc=$crc
		done
	done
done

# RAM on both sides of the 32-bit MMIO hole; no initrd.
boot "3.5 GiB across the MMIO hole" 0 '^RESULT: 9/9 PASS' \
	--kernel "$GUEST_DIR/cvmm-test.pvh.elf" --mem-mib 3584 --vcpus 2 -- \
	cvmmtest.mem_mib=3584 cvmmtest.vcpus=2 cvmmtest.initrd_size=0 cvmmtest.cmdline_check=x

# The guest echoes the command line it was given.
word=check$RANDOM
boot "command line echo" 0 "cmdline.*$word" --kernel "$GUEST_DIR/cvmm-test.pvh.elf" -- \
	cvmmtest.only=cmdline cvmmtest.cmdline_check=$word

# --boot-timer logs the guest's boot marker (the test guest writes 123 to port 0x502 on reaching
# ring 3); without the option nothing is logged.
boot "boot timer" 0 'boot-timer: guest marker 0x7b after [0-9.]+ ms' --boot-timer \
	--kernel "$GUEST_DIR/cvmm-test.pvh.elf" -- cvmmtest.only=cmdline cvmmtest.cmdline_check=t
boot "no boot timer by default" 0 '^RESULT: 1/1 PASS' --kernel "$GUEST_DIR/cvmm-test.pvh.elf" -- \
	cvmmtest.only=cmdline cvmmtest.cmdline_check=t
if grep -q boot-timer <<<"$last_out"; then
	echo "FAIL: boot-timer line without --boot-timer"
	fail=$((fail + 1))
fi

# Negative control: wrong expectations make exactly those checks fail, and the status says so.
boot "wrong expectations fail" 1 '^RESULT: 5/9 FAIL' --kernel "$GUEST_DIR/cvmm-test.elf" \
	--vcpus 2 --mem-mib 128 -- cvmmtest.mem_mib=256 cvmmtest.vcpus=3 cvmmtest.initrd_size=4096 \
	cvmmtest.cmdline_check=x
for check in memmap initrd madt-cpus smp; do
	if ! grep -q "^FAIL $check" <<<"$last_out"; then
		echo "FAIL: negative control did not fail '$check'"
		fail=$((fail + 1))
	fi
done

echo "guest boot: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
