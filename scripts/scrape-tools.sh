#!/usr/bin/env bash
# Builds the real Prometheus and node_exporter at the versions of the images
# the VPS runs (the prometheus and node-exporter entries of
# internal/pins/pins.yaml) and prints the directory holding both binaries.
# tests/scrape runs them against the rendered prometheus.yml. Debian's
# prometheus (2.x) is a major behind the deployed 3.x. Cached outside the
# clone, keyed by both versions.
#
# Prometheus' go.mod has replace directives, so `go install pkg@version`
# refuses it: the module is downloaded and built as the main module, with
# the service-discovery plugins the rendered config does not use left out
# (remove_all_sd, enable_dns_sd: the scrape jobs of services use DNS).
#
# Usage: scripts/scrape-tools.sh                  -> prints the directory
#        scripts/scrape-tools.sh --print-versions -> prints both versions
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
manifest="$repo/internal/pins/pins.yaml"
pin() {
  awk -v want="$1" '
    /^  - name: / { name = $3; gsub(/"/, "", name) }
    name == want && /^    value: / { v = $2; gsub(/"/, "", v); sub(/^[^:]*:/, "", v); print v; exit }
  ' "$manifest"
}
prom=$(pin prometheus)
node=$(pin node-exporter)
for v in "$prom" "$node"; do
  if ! [[ $v =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "scrape-tools: no image:vX.Y.Z value for prometheus or node-exporter in $manifest (got '$v')" >&2
    exit 1
  fi
done
if [ "${1:-}" = --print-versions ]; then
  echo "prometheus $prom"
  echo "node_exporter $node"
  exit 0
fi
# Prometheus 3.X.Y is published as the Go module version v0.3XX.Y.
IFS=. read -r major minor patch <<<"${prom#v}"
if [ "$major" != 3 ]; then
  echo "scrape-tools: Prometheus $prom: only 3.x maps to a module version here" >&2
  exit 1
fi
module_version=$(printf 'v0.3%02d.%s' "$minor" "$patch")

cache=${INFRA_SCRAPE_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/infra/scrape-tools}
dir="$cache/prometheus-$prom-node_exporter-$node"
if [ -x "$dir/prometheus" ] && [ -x "$dir/node_exporter" ] &&
  "$dir/prometheus" --version >/dev/null 2>&1 && "$dir/node_exporter" --version >/dev/null 2>&1; then
  echo "$dir"
  exit 0
fi
mkdir -p "$dir"
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

echo "scrape-tools: node_exporter $node" >&2
GOBIN="$work/bin" GOFLAGS=-mod=mod go install "github.com/prometheus/node_exporter@$node" >&2

echo "scrape-tools: prometheus $prom (module $module_version)" >&2
src=$(GOFLAGS=-mod=mod go mod download -json "github.com/prometheus/prometheus@$module_version" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$src" ] || [ ! -d "$src" ]; then
  echo "scrape-tools: could not download github.com/prometheus/prometheus@$module_version" >&2
  exit 1
fi
cp -r "$src" "$work/prometheus"
chmod -R u+w "$work/prometheus"
(cd "$work/prometheus" && GOWORK=off go build -tags remove_all_sd,enable_dns_sd -trimpath -ldflags "-s -w -X github.com/prometheus/common/version.Version=${prom#v}" -o "$work/bin/prometheus" ./cmd/prometheus) >&2

mv "$work/bin/prometheus" "$work/bin/node_exporter" "$dir/"
echo "$dir"
