#!/bin/sh
# Real ESP between a UE and the P-CSCF: boots Debian's kernel under qemu (software emulation; the
# host kernel has XFRM but no ESP), with the host's / shared read-only, and runs guest.sh as the
# guest's PID 1. The guest hands its verdict and log back through a writable 9p share.
# Usage: tests/ipsec-vm/run.sh [WORKDIR]     exit status 0 = every check in the guest passed
set -eu
here=$(dirname "$(readlink -f "$0")")
root=$(readlink -f "$here/../..")
work=${1:-$root/build/ipsec-vm}
kv=$(ls /lib/modules | sort -V | tail -n1)
[ -f "/boot/vmlinuz-$kv" ] || { echo "ipsec-vm: no /boot/vmlinuz-$kv (make deps-vm)"; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "ipsec-vm: no qemu (make deps-vm)"; exit 2; }
mkdir -p "$work"
out="$work/out"
TMPDIR="$work" "$here/initramfs.sh" "$work/initramfs.cpio.gz" "$kv"
# KVM where it works (some hosts expose /dev/kvm but refuse the guest's MSRs), else TCG.
accel=tcg,thread=multi cpu=max
# IPSEC_VM_ACCEL=tcg skips the probe (a host whose KVM passes it but hangs the real boot).
if [ "${IPSEC_VM_ACCEL:-}" != tcg ] && [ -w /dev/kvm ] && timeout 20 qemu-system-x86_64 -machine q35 -accel kvm -cpu host -m 64 \
     -nographic -no-reboot -nic none -kernel /boot/vmlinuz-$kv \
     -append "console=ttyS0 panic=-1 loglevel=0 init=/nonexistent" </dev/null >/dev/null 2>&1; then
  accel=kvm cpu=host
fi
# One boot. Under KVM the guest must have started its script (guest.log) within
# IPSEC_VM_KVM_GRACE seconds: a host whose KVM passed the probe but hangs the real boot
# (seen: stuck after SeaBIOS) gets the run again under TCG instead of a 15-minute timeout.
boot() {
  echo "ipsec-vm: booting $kv under qemu ($accel); guest log in $out/guest.log"
  rm -rf "$out"; mkdir -p "$out"
  timeout "${IPSEC_VM_TIMEOUT:-900}" qemu-system-x86_64 -machine q35 -accel "$accel" -cpu "$cpu" \
    -smp "${IPSEC_VM_SMP:-2}" -m "${IPSEC_VM_MEM:-2048}" -nographic -no-reboot -nic none \
    -kernel "/boot/vmlinuz-$kv" -initrd "$work/initramfs.cpio.gz" \
    -append "console=ttyS0 panic=-1 loglevel=3 mitigations=off random.trust_cpu=on presec_script=$here/guest.sh presec_root=$root" \
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
    -virtfs "local,path=$out,mount_tag=outdir,security_model=none" </dev/null > "$work/console.log" 2>&1 &
  qpid=$!
  if [ "$accel" = kvm ]; then
    waited=0
    while kill -0 $qpid 2>/dev/null && [ ! -s "$out/guest.log" ] && [ $waited -lt "${IPSEC_VM_KVM_GRACE:-90}" ]; do
      sleep 1; waited=$((waited + 1))
    done
    if kill -0 $qpid 2>/dev/null && [ ! -s "$out/guest.log" ]; then
      echo "ipsec-vm: no guest output under KVM after ${waited}s: running under TCG instead"
      pkill -P $qpid 2>/dev/null || true; kill $qpid 2>/dev/null || true; wait $qpid 2>/dev/null || true
      accel=tcg,thread=multi cpu=max
      boot
      return
    fi
  fi
  wait $qpid || { echo "ipsec-vm: qemu failed or timed out after $(( $(date +%s) - start ))s"; tail -40 "$work/console.log"; exit 1; }
}
start=$(date +%s)
boot
cat "$out/guest.log" 2>/dev/null || tail -40 "$work/console.log"
[ -f "$out/rc" ] || { echo "ipsec-vm: the guest gave no verdict"; tail -40 "$work/console.log"; exit 1; }
echo "ipsec-vm: $(( $(date +%s) - start ))s in all"
exit "$(cat "$out/rc")"
