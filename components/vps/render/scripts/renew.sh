#!/bin/sh
# Renews the certificate twice a day when it is due (certbot renews at 30
# days before expiry); nginx answers the challenges from the shared webroot.
set -eu
trap 'exit 0' TERM INT
while :; do
  certbot renew --webroot --webroot-path /var/www/acme --quiet || echo "certbot renew failed; next try in 12 hours" >&2
  sleep 43200 &
  wait $!
done
