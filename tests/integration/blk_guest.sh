#!/bin/bash
# virtio-blk end to end: the test guest's `blk` and `blk-malformed` checks against cvmm drives,
# for both engines and both irqchip modes, and the backing files checked byte for byte on the
# host afterwards (the guest writes a pattern derived from a seed given on its command line).
# Also: two drives (the first named is the first device), read-only drives, checks that must
# fail, and unusable drives refused at start with exit status 2 and one line.
set -u
CVMM=${CVMM:-build/cvmm}
GUEST=${GUEST:-build/guest/cvmm-test.pvh.elf}
PATTERN="python3 $(dirname "$0")/blk_pattern.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
MIB=2
SIZE=$(((MIB << 20) + 128 * 1024)) # the pattern, then room for the discard / write-zeroes tail

ok() { pass=$((pass + 1)); }
bad() {
	echo "FAIL: $*"
	fail=$((fail + 1))
}

# boot NAME WANT_STATUS WANT_REGEX CVMM_ARGS... -- GUEST_ARGS
boot() {
	local name=$1 want=$2 regex=$3 status
	shift 3
	local args=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do args+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	timeout 60 "$CVMM" --debug-exit --kernel "$GUEST" "${args[@]}" --cmdline "$*" >"$tmp/out" 2>"$tmp/err" \
		</dev/null
	status=$?
	if [ "$status" -eq "$want" ] && grep -Eq "$regex" "$tmp/out"; then
		ok
		return 0
	fi
	bad "$name (status $status, want $want; want /$regex/):"
	grep -Eh "FAIL|RESULT|blk-malformed|error" "$tmp/out" "$tmp/err" | head -12 | sed 's/^/    /'
	return 1
}

# Expected images (pattern, then zeroes) made once per seed; files are compared with cmp.
S=$((RANDOM * 32768 + RANDOM))
S2=$((S + 1000003))
$PATTERN "$tmp/expect-$S" $S $MIB $SIZE
$PATTERN "$tmp/expect-$S2" $S2 $MIB $SIZE
same() { cmp -s "$1" "$2"; }

# Data path, request semantics and malformed chains: every engine and irqchip mode, with the
# device polling its queue (the default) and without.
for engine in sync uring; do
	for irqchip in kernel split; do
		poll=50
		[ $irqchip = split ] && poll=0
		name="$engine/$irqchip/poll_us=$poll"
		s=$S
		rm -f "$tmp/d.img"
		truncate -s $SIZE "$tmp/d.img"
		if boot "$name blk-malformed + blk" 0 '^RESULT: 2/2 PASS' --irqchip $irqchip \
			--drive "path=$tmp/d.img,id=vol-$engine,engine=$engine,poll_us=$poll" -- \
			cvmmtest.only=blk-malformed,blk cvmmtest.blk_mib=$MIB cvmmtest.blk_seed=$s \
			cvmmtest.blk_id=vol-$engine; then
			grep -q '^PASS blk-malformed: 7 malformed' "$tmp/out" ||
				bad "$name: not every malformed chain ran"
			# cvmm keeps running and says so once per device, on one line.
			[ "$(grep -c 'needs reset' "$tmp/err")" -eq 1 ] ||
				bad "$name: want one NEEDS_RESET warning, got: $(cat "$tmp/err")"
		fi
		if same "$tmp/d.img" "$tmp/expect-$S"; then ok; else bad "$name: file content"; fi
	done
done

# Two drives: the first named is the first device (/dev/vda); each check touches only its own.
s1=$S
s2=$S2
truncate -s $SIZE "$tmp/a.img" "$tmp/b.img"
boot "two drives, first" 0 '^RESULT: 1/1 PASS' --drive "path=$tmp/a.img,id=first" \
	--drive "path=$tmp/b.img,id=second,engine=uring" -- cvmmtest.only=blk cvmmtest.blk_id=first \
	cvmmtest.blk_mib=$MIB cvmmtest.blk_seed=$s1
if [ "$(tr -d '\0' <"$tmp/b.img" | wc -c)" -eq 0 ]; then ok; else
	bad "second drive written by the first's check"; fi
boot "two drives, second" 0 '^RESULT: 1/1 PASS' --drive "path=$tmp/a.img,id=first" \
	--drive "path=$tmp/b.img,id=second,engine=uring" -- cvmmtest.only=blk cvmmtest.blk_dev=1 \
	cvmmtest.blk_id=second cvmmtest.blk_mib=$MIB cvmmtest.blk_seed=$s2
if same "$tmp/a.img" "$tmp/expect-$s1"; then ok; else bad "first drive content"; fi
if same "$tmp/b.img" "$tmp/expect-$s2"; then ok; else bad "second drive content"; fi

# Read-only: the host writes the pattern, the guest reads it, OUT gets IOERR, nothing changes.
for engine in sync uring; do
	s=$S
	cp "$tmp/expect-$S" "$tmp/ro.img"
	before=$(sha256sum <"$tmp/ro.img")
	boot "read-only $engine" 0 '^PASS blk: .*read-only: OUT IOERR, read 2 MiB, pattern ok' \
		--drive "path=$tmp/ro.img,ro=on,engine=$engine" -- cvmmtest.only=blk,blk-malformed \
		cvmmtest.blk_ro=1 cvmmtest.blk_seed=$s cvmmtest.blk_mib=$MIB cvmmtest.blk_id=ro.img
	[ "$(sha256sum <"$tmp/ro.img")" = "$before" ] && ok || bad "read-only drive $engine changed"
