#!/usr/bin/env bash
# Vendors, as test data, the Helm chart packages of the chart versions that
# internal/pins/pins.yaml pins (kind: chart), with every dependency their
# Chart.yaml lists packed inside them, plus a Helm repository index, so the
# Kubernetes tests can serve them from a local HTTP Helm repository:
#
#   tests/k8s/testdata/charts/<name>-<version>.tgz   one per pinned chart
#   tests/k8s/testdata/charts/index.yaml             `helm repo index` (relative urls)
#   tests/k8s/testdata/charts/SOURCES.md             where each chart came from
#
# Charts are built from the chart sources of git snapshots of the upstream
# repositories (bare git directories, e.g. from the search tool's `fetch`),
# at the release tag of the pinned version:
#
#   chart                     repository                          tag                              path
#   kube-prometheus-stack     prometheus-community/helm-charts    kube-prometheus-stack-VERSION    charts/kube-prometheus-stack
#   prometheus-operator-crds  prometheus-community/helm-charts    prometheus-operator-crds-VERSION charts/prometheus-operator-crds
#   traefik                   traefik/traefik-helm-chart          vVERSION                         traefik
#   cert-manager              cert-manager/cert-manager           VERSION (v1.21.1)                deploy/charts/cert-manager
#   metrics-server            kubernetes-sigs/metrics-server      metrics-server-helm-chart-VERSION charts/metrics-server
#
# Dependencies come from the repository their Chart.yaml names:
#   https://prometheus-community.github.io/helm-charts -> prometheus-community/helm-charts, tag NAME-VERSION, charts/NAME
#   https://grafana-community.github.io/helm-charts    -> grafana-community/helm-charts, tag NAME-VERSION, charts/NAME
#   no repository                                       -> the subchart already in the parent's charts/
# A range (X.Y.* or X.*) resolves to the highest release tag in range whose
# commit is not newer than the parent's tag, as `helm dependency build`
# resolved it when the parent was released. Each dependency is packaged and
# placed as charts/NAME-VERSION.tgz in its parent, as `helm dependency build`
# does. Nothing in the upstream sources is changed, except for cert-manager:
# its chart directory is a template that `make helm-chart` (make/manifests.mk)
# fills in, and this script does the same steps (see build_cert_manager).
#
# Usage:
#   scripts/vendor-charts.sh [options]
# Options (each also settable by the environment variable in brackets):
#   --prometheus-community DIR  bare git dir of prometheus-community/helm-charts [PROMETHEUS_COMMUNITY_GIT]
#   --grafana-community DIR     bare git dir of grafana-community/helm-charts    [GRAFANA_COMMUNITY_GIT]
#   --traefik DIR               bare git dir of traefik/traefik-helm-chart       [TRAEFIK_GIT]
#   --cert-manager DIR          bare git dir of cert-manager/cert-manager        [CERT_MANAGER_GIT]
#   --metrics-server DIR        bare git dir of kubernetes-sigs/metrics-server   [METRICS_SERVER_GIT]
#   --helm BIN                  helm v3 binary [HELM]; default: scripts/k8s-build.sh helm
#   --out DIR                   output directory [OUT]; default: tests/k8s/testdata/charts
#   --no-check                  skip `helm lint`, `helm template` and the version check
# Each DIR defaults to /work/.mirror/OWNER+NAME/repo (where `fetch` puts it).
# cert-manager's Chart.yaml is filled in with mikefarah yq, as upstream does,
# when one is found ([YQ], or `yq` on PATH); otherwise with an equivalent awk
# edit (the packaged chart is the same: `helm package` rewrites Chart.yaml).
#
# To refresh: bump the chart entries of internal/pins/pins.yaml, fetch newer
# snapshots, run this script, and review the diff of SOURCES.md. The packages
# are not byte-reproducible (helm stamps file times), so digests change on
# every run.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
mirror=/work/.mirror
PROMETHEUS_COMMUNITY_GIT=${PROMETHEUS_COMMUNITY_GIT:-$mirror/prometheus-community+helm-charts/repo}
GRAFANA_COMMUNITY_GIT=${GRAFANA_COMMUNITY_GIT:-$mirror/grafana-community+helm-charts/repo}
TRAEFIK_GIT=${TRAEFIK_GIT:-$mirror/traefik+traefik-helm-chart/repo}
CERT_MANAGER_GIT=${CERT_MANAGER_GIT:-$mirror/cert-manager+cert-manager/repo}
METRICS_SERVER_GIT=${METRICS_SERVER_GIT:-$mirror/kubernetes-sigs+metrics-server/repo}
HELM=${HELM:-}
OUT=${OUT:-$repo/tests/k8s/testdata/charts}
YQ=${YQ:-yq}
check=1

