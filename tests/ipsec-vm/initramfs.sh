#!/bin/sh
# Builds the guest's initramfs: busybox plus the modules that mount the host's / over virtio-9p
# with a tmpfs overlay (init.sh does that, then hands over to guest.sh as PID 1).
# Usage: initramfs.sh OUT.cpio.gz [KERNEL_VERSION]
set -eu
out=$1
kv=${2:-$(ls /lib/modules | sort -V | tail -n1)}
here=$(dirname "$(readlink -f "$0")")
root=$(mktemp -d "${TMPDIR:-/tmp}/presec-initramfs-XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/mods"
cp /bin/busybox "$root/bin/busybox"
cp "$here/init.sh" "$root/init"
chmod 755 "$root/init"
# in load order: virtio transport, 9p over virtio, overlayfs
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
         netfs fscache 9pnet 9pnet_virtio 9p overlay; do
  f=$(modinfo -k "$kv" -n "$m" 2>/dev/null) || continue   # built in, or absent in this kernel
  case "$f" in /*) cp "$f" "$root/mods/" && echo "$m" >> "$root/mods/order" ;; esac
done
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