done

# The checks can fail: wrong id, a read-only drive the guest was not told about, wrong pattern.
truncate -s $SIZE "$tmp/c.img"
boot "wrong id fails" 1 '^FAIL blk: .*expected id "other"' --drive "path=$tmp/c.img,id=this" -- \
	cvmmtest.only=blk cvmmtest.blk_id=other
boot "unexpected read-only fails" 1 '^FAIL blk: .*read-only' \
	--drive "path=$tmp/ro.img,ro=on" -- cvmmtest.only=blk
boot "wrong pattern fails" 1 '^FAIL blk: .*read: [0-9]+ bad requests, first at byte 0' \
	--drive "path=$tmp/ro.img,ro=on" -- cvmmtest.only=blk cvmmtest.blk_ro=1 cvmmtest.blk_seed=1
# The host-side comparison can fail too: the images of two seeds differ.
if same "$tmp/expect-$S" "$tmp/expect-$S2"; then bad "images of two seeds are equal"; else ok; fi

# A drive on a full file system: the guest's writes get IOERR (its check fails), cvmm logs the
# failures (rate limited: every failure is either logged or counted as not logged), says that
# data may be lost, and does not exit 0.
mkdir "$tmp/small"
unshare -m sh -c 'mount -t tmpfs -o size=256k tmpfs "$1" && truncate -s "$2" "$1/d.img" && \
	exec timeout 60 "$3" --debug-exit --verbose --kernel "$4" --drive "path=$1/d.img" \
	--cmdline "cvmmtest.only=blk cvmmtest.blk_mib=1 cvmmtest.blk_seed=7"' \
	sh "$tmp/small" $SIZE "$CVMM" "$GUEST" >"$tmp/out" 2>"$tmp/err" </dev/null
status=$?
nospc=$(grep -Ec 'write(-zeroes)? of [0-9]* bytes at offset [0-9]* failed: No space left' "$tmp/err")
logged=$(grep -c 'the guest gets an I/O error' "$tmp/err")
werr=$(sed -n 's/.* write_errors=\([0-9]*\).*/\1/p' "$tmp/err")
unlogged=$(sed -n 's/.* errors_not_logged=\([0-9]*\).*/\1/p' "$tmp/err")
if [ "$status" -ne 0 ] && [ "$nospc" -ge 1 ] && [ -n "$werr" ] &&
   [ "$((logged + ${unlogged:-0}))" -eq "$werr" ] &&
   grep -q 'data the guest wrote may be lost' "$tmp/err"; then ok; else
	bad "full disk: status $status, $nospc ENOSPC lines, write_errors=$werr," \
		"errors_not_logged=$unlogged: $(head -c 600 "$tmp/err")"; fi

# Unusable drives: exit status 2 and exactly one line naming the drive.
# drive_error NAME NEEDLE DRIVE_SPEC
drive_error() {
	local out status lines
	out=$(timeout 20 "$CVMM" --kernel "$GUEST" --drive "$3" 2>&1 >/dev/null </dev/null)
	status=$?
	lines=$(printf '%s' "$out" | grep -c '')
	if [ "$status" -eq 2 ] && [ "$lines" -eq 1 ] && grep -qi -- "$2" <<<"$out"; then
		ok
	else
		bad "$1: status $status, $lines lines: '$out' (want 2, one line with '$2')"
	fi
}
head -c 1000 /dev/zero >"$tmp/odd.img"
mkdir "$tmp/dir.img"
for engine in sync uring; do
	drive_error "missing file" "drive $tmp/missing.img" "path=$tmp/missing.img,engine=$engine"
	drive_error "size not a multiple of 512" "drive $tmp/odd.img" "path=$tmp/odd.img,engine=$engine"
	drive_error "a directory" "drive $tmp/dir.img" "path=$tmp/dir.img,engine=$engine"
done

# Image locks: while one cvmm writes an image, a second cannot open it read-write or read-only
# (exit 2, one line); read-only drives share an image.
truncate -s $SIZE "$tmp/shared.img"
"$CVMM" --kernel "$GUEST" --drive "path=$tmp/shared.img" --serial "file:$tmp/holder.log" \
	--cmdline "cvmmtest.only=none cvmmtest.hold=1" </dev/null 2>"$tmp/holder.err" &
holder=$!
for _ in $(seq 600); do grep -q RESULT "$tmp/holder.log" 2>/dev/null && break; sleep 0.1; done
for ro in off on; do
	drive_error "image in use (ro=$ro)" "in use by another process\|another process writes" \
		"path=$tmp/shared.img,ro=$ro"
done
kill $holder
wait $holder 2>/dev/null
"$CVMM" --kernel "$GUEST" --drive "path=$tmp/shared.img,ro=on" --serial "file:$tmp/holder.log" \
	--cmdline "cvmmtest.only=none cvmmtest.hold=1" </dev/null 2>"$tmp/holder.err" &
holder=$!
rm -f "$tmp/holder.log"
for _ in $(seq 600); do grep -q RESULT "$tmp/holder.log" 2>/dev/null && break; sleep 0.1; done
boot "read-only drives share an image" 0 '^RESULT: 1/1 PASS' \
	--drive "path=$tmp/shared.img,ro=on,id=shared" -- cvmmtest.only=blk cvmmtest.blk_ro=1 \
	cvmmtest.blk_id=shared
kill $holder
wait $holder 2>/dev/null

echo "blk guest: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
