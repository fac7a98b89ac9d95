package k8sschematest

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func loadCRDs(t *testing.T, v *Validator, files ...string) {
	t.Helper()
	for _, f := range files {
		data, err := os.ReadFile("testdata/crd/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.AddCRD(data); err != nil {
			t.Fatalf("AddCRD(%s): %v", f, err)
		}
	}
}

func TestAddCRD(t *testing.T) {
	v := loadValidator(t)
	loadCRDs(t, v, "servicemonitor.yaml", "clusterissuer.yaml")
	tests := []struct {
		name string
		yaml string
		want []string // nil for success
	}{
		{name: "valid ClusterIssuer", yaml: clusterIssuer},
		{name: "valid ServiceMonitor", yaml: serviceMonitor},
		{
			name: "int-or-string, nullable and preserved fields",
			yaml: serviceMonitor + "    - targetPort: 9090\n      scrapeTimeout: null\n      relabelings: [{action: keep, regex: web}]\n" +
				"    - targetPort: metrics\n",
		},
		{
			name: "misspelled field in a CRD schema",
			yaml: strings.Replace(clusterIssuer, "server:", "sever:", 1),
			want: []string{
				"ClusterIssuer/letsencrypt: spec.acme.sever: unknown field",
				"ClusterIssuer/letsencrypt: spec.acme.server: required field missing",
			},
		},
		{
			name: "metadata is checked as ObjectMeta",
			yaml: strings.Replace(clusterIssuer, "{name: letsencrypt}", "{name: letsencrypt, lables: {}}", 1),
			want: []string{"ClusterIssuer/letsencrypt: metadata.lables: unknown field"},
		},
		{
			name: "int-or-string given a list",
			yaml: serviceMonitor + "    - targetPort: [1]\n",
			want: []string{"spec.endpoints[1].targetPort: wrong type: got array, want integer or string"},
		},
		{
			name: "enum and pattern",
			yaml: serviceMonitor + "    - interval: 30 seconds\n      relabelings: [{action: keeep}]\n",
			want: []string{"spec.endpoints[1].interval: '30 seconds' does not match pattern", "spec.endpoints[1].relabelings[0].action: value must be one of"},
		},
		{
			name: "kind of the CRD group that is not registered",
			yaml: "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: web}\n",
			want: []string{"cert-manager.io/v1 Certificate: no schema"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.ValidateYAML([]byte(tt.yaml))
			if tt.want == nil {
				if err != nil {
					t.Errorf("ValidateYAML() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("ValidateYAML() = nil, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q; got:\n%v", w, err)
				}
			}
		})
	}
}

func TestAddCRDRejects(t *testing.T) {
	v := loadValidator(t)
	loadCRDs(t, v, "clusterissuer.yaml")
	data, err := os.ReadFile("testdata/crd/clusterissuer.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"registered twice", string(data), "cert-manager.io/v1 ClusterIssuer is already registered"},
		{"not a CRD", "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n", "v1 Namespace is not an apiextensions.k8s.io/v1 CustomResourceDefinition"},
		{"invalid CRD", strings.Replace(string(data), "served: true", "servd: true", 1), "spec.versions[1].servd: unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.AddCRD([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("AddCRD() = %v, want an error containing %q", err, tt.want)
			}
			if errors.Is(err, ErrUnknownKind) {
				t.Errorf("AddCRD() error matches ErrUnknownKind: %v", err)
			}
		})
	}
}
