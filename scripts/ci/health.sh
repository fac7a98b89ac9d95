#!/usr/bin/env bash
# The deploy's health check: `infra health` on STACK's endpoints, ROUNDS
# rounds INTERVAL seconds apart (default 6 x 10 s: a minute, while a fresh
# deploy settles); fails unless the last round is healthy. A stack whose
# issuer is Let's Encrypt staging (dev) has the staging roots trusted by
# infra itself; every other check (chain, host name, dates, status) holds.
#
# Usage: scripts/ci/health.sh STACK [ROUNDS [INTERVAL]]
# Runs bin/infra (built by .github/actions/setup) in the project directory.
set -euo pipefail

if [ "$#" -lt 1 ] || [ "$#" -gt 3 ]; then
  echo "usage: $0 STACK [ROUNDS [INTERVAL]]" >&2
  exit 2
fi
stack=$1 rounds=${2:-6} interval=${3:-10}
bin/infra health --stack "$stack" --continuous --interval "$interval" --count "$rounds"
