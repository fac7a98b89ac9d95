package stacks

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"infra/components/monitoring"
	"infra/internal/metric"
	"infra/internal/pulumitest"
	"infra/stacks/config"
)

func TestAlertMetricEnumIsTheComponentsCatalogue(t *testing.T) {
	got, err := config.SchemaEnum("monitoring.alerts[].metric")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	var want []string
	for _, m := range metric.Names() {
		want = append(want, string(m))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("infra:monitoring.alerts[].metric enum = %v, the component knows %v", got, want)
	}
}

func parseStack(t *testing.T, yaml string) (*config.Config, error) {
	t.Helper()
	raw, err := config.ParseStackFile("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return config.Parse(raw)
}

// releases lists the Helm releases' names.
func releases(rec *pulumitest.Recorder) []string {
	var out []string
	for _, r := range rec.ByType("kubernetes:helm.sh/v3:Release") {
		if n, ok := r.Inputs["name"]; ok && n.IsString() {
			out = append(out, n.StringValue())
		}
	}
	return out
}

func loadExample(t *testing.T, rel string, edit func(string) string) *config.Config {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", rel))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := parseStack(t, edit(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestVPSMonitoringServicesAndFiles: the focusdeck example hands the VPS
// topology Prometheus, Alertmanager and Grafana with their files; the
// receivers' secrets are secret host files, never in the artifacts.
func TestVPSMonitoringServicesAndFiles(t *testing.T) {
	cfg := loadExample(t, "examples/focusdeck/Pulumi.prod.yaml", func(s string) string { return s })
	var d *Deployment
	pulumitest.RunStack(t, "focusdeck", "prod", func(ctx *pulumi.Context) error {
		var err error
		d, err = Deploy(ctx, cfg)
		return err
	})
	var names []string
	for _, s := range d.ExtraServices {
		names = append(names, s.Name)
		for _, m := range s.Mounts {
			found := false
			for p := range d.HostFiles {
				if strings.HasPrefix(p, m.Source+"/") {
					found = true
				}
			}
			if !found {
				t.Errorf("%s mounts %s, but no host file lives there", s.Name, m.Source)
			}
		}
	}
	if want := []string{"prometheus", "alertmanager", "grafana"}; !reflect.DeepEqual(names, want) {
		t.Errorf("extra services = %v, want %v", names, want)
	}
	if got := d.ExtraServices[0].Command; !contains(got, "--storage.tsdb.retention.time=30d") {
		t.Errorf("prometheus args %v lack the 30d retention", got)
	}
	for _, f := range []string{monitoring.SecretSlackWebhook, monitoring.SecretPagerDuty, monitoring.SecretSMTPPassword, monitoring.SecretDeadMansSwitch} {
		out, ok := d.HostFiles["monitoring/alertmanager/secrets/"+f]
		if !ok {
			t.Errorf("no host file for %s", f)
			continue
		}
		if res, err := internals.UnsafeAwaitOutput(t.Context(), out); err != nil || !res.Secret {
			t.Errorf("host file %s is not a secret (%v)", f, err)
		}
	}
	grafana := d.ExtraServices[2]
	if pw, ok := grafana.SecretEnv["GF_SECURITY_ADMIN_PASSWORD"]; !ok {
		t.Error("grafana has no admin password")
	} else if res, _ := internals.UnsafeAwaitOutput(t.Context(), pw); !res.Secret {
		t.Error("grafana's admin password is not a secret")
	}
	if grafana.Public == nil || grafana.Public.Host != "grafana.focusdeck.example.com" {
		t.Errorf("grafana route = %+v", grafana.Public)
	}
}

// TestKubernetesMonitoringArtifacts runs the Kubernetes half with a
// provider standing in for the cluster's (the topology sets d.KubeProvider).
func TestKubernetesMonitoringArtifacts(t *testing.T) {
	cfg := loadExample(t, "examples/focusdeck/Pulumi.prod.yaml", func(s string) string {
		return strings.Replace(s, "infra:topology: vps", "infra:topology: kubernetes", 1)
	})
	rec, artifacts := deployArtifacts(t, "focusdeck", "prod", cfg)
	for _, p := range []string{"monitoring/rules.yml", "monitoring/prometheusrule.yaml", "monitoring/alertmanager.yml", "monitoring/servicemonitors/server.yaml", "monitoring/kube-prometheus-stack-values.yaml"} {
		if artifacts[p] == "" {
			t.Errorf("no artifact %s", p)
		}
	}
	if !strings.Contains(artifacts["monitoring/prometheusrule.yaml"], "kind: PrometheusRule") {
		t.Errorf("prometheusrule.yaml:\n%s", artifacts["monitoring/prometheusrule.yaml"])
	}
	if !strings.Contains(artifacts["monitoring/rules.yml"], `container="server"`) {
		t.Errorf("rules.yml does not select the server's container the Kubernetes way")
	}
	if !contains(releases(rec), "kube-prometheus-stack") || len(rec.ByType("kubernetes:monitoring.coreos.com/v1:ServiceMonitor")) != 1 {
		t.Errorf("want the kube-prometheus-stack release and one ServiceMonitor; releases %v", releases(rec))
	}
	// The mock monitor made up Grafana's admin password; it must not leak.
	if len(rec.Generated()) == 0 {
		t.Fatal("the mock generated no password to look for")
	}
	for p, a := range artifacts {
		for _, secret := range append([]string{"offline-secret-"}, rec.Generated()...) {
			if strings.Contains(a, secret) {
				t.Errorf("artifact %s contains a secret value", p)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
