#!/bin/sh
# Test certificates for the compose topology (deploy/tls/): a CA, the PS's Ut certificate, the
# AP's, and client certificates for the demo UEs (CN = IMPU) the AP authenticates. For a real
# deployment use the operator's PKI instead.   Usage: deploy/make-certs.sh
set -eu
cd "$(dirname "$0")"
mkdir -p tls && cd tls
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
openssl req -x509 $ec -keyout ca-key.pem -out ca.pem -days 365 -subj "/CN=presec demo CA"
issue() { # name cn extfile-line
  printf '%s\n' "$3" > "$1.ext"
  openssl req $ec -keyout "$1-key.pem" -out "$1.csr" -subj "/CN=$2"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
    -out "$1-cert.pem" -days 365 -extfile "$1.ext"
}
issue ps 172.30.1.13 "subjectAltName=IP:172.30.1.13"
issue ap 172.30.1.16 "subjectAltName=IP:172.30.1.16"
issue ue-alice sip:alice@ims.example "extendedKeyUsage=clientAuth"
issue ue-bob sip:bob@ims.example "extendedKeyUsage=clientAuth"
chmod 644 ./*-key.pem
echo "certificates in $(pwd)"
