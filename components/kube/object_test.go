package kube

import (
	"slices"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"infra/internal/pulumitest"
)

func TestToken(t *testing.T) {
	for _, tc := range []struct{ apiVersion, kind, want string }{
		{"v1", "Service", "kubernetes:core/v1:Service"},
		{"v1", "Secret", "kubernetes:core/v1:Secret"},
		{"apps/v1", "Deployment", "kubernetes:apps/v1:Deployment"},
		{"networking.k8s.io/v1", "NetworkPolicy", "kubernetes:networking.k8s.io/v1:NetworkPolicy"},
		{"cert-manager.io/v1", "ClusterIssuer", "kubernetes:cert-manager.io/v1:ClusterIssuer"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := Token(tc.apiVersion, tc.kind); got != tc.want {
				t.Errorf("Token(%q, %q) = %q, want %q", tc.apiVersion, tc.kind, got, tc.want)
			}
		})
	}
}

func TestPath(t *testing.T) {
	for _, tc := range []struct {
		obj  Object
		want string
	}{
		{Object{"kind": "Deployment", "metadata": map[string]any{"name": "api", "namespace": "app"}}, "kubernetes/app/deployment-api.yaml"},
		{Object{"kind": "Namespace", "metadata": map[string]any{"name": "app"}}, "kubernetes/app/namespace-app.yaml"},
		{Object{"kind": "ClusterIssuer", "metadata": map[string]any{"name": "letsencrypt-prod"}}, "kubernetes/cluster/clusterissuer-letsencrypt-prod.yaml"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.obj.Path(); got != tc.want {
				t.Errorf("Path() = %q, want %q", got, tc.want)
			}
		})
	}
}

func secretObject(value pulumi.StringOutput) Object {
	return Object{
		"apiVersion": "v1",
		"kind":       "Secret",
		"metadata":   map[string]any{"name": "api-env", "namespace": "app", "labels": map[string]string{"a": "b"}},
		"type":       "Opaque",
		"stringData": map[string]any{"PASSWORD": value},
		"list":       []any{1, true, 2.5, []string{"x"}},
	}
}

func TestRenderMasksPulumiValues(t *testing.T) {
	o := secretObject(pulumi.ToSecret(pulumi.String("hunter2")).(pulumi.StringOutput))
	b, err := Render(o)
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if strings.Contains(got, "hunter2") {
		t.Fatalf("secret value rendered:\n%s", got)
	}
	for _, want := range []string{"PASSWORD: '[secret]'", "kind: Secret", "a: b", "- 2.5", "- x"} {
		if !strings.Contains(got, want) {
			t.Errorf("rendered object lacks %q:\n%s", want, got)
		}
	}
}

func TestRenderRejectsUnsupportedValues(t *testing.T) {
	_, err := Render(Object{"kind": "ConfigMap", "metadata": map[string]any{"name": "x"}, "data": map[string]any{"n": uint8(1)}})
	if err == nil || !strings.Contains(err.Error(), ".data.n: unsupported value uint8") {
		t.Fatalf("want an unsupported value error naming the path, got %v", err)
	}
}

func TestManifestsRejectTwoObjectsAtOnePath(t *testing.T) {
	m := Manifests{}
	o := Object{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "x", "namespace": "app"}}
	if err := m.Add(o); err != nil {
		t.Fatal(err)
	}
	if err := m.Add(o); err == nil {
		t.Fatal("second object at the same path was accepted")
	}
}

func TestDeclareRegistersTheTypedTokenWithSecretsKept(t *testing.T) {
	m := Manifests{}
	rec := pulumitest.Run(t, func(ctx *pulumi.Context) error {
		_, err := m.Apply(ctx, "api-env", secretObject(pulumi.ToSecret(pulumi.String("hunter2")).(pulumi.StringOutput)))
		return err
	})
	r := rec.Get(t, "kubernetes:core/v1:Secret", "api-env")
	in := pulumitest.Plain(r.Inputs)
	if in["apiVersion"] != "v1" || in["kind"] != "Secret" || pulumitest.Path(in, "metadata.namespace") != "app" {
		t.Errorf("inputs lack apiVersion, kind or metadata: %v", in)
	}
	if got := pulumitest.Path(in, "stringData.PASSWORD"); got != (pulumitest.Secret{Value: "hunter2"}) {
		t.Errorf("stringData.PASSWORD = %#v, want the secret", got)
	}
	for _, f := range []string{"data", "stringData"} {
		if !slices.Contains(r.AdditionalSecretOutputs, f) {
			t.Errorf("%s is not an additional secret output: %v", f, r.AdditionalSecretOutputs)
		}
	}
	if _, ok := m["kubernetes/app/secret-api-env.yaml"]; !ok {
		t.Errorf("Apply did not render the object: %v", m)
	}
}

func TestDeclareRequiresIdentity(t *testing.T) {
	for _, o := range []Object{
		{"kind": "ConfigMap", "metadata": map[string]any{"name": "x"}},
		{"apiVersion": "v1", "metadata": map[string]any{"name": "x"}},
		{"apiVersion": "v1", "kind": "ConfigMap"},
	} {
		_, err := pulumitest.RunErr(func(ctx *pulumi.Context) error {
			_, err := Declare(ctx, "x", o)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "required") {
			t.Errorf("Declare(%v) = %v, want a required-field error", o, err)
		}
	}
}

func TestToMapAndRenderValue(t *testing.T) {
	m, err := ToMap(map[string]any{"a": map[string]any{"b": []any{"c", 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m["a"].(pulumi.Map); !ok {
		t.Errorf("nested map is %T, want pulumi.Map", m["a"])
	}
	b, err := RenderValue(map[string]any{"a": []any{"c"}})
	if err != nil || string(b) != "a:\n- c\n" {
		t.Errorf("RenderValue = %q, %v", b, err)
	}
}

func TestChartRepository(t *testing.T) {
	const upstream = "https://traefik.github.io/charts"
	for _, tt := range []struct{ mirror, want string }{
		{"", upstream},
		{"https://charts.example.com/mirror", "https://charts.example.com/mirror"},
	} {
		if got := ChartRepository(tt.mirror, upstream); got != tt.want {
			t.Errorf("ChartRepository(%q) = %q, want %q", tt.mirror, got, tt.want)
		}
	}
}
