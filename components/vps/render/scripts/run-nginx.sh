#!/bin/sh
# Runs nginx in the foreground and reloads it every 6 hours, so a
# certificate certbot renewed is served without a restart.
set -eu
conf=/etc/nginx/infra/nginx.conf
(
  while :; do
    sleep 21600
    nginx -c "$conf" -s reload || echo "nginx reload failed" >&2
  done
) &
exec nginx -c "$conf" -g 'daemon off;'
