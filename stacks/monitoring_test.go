package stacks

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"infra/components/monitoring"
	"infra/internal/pulumitest"
	"infra/stacks/config"
)

func TestAlertMetricEnumIsTheComponentsCatalogue(t *testing.T) {
	doc, err := config.Schema()
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Properties map[string]struct {
			Properties map[string]struct {
				Items struct {
					Properties map[string]struct {
						Enum []string `json:"enum"`
					} `json:"properties"`
				} `json:"items"`
			} `json:"properties"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(doc, &s); err != nil {
		t.Fatal(err)
	}
	got := s.Properties["monitoring"].Properties["alerts"].Items.Properties["metric"].Enum
	sort.Strings(got)
	var want []string
	for _, m := range monitoring.Metrics() {
		want = append(want, string(m))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("infra:monitoring.alerts[].metric enum = %v, the component knows %v", got, want)
	}
}

const baseStack = `config:
  infra:environment: prod
  infra:topology: vps
  infra:region: nyc3
  infra:domain: example.com
  infra:network: { adminCidrs: [198.51.100.7/32] }
  infra:vps: { size: s-2vcpu-4gb, sshKeys: ["aa:bb"], sshPrivateKeySecret: deploy-key }
  infra:secrets: { deploy-key: { secure: v1:abc } }
  infra:services:
    - { name: api, image: "ghcr.io/x/api:1", port: 8080, public: { host: api }, metrics: {} }
    - { name: worker, image: "ghcr.io/x/worker:1" }
`

func parseStack(t *testing.T, yaml string) (*config.Config, error) {
	t.Helper()
	raw, err := config.ParseStackFile("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return config.Parse(raw)
}

func TestMonitoringConfigProblems(t *testing.T) {
	cases := []struct {
		name, extra string
		want        []string
	}{
		{"nodeDown with a threshold", `
  infra:monitoring: { alerts: [ { name: Down, metric: nodeDown, threshold: 1, severity: critical } ] }`,
			[]string{"infra:monitoring.alerts[0].threshold: nodeDown fires while a node is down"}},
		{"app metric on a service without metrics", `
  infra:monitoring: { alerts: [ { name: Jobs, metric: jobFailures, threshold: 5, severity: info, service: worker } ] }`,
			[]string{`infra:monitoring.alerts[0].service: jobFailures is read from the service's metrics endpoint: declare infra:services[].metrics for "worker"`}},
		{"percentage above 100", `
  infra:monitoring: { alerts: [ { name: Conns, metric: dbConnections, threshold: 120, severity: warning } ] }`,
			[]string{"infra:monitoring.alerts[0].metric: dbConnections is withdrawn: no PostgreSQL exporter is deployed, so the rule could never fire; remove it (DigitalOcean's database alerts watch a managed cluster's CPU, memory and disk)"}},
		{"smtp host without port", `
  infra:monitoring: { receivers: { email: ops@example.com, smtpHost: smtp.example.com } }`,
			[]string{"infra:monitoring.receivers.smtpHost"}},
		{"unknown receiver secret", `
  infra:monitoring: { receivers: { pagerdutyKeySecret: pd } }`,
			[]string{`infra:monitoring.receivers.pagerdutyKeySecret: unknown secret "pd"`}},
		{"grafana's host taken", `
  infra:services:
    - { name: dash, image: "x:1", port: 3000, public: { host: grafana } }`,
			[]string{`infra:services[0].public.host: "grafana" is Grafana's host`}},
		{"a service named like a monitoring service", `
  infra:services:
    - { name: prometheus, image: "x:1", port: 9090 }`,
			[]string{`infra:services[0].name: "prometheus" is the monitoring's own service on the VPS`}},
		{"host tools off", `
  infra:vps: { size: s-2vcpu-4gb, sshKeys: ["aa:bb"], sshPrivateKeySecret: deploy-key, tools: false }`,
			[]string{"infra:vps.tools: monitoring scrapes the host tools"}},
		{"unknown metric", `
  infra:monitoring: { alerts: [ { name: X, metric: cpuu, threshold: 5, severity: info } ] }`,
			[]string{"infra:monitoring.alerts[0].metric"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseStack(t, override(baseStack, c.extra))
			var ce *config.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("want a ConfigError, got %v", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// override replaces top-level keys of the base stack by the extra ones.
func override(base, extra string) string {
	lines := strings.Split(base, "\n")
	for _, l := range strings.Split(extra, "\n") {
		if k, _, ok := strings.Cut(strings.TrimSpace(l), ":"); ok && strings.HasPrefix(l, "  infra:") {
			k = strings.TrimSpace(k) + ":" + strings.SplitN(strings.TrimSpace(l), ":", 3)[1] + ":"
			var kept []string
			skip := false
			for _, b := range lines {
				if strings.HasPrefix(b, "  infra:") {
					skip = strings.HasPrefix(strings.TrimSpace(b), k)
				}
				if !skip {
					kept = append(kept, b)
				}
			}
			lines = kept
		}
	}
	return strings.Join(lines, "\n") + extra + "\n"
}

func TestDefaultAlerts(t *testing.T) {
	cfg, err := parseStack(t, baseStack)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, a := range cfg.Monitoring.Alerts {
		got[a.Metric] = a.Threshold
	}
	want := map[string]float64{"cpu": 80, "memory": 85, "disk": 90, "nodeDown": 0, "errorRate": 5, "latencyP95": 5000}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("default alerts = %v, want %v", got, want)
	}
	if !*cfg.Monitoring.Notify {
		t.Error("prod must notify by default")
	}
	dev, err := parseStack(t, strings.Replace(strings.Replace(baseStack, "metrics: {} ", "", 1), "environment: prod", "environment: dev", 1))
	if err != nil {
		t.Fatal(err)
	}
	if *dev.Monitoring.Notify {
		t.Error("dev must not notify by default")
	}
	if n := len(dev.Monitoring.Alerts); n != 4 {
		t.Errorf("dev without metrics gets %d default alerts, want the 4 host alerts", n)
	}
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
	artifacts := map[string]string{}
	rec := pulumitest.RunStack(t, "focusdeck", "prod", func(ctx *pulumi.Context) error {
		d, err := Deploy(ctx, cfg)
		if err != nil {
			return err
		}
		for p, o := range d.Artifacts {
			res, err := internals.UnsafeAwaitOutput(ctx.Context(), o)
			if err != nil {
				return err
			}
			if res.Secret {
				t.Errorf("artifact %s is secret", p)
			}
			artifacts[p], _ = res.Value.(string)
		}
		return nil
	})
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
