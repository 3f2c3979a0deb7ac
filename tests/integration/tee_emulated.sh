#!/bin/bash
# --tee emulated on this host's /dev/kvm: a tiny PVH guest that converts nothing must boot and run
# on the emulated confidential memory (all RAM private, guest on the memfd backing), read the boot
# structures cvmm wrote before launch, use its own RAM, and report through the debug-exit port.
set -u
CVMM=${CVMM:-build/cvmm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

if [ ! -w /dev/kvm ]; then
	echo "SKIP tee_emulated: /dev/kvm is not usable here"
	exit 0
fi

# 32-bit PVH entry (ebx = hvm_start_info):
#   check the start-info magic, write and read back a word at 2 MiB, then write 42 to port 0x501
#   (13 when a check failed).
python3 - "$tmp" <<'PY'
import struct, sys, os
d = sys.argv[1]
code = bytes.fromhex(
    "8b03"                  # mov eax, [ebx]
    "3d78c56e33"            # cmp eax, 0x336ec578
    "751a"                  # jne fail
    "c70500002000efbeadde"  # mov dword [0x200000], 0xdeadbeef
    "813d00002000efbeadde"  # cmp dword [0x200000], 0xdeadbeef
    "7504"                  # jne fail
    "b02a"                  # mov al, 42
    "eb02"                  # jmp out
    "b00d"                  # fail: mov al, 13
    "66ba0105"              # out: mov dx, 0x501
    "ee"                    # out dx, al
    "f4ebfd")               # hlt; jmp hlt
entry = 0x100000
note = struct.pack("<III", 4, 4, 18) + b"Xen\0" + struct.pack("<I", entry)
ehdr = struct.pack("<16sHHIQQQIHHHHHH", b"\x7fELF\x02\x01\x01" + b"\0" * 9, 2, 62, 1,
                   entry, 64, 0, 0, 64, 56, 2, 0, 0, 0)
load = struct.pack("<IIQQQQQQ", 1, 7, 0x1000, entry, entry, len(code), 0x1000, 0x1000)
pnote = struct.pack("<IIQQQQQQ", 4, 4, 0x1100, 0, 0, len(note), len(note), 4)
img = bytearray(0x1200)
img[0:64] = ehdr
img[64:120] = load
img[120:176] = pnote
img[0x1000:0x1000 + len(code)] = code
img[0x1100:0x1100 + len(note)] = note
open(os.path.join(d, "guest.elf"), "wb").write(bytes(img))
PY

# check NAME EXPECTED_STATUS STDERR_NEEDLE -- ARGS...
check() {
	local name=$1 want=$2 needle=$3
	shift 4
	timeout 60 "$CVMM" --debug-exit "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	local st=$?
	if [ "$st" -eq "$want" ] && { [ -z "$needle" ] || grep -q -- "$needle" "$tmp/err"; }; then
		pass=$((pass + 1))
	else
		echo "FAIL tee_emulated: $name: status $st (want $want), stderr:"
		sed 's/^/  /' "$tmp/err" | head -5
		fail=$((fail + 1))
	fi
}

check "plain guest"            42 ""  -- --kernel "$tmp/guest.elf" --serial none
check "emulated guest"         42 ""  -- --kernel "$tmp/guest.elf" --serial none --tee emulated
check "emulated, high RAM"     42 ""  -- --kernel "$tmp/guest.elf" --serial none --tee emulated \
	--mem-mib 4096
check "emulated, counters"     42 "memory conversions: to shared 0" -- \
	--kernel "$tmp/guest.elf" --serial none --tee emulated --verbose

echo "tee_emulated: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
