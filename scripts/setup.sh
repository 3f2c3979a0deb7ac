#!/bin/bash
# Installs the Debian 12 packages cvmm's build, tests and benchmarks need.  Idempotent: packages
# already present are not touched, and apt is not even asked when nothing is missing.
set -euo pipefail

PACKAGES=(
	build-essential clang pkg-config
	libssl-dev libjansson-dev liburing-dev libcmocka-dev
	libmicrohttpd-dev uuid-dev   # the management API's HTTP server; instance ids, snp-id-block's UUIDs (libuuid.a: cvmm is static)
	curl                     # integration tests speak to the API over its Unix socket
	libclang-rt-14-dev       # ASan/UBSan and libFuzzer runtimes for clang
	acpica-tools             # iasl: independent check of the generated ACPI tables
	ovmf                     # Debian OVMF.fd: a measurement test vector
	qemu-system-x86          # peer VMM for benchmarks; L1 of the nested harness
	cpio busybox-static      # initramfs assembly for the nested harness
	lz4                      # nested harness: initramfs compression, PVH vmlinux extraction
	e2fsprogs                # the demo guest's ext4 root disk (mke2fs -d)
	socat                    # peer Unix-socket relay for the vsock benchmark
	python3
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
	echo "setup: all ${#PACKAGES[@]} packages present"
	exit 0
fi

SUDO=
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
