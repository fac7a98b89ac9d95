#!/usr/bin/env bash
# Builds the test provider (tests/testprovider) once and installs it under the
# plugin names the engine looks for on PATH, then prints the directory to put
# first on PATH. With it there, `pulumi up` runs our program against fakes
# instead of downloading the real cloud plugins.
#
# Usage: scripts/test-providers.sh [DIR]      (default DIR: bin/test-providers)
#   export PATH="$(scripts/test-providers.sh):$PATH"
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$repo/bin/test-providers}
packages=(digitalocean kubernetes random postgresql command)

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
(cd "$repo" && go build -o "$dir/testprovider" ./tests/testprovider) >&2
for pkg in "${packages[@]}"; do
  # Relative links keep the directory relocatable.
  ln -sfn testprovider "$dir/pulumi-resource-$pkg"
done
echo "$dir"
