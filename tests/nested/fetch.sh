#!/bin/bash
# Downloads the Debian 12 packages the nested harness needs and unpacks them into OUT/root.
# Only Debian package registries are needed: `apt-get download` + `dpkg -x`, with one
# `apt-get update` retry if the package lists are stale.
#   usage: fetch.sh OUT
set -euo pipefail

OUT=${1:?usage: fetch.sh OUT}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
DEBS=$OUT/debs
ROOT=$OUT/root

# linux-image-cloud-amd64 is a metapackage: resolve it to the versioned image package.
resolve_kernel()
{
	apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -n1
}

download()
{
	(cd "$DEBS" && apt-get download -q "$@" >/dev/null 2>"$OUT/apt.log")
}

mkdir -p "$DEBS"
kernel=$(resolve_kernel)
if [ -z "$kernel" ]; then
	apt-get update -qq
	kernel=$(resolve_kernel)
fi
[ -n "$kernel" ] || { echo "fetch: cannot resolve linux-image-cloud-amd64" >&2; exit 1; }

PACKAGES=("$kernel" busybox-static cpio qemu-system-x86)
have_all()
{
	for p in "${PACKAGES[@]}"; do
		compgen -G "$DEBS/${p}_*.deb" >/dev/null || return 1
	done
}
if have_all; then
	:
elif ! download "${PACKAGES[@]}"; then
	echo "fetch: apt-get download failed, refreshing package lists" >&2
	apt-get update -qq
	download "${PACKAGES[@]}" || { cat "$OUT/apt.log" >&2; exit 1; }
fi

rm -rf "$ROOT"
mkdir -p "$ROOT"
for p in "${PACKAGES[@]}"; do
	deb=$(ls -t "$DEBS/${p}"_*.deb | head -n1)
	dpkg -x "$deb" "$ROOT"
done

kver=${kernel#linux-image-}
[ -f "$ROOT/boot/vmlinuz-$kver" ] || { echo "fetch: no kernel in $kernel" >&2; exit 1; }
[ -d "$ROOT/lib/modules/$kver/kernel" ] || { echo "fetch: no modules in $kernel" >&2; exit 1; }
echo "$kver" >"$OUT/kernel-version"
echo "fetch: $kernel, busybox-static, cpio, qemu-system-x86 unpacked in $ROOT"
