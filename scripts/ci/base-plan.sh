#!/usr/bin/env bash
# Plans STACK offline as the pull request's base commit has it, with that
# commit's own program and CLI, into OUT/STACK/ (plan.json and the rendered
# files beside it) for `infra diff --base-plan OUT/STACK/plan.json`. A stack
# the base commit does not have leaves OUT/STACK/ absent: diff it with
# --new-stack (everything is added).
#
# Usage: scripts/ci/base-plan.sh BASE_SHA STACK OUT
# Runs in the pull request's checkout; needs git and go, no secrets.
set -euo pipefail

if [ "$#" -ne 3 ]; then
  echo "usage: $0 BASE_SHA STACK OUT" >&2
  exit 2
fi
sha=$1 stack=$2
mkdir -p "$3"
out=$(cd "$3" && pwd)
rm -rf "${out:?}/$stack"

work=$(mktemp -d)
cleanup() {
  git worktree remove --force "$work/base" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# A shallow checkout (the default) lacks the base commit: fetch just it.
if ! git cat-file -e "$sha^{commit}" 2>/dev/null; then
  git fetch --no-tags --depth=1 origin "$sha"
fi
git worktree add --detach "$work/base" "$sha" >/dev/null 2>&1

if [ ! -f "$work/base/Pulumi.$stack.yaml" ]; then
  echo "stack $stack does not exist at $sha: diff it with --new-stack"
  exit 0
fi
(cd "$work/base" && go build -o "$work/infra" ./cmd/infra)
# Exit 4 (the policy refuses the base's plan) still writes the plan.
rc=0
"$work/infra" plan --stack "$stack" --dir "$work/base" --out "$out" >&2 || rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 4 ]; then
  echo "the base commit's plan of stack $stack failed (exit $rc)" >&2
  exit "$rc"
fi
if [ ! -f "$out/$stack/plan.json" ]; then
  echo "the base commit's plan of stack $stack wrote no $out/$stack/plan.json" >&2
  exit 1
fi
echo "planned stack $stack at $sha into $out/$stack"
