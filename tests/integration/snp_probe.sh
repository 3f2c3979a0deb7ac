#!/bin/bash
# --tee snp on a /dev/kvm without SEV-SNP (this machine's, or the nested L1's kvm-amd): one line
# saying why, exit status 3, before any VM exists.  Skipped on a host that has SNP.
set -u
CVMM=${CVMM:-build/cvmm}
root=$(cd "$(dirname "$0")/../.." && pwd)
fw=$root/tests/vectors/ovmf_AmdSev_suffix.bin

if [ ! -w /dev/kvm ]; then
	echo "SKIP snp_probe: /dev/kvm is not usable here"
	exit 0
fi
if [ -e /dev/sev ]; then
	echo "SKIP snp_probe: this host has /dev/sev; the probe would pass"
	exit 0
fi
out=$(timeout 20 "$CVMM" --tee snp --firmware "$fw" --vcpus 2 2>&1 </dev/null)
status=$?
if [ "$status" -eq 3 ] && [ "$(grep -c '' <<<"$out")" -eq 1 ] &&
   grep -q -- "--tee snp: SEV-SNP is not available on this host: " <<<"$out"; then
	echo "snp probe: 1 passed, 0 failed ($out)"
	exit 0
fi
echo "FAIL: --tee snp on KVM without SNP -> status $status (want 3), '$out'"
echo "snp probe: 0 passed, 1 failed"
exit 1
