#!/bin/bash
# SPDX-License-Identifier: MIT
# Benchmark of `cvmm measure --tee snp` with measured direct boot: a 4 MiB firmware (random
# bytes ending in real SEV metadata with a KERNEL_HASHES section), a 12 MiB kernel and a 64 MiB
# initrd.  Prints the median wall time of several runs and the throughput over all input bytes,
# side by side with `openssl dgst` hashing the same bytes.  Informational; never fails on time.
#   scripts/bench-measure.sh [CVMM] (CVMM_VECTORS: directory of the measurement test vectors)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cvmm=${1:-$root/build/cvmm}
vectors=${CVMM_VECTORS:-$root/tests/vectors}
runs=${BENCH_RUNS:-9}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The firmware's last page carries the metadata: the AmdSev suffix vector when present, else
# the last page of a synthetic image with the same kinds of entries.
if [ -f "$vectors/ovmf_AmdSev_suffix.bin" ]; then
	suffix=$vectors/ovmf_AmdSev_suffix.bin
	origin="edk2 AmdSev suffix"
else
	python3 "$root/tests/integration/measure_ref.py" gen tiny 1 "$tmp/tiny.fd"
	tail -c 4096 "$tmp/tiny.fd" >"$tmp/suffix.bin"
	suffix=$tmp/suffix.bin
	origin="synthetic suffix"
fi
{ head -c $((4 * 1024 * 1024 - 4096)) /dev/urandom; cat "$suffix"; } >"$tmp/fw.fd"
head -c $((12 * 1024 * 1024)) /dev/urandom >"$tmp/kernel"
head -c $((64 * 1024 * 1024)) /dev/urandom >"$tmp/initrd"
bytes=$(cat "$tmp/fw.fd" "$tmp/kernel" "$tmp/initrd" | wc -c)

# median_seconds CMD...: runs CMD (output discarded) $runs times after one warm-up.
median_seconds() {
	local t0 t1 times=()
	"$@" >/dev/null
	for ((i = 0; i < runs; i++)); do
		t0=$(date +%s%N)
		"$@" >/dev/null
		t1=$(date +%s%N)
		times+=($((t1 - t0)))
	done
	printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p"
}

row() {
	local name=$1 ns=$2
	awk -v n="$name" -v ns="$ns" -v b="$bytes" \
		'BEGIN { s = ns / 1e9; printf "  %-48s %8.3f %10.0f\n", n, s, b / 1e6 / s }'
}

measure=("$cvmm" measure --tee snp --firmware "$tmp/fw.fd" --vcpus 4 --vcpu-sig 0x800f12
	 --kernel "$tmp/kernel" --initrd "$tmp/initrd" --cmdline "console=ttyS0 root=/dev/vda")
cvmm_ns=$(median_seconds "${measure[@]}")
sha384_ns=$(median_seconds openssl dgst -sha384 "$tmp/fw.fd" "$tmp/kernel" "$tmp/initrd")
sha256_ns=$(median_seconds openssl dgst -sha256 "$tmp/fw.fd" "$tmp/kernel" "$tmp/initrd")

echo "bench-measure: 4 MiB firmware ($origin) + 12 MiB kernel + 64 MiB initrd" \
	"= $((bytes / 1024 / 1024)) MiB, median of $runs runs"
printf '  %-48s %8s %10s\n' "command" "seconds" "MB/s"
row "cvmm measure --tee snp (4 vCPUs, kernel hashes)" "$cvmm_ns"
row "openssl dgst -sha256 (same files)" "$sha256_ns"
row "openssl dgst -sha384 (same files)" "$sha384_ns"
awk -v ns="$cvmm_ns" 'BEGIN { printf "  target <= 0.300 s: %s\n", ns / 1e9 <= 0.3 ? "met" : "NOT met" }'
