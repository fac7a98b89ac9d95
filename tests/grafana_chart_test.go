package tests

import (
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"infra/internal/plan"
)

// Rotating grafana.admin on Kubernetes is a new Secret and a restart of
// Grafana's pod (components/monitoring: grafanaAdminGeneration). That
// rests on the vendored kube-prometheus-stack's grafana subchart, read
// here from its files (tests/k8s applies it with the real Helm):
//   - values.yaml: persistence.enabled is false, and no stack's values set
//     grafana.persistence, so Grafana's database is in the pod;
//   - templates/_pod.tpl: without persistence the storage volume is an
//     emptyDir, and the container's GF_SECURITY_ADMIN_PASSWORD comes from
//     admin.existingSecret when the pod starts;
//   - templates/deployment.yaml: the pod template's annotations take
//     .Values.podAnnotations, and the chart's own checksum/secret is left
//     out with admin.existingSecret (so it would not roll the pod).
//
// A chart bump that changes any of these fails here.
func TestGrafanaChartRereadsTheAdminSecretOnRestart(t *testing.T) {
	var values struct {
		Persistence struct {
			Enabled bool   `yaml:"enabled"`
			Type    string `yaml:"type"`
		} `yaml:"persistence"`
	}
	if err := yaml.Unmarshal(chartFile(t, "kube-prometheus-stack", "charts/grafana/values.yaml"), &values); err != nil {
		t.Fatal(err)
	}
	if values.Persistence.Enabled {
		t.Error("the grafana subchart persists its database by default: a restart would not read a new password")
	}

	pod := string(chartFile(t, "kube-prometheus-stack", "charts/grafana/templates/_pod.tpl"))
	emptyDir := regexp.MustCompile(`(?s)\{\{- else \}\}\n  - name: storage\n    \{\{- if \.Values\.persistence\.inMemory\.enabled \}\}\n    emptyDir:.{0,300}?\{\{- else \}\}\n    emptyDir: \{\}`)
	if !emptyDir.MatchString(pod) {
		t.Error("_pod.tpl: no emptyDir storage volume without persistence")
	}
	adminEnv := regexp.MustCompile(`- name: GF_SECURITY_ADMIN_PASSWORD\n\s+valueFrom:\n\s+secretKeyRef:\n\s+name: \{\{ \(tpl \.Values\.admin\.existingSecret \.\)`)
	if !adminEnv.MatchString(pod) {
		t.Error("_pod.tpl: Grafana's GF_SECURITY_ADMIN_PASSWORD does not come from admin.existingSecret")
	}

	deployment := string(chartFile(t, "kube-prometheus-stack", "charts/grafana/templates/deployment.yaml"))
	_, template, ok := strings.Cut(deployment, "  template:\n    metadata:\n")
	annotations, _, ok2 := strings.Cut(template, "    spec:\n")
	if !ok || !ok2 || !strings.Contains(annotations, "{{- with .Values.podAnnotations }}") {
		t.Error("deployment.yaml: the pod template's annotations do not take .Values.podAnnotations")
	}
	checksum := regexp.MustCompile(`\{\{- if .*\(not \.Values\.admin\.existingSecret\).*\}\}\n\s+checksum/secret:`)
	if !checksum.MatchString(annotations) {
		t.Error("deployment.yaml: checksum/secret is no longer left out with admin.existingSecret; the generation may be redundant")
	}

	plans := map[string]*plan.Plan{
		"jarvis-cluster/prod":       planStack(t, "examples/jarvis-cluster", "prod"),
		"focusdeck/prod@kubernetes": planEdited(t, "examples/focusdeck", "prod", [2]string{"infra:topology: vps", "infra:topology: kubernetes"}),
	}
	for name, p := range plans {
		var stack map[string]any
		if err := yaml.Unmarshal([]byte(p.Artifacts["monitoring/kube-prometheus-stack-values.yaml"]), &stack); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		grafana, _ := stack["grafana"].(map[string]any)
		if grafana == nil {
			t.Fatalf("%s: no grafana values", name)
		}
		if p, set := grafana["persistence"]; set {
			t.Errorf("%s: the values set grafana.persistence (%v)", name, p)
		}
		if admin, _ := grafana["admin"].(map[string]any); admin["existingSecret"] == nil {
			t.Errorf("%s: grafana.admin.existingSecret is not set", name)
		}
	}
}
