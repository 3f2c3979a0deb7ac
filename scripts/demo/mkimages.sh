#!/bin/bash
# Builds the demo guest from the Debian packages the nested harness fetched (tests/nested/fetch.sh):
#   mkimages.sh NESTED_DIR AGENT OUT_DIR
# OUT_DIR/initrd.cpio.lz4  busybox, the virtio and vsock modules, the first-stage init
# OUT_DIR/root.ext4        the root disk: busybox, the agent (vsock-exec), /sbin/init
# Nothing needs root: the ext4 image is written by mke2fs -d from a staging directory.
set -euo pipefail
NESTED=$(cd "${1:?nested dir}" && pwd)
AGENT=${2:?agent}
OUT=${3:?out dir}
HERE=$(cd "$(dirname "$0")" && pwd)
KVER=$(cat "$NESTED/kernel-version")
ROOT=$NESTED/root
KMOD=$ROOT/lib/modules/$KVER/kernel
MODULES="virtio_ring virtio virtio_mmio virtio_blk vsock vmw_vsock_virtio_transport_common
	vmw_vsock_virtio_transport"
mkdir -p "$OUT"
stage=$OUT/stage
rm -rf "$stage"

add_busybox()
{
	mkdir -p "$1/bin" "$1/sbin"
	cp "$ROOT/bin/busybox" "$1/bin/busybox"
	for applet in $("$ROOT/bin/busybox" --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$1/bin/$applet"
	done
}

# The initramfs.
mkdir -p "$stage/initrd/lib/modules" "$stage/initrd"/{dev,proc,sys}
add_busybox "$stage/initrd"
for m in $MODULES; do
	ko=$(find "$KMOD" -name "$m.ko" | head -n1)
	[ -n "$ko" ] || { echo "mkimages: module $m not in $KVER" >&2; exit 1; }
	cp "$ko" "$stage/initrd/lib/modules/"
done
cp "$HERE/initramfs-init" "$stage/initrd/init"
(cd "$stage/initrd" && find . -mindepth 1 | LC_ALL=C sort |
	"$ROOT/bin/cpio" -o -H newc -R 0:0 --quiet) | lz4 -l -9 -q -c >"$OUT/initrd.cpio.lz4.tmp"
mv "$OUT/initrd.cpio.lz4.tmp" "$OUT/initrd.cpio.lz4"

# The root disk.
mkdir -p "$stage/root"/{dev,proc,sys,tmp,etc}
add_busybox "$stage/root"
cp "$AGENT" "$stage/root/bin/agent"
cp "$HERE/root-init" "$stage/root/sbin/init"
chmod 755 "$stage/root/sbin/init"
echo "cvmm-demo" >"$stage/root/etc/hostname"
rm -f "$OUT/root.ext4"
mke2fs -q -t ext4 -L cvmm-demo -d "$stage/root" -E root_owner=0:0 "$OUT/root.ext4" 32M
rm -rf "$stage"
echo "mkimages: $OUT/initrd.cpio.lz4 ($(stat -c %s "$OUT/initrd.cpio.lz4") bytes)," \
	"$OUT/root.ext4 (32 MiB ext4)"
