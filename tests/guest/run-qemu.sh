#!/bin/bash
# Boots the test guest under QEMU (the peer VMM) in every image form QEMU can load, with 1 and 4
# vCPUs, with and without ACPI, and checks each run's RESULT line, exit status and echoed values.
# A development aid for the guest itself; cvmm's own integration tests drive cvmm instead.
#
#   tests/guest/run-qemu.sh [build-dir]        (default: build; run `make guests` first)
#
# Environment: QEMU (default qemu-system-x86_64), ACCEL=kvm|tcg (default: kvm if /dev/kvm is
# usable), Q35=1 also boots the bzImage on q35 (SeaBIOS), VERBOSE=1 prints every guest line.
#
# cvmm-test.elf (64-bit entry, no PVH note) cannot be loaded by QEMU's -kernel; its entry code is
# the bzImage's, which QEMU enters through the bzImage's real-mode setup stub.
set -euo pipefail

BUILD=${1:-build}
QEMU=${QEMU:-qemu-system-x86_64}
GUEST=$BUILD/guest
if [ -z "${ACCEL:-}" ]; then
	ACCEL=tcg
	[ -w /dev/kvm ] && ACCEL=kvm
fi
if [ "$ACCEL" = kvm ]; then
	CPU="-enable-kvm -cpu host,-arch-capabilities"
else
	CPU="-accel tcg -cpu max"
fi

for f in cvmm-test.pvh.elf cvmm-test.bzImage; do
	[ -f "$GUEST/$f" ] || { echo "run-qemu: $GUEST/$f missing (make guests)"; exit 1; }
done
command -v "$QEMU" >/dev/null || { echo "run-qemu: SKIP: $QEMU not installed"; exit 0; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
head -c 65536 /dev/urandom >"$TMP/initrd"
INITRD_CRC=$(gzip -c "$TMP/initrd" | tail -c 8 | od -An -tx4 -N4 | tr -d ' \n')
truncate -s 1152K "$TMP/disk"
truncate -s 1M "$TMP/rodisk"

failures=0
runs=0

# run <name> <expect> <machine> <image> <smp> <append> [extra qemu args...]
# expect: PASS, NONE (cvmmtest.only=none: one RESULT line only) or "FAIL:<check> <check>..."
# (exactly those checks fail).
run() {
	local name=$1 expect=$2 machine=$3 image=$4 smp=$5 append=$6 word rc=0 start end
	shift 6
	word=w$RANDOM$RANDOM
	append="$append cvmmtest.cmdline_check=$word"
	start=$(date +%s%N)
	# shellcheck disable=SC2086
	timeout 120 "$QEMU" -M "$machine" $CPU -m 256 -smp "$smp" -nodefaults -no-user-config \
		-nographic -serial stdio -device isa-debug-exit,iobase=0x501,iosize=1 \
		-kernel "$GUEST/$image" -append "$append" "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
	end=$(date +%s%N)
	runs=$((runs + 1))

	local why=
	# isa-debug-exit: QEMU exits with (value << 1) | 1.
	local want_rc=1 verdict=PASS fails=
	case $expect in
	FAIL:*)
		want_rc=3 verdict=FAIL
		fails=$(echo "${expect#FAIL:}" | tr ' ' '\n' | sort | tr '\n' ' ')
		;;
	esac
	if ! grep -q "^RESULT: [0-9]*/[0-9]* $verdict\$" "$TMP/out"; then
		why="no 'RESULT: ... $verdict' line"
	elif [ "$rc" != "$want_rc" ]; then
		why="exit status $rc, expected $want_rc"
	elif [ "$expect" = NONE ] && [ "$(cat "$TMP/out")" != "RESULT: 0/0 PASS" ]; then
		why="cvmmtest.only=none printed more than 'RESULT: 0/0 PASS'"
	elif [ "$expect" = PASS ] && ! grep -q "^PASS cmdline: cmdline_check=$word\$" "$TMP/out"; then
		why="command-line word not echoed"
	elif [ -n "$fails" ] && [ "$(sed -n 's/^FAIL \([a-z0-9-]*\).*/\1/p' "$TMP/out" | sort |
		tr '\n' ' ')" != "$fails" ]; then
		why="expected exactly these checks to fail: $fails"
	fi
	if [ -n "$why" ]; then
		failures=$((failures + 1))
		echo "FAIL $name: $why"
		sed 's/^/    /' "$TMP/out" "$TMP/err" | head -40
	else
		printf 'ok   %-44s %s %5d ms\n' "$name" "$(grep '^RESULT' "$TMP/out")" \
			$(((end - start) / 1000000))
		[ -n "${VERBOSE:-}" ] && sed 's/^/    /' "$TMP/out"
	fi
	return 0
}

