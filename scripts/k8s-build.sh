#!/usr/bin/env bash
# Builds one of the tools the Kubernetes engine tests run, from the Go module
# proxy, and prints the path of the binary. Each is cached outside the clone,
# keyed by version, like scripts/pulumi-cli.sh; a cached binary is reused.
#
# Usage: scripts/k8s-build.sh etcd|kube-apiserver|kubernetes-provider|helm
#
#   etcd                 go.etcd.io/etcd/server/v3 (its go.mod has local
#                        replaces, so `go install pkg@v` refuses it: a wrapper
#                        module, scripts/k8s/etcd, requires it)
#   kube-apiserver       k8s.io/kubernetes/cmd/kube-apiserver; k8s.io/kubernetes
#                        replaces its staging modules with ./staging/...,
#                        which a dependency ignores, so the wrapper replaces
#                        each with its published v0.MINOR.PATCH tag
#   kubernetes-provider  the real Pulumi Kubernetes provider plugin. Its main
#                        package embeds files `go generate` makes, which the
#                        module zip lacks: the wrapper copies main.go and
#                        generate.go and runs the generator, as upstream's
#                        Makefile does. Only pseudo-versions of provider/v4
#                        are published.
#   helm                 helm.sh/helm/v3/cmd/helm (packages and indexes the
#                        vendored test charts)
#
# Cold build on 2 cores, measured: etcd 62 s alone (139 s beside another
# build), kube-apiserver 786 s, provider 818 s alone (1900 s beside another
# build), helm 178 s; downloads included. Env: INFRA_K8S_CACHE overrides the
# cache directory.
set -euo pipefail

ETCD_VERSION=v3.6.16
K8S_VERSION=v1.36.3
PROVIDER_MOD=github.com/pulumi/pulumi-kubernetes/provider/v4
PROVIDER_REV=v4.0.0-20260115033456-f47bc2d6f199
# The wrapper's go.mod requires sdk/v4 v4.25.0, the tag nearest the provider
# commit (2026-01-15; v4.25.0 is of 2026-01-16): upstream's go.mod replaces
# sdk/v4 with ../sdk, which a dependency ignores.
PROVIDER_VERSION=4.25.0-alpha.0+f47bc2d6f199
HELM_VERSION=v3.19.5

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${INFRA_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/infra/k8s}
export GOFLAGS="-mod=mod -buildvcs=false" GONOSUMDB='github.com/pulumi/*'

tool=${1:-}
case "$tool" in
  etcd) version=$ETCD_VERSION; bin=etcd ;;
  kube-apiserver) version=$K8S_VERSION; bin=kube-apiserver ;;
  kubernetes-provider) version=$PROVIDER_REV; bin=pulumi-resource-kubernetes ;;
  helm) version=$HELM_VERSION; bin=helm ;;
  *) echo "usage: $0 etcd|kube-apiserver|kubernetes-provider|helm" >&2; exit 2 ;;
esac
out="$cache/$tool-$version/bin/$bin"
if [ -x "$out" ]; then
  echo "$out"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$(dirname "$out")"
start=$(date +%s)
case "$tool" in
  etcd)
    cp "$repo/scripts/k8s/etcd/"* "$work/"
    (cd "$work" && go mod tidy >&2 && go build -trimpath -ldflags "-s -w" -o "$out.tmp" go.etcd.io/etcd/server/v3 >&2)
    ;;
  kube-apiserver)
    cp "$repo/scripts/k8s/kube-apiserver/"* "$work/"
    (
      cd "$work"
      go mod tidy >&2
      # Stamp the version as hack/lib/version.sh does (else v0.0.0-master).
      pkg=k8s.io/component-base/version
      minor=$(echo "$K8S_VERSION" | cut -d. -f2)
      ld="-s -w -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
      ld="$ld -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
      go build -trimpath -tags providerless -ldflags "$ld" -o "$out.tmp" k8s.io/kubernetes/cmd/kube-apiserver >&2
    )
    ;;
  kubernetes-provider)
    cp "$repo/scripts/k8s/kubernetes-provider/"* "$work/"
    (
      cd "$work"
      dir=$(go mod download -json "$PROVIDER_MOD@$PROVIDER_REV" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
      for f in main.go generate.go schema.json terraform-mapping.json; do
        install -m 0644 "$dir/cmd/pulumi-resource-kubernetes/$f" "$f"
      done
      go mod tidy >&2
      # -trimpath like the build, so the generator's packages are reused.
      VERSION="$PROVIDER_VERSION" go run -trimpath generate.go >&2
      rm -f schema.json terraform-mapping.json
      go build -trimpath -ldflags "-s -w -X $PROVIDER_MOD/pkg/version.Version=$PROVIDER_VERSION" -o "$out.tmp" . >&2
    )
    ;;
  helm)
    GOBIN="$work/bin" go install -trimpath \
      -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
      "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
    mv "$work/bin/helm" "$out.tmp"
    ;;
esac
mv "$out.tmp" "$out"
echo "k8s-build: $tool $version built in $(($(date +%s) - start)) s" >&2
echo "$out"
