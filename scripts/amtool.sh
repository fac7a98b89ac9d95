#!/usr/bin/env bash
# Builds amtool from the Alertmanager Go module at the version of the image the
# VPS runs (components/monitoring/versions.go) and prints its path. Debian's
# amtool (0.25) predates webhook url_file, which keeps the dead man's switch
# URL out of the rendered config. Cached outside the clone, keyed by version.
#
# Usage: scripts/amtool.sh   -> prints the path of the amtool binary
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/.*AlertmanagerImage *= *"prom\/alertmanager:\(v[0-9.]*\)".*/\1/p' "$repo/components/monitoring/versions.go")
if [ -z "$version" ]; then
  echo "amtool: cannot find AlertmanagerImage in components/monitoring/versions.go" >&2
  exit 1
fi
cache=${INFRA_AMTOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/infra/amtool}
bin="$cache/$version/amtool"
if [ -x "$bin" ] && "$bin" --help >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi
mkdir -p "$cache/$version"
GOBIN="$cache/$version" GOFLAGS=-mod=mod go install "github.com/prometheus/alertmanager/cmd/amtool@$version" >&2
echo "$bin"
