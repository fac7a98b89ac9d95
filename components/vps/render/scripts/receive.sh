#!/usr/bin/env bash
# The command `pulumi up` runs over SSH as the deploy user: it unpacks the
# compose project (a base64 tar.gz on stdin) and runs its deploy.sh.
set -euo pipefail; staging=$(mktemp -d); trap 'rm -rf "$staging"' EXIT; base64 -d | tar -xzpf - -C "$staging"; bash "$staging/deploy.sh" "$staging"
