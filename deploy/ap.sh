#!/bin/sh
# The reference Authentication Proxy (cfg-examples/ut-ap/nginx.conf.in) as a compose service.
# Its certificate, the UE CA and the PS CA are in /etc/presec/tls (the same volume as the PS's).
# Client certificates on 8444, GBA on 8445 through the GBA endpoint (the apgba service,
# cfg-examples/ut-ap/gba-auth.cfg) on GBA_ENDPOINT_ADDRESS:8081.
# Usage: ap.sh AP_ADDRESS PS_ADDRESS GBA_ENDPOINT_ADDRESS
set -eu
RUN=/run/presec-ap
mkdir -p $RUN/body $RUN/proxy $RUN/fastcgi $RUN/uwsgi $RUN/scgi
sed -e "s|@AP_IP@|$1|g" -e 's|@AP_PORT@|8444|g' -e "s|@PS_IP@|$2|g" -e 's|@UT_PORT@|8443|g' \
    -e 's|@AP_GBA_PORT@|8445|g' -e "s|@AP_AUTH_IP@|$3|g" -e 's|@AP_AUTH_PORT@|8081|g' \
    -e 's|@AP_CERT@|/etc/presec/tls/ap-cert.pem|g' -e 's|@AP_KEY@|/etc/presec/tls/ap-key.pem|g' \
    -e 's|@UE_CA@|/etc/presec/tls/ca.pem|g' -e 's|@PS_CA@|/etc/presec/tls/ca.pem|g' \
    -e "s|@RUN@|$RUN|g" /usr/share/presec/cfg-examples/ut-ap/nginx.conf.in > $RUN/nginx.conf
exec nginx -c $RUN/nginx.conf
