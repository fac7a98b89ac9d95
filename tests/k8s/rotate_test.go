package k8s

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"

	"infra/stacks"
)

var (
	digest16 = regexp.MustCompile(`^[0-9a-f]{16}$`)
	uuid     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// rotation replaces the database role's generator, as `infra rotate
// --secret database.roles.<role>` does (an update with --replace of its
// URN), and reads the result from the API server: the service's env Secret
// is rewritten and its Deployment's pod template changes (the secret env
// digest), which is what rolls the pods onto the new connection string. No
// controller-manager runs here, so the rollout itself is not seen.
func (h *harness) rotation(t *testing.T, s auto.Stack, ex example, objects []kubeObject) {
	t.Helper()
	var deployment, secret kubeObject
	for _, o := range objects {
		if o.kind == "Deployment" && o.namespace == ex.namespace {
			deployment = o
		}
	}
	for _, o := range objects {
		if o.kind == "Secret" && o.namespace == ex.namespace && o.name == deployment.name+"-env" {
			secret = o
		}
	}
	if deployment.name == "" || secret.name == "" {
		t.Fatalf("%s: no application Deployment with an env Secret among %v", ex, objects)
	}
	get := func(o kubeObject, path string) string {
		return strings.TrimSpace(h.api.Kubectl(t, "get", strings.ToLower(o.kind), o.name, "-n", o.namespace, "-o", "jsonpath={"+path+"}"))
	}
	const hashPath = ".spec.template.metadata.annotations.infra/secret-env-hash"
	hash0, version0 := get(deployment, hashPath), get(secret, ".metadata.resourceVersion")
	if !digest16.MatchString(hash0) {
		t.Fatalf("%s: the pod template's secret env digest on the server is %q", ex, hash0)
	}

	// Grafana's Deployment as Helm rendered it from the chart: its
	// database on an emptyDir, and the admin generation on its pod template.
	grafanaGet := func(path string) string {
		return strings.TrimSpace(h.api.Kubectl(t, "get", "deployments", "-n", "monitoring", "-l", "app.kubernetes.io/name=grafana", "-o", "jsonpath={.items[*]"+path+"}"))
	}
	const generationPath = `.spec.template.metadata.annotations.infra/grafana-admin-generation`
	if storage := grafanaGet(`.spec.template.spec.volumes[?(@.name=="storage")]`); !strings.Contains(storage, `"emptyDir"`) {
		t.Errorf("%s: Grafana's storage volume is %s, want an emptyDir (a new pod reads the admin Secret again)", ex, storage)
	}
	generation0 := grafanaGet(generationPath)
	if !uuid.MatchString(generation0) {
		t.Errorf("%s: Grafana's pod template carries the admin generation %q, want a UUID", ex, generation0)
	}

	var generators []string
	grafana := ""
	for _, r := range h.state(t, s) {
		if r.Type == stacks.PasswordType && strings.Contains(r.URN, "infra:database:Postgres$") {
			generators = append(generators, r.URN)
		}
		if r.Type == stacks.PasswordType && strings.HasSuffix(r.URN, "::"+ex.project+"-monitoring-grafana-password") {
			grafana = r.URN
		}
	}
	if len(generators) != 1 || grafana == "" {
		t.Fatalf("%s: want one role password generator and Grafana's, the state has %v and %q", ex, generators, grafana)
	}
	// Both rotated in one update, as two `infra rotate` would one after the other.
	generators = append(generators, grafana)
	out := &progress{}
	start := time.Now()
	err := within(t, 10*time.Minute, out, func() error {
		_, err := s.Up(context.Background(), optup.Replace(generators), optup.ProgressStreams(out), optup.ErrorProgressStreams(out))
		return err
	})
	if err != nil {
		t.Fatalf("%s: rotation: %v\n%s", ex, err, tail(out.String(), 8000))
	}
	hash1, version1 := get(deployment, hashPath), get(secret, ".metadata.resourceVersion")
	if !digest16.MatchString(hash1) || hash1 == hash0 {
		t.Errorf("%s: after the rotation the pod template's digest is %q (before %q): the pods would keep the old password", ex, hash1, hash0)
	}
	if version1 == version0 {
		t.Errorf("%s: the env Secret %s was not rewritten", ex, secret.name)
	}
	if generation1 := grafanaGet(generationPath); !uuid.MatchString(generation1) || generation1 == generation0 {
		t.Errorf("%s: after Grafana's rotation its pod template's generation is %q (before %q): the pod would keep the old password", ex, generation1, generation0)
	}
	t.Logf("%s: rotation in %s: Secret %s version %s -> %s, pod template digest changed", ex, time.Since(start).Round(time.Millisecond), secret.name, version0, version1)
}
