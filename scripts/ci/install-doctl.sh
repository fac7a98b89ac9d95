#!/usr/bin/env bash
# Installs doctl VERSION into DIR, after checking the release archive
# against SHA256 (pinned next to the version: a changed or corrupted
# download fails here, before anything runs it). The Kubernetes topology's
# kubeconfig authenticates through `doctl kubernetes cluster kubeconfig
# exec-credential`, so the engine needs doctl on PATH. On a runner, DIR is
# added to GITHUB_PATH.
#
# Usage: scripts/ci/install-doctl.sh VERSION SHA256 DIR
# DOCTL_BASE_URL replaces https://github.com/digitalocean/doctl/releases/download
# (a mirror; tests serve the archive locally). Linux amd64 only: SHA256 is
# that archive's.
set -euo pipefail

if [ "$#" -ne 3 ]; then
  echo "usage: $0 VERSION SHA256 DIR" >&2
  exit 2
fi
version=$1 sum=$2 dir=$3
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "doctl: the pinned checksum is for linux-amd64, this is $(uname -s)-$(uname -m)" >&2
  exit 2
fi
base=${DOCTL_BASE_URL:-https://github.com/digitalocean/doctl/releases/download}
archive="doctl-$version-linux-amd64.tar.gz"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
curl -fsSL --retry 3 -o "$work/$archive" "$base/v$version/$archive"
if ! printf '%s  %s\n' "$sum" "$work/$archive" | sha256sum --check --quiet --status; then
  echo "doctl: $archive does not match the pinned SHA-256 $sum (got $(sha256sum "$work/$archive" | cut -d' ' -f1))" >&2
  exit 1
fi
tar -xzf "$work/$archive" -C "$work" doctl
mkdir -p "$dir"
install -m 0755 "$work/doctl" "$dir/doctl"
"$dir/doctl" version
if [ -n "${GITHUB_PATH:-}" ]; then
  echo "$dir" >> "$GITHUB_PATH"
fi
