#!/usr/bin/env bash
# Posts FILE as a comment on pull request PR of REPO, or edits in place the
# comment whose body starts with MARKER, so that each stack keeps a single
# comment however often the pull request is pushed.
#
# Usage: scripts/ci/pr-comment.sh REPO PR MARKER FILE
# Needs gh, with GH_TOKEN allowed to write pull requests.
set -euo pipefail

if [ "$#" -ne 4 ]; then
  echo "usage: $0 REPO PR MARKER FILE" >&2
  exit 2
fi
repo=$1 pr=$2 marker=$3 file=$4
if ! head -n 1 "$file" | grep -qF -- "$marker"; then
  echo "$file does not start with $marker: the next run could not find the comment" >&2
  exit 2
fi

# gh evaluates --jq itself; the marker goes in as a jq string.
query=".[] | select(.body | startswith($(printf '%s' "$marker" | sed 's/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$/"/'))) | .id"
id=$(gh api --paginate "repos/$repo/issues/$pr/comments" --jq "$query" | head -n 1)

if [ -n "$id" ]; then
  gh api --method PATCH "repos/$repo/issues/comments/$id" -F "body=@$file" >/dev/null
  echo "edited comment $id on $repo#$pr"
else
  gh api --method POST "repos/$repo/issues/$pr/comments" -F "body=@$file" >/dev/null
  echo "commented on $repo#$pr"
fi
