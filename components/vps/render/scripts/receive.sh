#!/usr/bin/env bash
# The command `pulumi up` runs over SSH as the deploy user. Its stdin is a
# line of registry passwords (empty without private registries), then the
# compose project (a base64 tar.gz): it unpacks the project and runs its
# deploy.sh with the passwords on file descriptor 3, a pipe, so they never
# touch the disk.
set -euo pipefail; staging=$(mktemp -d); trap 'rm -rf "$staging"' EXIT; IFS= read -r passwords; base64 -d | tar -xzpf - -C "$staging"; bash "$staging/deploy.sh" "$staging" 3< <(printf '%s\n' "$passwords")