usage() { sed -n '/^# Usage:/,/^# To refresh/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "vendor-charts: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prometheus-community) PROMETHEUS_COMMUNITY_GIT=$2; shift 2 ;;
    --grafana-community) GRAFANA_COMMUNITY_GIT=$2; shift 2 ;;
    --traefik) TRAEFIK_GIT=$2; shift 2 ;;
    --cert-manager) CERT_MANAGER_GIT=$2; shift 2 ;;
    --metrics-server) METRICS_SERVER_GIT=$2; shift 2 ;;
    --helm) HELM=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --no-check) check=0; shift ;;
    -h|--help) usage ;;
    *) echo "vendor-charts: unknown argument $1" >&2; usage ;;
  esac
done

if [ -z "$HELM" ]; then
  HELM=$("$repo/scripts/k8s-build.sh" helm)
fi
"$HELM" version --short >/dev/null || die "helm ($HELM) does not run"
case "$("$HELM" version --short)" in
  v3.*) ;;
  *) die "helm $("$HELM" version --short): want helm v3" ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
records=$work/records # one line per vendored chart, for SOURCES.md
deps=$work/deps       # the lines of the current chart's dependencies
: >"$records"

# pinned_charts prints "name version" for each kind: chart entry of pins.yaml.
pinned_charts() {
  awk '
    /^  - name:/ { name = $3; kind = ""; gsub(/"/, "", name) }
    /^    kind:/ { kind = $2 }
    /^    value:/ && kind == "chart" { v = $2; gsub(/"/, "", v); print name, v }
  ' "$repo/internal/pins/pins.yaml"
}

# git_of prints the snapshot variable name, GitHub repository, tag and path of
# a top-level chart.
source_of() { # name version
  case "$1" in
    kube-prometheus-stack|prometheus-operator-crds)
      echo "PROMETHEUS_COMMUNITY_GIT prometheus-community/helm-charts $1-$2 charts/$1" ;;
    traefik) echo "TRAEFIK_GIT traefik/traefik-helm-chart v$2 traefik" ;;
    cert-manager) echo "CERT_MANAGER_GIT cert-manager/cert-manager $2 deploy/charts/cert-manager" ;;
    metrics-server) echo "METRICS_SERVER_GIT kubernetes-sigs/metrics-server metrics-server-helm-chart-$2 charts/metrics-server" ;;
    *) die "no source known for chart $1: add it to source_of" ;;
  esac
}

# dep_source_of prints the snapshot variable name and GitHub repository of a
# Helm repository URL.
dep_source_of() { # url
  case "${1%/}" in
    https://prometheus-community.github.io/helm-charts) echo "PROMETHEUS_COMMUNITY_GIT prometheus-community/helm-charts" ;;
    https://grafana-community.github.io/helm-charts) echo "GRAFANA_COMMUNITY_GIT grafana-community/helm-charts" ;;
    *) die "no snapshot known for Helm repository $1: add it to dep_source_of" ;;
  esac
}

