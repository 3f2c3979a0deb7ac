#!/bin/bash
# --tee tdx on a host whose KVM has no TDX (this host or the nested L1: Debian's kernel, no TDX
# module): one line naming kvm_intel.tdx and exit 3, after every input was checked, never "not
# available in this build".  Without /dev/kvm at all: exit 3 with the usual line.
set -u
CVMM=${CVMM:-build/cvmm}
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

python3 "$root/tests/integration/measure_ref.py" gen ovmf 1 "$tmp/tdvf.fd"

# check NAME STATUS NEEDLE ARGS...: exit status and exactly one stderr line containing NEEDLE.
check() {
	local name=$1 want=$2 needle=$3 out status
	shift 3
	out=$(timeout 20 "$@" 2>&1 >/dev/null </dev/null)
	status=$?
	if [ "$status" -eq "$want" ] && [ "$(grep -c '' <<<"$out")" -eq 1 ] &&
	   grep -q -- "$needle" <<<"$out" && ! grep -q "not available in this build" <<<"$out"; then
		pass=$((pass + 1))
	else
		echo "FAIL: $name: status $status (want $want), '$out' (want one line with '$needle')"
		fail=$((fail + 1))
	fi
}

check "no KVM" 3 "cannot open $tmp/no-kvm" \
	env CVMM_KVM_DEVICE="$tmp/no-kvm" "$CVMM" --tee tdx --firmware "$tmp/tdvf.fd"
if [ -w /dev/kvm ]; then
	if grep -qs Y /sys/module/kvm_intel/parameters/tdx; then
		echo "SKIP tdx_probe: this host's KVM offers TDX"
	else
		check "KVM without TDX" 3 "kvm_intel.tdx" \
			"$CVMM" --tee tdx --firmware "$tmp/tdvf.fd" --serial none
		check "KVM without TDX, td options" 3 "cannot run TDX guests" \
			"$CVMM" --tee tdx --firmware "$tmp/tdvf.fd" --serial none \
			--tdx-attributes sept-ve-disable --quote-service unix:/nonexistent
	fi
else
	echo "SKIP tdx_probe on KVM: /dev/kvm is not usable here"
fi
echo "tdx probe: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
