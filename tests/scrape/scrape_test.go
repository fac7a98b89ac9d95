// Package scrape runs the real Prometheus on the prometheus.yml and rules
// every VPS stack renders, against the real node_exporter started with the
// flags its compose file gives it, and asks, per alert rule, how many
// series its expression yields. A rule without data can never fire; a
// scrape job that is down pages for ever. Both fail here.
package scrape

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"infra/internal/plan"
	"infra/internal/planner"
	"infra/internal/stacktest"
	"infra/stacks/config"
)

// repoRoot is the repository root, from this package's directory.
const repoRoot = "../.."

// vpsStacks are every committed stack file (root and examples) whose
// topology is vps and monitoring on, planned offline, by project/stack.
func vpsStacks(t *testing.T) map[string]*plan.Plan {
	t.Helper()
	files, err := stacktest.Committed(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*plan.Plan{}
	for _, f := range files {
		raw, err := config.ReadFile(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		p, err := planner.Run(f.Project, f.Stack, raw)
		if err != nil {
			t.Fatalf("plan %s: %v", f.Path, err)
		}
		if p.Config.Topology == config.TopologyVPS && *p.Config.Monitoring.Enabled {
			out[f.Project+"/"+f.Stack] = p
		}
	}
	if len(out) < 5 {
		t.Fatalf("found %d VPS stacks with monitoring, expected the root stacks and the examples", len(out))
	}
	return out
}

// TestEveryRuleHasData: for every VPS stack, every scrape job is up and
// every alert rule's expression yields at least one series.
func TestEveryRuleHasData(t *testing.T) {
	t.Parallel()
	tools := needTools(t)
	stacks := vpsStacks(t)
	names := make([]string, 0, len(stacks))
	for n := range stacks {
		names = append(names, n)
	}
	sort.Strings(names)

	// Every stack's Prometheus runs at once: the wait for two scrapes (the
	// rendered 30 s interval, untouched) is paid once.
	results := make([]*Result, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := optionsFor(t, n, stacks[n])
			o.Timeout = 4 * time.Minute
			results[i], errs[i] = Scrape(tools, stacks[n].Artifacts, o)
		}()
	}
	wg.Wait()

	var report strings.Builder
	for i, n := range names {
		t.Run(strings.ReplaceAll(n, "/", "-"), func(t *testing.T) {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			r := results[i]
			fmt.Fprintf(&report, "%s:\n%s", n, r)
			for _, j := range r.Jobs {
				if !j.Up {
					t.Errorf("scrape job %s is down: %s (%s)", j.Job, j.LastError, j.URL)
				}
			}
			if len(r.Rules) == 0 {
				t.Fatal("no alert rules loaded")
			}
			for _, rr := range r.Rules {
				if rr.Series == 0 {
					t.Errorf("rule %s has no data: %s", rr.Alert, rr.Query)
				}
			}
		})
	}
	t.Logf("series per rule, per stack:\n%s", report.String())
}

// TestBrokenPathsFail: the same harness on a stack whose node-exporter
// serves at another path than the one Prometheus scrapes (what the VPS
// stack rendered before the paths came from one table), and with a rule
// reading a metric nothing exports: both must be reported.
func TestBrokenPathsFail(t *testing.T) {
	t.Parallel()
	tools := needTools(t)
	stacks := vpsStacks(t)
	p, ok := stacks["focusdeck/prod"]
	if !ok {
		t.Fatal("focusdeck/prod is not among the VPS stacks")
	}
	artifacts := map[string]string{}
	for k, v := range p.Artifacts {
		artifacts[k] = v
	}
	prom := artifacts["monitoring/prometheus.yml"]
	if !strings.Contains(prom, "metrics_path: /node/metrics") {
		t.Fatalf("test setup: prometheus.yml does not scrape /node/metrics:\n%s", prom)
	}
	artifacts["monitoring/prometheus.yml"] = strings.Replace(prom, "metrics_path: /node/metrics", "metrics_path: /metrics", 1)
	artifacts["monitoring/rules.yml"] += `  - alert: ReadsNothing
    expr: sum(metric_nothing_exports_total) > 0
    labels:
      severity: warning
`
	o := optionsFor(t, "focusdeck/prod", p)
	o.Timeout, o.Settle = 80*time.Second, 70*time.Second
	r, err := Scrape(tools, artifacts, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("with a broken path:\n%s", r)
	node := r.Job("node-exporter")
	if node == nil || node.Up {
		t.Errorf("node-exporter scraped at the wrong path is not reported down: %+v", node)
	}
	empty := map[string]bool{}
	for _, rr := range r.Rules {
		if rr.Series == 0 {
			empty[rr.Alert] = true
		}
	}
	for _, want := range []string{"ReadsNothing", "HostHighCPU", "HostHighMemory", "HostDiskFull"} {
		if !empty[want] {
			t.Errorf("rule %s is not reported without data (rules without data: %v)", want, empty)
		}
	}
}
