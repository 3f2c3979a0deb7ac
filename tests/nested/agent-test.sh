#!/bin/bash
# Checks the guest agent's verdicts on the build host: `agent check` runs against prepared
# /proc and /sys trees ($AGENT_ROOT) - one sound guest, then one broken thing at a time (bad ACPI
# checksum or length, wrong vCPU or memory figures, wrong virtio devices, ACPI complaints in the
# kernel log) - and must pass the first and fail every other.
#   usage: agent-test.sh AGENT
set -uo pipefail

AGENT=$(realpath "${1:?usage: agent-test.sh AGENT}")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0

# Writes an ACPI table: SIG OUT [--bad-checksum] [--bad-length] [--cpus N] [--ioapics N]
# [--bad-entry] [--short].  APIC gets a MADT body with the given entries.
acpi_table()
{
	python3 - "$@" <<'PY'
import struct, sys
sig, out, args = sys.argv[1], sys.argv[2], sys.argv[3:]
opt = lambda name, default: int(args[args.index(name) + 1]) if name in args else default
body = b""
if sig == "APIC":
    body = struct.pack("<II", 0xFEE00000, 1)
    for cpu in range(opt("--cpus", 2)):
        body += struct.pack("<BBBBI", 0, 8, cpu, cpu, 1)
    body += struct.pack("<BBBBIBBBB", 0, 8, 9, 9, 0, 0, 0, 0, 0)[:8]  # a disabled CPU
    for i in range(opt("--ioapics", 1)):
        body += struct.pack("<BBBBII", 1, 12, i, 0, 0xFEC00000, 0)
    if "--bad-entry" in args:
        body += bytes([0, 0])
elif sig == "DSDT":
    body = bytes([0x10, 0x05, 0x5C, 0x5F, 0x53, 0x42, 0x5F])  # Scope (\_SB_) {}
else:
    body = bytes(244 - 36)
length = 36 + len(body)
hdr = sig.encode() + struct.pack("<IBB6s8sI4sI", length + (4 if "--bad-length" in args else 0),
                                 2, 0, b"CVMMT ", b"NESTEDT ", 1, b"TEST", 1)
table = bytearray(hdr + body)
table[9] = (-sum(table)) & 0xFF
if "--bad-checksum" in args:
    table[9] = (table[9] + 1) & 0xFF
if "--short" in args:
    table = table[:20]
open(out, "wb").write(table)
PY
}

# A sound guest: 2 vCPUs, 256 MiB, DSDT/FACP/APIC, virtio-blk and virtio-vsock.
make_guest()
{
	local r=$1
	rm -rf "$r"
	mkdir -p "$r/proc" "$r/sys/devices/system/cpu" "$r/sys/firmware/acpi/tables/dynamic" \
		"$r/sys/bus/virtio/devices/virtio0" "$r/sys/bus/virtio/devices/virtio1" \
		"$r/sys/block/vda"
	echo "console=ttyS0 nested.vcpus=2 nested.mem_mib=256 nested.virtio=2,19" >"$r/proc/cmdline"
	printf 'processor\t: 0\nvendor_id\t: AuthenticAMD\n\nprocessor\t: 1\n' >"$r/proc/cpuinfo"
	printf 'MemTotal:         223516 kB\nMemFree:          200000 kB\n' >"$r/proc/meminfo"
	echo 0-1 >"$r/sys/devices/system/cpu/online"
	memmap "$r" 0 0x0 0x9fbff "System RAM"
	memmap "$r" 1 0x9fc00 0xfffff "Reserved"
	memmap "$r" 2 0x100000 0xfffffff "System RAM"
	for t in DSDT FACP APIC; do
		acpi_table $t "$r/sys/firmware/acpi/tables/$t"
	done
	echo 0x0002 >"$r/sys/bus/virtio/devices/virtio0/device"
	echo 0x0013 >"$r/sys/bus/virtio/devices/virtio1/device"
	echo "ACPI: Core revision 20220331" >"$r/kmsg"
}

memmap()
{
	mkdir -p "$1/sys/firmware/memmap/$2"
	echo "$3" >"$1/sys/firmware/memmap/$2/start"
	echo "$4" >"$1/sys/firmware/memmap/$2/end"
	echo "$5" >"$1/sys/firmware/memmap/$2/type"
}

