package plan

import "testing"

func TestInputLookups(t *testing.T) {
	r := Resource{Inputs: map[string]any{
		"size":     "s-2vcpu-4gb",
		"password": Masked,
		"host":     Unknown,
		"nodePool": map[string]any{"nodeCount": 3.0, "autoScale": true},
		"rules":    []any{map[string]any{"value": "10.0.0.0/8"}},
		"count":    2,
		"metadata": map[string]any{"annotations": map[string]any{"cert-manager.io/cluster-issuer": "letsencrypt-prod"}},
	}}
	if s, ok := r.String("size"); !ok || s != "s-2vcpu-4gb" {
		t.Errorf("size = %q, %v", s, ok)
	}
	for _, masked := range []string{"password", "host", "missing", "nodePool"} {
		if s, ok := r.String(masked); ok {
			t.Errorf("String(%q) = %q: masked, unknown, missing and non-strings are not known values", masked, s)
		}
	}
	if n, ok := r.Number("nodePool.nodeCount"); !ok || n != 3 {
		t.Errorf("nodePool.nodeCount = %v, %v", n, ok)
	}
	if n, ok := r.Number("count"); !ok || n != 2 {
		t.Errorf("an int input = %v, %v", n, ok)
	}
	if b, ok := r.Bool("nodePool.autoScale"); !ok || !b {
		t.Errorf("autoScale = %v, %v", b, ok)
	}
	if s, ok := r.String("rules.0.value"); !ok || s != "10.0.0.0/8" {
		t.Errorf("rules.0.value = %q, %v", s, ok)
	}
	for _, bad := range []string{"rules.1.value", "rules.x", "size.inner"} {
		if _, ok := r.Input(bad); ok {
			t.Errorf("Input(%q) found something", bad)
		}
	}
	if v, ok := r.Annotation("cert-manager.io/cluster-issuer"); !ok || v != "letsencrypt-prod" {
		t.Errorf("annotation = %q, %v", v, ok)
	}
	if _, ok := (Resource{}).Annotation("x"); ok {
		t.Error("no annotations")
	}
	p := &Plan{Resources: []Resource{{Type: "a"}, {Type: "b"}, {Type: "a"}}, Outputs: map[string]any{"topology": "kubernetes"}}
	if len(p.ByType("a")) != 2 || p.Topology() != "kubernetes" {
		t.Errorf("ByType/Topology")
	}
}
