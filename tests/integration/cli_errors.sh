#!/bin/bash
# Bad command lines and unusable input files: cvmm must answer each with exit status 2 and exactly
# one line on stderr naming the problem, and must never crash.  Input is checked before KVM is
# opened, so every case gives the same answer with no KVM at all (CVMM_KVM_DEVICE pointing at
# nothing); and a good command line without KVM is exit 3 with one line saying what to do.
set -u
CVMM=${CVMM:-build/cvmm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# A minimal valid PVH ELF (loads at 1 MiB, PVH note) and broken variants of it and of a bzImage.
python3 - "$tmp" <<'PY'
import struct, sys, os
d = sys.argv[1]
def elf(paddr=0x100000, memsz=0x1000, phoff=64, truncate=None, machine=62, entry=0x100000):
    code = b"\xf4" * 16
    note = struct.pack("<III", 4, 4, 18) + b"Xen\0" + struct.pack("<I", entry)
    ehdr = struct.pack("<16sHHIQQQIHHHHHH", b"\x7fELF\x02\x01\x01" + b"\0" * 9, 2, machine, 1,
                       entry, phoff, 0, 0, 64, 56, 2, 0, 0, 0)
    load = struct.pack("<IIQQQQQQ", 1, 7, 0x1000, paddr, paddr, len(code), memsz, 0x1000)
    pnote = struct.pack("<IIQQQQQQ", 4, 4, 0x1100, 0, 0, len(note), len(note), 4)
    img = bytearray(0x1200)
    img[0:64] = ehdr
    img[64:64 + 56] = load
    img[120:120 + 56] = pnote
    img[0x1000:0x1000 + len(code)] = code
    img[0x1100:0x1100 + len(note)] = note
    return bytes(img[:truncate] if truncate else img)
open(os.path.join(d, "ok.elf"), "wb").write(elf())
open(os.path.join(d, "trunc.elf"), "wb").write(elf(truncate=100))
open(os.path.join(d, "arm.elf"), "wb").write(elf(machine=183))
open(os.path.join(d, "outside.elf"), "wb").write(elf(paddr=0x40000000, entry=0x40000000))
open(os.path.join(d, "lowmem.elf"), "wb").write(elf(paddr=0x8000, entry=0x8000))
open(os.path.join(d, "random.bin"), "wb").write(os.urandom(8192))
bz = bytearray(0x1000)
struct.pack_into("<H", bz, 0x1fe, 0xaa55)
bz[0x1f1] = 8
struct.pack_into("<I", bz, 0x202, 0x53726448)
struct.pack_into("<H", bz, 0x206, 0x020f)
bz[0x211] = 1
struct.pack_into("<H", bz, 0x236, 1)
open(os.path.join(d, "trunc.bzImage"), "wb").write(bytes(bz))  # setup claims more than the file
# An ELF32 image without the PVH note: cvmm has no 32-bit Linux entry.
e32 = bytearray(0x1100)
e32[0:16] = b"\x7fELF\x01\x01\x01" + b"\0" * 9
struct.pack_into("<HHIIIIIHHHHHH", e32, 16, 2, 3, 1, 0x100000, 52, 0, 0, 52, 32, 1, 0, 0, 0)
struct.pack_into("<IIIIIIII", e32, 52, 1, 0x1000, 0x100000, 0x100000, 16, 16, 7, 0x1000)
open(os.path.join(d, "nopvh32.elf"), "wb").write(bytes(e32))
open(os.path.join(d, "disk"), "wb").write(bytes(4096))
open(os.path.join(d, "odd.img"), "wb").write(bytes(1000))
PY

# expect STATUS NEEDLE -- ARGS...
expect() {
	local want=$1 needle=$2
	shift 3
	local out status lines
	local nokvm nokvm_status
	out=$(timeout 20 "$CVMM" "$@" 2>&1 >/dev/null </dev/null)
	status=$?
	lines=$(printf '%s' "$out" | grep -c '')
	nokvm=$(CVMM_KVM_DEVICE=$tmp/no-kvm timeout 20 "$CVMM" "$@" 2>&1 >/dev/null </dev/null)
	nokvm_status=$?
	if [ "$status" -eq "$want" ] && [ "$lines" -eq 1 ] && grep -qi -- "$needle" <<<"$out" &&
	   [ "$nokvm_status" -eq "$status" ] && [ "$nokvm" = "$out" ]; then
		pass=$((pass + 1))
	else
		echo "FAIL: cvmm $* -> status $status (want $want), $lines stderr lines, '$out'" \
			"(want one line mentioning '$needle'); without KVM: $nokvm_status '$nokvm'"
		fail=$((fail + 1))
	fi
}

expect 2 "no such file"        -- --kernel "$tmp/missing"
expect 2 "not a regular file"  -- --kernel "$tmp"
expect 2 "not a kernel image"  -- --kernel "$tmp/random.bin"
expect 2 "not a regular file"  -- --kernel /dev/null
expect 2 "truncated"           -- --kernel "$tmp/trunc.elf"
expect 2 "x86-64"              -- --kernel "$tmp/arm.elf"
expect 2 "outside guest RAM"   -- --kernel "$tmp/outside.elf" --mem-mib 64
expect 2 "below 1 MiB"         -- --kernel "$tmp/lowmem.elf"
expect 2 "truncated"           -- --kernel "$tmp/trunc.bzImage"
expect 2 "initrd"              -- --kernel "$tmp/ok.elf" --initrd "$tmp/missing"
expect 2 "--mem-mib"           -- --kernel "$tmp/ok.elf" --mem-mib 0
expect 2 "not a number"        -- --kernel "$tmp/ok.elf" --mem-mib 1O0
expect 2 "vCPUs"               -- --kernel "$tmp/ok.elf" --vcpus 300
expect 2 "not a number"        -- --kernel "$tmp/ok.elf" --vcpus 0x
expect 2 "unknown option"      -- --kernel "$tmp/ok.elf" --cpus 2
expect 2 "needs an argument"   -- --kernel
expect 2 "required"            --
expect 2 "too long"            -- --kernel "$tmp/ok.elf" --cmdline "$(head -c 5000 /dev/zero | tr '\0' x)"
expect 2 "serial"              -- --kernel "$tmp/ok.elf" --serial "file:$tmp/no/such/dir/log"
expect 2 "no PVH entry note"   -- --kernel "$tmp/nopvh32.elf"
expect 2 "drive $tmp/missing"  -- --kernel "$tmp/ok.elf" --drive "path=$tmp/missing"
expect 2 "multiple of 512"     -- --kernel "$tmp/ok.elf" --drive "path=$tmp/odd.img"
expect 2 "same file"           -- --kernel "$tmp/ok.elf" --drive "path=$tmp/disk" --drive "path=$tmp/disk"
expect 2 "directory"           -- --kernel "$tmp/ok.elf" --vsock "cid=3,uds=$tmp/no/dir/v.sock"
expect 2 "cid=2"               -- --kernel "$tmp/ok.elf" --vsock "cid=2,uds=$tmp/v.sock"
for i in $(seq 15); do touch "$tmp/d$i"; done
many=$(for i in $(seq 14); do printf -- "--drive path=$tmp/d%s " "$i"; done)
# shellcheck disable=SC2086 # one word per option
expect 2 "room for 14"         -- --kernel "$tmp/ok.elf" $many --vsock "cid=3,uds=$tmp/v.sock"
# shellcheck disable=SC2086
expect 2 "at most 14"          -- --kernel "$tmp/ok.elf" $many --drive "path=$tmp/d15"
expect 2 "needs --firmware"    -- --tee snp --kernel "$tmp/ok.elf"
expect 2 "firmware"            -- --tee tdx --firmware "$tmp/missing"
expect 2 "applies to --tee"    -- --kernel "$tmp/ok.elf" --firmware "$tmp/ok.elf"
expect 2 "irqchip split"       -- --tee tdx --firmware "$tmp/ok.elf" --irqchip kernel

# A good command line on a machine without KVM: exit 3, one line saying what to do.
out=$(CVMM_KVM_DEVICE=$tmp/no-kvm timeout 20 "$CVMM" --kernel "$tmp/ok.elf" 2>&1 </dev/null)
status=$?
if [ "$status" -eq 3 ] && [ "$(grep -c '' <<<"$out")" -eq 1 ] &&
   grep -q "cannot open $tmp/no-kvm: No such file or directory; load kvm-intel or kvm-amd" <<<"$out" &&
   grep -q "nested demo" <<<"$out"; then
	pass=$((pass + 1))
else
	echo "FAIL: no KVM -> status $status (want 3), '$out'"
	fail=$((fail + 1))
fi

# --tee snp where there is no SNP: exit 3 and one line saying so, before any VM exists (here: no
# KVM at all; on a machine with KVM but without SNP the line names what KVM lacks).
amdsev=$(cd "$(dirname "$0")/../.." && pwd)/tests/vectors/ovmf_AmdSev_suffix.bin
for dev in "$tmp/no-kvm" "${CVMM_KVM_DEVICE:-/dev/kvm}"; do
	[ "$dev" != "$tmp/no-kvm" ] && [ -e /dev/sev ] && continue # an SNP host: nothing to refuse
	out=$(CVMM_KVM_DEVICE=$dev timeout 20 "$CVMM" --tee snp --firmware "$amdsev" 2>&1 </dev/null)
	status=$?
	if [ "$status" -eq 3 ] && [ "$(grep -c '' <<<"$out")" -eq 1 ] &&
	   grep -q -- "--tee snp: SEV-SNP is not available on this host: " <<<"$out"; then
		pass=$((pass + 1))
	else
		echo "FAIL: --tee snp without SNP ($dev) -> status $status (want 3), '$out'"
		fail=$((fail + 1))
	fi
done

# --help and --version are not errors.
if "$CVMM" --version | head -1 | grep -Eq '^cvmm v[0-9]+\.[0-9]+\.[0-9]+$' &&
   "$CVMM" --help | grep -q -- '--kernel'; then
	pass=$((pass + 1))
else
	echo "FAIL: --version / --help"
	fail=$((fail + 1))
fi

echo "cli errors: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
