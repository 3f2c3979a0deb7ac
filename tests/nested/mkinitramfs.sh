#!/bin/bash
# Assembles the initramfs archives of the nested harness (newc cpio, legacy-LZ4 compressed, which
# the Debian cloud kernel decompresses fastest).
#   mkinitramfs.sh l2 OUT     busybox, virtio modules, test agent ($AGENT), L2 init
#   mkinitramfs.sh l1 OUT     busybox, KVM and tun modules, cvmm ($CVMM) + libraries, vmrun
#                             ($VMRUN), hvsock ($HVSOCK), netpeer ($NETPEER), the test guest
#                             ($TESTGUEST),
#                             runner, scenarios, L2 kernels (bzImage, $VMLINUX), L2 initramfs
#                             ($L2_INITRD)
#   mkinitramfs.sh qemu OUT   QEMU + libraries + microvm firmware (appended to the l1 archive)
#   mkinitramfs.sh runner OUT busybox, KVM, virtio-fs and vhost modules, the KVM runner's L1 init
#                             (tests/kvm/l1-init; everything else comes from the host over virtio-fs)
# $NESTED is the directory fetch.sh unpacked the Debian packages into (NESTED/root).
set -euo pipefail

KIND=${1:?kind}
OUT=${2:?output}
NESTED=$(cd "${NESTED:?NESTED: fetch.sh output directory}" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$NESTED/root
KVER=$(cat "$NESTED/kernel-version")
KMOD=$ROOT/lib/modules/$KVER/kernel
STAGE=$NESTED/stage-$KIND

# Modules of the cloud kernel, in load order.
L2_MODULES="virtio_ring virtio virtio_mmio virtio_blk failover net_failover virtio_net vsock
	vmw_vsock_virtio_transport_common vmw_vsock_virtio_transport"
L1_MODULES="irqbypass kvm kvm-amd vhost_iotlb vhost vsock vmw_vsock_virtio_transport_common
	vhost_vsock tun"
RUNNER_MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci fuse
	virtiofs irqbypass kvm kvm-amd vhost_iotlb vhost vsock vmw_vsock_virtio_transport_common
	vhost_vsock tun tap vhost_net"
QEMU_FIRMWARE="bios-microvm.bin qboot.rom linuxboot_dma.bin pvh.bin"

add_busybox()
{
	mkdir -p "$STAGE/bin"
	cp "$ROOT/bin/busybox" "$STAGE/bin/busybox"
	for applet in $("$ROOT/bin/busybox" --list); do
		[ "$applet" = busybox ] || ln -sf busybox "$STAGE/bin/$applet"
	done
}

add_modules()
{
	mkdir -p "$STAGE/lib/modules"
	for m in $*; do
		ko=$(find "$KMOD" -name "$m.ko" | head -n1)
		[ -n "$ko" ] || { echo "mkinitramfs: module $m not in $KVER" >&2; exit 1; }
		cp "$ko" "$STAGE/lib/modules/"
	done
}

# Copies a dynamically linked program to DEST in the stage, with the libraries ldd lists.
add_program()
{
	local bin=$1 dest=$2 lib
	mkdir -p "$STAGE$(dirname "$dest")"
	cp "$bin" "$STAGE$dest"
	strip --strip-debug "$STAGE$dest"
	for lib in $(ldd "$bin" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^\t\(\/[^ ]*\) .*/\1/p'); do
		[ -e "$STAGE$lib" ] && continue
		mkdir -p "$STAGE$(dirname "$lib")"
		cp -L "$lib" "$STAGE$lib"
	done
}

rm -rf "$STAGE"
mkdir -p "$STAGE"/{dev,proc,sys,tmp}
case "$KIND" in
l2)
	add_busybox
	add_modules $L2_MODULES
	cp "${AGENT:?}" "$STAGE/agent"
	cp "$HERE/l2/init" "$STAGE/init"
	;;
l1)
	add_busybox
	add_modules $L1_MODULES
	add_program "${CVMM:?}" /bin/cvmm
	cp "${VMRUN:?}" "$STAGE/bin/vmrun"
	cp "${HVSOCK:?}" "$STAGE/bin/hvsock"
	cp "${NETPEER:?}" "$STAGE/bin/netpeer"
	# The agent's blk-pattern fills and checks scratch disks on the L1 side.
	cp "${AGENT:?}" "$STAGE/bin/agent"
	cp "$HERE/l1/init" "$STAGE/init"
	mkdir -p "$STAGE/nested" "$STAGE/l2"
	cp "$HERE/l1/runner.sh" "$STAGE/runner.sh"
	cp "$HERE/scenarios" "$STAGE/nested/scenarios"
	cp "$ROOT/boot/vmlinuz-$KVER" "$STAGE/l2/bzImage"
	cp "${VMLINUX:?}" "$STAGE/l2/vmlinux"
	cp "${TESTGUEST:?}" "$STAGE/l2/cvmm-test.pvh.elf"
	cp "${L2_INITRD:?}" "$STAGE/l2/initrd"
	;;
runner)
	add_busybox
	add_modules $RUNNER_MODULES
	cp "$HERE/../kvm/l1-init" "$STAGE/init"
	;;
qemu)
	add_program "$ROOT/usr/bin/qemu-system-x86_64" /usr/bin/qemu-system-x86_64
	mkdir -p "$STAGE/usr/share/qemu"
	for f in $QEMU_FIRMWARE; do
		cp /usr/share/qemu/$f "$STAGE/usr/share/qemu/"
	done
	rmdir "$STAGE"/{dev,proc,sys,tmp}
	;;
*)
	echo "mkinitramfs: unknown kind $KIND" >&2
	exit 2
	;;
esac

(cd "$STAGE" && find . -mindepth 1 | LC_ALL=C sort |
	"$ROOT/bin/cpio" -o -H newc -R 0:0 --quiet) | lz4 -l -9 -q -c >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
rm -rf "$STAGE"
