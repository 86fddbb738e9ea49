#!/bin/busybox sh
# /init of the presec test guest: the host's / (9p, read-only) under a tmpfs overlay becomes the
# root, then the kernel command line's `presec_script` runs as PID 1.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do
  insmod "/mods/$m.ko" 2>/dev/null || insmod "/mods/$m.ko.xz" 2>/dev/null || true
done < /mods/order
mkdir -p /lower /rw /newroot
i=0
until mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /lower; do
  i=$((i+1)); [ $i -gt 50 ] && { echo "presec-init: no 9p root"; poweroff -f; }
  sleep 0.1
done
mount -t tmpfs -o size=1536m tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot || {
  echo "presec-init: overlay failed"; poweroff -f; }
for d in proc sys dev; do mount --move /$d /newroot/$d; done
# a clean /run for the guest's own state; /tmp stays as the overlay shows it (a checkout may
# live there, and writes land in the tmpfs upper layer anyway)
mount -t tmpfs tmpfs /newroot/run
exec switch_root /newroot "${presec_script:-/bin/sh}"
