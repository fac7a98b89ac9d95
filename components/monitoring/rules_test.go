package monitoring

import (
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"infra/internal/metric"
	"infra/internal/promtest"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// seedRules are the thresholds of the seeds: 001 (Jarvis cluster), 000
// (FocusDeck canary) and 004, plus the metrics no seed names a number for.
var seedRules = []Rule{
	{Name: "Seed001HighCPU", Metric: metric.CPU, Threshold: 80, For: "5m", Severity: SeverityWarning},
	{Name: "Seed001HighMemory", Metric: metric.Memory, Threshold: 85, For: "5m", Severity: SeverityWarning},
	{Name: "Seed001DiskFull", Metric: metric.Disk, Threshold: 90, For: "5m", Severity: SeverityCritical},
	{Name: "Seed001ErrorRate", Metric: metric.ErrorRate, Threshold: 10, For: "5m", Severity: SeverityCritical},
	{Name: "Seed001NodeDown", Metric: metric.NodeDown, For: "2m", Severity: SeverityCritical},
	{Name: "Seed001SyncLatency", Metric: metric.SyncLatency, Threshold: 1000, For: "5m", Severity: SeverityWarning},
	{Name: "Seed000Latency", Metric: metric.LatencyP95, Threshold: 200, For: "10m", Severity: SeverityWarning, Service: "api"},
	{Name: "Seed000ErrorRate", Metric: metric.ErrorRate, Threshold: 0.1, For: "5m", Severity: SeverityCritical, Service: "api"},
	{Name: "Seed000Rate429", Metric: metric.Rate429, Threshold: 1, For: "10m", Severity: SeverityWarning, Service: "api"},
	{Name: "Seed000Memory", Metric: metric.ContainerMemory, Threshold: 500, For: "10m", Severity: SeverityWarning, Service: "api"},
	{Name: "Seed000WorkflowSuccess", Metric: metric.WorkflowSuccess, Threshold: 95, For: "30m", Severity: SeverityCritical, Service: "api"},
	{Name: "Seed004ErrorRate", Metric: metric.ErrorRate, Threshold: 5, For: "5m", Severity: SeverityCritical},
	{Name: "Seed004Slow", Metric: metric.LatencyP95, Threshold: 5000, For: "5m", Severity: SeverityWarning},
	{Name: "JobFailures", Metric: metric.JobFailures, Threshold: 5, For: "15m", Severity: SeverityInfo, Service: "worker"},
}

var targets = map[Platform]Target{
	VPS:        {Platform: VPS, MetricsServices: []string{"api", "worker"}, Services: []string{"api", "worker", "web"}},
	Kubernetes: {Platform: Kubernetes, Namespace: "jarvis-system", MetricsServices: []string{"api", "worker"}, Services: []string{"api", "worker", "web"}},
}

func TestEveryMetricHasASeedRule(t *testing.T) {
	seen := map[metric.Name]bool{}
	for _, r := range seedRules {
		seen[r.Metric] = true
	}
	for _, m := range metric.Names() {
		if !seen[m] {
			t.Errorf("metric %s has no rule in seedRules: its threshold is not proven", m)
		}
	}
}

func TestRulesGolden(t *testing.T) {
	for p, target := range targets {
		t.Run(string(p), func(t *testing.T) {
			doc, err := Build(seedRules, target)
			if err != nil {
				t.Fatal(err)
			}
			got, err := RulesFile(doc)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, "rules-"+string(p)+".yml", got)
		})
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the rendering (go test ./components/monitoring -update):\n%s", path, got)
	}
}

func TestRulesPassPromtoolCheck(t *testing.T) {
	promtool := promtest.Promtool(t)
	for p, target := range targets {
		t.Run(string(p), func(t *testing.T) {
			dir := writeRules(t, seedRules, target)
			out, ok := promtest.Run(t, dir, promtool, "check", "rules", "rules.yml")
			if !ok {
				t.Fatalf("promtool check rules failed:\n%s", out)
			}
			if want := fmt.Sprintf("SUCCESS: %d rules found", len(seedRules)+watchdogs(p)); !strings.Contains(out, want) {
				t.Errorf("promtool said %q, want %q", out, want)
			}
		})
	}
}

func TestPromtoolRejectsBrokenRules(t *testing.T) {
	promtool := promtest.Promtool(t)
	doc, err := Build(seedRules[:1], targets[VPS])
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(*PromRule){
		"unbalanced parenthesis": func(r *PromRule) { r.Expr = strings.TrimSuffix(r.Expr, " > 80") + ")) > 80" },
		"bad duration":           func(r *PromRule) { r.For = "5 minutes" },
		"bad template":           func(r *PromRule) { r.Annotations["summary"] = "{{ $labels.instance " },
	}
	for name, breakIt := range cases {
		t.Run(name, func(t *testing.T) {
			broken := RulesDoc{Groups: []RuleGroup{{Name: GroupName, Rules: append([]PromRule(nil), doc.Groups[0].Rules...)}}}
			r := broken.Groups[0].Rules[1]
			r.Annotations = map[string]string{"summary": r.Annotations["summary"]}
			breakIt(&r)
			broken.Groups[0].Rules[1] = r
			b, err := RulesFile(broken)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "rules.yml"), b, 0o644); err != nil {
				t.Fatal(err)
			}
			if out, ok := promtest.Run(t, dir, promtool, "check", "rules", "rules.yml"); ok {
				t.Fatalf("promtool accepted a broken rule:\n%s\n%s", b, out)
			}
		})
	}
}