need_tag() { # gitdir tag
  git --git-dir="$1" rev-parse -q --verify "refs/tags/$2^{commit}" >/dev/null && return 0
  echo "vendor-charts: $1 has no tag $2; nearest tags:" >&2
  git --git-dir="$1" tag | grep -F "${2%.*}" | sort -V | tail -5 >&2 || true
  exit 1
}

extract() { # gitdir tag path dest
  need_tag "$1" "$2"
  # A snapshot lacks files of 4 MiB and more: ls-tree shows their size as BAD.
  if git --git-dir="$1" ls-tree -r -l "$2:$3" | awk '$4 == "BAD" {print "  " $5; bad = 1} END {exit !bad}' >&2; then
    die "$1 $2:$3: the snapshot lacks the files above"
  fi
  mkdir -p "$4"
  # TAG:PATH, not TAG PATH: with a path, git archive reads the whole tree and
  # complains of the files a snapshot lacks elsewhere in the repository.
  git --git-dir="$1" archive "$2:$3" | tar -x -C "$4"
  [ -f "$4/Chart.yaml" ] || die "$1 $2: no Chart.yaml under $3"
}

# resolve_version prints the release (tag NAME-VERSION) that a dependency's
# version constraint picks: an exact version, or the highest X.Y.* / X.* one
# whose commit is not newer than the parent's (unix time $4).
resolve_version() { # gitdir name constraint parent_time
  local gitdir=$1 name=$2 c=$3 before=$4 v t best=
  if [[ $c =~ ^v?[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "${c#v}"; return
  fi
  if [[ ! $c =~ ^[0-9]+(\.[0-9]+)?\.[*xX]$ ]]; then
    die "$name: version constraint '$c' is not supported (only X.Y.Z, X.Y.* and X.*)"
  fi
  local prefix=${c%.*}.
  while read -r v; do
    t=$(git --git-dir="$gitdir" log -1 --format=%ct "refs/tags/$name-$v")
    [ "$t" -le "$before" ] && best=$v
  done < <(git --git-dir="$gitdir" tag -l "$name-$prefix*" | sed "s/^$name-//" | grep -E '^[0-9]+\.[0-9]+\.[0-9]+$' | sort -V)
  [ -n "$best" ] || die "$name: no release matches $c"
  echo "$best"
}

record() { # role name version constraint repository tag commit path changes size
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$deps"
}

# vendor_deps packages every dependency of the chart in $1 into $1/charts,
# recursively. The parent: its label, unix time of its tag, GitHub
# repository, tag, commit and path.
vendor_deps() { # chartdir label time repository tag commit path
  local dir=$1 parent=$2 before=$3 pgh=$4 ptag=$5 pcommit=$6 ppath=$7
  local name constraint url var gh gitdir version tag commit sub
  mkdir -p "$dir/charts"
  while read -r name constraint url _; do
    if [[ ! $url =~ ^(https?|oci|file):// ]]; then # no repository: a subchart in charts/
      [ -f "$dir/charts/$name/Chart.yaml" ] || die "$parent: local dependency $name is not in charts/"
      record "dependency of $parent" "$name" "$constraint" "$constraint" "$pgh" "$ptag" "$pcommit" "$ppath/charts/$name" "nothing (a subchart directory of the parent)" "-"
      continue
    fi
    read -r var gh <<<"$(dep_source_of "$url")"
    gitdir=${!var}
    [ -d "$gitdir" ] || die "$var: $gitdir is not a directory"
    version=$(resolve_version "$gitdir" "$name" "$constraint" "$before")
    tag=$name-$version
    commit=$(git --git-dir="$gitdir" rev-parse "refs/tags/$tag^{commit}")
    sub=$work/src/$tag
    rm -rf "$sub"
    extract "$gitdir" "$tag" "charts/$name" "$sub"
    vendor_deps "$sub" "$name $version" "$(git --git-dir="$gitdir" log -1 --format=%ct "$commit")" "$gh" "$tag" "$commit" "charts/$name"
    "$HELM" package "$sub" --destination "$dir/charts" >/dev/null
    [ -f "$dir/charts/$name-$version.tgz" ] || die "$tag did not package as $name-$version.tgz"
    record "dependency of $parent" "$name" "$version" "$constraint" "$gh" "$tag" "$commit" "charts/$name" "nothing" "$(stat -c %s "$dir/charts/$name-$version.tgz")"
  done < <("$HELM" dependency list "$dir" 2>/dev/null | awk 'NR > 1 && NF >= 3')
}

# build_cert_manager does what cert-manager's `make helm-chart` does
# (make/manifests.mk at the tag) to deploy/charts/cert-manager in $1, into $2.
build_cert_manager() { # srcdir builddir version gitdir tag
  local src=$1 b=$2 version=$3 prerelease=false
  # Makefile: IS_PRERELEASE := git describe --tags --always --match='v*' --abbrev=0 | grep -q '-'
  if git --git-dir="$4" describe --tags --always --match='v*' --abbrev=0 "$5" | grep -q -- '-'; then
    prerelease=true
  fi
  mkdir -p "$b/templates"
  cp -f "$src"/templates/*.yaml "$src/templates/_helpers.tpl" "$src/templates/NOTES.txt" "$b/templates/"
  cp "$src/values.yaml" "$src/values.schema.json" "$src/.helmignore" "$b/"
  sed -e "s:{{RELEASE_VERSION}}:$version:g" <"$src/README.template.md" >"$b/README.md"
  local signkey
  IFS= read -rd '' signkey <"$src/signkey_annotation.txt" || true
  if "$YQ" --version 2>/dev/null | grep -q mikefarah; then
    SIGNKEY_ANNOTATION=$signkey "$YQ" eval \
      ".annotations.\"artifacthub.io/signKey\" = strenv(SIGNKEY_ANNOTATION) | .annotations.\"artifacthub.io/prerelease\" = \"$prerelease\" | .version = \"$version\" | .appVersion = \"$version\"" \
      "$src/Chart.yaml" >"$b/Chart.yaml"
  else
    # The same edit without yq: add both annotations at the end of the
    # annotations map and set version and appVersion.
    grep -q '^annotations:$' "$src/Chart.yaml" || die "cert-manager Chart.yaml has no annotations map; install mikefarah yq (YQ)"
    awk -v key="$signkey" -v pre="$prerelease" -v ver="$version" '
      function add() {
        n = split(key, l, "\n"); print "  artifacthub.io/signKey: |"
        for (i = 1; i <= n; i++) if (l[i] != "" || i < n) print "    " l[i]
        print "  artifacthub.io/prerelease: \"" pre "\""; inann = 0
      }
      inann && !/^  / { add() }
      /^annotations:$/ { inann = 1 }
      /^version:/ { print "version: " ver; next }
      /^appVersion:/ { print "appVersion: " ver; next }
      { print }
      END { if (inann) add() }
    ' "$src/Chart.yaml" >"$b/Chart.yaml"
  fi
  "$HELM" package --app-version="$version" --version="$version" --destination "$work/out" "$b" >/dev/null
}

mkdir -p "$work/out"
while read -r name version; do
  read -r var gh tag path <<<"$(source_of "$name" "$version")"
  gitdir=${!var}
  [ -d "$gitdir" ] || die "$var: $gitdir is not a directory"
  need_tag "$gitdir" "$tag"
  commit=$(git --git-dir="$gitdir" rev-parse "refs/tags/$tag^{commit}")
  when=$(git --git-dir="$gitdir" log -1 --format=%ct "$commit")
  src=$work/src/$name-$version
  rm -rf "$src"
  extract "$gitdir" "$tag" "$path" "$src"
  : >"$deps"
  changes=nothing
  if [ "$name" = cert-manager ]; then
    build_cert_manager "$src" "$work/build/cert-manager" "$version" "$gitdir" "$tag"
    changes="generated as \`make helm-chart\` does (make/manifests.mk): Chart.yaml version/appVersion set to $version and annotations artifacthub.io/signKey (signkey_annotation.txt) and artifacthub.io/prerelease added; README.md from README.template.md; templates, values.yaml, values.schema.json and .helmignore copied; packaged with --version/--app-version $version"
  else
    vendor_deps "$src" "$name $version" "$when" "$gh" "$tag" "$commit" "$path"
    "$HELM" package "$src" --destination "$work/out" >/dev/null
  fi
  tgz=$work/out/$name-$version.tgz
  [ -f "$tgz" ] || die "$name did not package as $(basename "$tgz")"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' chart "$name" "$version" "$version (pinned)" "$gh" "$tag" "$commit" "$path" "$changes" "$(stat -c %s "$tgz")" >>"$records"
  cat "$deps" >>"$records"
done < <(pinned_charts)

if [ "$check" = 1 ]; then
  # The Kubernetes minor the stacks default to (pins.yaml kubernetes-default).
  # Pass it: a helm built by plain `go install` (scripts/k8s-build.sh) lacks
  # the ldflags of helm's Makefile that set its default, so it assumes v1.20.0.
  kube=$(awk '/^  - name: kubernetes-default/ {f = 1} f && /^    value:/ {gsub(/"/, "", $2); print $2 ".0"; exit}' "$repo/internal/pins/pins.yaml")
  while IFS=$'\t' read -r role name version _; do
    [ "$role" = chart ] || continue
    tgz=$work/out/$name-$version.tgz
    "$HELM" lint --kube-version "$kube" "$tgz" >"$work/check.log" 2>&1 || { cat "$work/check.log" >&2; die "helm lint $name-$version failed"; }
    "$HELM" template --kube-version "$kube" x "$tgz" >/dev/null 2>"$work/check.log" || { cat "$work/check.log" >&2; die "helm template $name-$version failed"; }
    shown=$("$HELM" show chart "$tgz" | awk '/^version:/ {print $2}')
    [ "$shown" = "$version" ] || die "$name-$version: helm show chart says version $shown"
    echo "ok: $name-$version: helm lint, helm template, helm show chart version $shown" >&2
  done <"$records"
fi

mkdir -p "$OUT"
rm -f "$OUT"/*.tgz "$OUT/index.yaml"
cp "$work"/out/*.tgz "$OUT/"
"$HELM" repo index "$OUT"

{
  echo "# Vendored Helm charts"
  echo
  echo "Made by \`scripts/vendor-charts.sh\` (re-run it to refresh; read its header)"
  echo "from git snapshots of the upstream repositories, at the release tags of the"
  echo "versions internal/pins/pins.yaml pins. Served by the tests from a local Helm"
  echo "repository (index.yaml, relative urls). Helm: $("$HELM" version --short)."
  echo "Sizes are in bytes. A dependency is packaged on its own (its size is that"
  echo "package's) and put in its parent's charts/ as NAME-VERSION.tgz, as \`helm"
  echo "dependency build\` does; \`helm package\` of the parent stores it as the"
  echo "directory charts/NAME/, as in upstream's packages. A range (wanted) resolves"
  echo "to the highest release in range not newer than the parent's tag. Helm"
  echo "re-serializes Chart.yaml when packaging (comments and key order are lost),"
  echo "as for any packaged chart. cert-manager packages its chart with helm v4"
  echo "(make/_shared/tools/00_mod.mk); these are packaged with the helm above."
  echo
  echo "| role | chart | version | wanted | repository | tag | commit | path | changed or generated | size |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }' "$records"
  echo
  echo "Total size of the packages: $(cat "$OUT"/*.tgz | wc -c) bytes."
} >"$OUT/SOURCES.md"

ls -l "$OUT" >&2
