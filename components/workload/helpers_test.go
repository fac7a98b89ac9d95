package workload

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"infra/internal/pulumitest"
)

func token(kind string) string {
	switch kind {
	case "Deployment":
		return "kubernetes:apps/v1:Deployment"
	case "Ingress", "NetworkPolicy":
		return "kubernetes:networking.k8s.io/v1:" + kind
	case "HorizontalPodAutoscaler":
		return "kubernetes:autoscaling/v2:" + kind
	case "PodDisruptionBudget":
		return "kubernetes:policy/v1:" + kind
	case "Job", "CronJob":
		return "kubernetes:batch/v1:" + kind
	case "IngressRoute", "Middleware":
		return "kubernetes:traefik.io/v1alpha1:" + kind
	}
	return "kubernetes:core/v1:" + kind
}

// object returns the recorded inputs of an object, nil if not declared.
func object(rec *pulumitest.Recorder, kind, name string) map[string]any {
	for _, r := range rec.ByType(token(kind)) {
		if r.Name == "demo-"+strings.ToLower(kind)+"-"+name {
			return pulumitest.Plain(r.Inputs)
		}
	}
	return nil
}

func mustObject(t *testing.T, rec *pulumitest.Recorder, kind, name string) map[string]any {
	t.Helper()
	o := object(rec, kind, name)
	if o == nil {
		t.Fatalf("no %s %s", kind, name)
	}
	return o
}

// same compares through JSON, where every number is a float64.
func same(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	var xa, ya any
	_ = json.Unmarshal(x, &xa)
	_ = json.Unmarshal(y, &ya)
	x, _ = json.Marshal(xa)
	y, _ = json.Marshal(ya)
	return string(x) == string(y)
}

func expect(t *testing.T, what string, obj map[string]any, want map[string]any) {
	t.Helper()
	for path, w := range want {
		if got := pulumitest.Path(obj, path); !same(got, w) {
			t.Errorf("%s %s = %s, want %s", what, path, js(got), js(w))
		}
	}
}

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

func dependsOn(rec *pulumitest.Recorder, r pulumitest.Resource, name string) bool {
	for _, o := range rec.Resources {
		if o.Name == name && slices.Contains(r.Dependencies, o.URN) {
			return true
		}
	}
	return false
}