func watchdogs(p Platform) int {
	if p == VPS {
		return 1
	}
	return 0
}

func writeRules(t *testing.T, rules []Rule, target Target) string {
	t.Helper()
	doc, err := Build(rules, target)
	if err != nil {
		t.Fatal(err)
	}
	b, err := RulesFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rules.yml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSeedThresholdsFireAboveAndStaySilentBelow runs promtool's rule unit
// tests on synthetic series generated for each typed rule: 1% past the
// threshold the alert fires (with its labels and annotations), 1% short of
// it there is no alert. workflowSuccess alerts below its threshold.
func TestSeedThresholdsFireAboveAndStaySilentBelow(t *testing.T) {
	promtool := promtest.Promtool(t)
	for p, target := range targets {
		t.Run(string(p), func(t *testing.T) {
			dir := writeRules(t, seedRules, target)
			tests := unitTests(t, dir, seedRules, target, false)
			if out, ok := promtest.Run(t, dir, promtool, "test", "rules", tests); !ok {
				t.Fatalf("promtool test rules failed:\n%s", out)
			}
		})
	}
}

// TestPromtoolUnitTestsCanFail swaps the expectations: promtool must fail.
func TestPromtoolUnitTestsCanFail(t *testing.T) {
	promtool := promtest.Promtool(t)
	for _, r := range seedRules {
		t.Run(r.Name, func(t *testing.T) {
			dir := writeRules(t, []Rule{r}, targets[VPS])
			tests := unitTests(t, dir, []Rule{r}, targets[VPS], true)
			if out, ok := promtest.Run(t, dir, promtool, "test", "rules", tests); ok {
				t.Fatalf("promtool passed swapped expectations for %s:\n%s", r.Name, out)
			}
		})
	}
}

// unitTests writes a promtool test file with a firing and a silent case
// per rule (swapped: the expectations reversed) and returns its path.
func unitTests(t *testing.T, dir string, rules []Rule, target Target, swapped bool) string {
	t.Helper()
	var groups []any
	for _, r := range rules {
		spec, _ := Lookup(r.Metric)
		doc, err := Build([]Rule{r}, target)
		if err != nil {
			t.Fatal(err)
		}
		pr := doc.Groups[0].Rules[len(doc.Groups[0].Rules)-1]
		fire, silent := crossing(r, spec)
		eval := minutes(r.For) + minutes(spec.Window) + 5
		for _, c := range []struct {
			value float64
			fires bool
		}{{fire, true}, {silent, false}} {
			if math.IsNaN(c.value) {
				continue
			}
			fx := fixtureFor(r, target, c.value, eval+5)
			var alerts []any
			if c.fires != swapped {
				labels := map[string]string{}
				for k, v := range fx.labels {
					labels[k] = v
				}
				for k, v := range pr.Labels {
					labels[k] = v
				}
				ann := map[string]string{}
				for k, v := range pr.Annotations {
					s, err := expand(v, fx.labels, c.value)
					if err != nil {
						t.Fatalf("%s: annotation %s: %v", r.Name, k, err)
					}
					ann[k] = s
				}
				alerts = append(alerts, map[string]any{"exp_labels": labels, "exp_annotations": ann})
			}
			groups = append(groups, map[string]any{
				"name":         fmt.Sprintf("%s at %s (fires: %v)", r.Name, num(c.value), c.fires),
				"interval":     "1m",
				"input_series": fx.series,
				"alert_rule_test": []any{map[string]any{
					"eval_time": fmt.Sprintf("%dm", eval), "alertname": r.Name, "exp_alerts": alerts,
				}},
			})
		}
	}
	b, err := yaml.Marshal(map[string]any{"rule_files": []string{"rules.yml"}, "evaluation_interval": "1m", "tests": groups})
	if err != nil {
		t.Fatal(err)
	}
	// Beside rules.yml: promtool resolves rule_files from the test file.
	if err := os.WriteFile(filepath.Join(dir, "tests.yml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return "tests.yml"
}

// crossing returns the values just past and just short of the threshold
// (NaN when there is no such value, such as below 0).
func crossing(r Rule, spec Spec) (fire, silent float64) {
	if r.Metric == metric.NodeDown {
		return 0, 1
	}
	d := math.Abs(r.Threshold) * 0.01
	if d == 0 {
		d = 0.01
	}
	above, below := r.Threshold+d, r.Threshold-d
	if below < 0 {
		below = math.NaN()
	}
	if string(spec.Unit) == "%" && above > 100 {
		above = math.NaN()
	}
	if spec.Below {
		return below, above
	}
	return above, below
}

func TestEveryMetricNamesItsSourceOnBothPlatforms(t *testing.T) {
	for _, m := range metric.Names() {
		spec, _ := Lookup(m)
		for _, p := range []Platform{VPS, Kubernetes} {
			if spec.From[p] == "" {
				t.Errorf("%s names no source on %s", m, p)
			}
		}
	}
}
