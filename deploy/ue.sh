#!/bin/sh
# A sipp UE of the compose topology: registers USER with sec-agree and IMS AKA through the
# P-CSCF (the demo's keys), the way tests/integration/harness/ue.py does.
# Usage: ue.sh USER UE_ADDRESS PCSCF_ADDRESS
set -eu
USER=$1 ADDR=$2 PCSCF=$3
SC=/tmp/register-$USER.xml
CLIENT='ipsec-3gpp;alg=hmac-sha-1-96;ealg=aes-cbc;prot=esp;mod=trans;spi-c=1111;spi-s=2222;port-c=5060;port-s=5060'
sed -e "s/@IMPI@/$USER@ims.example/g" -e 's/@K@/demo-aka-key-001/g' \
    -e 's/@OP@/presec-demo-op-1/g' -e "s/@CLIENT@/$CLIENT/g" -e 's/@VERIFY@/[$server]/g' \
    -e '/@FIRST_VERIFY@/d' /usr/share/presec/tests/integration/scenarios/register-secagree.xml > "$SC"
# sipp's AKA cuts a RES that holds a zero octet short (a few percent of challenges): the
# S-CSCF rightly refuses it, and a new attempt gets a new challenge, as the test harness does
n=1
until sipp "$PCSCF:5060" -sf "$SC" -i "$ADDR" -s "$USER" -key domain ims.example \
  -key expires 3600 -m 1 -trace_msg -message_file /dev/stdout; do
  [ $n -lt 5 ] || exit 1
  echo "ue.sh: attempt $n refused, registering again"
  n=$((n + 1))
done
