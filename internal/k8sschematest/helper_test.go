package k8sschematest

import (
	"context"
	"os"
	"testing"
)

// loadValidator loads the spec of the pinned Kubernetes release.
func loadValidator(tb testing.TB) *Validator {
	tb.Helper()
	dir := loadSpecDir(tb)
	v, err := Load(dir)
	if err != nil {
		tb.Fatalf("load %s: %v", dir, err)
	}
	return v
}

// loadSpecDir locates the spec of KubernetesVersion (or of
// $K8SSCHEMA_KUBERNETES_VERSION when set) through the module cache. A
// local run without access to the module may skip, loudly; CI must not.
func loadSpecDir(tb testing.TB) string {
	tb.Helper()
	version := os.Getenv("K8SSCHEMA_KUBERNETES_VERSION")
	dir, err := SpecDir(context.Background(), version)
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("locate kubernetes openapi spec: %v", err)
		}
		tb.Skipf("SKIPPING: cannot locate the kubernetes openapi spec (set CI=true to make this fatal): %v", err)
	}
	return dir
}
