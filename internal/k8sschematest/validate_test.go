package k8sschematest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestValidObjectsPass(t *testing.T) {
	v := loadValidator(t)
	files, err := filepath.Glob(filepath.Join("testdata", "valid", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	seen := map[string]bool{}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.ValidateYAML(data); err != nil {
				t.Errorf("valid objects rejected:\n%v", err)
			}
			for _, doc := range splitYAML(data) {
				var head struct{ APIVersion, Kind string }
				if err := yaml.Unmarshal(doc, &head); err == nil {
					seen[head.APIVersion+" "+head.Kind] = true
				}
			}
		})
	}
	// The fixtures must cover every kind the stacks render.
	for _, want := range []string{
		"apps/v1 Deployment", "v1 Service", "autoscaling/v2 HorizontalPodAutoscaler",
		"policy/v1 PodDisruptionBudget", "networking.k8s.io/v1 NetworkPolicy",
		"v1 Namespace", "v1 Secret", "v1 ConfigMap", "v1 ServiceAccount",
		"batch/v1 Job", "batch/v1 CronJob", "networking.k8s.io/v1 Ingress",
	} {
		if !seen[want] {
			t.Errorf("no valid fixture of %s", want)
		}
	}
}

func TestValidateGoValues(t *testing.T) {
	v := loadValidator(t)
	// Typed Go values, as a renderer would build them, not only JSON shapes.
	obj := map[string]any{
		"apiVersion": "v1",
		"kind":       "ConfigMap",
		"metadata":   map[string]string{"name": "app", "namespace": "shop"},
		"data":       map[string]string{"a": "b"},
	}
	if err := v.Validate(obj); err != nil {
		t.Errorf("Validate() = %v, want nil", err)
	}
	obj["data"] = map[string]int{"a": 1}
	err := v.Validate(obj)
	want := `ConfigMap/app: data.a: wrong type: got number, want string`
	if err == nil || err.Error() != want {
		t.Errorf("Validate() = %v, want %q", err, want)
	}
}

func TestInvalidObjectsFail(t *testing.T) {
	v := loadValidator(t)
	tests := []struct {
		name string
		yaml string
		// want lists lines that must all appear in the error.
		want []string
	}{{
		name: "misspelled container field",
		yaml: deployment(`imagePullPolcy: Always`),
		want: []string{"Deployment/web: spec.template.spec.containers[0].imagePullPolcy: unknown field"},
	}, {
		name: "unknown field under spec",
		yaml: deployment("") + "  replica: 3\n",
		want: []string{"Deployment/web: spec.replica: unknown field"},
	}, {
		name: "wrong type",
		yaml: strings.Replace(deployment(""), "replicas: 2", `replicas: "three"`, 1),
		want: []string{"Deployment/web: spec.replicas: wrong type: got string, want integer"},
	}, {
		name: "container without name",
		yaml: strings.Replace(deployment(""), "- name: web\n        image", "- image", 1),
		want: []string{"Deployment/web: spec.template.spec.containers[0].name: required field missing"},
	}, {
		name: "apiVersion that does not serve the kind",
		yaml: strings.Replace(deployment(""), "apps/v1", "apps/v1beta1", 1),
		want: []string{"Deployment/web: apiVersion: apps/v1beta1 does not serve kind Deployment in this Kubernetes release; use apps/v1"},
	}, {
		name: "removed extensions group",
		yaml: "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: web}\n",
		want: []string{"Ingress/web: apiVersion: extensions/v1beta1 does not serve kind Ingress"},
	}, {
		name: "unknown kind in a core group",
		yaml: strings.Replace(deployment(""), "kind: Deployment", "kind: Deploymnet", 1),
		want: []string{"Deploymnet/web: kind: no kind Deploymnet in apps/v1"},
	}, {
		name: "missing apiVersion",
		yaml: "kind: Service\nmetadata: {name: web}\n",
		want: []string{"Service/web: apiVersion: required string field missing"},
	}, {
		name: "misspelled metadata field",
		yaml: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  lables: {a: b}\n",
		want: []string{"Namespace/shop: metadata.lables: unknown field"},
	}, {
		name: "label value that is not a string",
		yaml: "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    app.kubernetes.io/version: 1.10\n",
		want: []string{`Namespace/shop: metadata.labels["app.kubernetes.io/version"]: wrong type: got number, want string`},
	}, {
		name: "int-or-string given a boolean",
		yaml: deployment("readinessProbe: {httpGet: {port: true}}"),
		want: []string{"spec.template.spec.containers[0].readinessProbe.httpGet.port: wrong type: got boolean, want integer or string"},
	}, {
		name: "quantity with a unit Kubernetes does not know",
		yaml: strings.Replace(deployment(""), "memory: 128Mi", "memory: 1Gb", 1),
		want: []string{`spec.template.spec.containers[0].resources.limits.memory: "1Gb" is not a quantity`},
	}, {
		name: "secret data that is not base64",
		yaml: "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ndata:\n  password: hunter2!\n",
		want: []string{"Secret/db: data.password: 'hunter2!' is not valid byte: not base64"},
	}, {
		name: "int32 overflow",
		yaml: strings.Replace(deployment(""), "replicas: 2", "replicas: 3000000000", 1),
		want: []string{"Deployment/web: spec.replicas: 3000000000 is not valid int32"},
	}, {
		name: "null value",
		yaml: strings.Replace(deployment(""), "replicas: 2", "replicas: null", 1),
		want: []string{"Deployment/web: spec.replicas: wrong type: got null, want integer"},
	}, {
		name: "misspelled top-level field",
		yaml: "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nsepc: {}\n",
		want: []string{"Service/web: sepc: unknown field"},
	}, {
		name: "missing required fields of an HPA",
		yaml: "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec: {minReplicas: 1}\n",
		want: []string{
			"HorizontalPodAutoscaler/web: spec.maxReplicas: required field missing",
			"HorizontalPodAutoscaler/web: spec.scaleTargetRef: required field missing",
		},
	}, {
		name: "every problem of one object",
		yaml: strings.Replace(deployment("imagePullPolcy: Always"), "replicas: 2", "replicas: two", 1),
		want: []string{
			"Deployment/web: spec.replicas: wrong type: got string, want integer",
			"Deployment/web: spec.template.spec.containers[0].imagePullPolcy: unknown field",
		},
	}, {
		name: "network policy peer with a misspelled selector",
		yaml: "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np}\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelecter: {}\n",
		want: []string{"NetworkPolicy/np: spec.ingress[0].from[0].namespaceSelecter: unknown field"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.ValidateYAML([]byte(tt.yaml))
			if err == nil {
				t.Fatalf("ValidateYAML() = nil, want an error")
			}
			t.Logf("error:\n%v", err)
			if errors.Is(err, ErrUnknownKind) {
				t.Errorf("error matches ErrUnknownKind, callers would skip it: %v", err)
			}
			var oe *ObjectError
			if !errors.As(err, &oe) {
				t.Errorf("error is not an *ObjectError: %T %v", err, err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q; got:\n%v", want, err)
				}
			}
		})
	}
}

// deployment is a minimal valid Deployment; extra is added to its
// container.
func deployment(extra string) string {
	doc := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 8080
        resources:
          limits: {cpu: 500m, memory: 128Mi}
`
	if extra != "" {
		doc = strings.Replace(doc, "image: nginx:1.27\n", "image: nginx:1.27\n        "+extra+"\n", 1)
	}
	return doc
}
