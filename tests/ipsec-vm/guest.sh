#!/bin/sh
# PID 1 of the test guest: two network namespaces joined by a veth pair stand for the UE and the
# P-CSCF side; esp_flow.py runs the reference topology in the P-CSCF's with the xfrm backend.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8
out=/mnt/out
mkdir -p $out
mount -t 9p -o trans=virtio,version=9p2000.L outdir $out
exec > $out/guest.log 2>&1
echo "guest: kernel $(uname -r), up $(cut -d' ' -f1 /proc/uptime)s"
ip link set lo up
mkdir -p /run/netns
ip netns add pcscf
ip netns add ue
ip link add veth-pcscf type veth peer name veth-ue
ip link set veth-pcscf netns pcscf
ip link set veth-ue netns ue
ip -n pcscf addr add 10.9.0.1/24 dev veth-pcscf
ip -n ue addr add 10.9.0.2/24 dev veth-ue
# the IPv6 pair (esp_flow.py [9]); no duplicate address detection to wait for
ip -n pcscf addr add fd00:10::1/64 dev veth-pcscf nodad
ip -n ue addr add fd00:10::2/64 dev veth-ue nodad
for ns in pcscf ue; do ip -n $ns link set lo up; done
ip -n pcscf link set veth-pcscf up
ip -n ue link set veth-ue up
cd "$presec_root"
ip netns exec pcscf /usr/bin/python3 tests/ipsec-vm/esp_flow.py
rc=$?
echo "guest: esp_flow.py exit $rc, up $(cut -d' ' -f1 /proc/uptime)s"
cp -r build/ipsec-vm-guest/logs build/ipsec-vm-guest/capture.json $out/ 2>/dev/null
echo $rc > $out/rc
exec >/dev/console 2>&1
sync
umount $out
poweroff -f