# expect NAME pass|fail CHECK: runs the agent on $WORK/g; for fail, CHECK must be the failed one.
expect()
{
	local out rc
	out=$(AGENT_ROOT=$WORK/g "$AGENT" check 2>&1)
	rc=$?
	if [ "$2" = pass ] && [ $rc -eq 0 ] && grep -q "^L2: result=PASS" <<<"$out"; then
		echo "ok   agent: $1"
	elif [ "$2" = fail ] && [ $rc -ne 0 ] && grep -q "^L2: check $3=FAIL" <<<"$out" &&
		grep -q "^L2: result=FAIL" <<<"$out"; then
		echo "ok   agent: $1"
	else
		echo "FAIL agent: $1 (expected $2${3:+ of $3}, exit $rc)"
		sed 's/^/       | /' <<<"$out"
		failures=$((failures + 1))
	fi
}

G=$WORK/g
T=$G/sys/firmware/acpi/tables
make_guest "$G"; expect "sound guest passes" pass
make_guest "$G"; acpi_table DSDT "$T/DSDT" --bad-checksum; expect "DSDT checksum" fail acpi
make_guest "$G"; acpi_table FACP "$T/FACP" --bad-length; expect "FACP length field" fail acpi
make_guest "$G"; acpi_table APIC "$T/APIC" --short; expect "truncated MADT" fail acpi
make_guest "$G"; acpi_table APIC "$T/APIC" --bad-entry; expect "MADT entry length 0" fail acpi
make_guest "$G"; acpi_table APIC "$T/APIC" --ioapics 0; expect "MADT without IOAPIC" fail acpi
make_guest "$G"; rm "$T/FACP"; expect "no FACP" fail acpi
make_guest "$G"; rm "$T/DSDT"; expect "no DSDT" fail acpi
make_guest "$G"; rm -r "$G/sys/firmware/acpi"; expect "no ACPI at all" fail acpi
make_guest "$G"; echo "ACPI BIOS Warning (bug): Incorrect checksum in table [DSDT]" >>"$G/kmsg"
expect "checksum warning in the kernel log" fail acpi
make_guest "$G"; echo "ACPI Error: AE_NOT_FOUND, While resolving a named reference" >>"$G/kmsg"
expect "ACPI error in the kernel log" fail acpi
make_guest "$G"; acpi_table APIC "$T/APIC" --cpus 1; expect "MADT lists 1 of 2 CPUs" fail vcpus
make_guest "$G"; echo 0 >"$G/sys/devices/system/cpu/online"; expect "1 CPU online" fail vcpus
make_guest "$G"; printf 'processor\t: 0\n' >"$G/proc/cpuinfo"; expect "cpuinfo 1 CPU" fail vcpus
make_guest "$G"; echo 0-2 >"$G/sys/devices/system/cpu/online"; expect "3 CPUs online" fail vcpus
make_guest "$G"; memmap "$G" 2 0x100000 0x7ffffff "System RAM"; expect "128 MiB RAM" fail memory
make_guest "$G"; memmap "$G" 2 0x100000 0x1fffffff "System RAM"; expect "512 MiB RAM" fail memory
make_guest "$G"; rm -r "$G/sys/bus/virtio/devices/virtio1"; expect "vsock missing" fail virtio
make_guest "$G"; mkdir "$G/sys/bus/virtio/devices/virtio2"
echo 0x0001 >"$G/sys/bus/virtio/devices/virtio2/device"; expect "extra virtio-net" fail virtio
make_guest "$G"; echo 0x0002 >"$G/sys/bus/virtio/devices/virtio1/device"
expect "blk twice instead of blk+vsock" fail virtio
make_guest "$G"; rmdir "$G/sys/block/vda"; expect "virtio-blk without a disk" fail virtio

# The bounce subcommands on a guest whose virtio devices sit under virtio-mmio platform devices,
# with swiotlb debugfs and tracefs files.
FEAT_AP=0110001001000110000000000000110011001000000000000000000000000000
FEAT_NO_AP=0110001001000110000000000000110010001000000000000000000000000000
make_bounce_guest()
{
	local r=$1 i
	rm -rf "$r"
	mkdir -p "$r/proc" "$r/sys/bus/virtio/devices" "$r/sys/kernel/debug/swiotlb" \
		"$r/sys/kernel/tracing/events/swiotlb/swiotlb_bounced"
	echo "console=ttyS0 swiotlb=force" >"$r/proc/cmdline"
	for i in 0 1; do
		mkdir -p "$r/sys/devices/platform/LNRO0005:0$i/virtio$i"
		echo $FEAT_AP >"$r/sys/devices/platform/LNRO0005:0$i/virtio$i/features"
		ln -s "../../../devices/platform/LNRO0005:0$i/virtio$i" "$r/sys/bus/virtio/devices/virtio$i"
	done
	echo 0x0002 >"$r/sys/devices/platform/LNRO0005:00/virtio0/device"
	echo 0x0013 >"$r/sys/devices/platform/LNRO0005:01/virtio1/device"
	echo 32768 >"$r/sys/kernel/debug/swiotlb/io_tlb_nslabs"
	echo 520 >"$r/sys/kernel/debug/swiotlb/io_tlb_used"
	: >"$r/sys/kernel/tracing/trace"
	echo 0 >"$r/sys/kernel/tracing/events/swiotlb/swiotlb_bounced/enable"
}

