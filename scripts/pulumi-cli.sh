#!/usr/bin/env bash
# Builds the pulumi CLI from its Go module at the SDK's pinned version and prints
# the directory that holds bin/pulumi. The binary is cached outside the clone,
# keyed by version, so later runs reuse it.
#
# Usage: scripts/pulumi-cli.sh            -> prints the cache root (ROOT/bin/pulumi)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
version=$(awk '$1 == "github.com/pulumi/pulumi/sdk/v3" { print $2; exit }' "$repo/go.mod")
if [ -z "$version" ]; then
  echo "pulumi-cli: cannot find github.com/pulumi/pulumi/sdk/v3 in go.mod" >&2
  exit 1
fi
cache=${INFRA_PULUMI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/infra/pulumi-cli}
root="$cache/$version"
if [ -x "$root/bin/pulumi" ] && "$root/bin/pulumi" version >/dev/null 2>&1; then
  echo "$root"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/go.mod" <<MOD
module infra.local/pulumicli

go 1.26.8

require github.com/pulumi/pulumi/pkg/v3 $version

// Copied from pkg/v3's go.mod: replace directives of dependencies do not apply.
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
MOD
cat >"$work/tools.go" <<'GO'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GO
(
  cd "$work"
  export GONOSUMDB='github.com/pulumi/*' GOFLAGS=-mod=mod
  go mod tidy >&2
  mkdir -p "$root/bin"
  go build -trimpath \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
    -o "$root/bin/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
  mv "$root/bin/pulumi.tmp" "$root/bin/pulumi"
)
echo "$root"
