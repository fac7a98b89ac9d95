#!/usr/bin/env bash
# Builds amtool from the Alertmanager Go module at the version of the image the
# VPS runs (the alertmanager entry of internal/pins/pins.yaml) and prints its
# path. Debian's amtool (0.25) predates webhook url_file, which keeps the dead
# man's switch URL out of the rendered config. Cached outside the clone, keyed
# by version.
#
# Usage: scripts/amtool.sh                  -> prints the path of the amtool binary
#        scripts/amtool.sh --print-version  -> prints the version it builds
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
manifest="$repo/internal/pins/pins.yaml"
# The value line of the entry named alertmanager: value: "prom/alertmanager:vX.Y.Z"
version=$(awk '
  /^  - name: / { name = $3; gsub(/"/, "", name) }
  name == "alertmanager" && /^    value: / { v = $2; gsub(/"/, "", v); sub(/^prom\/alertmanager:/, "", v); print v; exit }
' "$manifest")
if ! [[ $version =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "amtool: no prom/alertmanager:vX.Y.Z value for alertmanager in $manifest (got '$version')" >&2
  exit 1
fi
if [ "${1:-}" = --print-version ]; then
  echo "$version"
  exit 0
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
