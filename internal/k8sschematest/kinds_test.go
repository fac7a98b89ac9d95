package k8sschematest

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

const clusterIssuer = `apiVersion: cert-manager.io/v1
kind: ClusterIssuer
metadata: {name: letsencrypt}
spec:
  acme:
    server: https://acme-v02.api.letsencrypt.org/directory
    privateKeySecretRef: {name: letsencrypt}
`

const serviceMonitor = `apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web, namespace: shop}
spec:
  selector:
    matchLabels: {app: web}
  endpoints:
    - port: http
      interval: 30s
`

const prometheusRule = `apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: web}
spec:
  groups: []
`

func TestUnknownKinds(t *testing.T) {
	v := loadValidator(t)
	tests := []struct {
		name string
		yaml string
	}{
		{"cert-manager ClusterIssuer", clusterIssuer},
		{"prometheus-operator ServiceMonitor", serviceMonitor},
		{"prometheus-operator PrometheusRule", prometheusRule},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.ValidateYAML([]byte(tt.yaml))
			if !errors.Is(err, ErrUnknownKind) {
				t.Fatalf("ValidateYAML() = %v, want ErrUnknownKind", err)
			}
			var uk *UnknownKindError
			if !errors.As(err, &uk) || uk.Document != 1 {
				t.Errorf("error = %#v, want *UnknownKindError of document 1", err)
			}
			if IgnoreUnknownKinds(err) != nil {
				t.Errorf("IgnoreUnknownKinds(%v) != nil", err)
			}
		})
	}
}

func TestIgnoreUnknownKindsKeepsRealProblems(t *testing.T) {
	v := loadValidator(t)
	stream := clusterIssuer + "---\n" + deployment("imagePullPolcy: Always") + "---\n" + serviceMonitor
	err := IgnoreUnknownKinds(v.ValidateYAML([]byte(stream)))
	want := "document 2: Deployment/web: spec.template.spec.containers[0].imagePullPolcy: unknown field"
	if err == nil || err.Error() != want {
		t.Errorf("IgnoreUnknownKinds(ValidateYAML()) = %v, want %q", err, want)
	}
	if errors.Is(err, ErrUnknownKind) {
		t.Errorf("unknown kinds were not dropped: %v", err)
	}
}

func TestValidateYAMLStream(t *testing.T) {
	v := loadValidator(t)
	tests := []struct {
		name string
		yaml string
		want string // "" for success, else a substring of the error
	}{
		{"empty stream", "", ""},
		{"comments and empty documents", "# nothing\n---\n---\n", ""},
		{"separator with a comment", "--- # first\n" + deployment(""), ""},
		{"v1 List", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {name: a}\n", ""},
		{"v1 List with a bad item", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata: {nmae: a}\n",
			"document 1: Namespace/<no name>: metadata.nmae: unknown field"},
		{"duplicate keys", "apiVersion: v1\nkind: Namespace\nkind: Namespace\nmetadata: {name: a}\n", "document 1: parse yaml"},
		{"not a mapping", "- a\n- b\n", "document 1: not a mapping"},
		{"second document counted", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: b, x: 1}\n",
			"document 2: Namespace/b: metadata.x: unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.ValidateYAML([]byte(tt.yaml))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("ValidateYAML() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("ValidateYAML() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestSpecDir(t *testing.T) {
	t.Run("pinned version", func(t *testing.T) {
		dir := loadSpecDir(t)
		if _, err := os.Stat(dir + "/apis__apps__v1_openapi.json"); err != nil {
			t.Errorf("spec dir %s lacks apps/v1: %v", dir, err)
		}
	})
	t.Run("unavailable version", func(t *testing.T) {
		// GOPROXY=off keeps this offline: the version is not in the cache.
		t.Setenv("GOPROXY", "off")
		_, err := SpecDir(context.Background(), "v1.34.999")
		if err == nil || !strings.Contains(err.Error(), "k8s.io/kubernetes@v1.34.999") {
			t.Errorf("SpecDir() = %v, want an error naming the module", err)
		}
	})
}

func TestLoadRejectsDirWithoutSpec(t *testing.T) {
	if _, err := Load(t.TempDir()); err == nil {
		t.Error("Load(empty dir) = nil error")
	}
	if _, err := Load("/does/not/exist"); err == nil {
		t.Error("Load(missing dir) = nil error")
	}
}

func BenchmarkValidateDeployment(b *testing.B) {
	v := loadValidator(b)
	data, err := os.ReadFile("testdata/valid/deployment.yaml")
	if err != nil {
		b.Fatal(err)
	}
	if err := v.ValidateYAML(data); err != nil { // compiles the schema
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := v.ValidateYAML(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	dir := loadSpecDir(b)
	for b.Loop() {
		if _, err := Load(dir); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEveryCoreKindCompiles guards a bump of KubernetesVersion: a schema
// construct the strict rewrite or the compiler cannot handle shows up here,
// not in the first stack that renders that kind.
func TestEveryCoreKindCompiles(t *testing.T) {
	v := loadValidator(t)
	if len(v.locations) < 100 {
		t.Errorf("only %d kinds indexed", len(v.locations))
	}
	for g := range v.locations {
		if _, _, err := v.schemaFor(g); err != nil {
			t.Errorf("%s %s: %v", g.apiVersion(), g.kind, err)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	v := loadValidator(t)
	data, err := os.ReadFile("testdata/valid/deployment.yaml")
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for range cap(errs) {
		go func() { errs <- v.ValidateYAML(data) }()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
