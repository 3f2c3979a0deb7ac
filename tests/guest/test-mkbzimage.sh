#!/bin/bash
# Checks mkbzimage: the bzImage it builds has a consistent boot-protocol header and carries the
# guest's bytes, and it rejects bad input with one clear line and a non-zero status.
#
#   tests/guest/test-mkbzimage.sh [build-dir]     (default: build; run `make guests` first)
set -euo pipefail

BUILD=${1:-build}
G=$BUILD/guest
TOOL=$G/mkbzimage
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0

fail() {
	echo "FAIL $*"
	fails=$((fails + 1))
}

# u <file> <offset> <bytes>: little-endian unsigned integer
u() {
	od -An -t"u$3" -j "$2" -N "$3" "$1" | tr -d ' '
}

img=$TMP/ok.bzImage
"$TOOL" "$G/bzsetup.bin" "$G/cvmm-test.elf" "$img"
size=$(stat -c %s "$img")
sects=$(u "$img" 0x1f1 1)
sys=$(u "$img" 0x1f4 4)
[ "$(u "$img" 0x1fe 2)" = $((0xaa55)) ] || fail "boot_flag is not 0xaa55"
[ "$(dd if="$img" bs=1 skip=$((0x202)) count=4 2>/dev/null)" = HdrS ] || fail "no HdrS"
[ "$(u "$img" 0x206 2)" -ge $((0x20c)) ] || fail "protocol older than 2.12"
[ $(((sects + 1) * 512 + sys * 16)) = "$size" ] || fail "setup_sects/syssize disagree with size"
[ $(($(u "$img" 0x211 1) & 1)) = 1 ] || fail "LOADED_HIGH not set"
[ $(($(u "$img" 0x236 2) & 1)) = 1 ] || fail "XLF_KERNEL_64 not set"
[ "$(u "$img" 0x234 1)" = 0 ] || fail "claims to be relocatable"
[ "$(u "$img" 0x258 8)" = $((0x100000)) ] || fail "pref_address is not 1 MiB"
end=$(nm "$G/cvmm-test.elf" | awk '$3 == "_end" { print $1 }')
[ "$(u "$img" 0x260 4)" -ge $((0x$end - 0x100000)) ] || fail "init_size smaller than the image"
# The 64-bit entry code sits at protected-mode kernel offset 0x200.
objcopy -O binary "$G/cvmm-test.elf" "$TMP/flat"
cmp -s -n 4096 <(dd if="$img" bs=512 skip=$((sects + 1)) 2>/dev/null) "$TMP/flat" ||
	fail "kernel payload differs from the flat guest"

# Bad input: each must fail with a one-line "mkbzimage: ..." message.
reject() {
	local what=$1 input=$2 err
	if "$TOOL" "$G/bzsetup.bin" "$input" "$TMP/bad.bzImage" 2>"$TMP/err"; then
		fail "accepted $what"
	elif [ "$(wc -l <"$TMP/err")" != 1 ] || ! grep -q '^mkbzimage: ' "$TMP/err"; then
		fail "no one-line message for $what: $(cat "$TMP/err")"
	fi
}
patch() { # patch <in> <out> <offset> <hex bytes...>
	local in=$1 out=$2 off=$3
	shift 3
	cp "$in" "$out"
	printf "$(printf '\\x%s' "$@")" | dd of="$out" bs=1 seek=$((off)) conv=notrunc 2>/dev/null
}
reject "a missing file" "$TMP/nonexistent"
head -c 1000 /dev/zero >"$TMP/zeros"
reject "a non-ELF file" "$TMP/zeros"
head -c 40 "$G/cvmm-test.elf" >"$TMP/short"
reject "a truncated ELF header" "$TMP/short"
patch "$G/cvmm-test.elf" "$TMP/entry" 24 00 00 10 00 00 00 00 00
reject "an entry point not at +0x200" "$TMP/entry"
patch "$G/cvmm-test.elf" "$TMP/phoff" 32 00 00 00 00 00 01 00 00
reject "program headers beyond the file" "$TMP/phoff"
patch "$G/cvmm-test.elf" "$TMP/class" 4 01
reject "an ELF32 file" "$TMP/class"
phoff=$(u "$G/cvmm-test.elf" 32 8)
patch "$G/cvmm-test.elf" "$TMP/segoff" $((phoff + 8)) 00 00 00 40 00 00 00 00
reject "a segment beyond the file" "$TMP/segoff"
patch "$G/cvmm-test.elf" "$TMP/segaddr" $((phoff + 24)) 00 00 08 00 00 00 00 00
reject "a segment below 1 MiB" "$TMP/segaddr"

if [ "$fails" -ne 0 ]; then
	echo "test-mkbzimage: $fails failure(s)"
	exit 1
fi
echo "test-mkbzimage: ok"
