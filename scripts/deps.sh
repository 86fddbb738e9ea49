#!/bin/sh
# Install what building and testing presec needs, from Debian's archive only.
# Idempotent: does nothing when every package is already installed.
# Usage: scripts/deps.sh [base|vm]   (vm adds qemu + a Debian kernel for tests/ipsec-vm)
set -eu
PKGS="kamailio kamailio-postgres-modules kamailio-presence-modules kamailio-xml-modules
 kamailio-tls-modules kamailio-utils-modules kamailio-extra-modules nginx-light tcpdump baresip-core
 sip-tester postgresql-15 postgresql-client-15
 libcmocka-dev python3-pytest python3-psycopg2 python3-cryptography
 libxml2-dev libssl-dev libpq-dev libmnl-dev
 build-essential pkg-config bison flex dpkg-dev
 clang libclang-rt-14-dev clang-format
 curl openssl iproute2 procps psmisc patch"
[ "${1:-base}" = vm ] && PKGS="$PKGS qemu-system-x86 linux-image-amd64 busybox-static kmod cpio"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "deps: missing packages:$missing (run as root, or install them)" >&2
  exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# --no-install-recommends keeps the image small; postgresql-15 must not start a system cluster
# we do not use, but Debian's policy-rc.d decides that, so we just leave it be.
apt-get install -y -q --no-install-recommends $missing
