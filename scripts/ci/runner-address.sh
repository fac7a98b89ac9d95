#!/usr/bin/env bash
# Prints the public IPv4 address this runner reaches DigitalOcean from, for
# `infra ... --access-from`. It fails (exit 1) rather than print anything
# else: an empty or odd answer must never reach the flag.
#
# Usage: scripts/ci/runner-address.sh
#   RUNNER_ADDRESS_URL overrides the echo service (tests, proxies).
set -euo pipefail

url=${RUNNER_ADDRESS_URL:-https://api.ipify.org}
if ! addr=$(curl -4 -fsS --retry 3 --max-time 10 "$url"); then
  echo "runner-address: could not ask $url for this runner's address" >&2
  exit 1
fi
octet='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
if [[ ! $addr =~ ^$octet\.$octet\.$octet\.$octet$ ]]; then
  echo "runner-address: $url answered '${addr:0:60}', not an IPv4 address" >&2
  exit 1
fi
printf '%s\n' "$addr"
