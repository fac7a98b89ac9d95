package tests

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"infra/components/monitoring"
	"infra/internal/metric"
	"infra/internal/plan"
)

// TestKubernetesRulesReadDeployedSources: on Kubernetes, every alert rule
// a stack renders reads series of a component the stack deploys:
// node-exporter, kube-state-metrics and the kubelet's cAdvisor as
// kube-prometheus-stack enables them (its values.yaml defaults, from the
// vendored chart, under the values the stack sets), and a service's own
// metrics only through a ServiceMonitor for that service. The mapping of
// metric to source is monitoring's one table (Spec.From).
func TestKubernetesRulesReadDeployedSources(t *testing.T) {
	defaults := chartValues(t, "kube-prometheus-stack")
	plans := map[string]*plan.Plan{
		"jarvis-cluster/prod":        planStack(t, "examples/jarvis-cluster", "prod"),
		"focusdeck/prod@kubernetes":  planEdited(t, "examples/focusdeck", "prod", [2]string{"infra:topology: vps", "infra:topology: kubernetes"}),
		"hotdash/staging@kubernetes": planEdited(t, "examples/hotdash", "staging", [2]string{"infra:topology: vps", "infra:topology: kubernetes"}),
	}
	for name, p := range plans {
		t.Run(name, func(t *testing.T) {
			var values map[string]any
			if err := yaml.Unmarshal([]byte(p.Artifacts["monitoring/kube-prometheus-stack-values.yaml"]), &values); err != nil {
				t.Fatal(err)
			}
			enabled := func(path ...string) bool {
				for _, src := range []map[string]any{values, defaults} {
					if v, ok := lookup(src, path...); ok {
						return v == true
					}
				}
				t.Fatalf("neither the stack nor the chart sets %s", strings.Join(path, "."))
				return false
			}
			deployed := map[monitoring.Source]bool{
				monitoring.SourceNodeExporter:     enabled("nodeExporter", "enabled"),
				monitoring.SourceKubeStateMetrics: enabled("kubeStateMetrics", "enabled"),
				monitoring.SourceCAdvisor:         enabled("kubelet", "enabled") && enabled("kubelet", "serviceMonitor", "cAdvisor"),
			}
			monitored := map[string]bool{}
			for path := range p.Artifacts {
				if svc, ok := strings.CutPrefix(path, "monitoring/servicemonitors/"); ok {
					monitored[strings.TrimSuffix(svc, ".yaml")] = true
				}
			}
			var doc struct {
				Spec monitoring.RulesDoc `yaml:"spec"`
			}
			if err := yaml.Unmarshal([]byte(p.Artifacts["monitoring/prometheusrule.yaml"]), &doc); err != nil {
				t.Fatal(err)
			}
			rules := 0
			for _, g := range doc.Spec.Groups {
				for _, r := range g.Rules {
					rules++
					if strings.HasPrefix(r.Alert, "DatabaseBackup") {
						// The backup CronJob's alerts read kube-state-metrics'
						// CronJob series (components/monitoring/backup.go),
						// which its cronjobs collector exports.
						ksm := chartFile(t, "kube-prometheus-stack", "charts/kube-state-metrics/values.yaml")
						if !strings.Contains(r.Expr, monitoring.CronJobSuccessMetric) || !deployed[monitoring.SourceKubeStateMetrics] || !strings.Contains(string(ksm), "\n  - cronjobs\n") {
							t.Errorf("rule %s reads %q: kube-state-metrics with its cronjobs collector must be deployed", r.Alert, r.Expr)
						}
						continue
					}
					spec, ok := monitoring.Lookup(metric.Name(r.Labels["metric"]))
					if !ok {
						t.Errorf("rule %s: unknown metric %q", r.Alert, r.Labels["metric"])
						continue
					}
					src := spec.From[monitoring.Kubernetes]
					switch {
					case src == monitoring.SourceApp && r.Labels["service"] != "":
						if !monitored[r.Labels["service"]] {
							t.Errorf("rule %s reads %s's metrics: no ServiceMonitor for it (have %v)", r.Alert, r.Labels["service"], monitored)
						}
					case src == monitoring.SourceApp:
						if len(monitored) == 0 {
							t.Errorf("rule %s reads the services' metrics: no ServiceMonitor", r.Alert)
						}
					case !deployed[src]:
						t.Errorf("rule %s reads %s, which the stack does not deploy", r.Alert, src)
					}
				}
			}
			if rules == 0 {
				t.Fatal("no rules rendered")
			}
		})
	}
}

// chartValues reads values.yaml from the vendored chart package.
func chartValues(t *testing.T, chart string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := yaml.Unmarshal(chartFile(t, chart, "values.yaml"), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// chartFile reads one file of the vendored chart package
// (tests/k8s/testdata/charts, scripts/vendor-charts.sh).
func chartFile(t *testing.T, chart, name string) []byte {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(repoRoot, "tests", "k8s", "testdata", "charts", chart+"-*.tgz"))
	if err != nil || len(matches) != 1 {
		t.Fatalf("vendored %s chart: %v %v", chart, matches, err)
	}
	f, err := os.Open(matches[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == chart+"/"+name {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("%s has no %s/%s", matches[0], chart, name)
	return nil
}

func lookup(m map[string]any, path ...string) (any, bool) {
	var cur any = m
	for _, k := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}