# QEMU 7.2 microvm hands over an unsorted memory map with an empty entry: memmap_lax.
COMMON="cvmmtest.mem_mib=256 cvmmtest.memmap_lax=1"
for image in cvmm-test.pvh.elf cvmm-test.bzImage; do
	for smp in 1 4; do
		run "$image smp=$smp acpi=on initrd" PASS microvm,acpi=on "$image" $smp \
			"$COMMON cvmmtest.vcpus=$smp cvmmtest.initrd_size=65536 \
cvmmtest.initrd_crc=$INITRD_CRC cvmmtest.expect_devices=0" -initrd "$TMP/initrd"
		run "$image smp=$smp acpi=off virtio-blk" PASS microvm,acpi=off,pic=off "$image" \
			$smp "$COMMON cvmmtest.initrd_size=0 cvmmtest.expect_devices=1 \
cvmmtest.skip=acpi,madt-cpus,smp cvmmtest.blk_id=q$smp" -global virtio-mmio.force-legacy=false \
			-device virtio-blk-device,drive=d0,serial=q$smp \
			-drive id=d0,if=none,file="$TMP/disk",format=raw,discard=unmap
	done
	# The checks must be able to fail: wrong memory size, CPU count and initrd.
	run "$image expected failures" "FAIL:memmap initrd madt-cpus smp" microvm,acpi=on "$image" 2 \
		"cvmmtest.mem_mib=512 cvmmtest.memmap_lax=1 cvmmtest.vcpus=3 cvmmtest.initrd_size=1"
	run "$image only=none" NONE microvm,acpi=on "$image" 1 "cvmmtest.only=none"
done
# virtio-blk: a read-only drive; malformed chains.  QEMU 7.2 completes a buffer outside RAM
# (reads from / writes to unassigned memory are dropped) and accepts indirect tables longer than
# the queue (up to 1024 entries): exactly those two cases fail; for the rest it prints an error,
# sets NEEDS_RESET and works again after a reset.
BLK="-global virtio-mmio.force-legacy=false -device virtio-blk-device,drive=d0"
# shellcheck disable=SC2086
run "virtio-blk read-only" PASS microvm,acpi=off cvmm-test.pvh.elf 1 \
	"cvmmtest.only=cmdline,blk cvmmtest.blk_ro=1" $BLK \
	-drive id=d0,if=none,file="$TMP/rodisk",format=raw,readonly=on
# shellcheck disable=SC2086
run "virtio-blk malformed chains" "FAIL:blk-malformed" microvm,acpi=off cvmm-test.pvh.elf 1 \
	"cvmmtest.only=blk-malformed,blk" $BLK -drive id=d0,if=none,file="$TMP/disk",format=raw
grep -q "blk-malformed: failed: outside-ram indirect-longer-than-queue$" "$TMP/out" || {
	echo "FAIL virtio-blk malformed chains: QEMU behaved differently from what README.md says"
	failures=$((failures + 1))
}
if [ -n "${Q35:-}" ]; then
	for smp in 1 4; do
		run "bzImage q35 smp=$smp" PASS q35 cvmm-test.bzImage $smp \
			"cvmmtest.mem_mib=256 cvmmtest.vcpus=$smp"
	done
fi

echo "run-qemu: $((runs - failures))/$runs runs as expected ($ACCEL)"
[ "$failures" -eq 0 ]