# A trace with swiotlb_bounced events for the given platform devices.
bounce_trace()
{
	local dev
	for dev in "$@"; do
		echo "  kworker/0:1H-35 [000] d..1. 11.0: swiotlb_bounced: dev_name: $dev" \
			"dma_mask=ffffffffffffffff dev_addr=97f8000 size=4096 FORCE"
	done >"$G/sys/kernel/tracing/trace"
}

# expect_cmd NAME COMMAND pass|fail CHECK: like expect, for another agent subcommand.
expect_cmd()
{
	local out rc
	out=$(AGENT_ROOT=$WORK/g "$AGENT" "$2" 2>&1)
	rc=$?
	if [ "$3" = pass ] && [ $rc -eq 0 ] && ! grep -q "=FAIL" <<<"$out"; then
		echo "ok   agent: $1"
	elif [ "$3" = fail ] && [ $rc -ne 0 ] && grep -q "^L2: check $4=FAIL" <<<"$out"; then
		echo "ok   agent: $1"
	else
		echo "FAIL agent: $1 (expected $3${4:+ of $4}, exit $rc)"
		sed 's/^/       | /' <<<"$out"
		failures=$((failures + 1))
	fi
}

make_bounce_guest "$G"; expect_cmd "bounce-start on a bouncing guest" bounce-start pass
[ "$(cat "$G/sys/kernel/tracing/events/swiotlb/swiotlb_bounced/enable")" = 1 ] ||
	{ echo "FAIL agent: bounce-start did not enable the event"; failures=$((failures + 1)); }
make_bounce_guest "$G"; echo $FEAT_NO_AP >"$G/sys/devices/platform/LNRO0005:01/virtio1/features"
expect_cmd "vsock without ACCESS_PLATFORM" bounce-start fail access_platform
make_bounce_guest "$G"; rm -r "$G/sys/kernel/debug/swiotlb"
expect_cmd "no swiotlb" bounce-start fail swiotlb
make_bounce_guest "$G"; rm -r "$G/sys/bus/virtio/devices"/*
expect_cmd "no virtio devices" bounce-start fail access_platform
make_bounce_guest "$G"; bounce_trace LNRO0005:00 LNRO0005:01 LNRO0005:01
expect_cmd "both devices bounced" bounce-end pass
make_bounce_guest "$G"; bounce_trace LNRO0005:00
expect_cmd "vsock never bounced" bounce-end fail bounced_vsock_virtio1
make_bounce_guest "$G"; bounce_trace LNRO0005:010 LNRO0005:01
expect_cmd "another device's bounces do not count" bounce-end fail bounced_blk_virtio0

# blk-pattern: what L1 uses to fill and check the backing file of the blk scenarios.
# expect_pattern NAME pass|fail ARGS...
expect_pattern()
{
	local name=$1 want=$2 out rc
	shift 2
	out=$("$AGENT" blk-pattern "$@" 2>&1)
	rc=$?
	if { [ "$want" = pass ] && [ $rc -eq 0 ]; } || { [ "$want" = fail ] && [ $rc -ne 0 ]; }; then
		echo "ok   agent: $name"
	else
		echo "FAIL agent: $name (expected $want, exit $rc)"
		sed 's/^/       | /' <<<"$out"
		failures=$((failures + 1))
	fi
}

IMG=$WORK/disk.img
truncate -s 2M "$IMG"
expect_pattern "pattern fill" pass fill "$IMG" 4242 1048576
expect_pattern "pattern check after fill" pass check "$IMG" 4242 1048576
expect_pattern "pattern of another seed" fail check "$IMG" 4243 1048576
printf '\x5a' | dd of="$IMG" bs=1 seek=700001 conv=notrunc status=none
expect_pattern "pattern with one byte changed" fail check "$IMG" 4242 1048576
expect_pattern "pattern beyond the end of the file" fail check "$IMG" 4242 4194304
expect_pattern "pattern length not a multiple of 8" fail check "$IMG" 4242 1001
expect_pattern "pattern on a missing file" fail check "$WORK/nonexistent" 4242 8

[ "$failures" -eq 0 ] && echo "agent: all checks behave" || echo "agent: $failures case(s) wrong"
[ "$failures" -eq 0 ]
