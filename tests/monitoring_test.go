// Package tests holds cross-cutting tests: every stack planned offline, and
// what it renders checked by the real tools.
package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"infra/internal/plan"
	"infra/internal/planner"
	"infra/internal/promtest"
	"infra/stacks/config"
)

type monitoredStack struct {
	project, stack, file string
	// Per stack: DigitalOcean MonitorAlerts, UptimeChecks, UptimeAlerts.
	monitors, checks, uptimeAlerts int
	// routes: labels -> receivers amtool must print.
	routes map[string]string
}

// Each VPS stack has two public endpoints to check: the application at the
// apex and Grafana behind the proxy; each gets down, latency and certificate
// alerts when notifications are on.
var monitoredStacks = []monitoredStack{
	// dev: notifications off, no recipient for DigitalOcean's alerts.
	{"infra", "dev", "../Pulumi.dev.yaml", 0, 2, 0, map[string]string{"severity=critical": "null", "severity=warning": "null"}},
	// prod notifies: each severity reaches its receivers, and the Watchdog
	// the dead-man's switch.
	{"infra", "prod", "../Pulumi.prod.yaml", 6, 2, 6, map[string]string{
		"severity=critical": "pagerduty,slack", "severity=warning": "slack", "severity=info": "email", "alertname=Watchdog": "deadmansswitch",
	}},
	// focusdeck: seed 000's thresholds with every receiver.
	{"focusdeck", "prod", "../examples/focusdeck/Pulumi.prod.yaml", 6, 2, 6, map[string]string{
		"severity=critical": "pagerduty,slack", "severity=warning": "slack", "severity=info": "email", "alertname=Watchdog": "deadmansswitch",
	}},
}

func planMonitored(t *testing.T, s monitoredStack) *plan.Plan {
	t.Helper()
	raw, err := config.ReadFile(s.file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Run(s.project, s.stack, raw)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func count(p *plan.Plan, typ string) int {
	n := 0
	for _, r := range p.Resources {
		if r.Type == typ {
			n++
		}
	}
	return n
}

func TestMonitoringPerStack(t *testing.T) {
	for _, s := range monitoredStacks {
		t.Run(s.project+"-"+s.stack, func(t *testing.T) {
			p := planMonitored(t, s)
			for typ, want := range map[string]int{
				"digitalocean:index/monitorAlert:MonitorAlert": s.monitors,
				"digitalocean:index/uptimeCheck:UptimeCheck":   s.checks,
				"digitalocean:index/uptimeAlert:UptimeAlert":   s.uptimeAlerts,
				"random:index/randomPassword:RandomPassword":   count(p, "random:index/randomPassword:RandomPassword"),
			} {
				if got := count(p, typ); got != want {
					t.Errorf("%s: %d, want %d", typ, got, want)
				}
			}
			grafanaPW := false
			for _, r := range p.Resources {
				if r.Name == s.project+"-monitoring-grafana-password" {
					grafanaPW = true
				}
			}
			if !grafanaPW {
				t.Error("no RandomPassword for Grafana")
			}
			if got := p.Outputs["grafanaAdminPassword"]; got != plan.Masked {
				t.Errorf("grafanaAdminPassword output = %v, want it masked", got)
			}
			if got := p.Outputs["grafanaUrl"]; !strings.HasPrefix(fmt.Sprint(got), "https://grafana.") {
				t.Errorf("grafanaUrl output = %v", got)
			}
		})
	}
}

// TestMonitoringArtifactsPassTheRealTools writes each stack's plan and
// checks its monitoring files with promtool and amtool, and that no secret
// value is in them.
func TestMonitoringArtifactsPassTheRealTools(t *testing.T) {
	promtool, amtool := promtest.Promtool(t), promtest.Amtool(t)
	for _, s := range monitoredStacks {
		t.Run(s.project+"-"+s.stack, func(t *testing.T) {
			p := planMonitored(t, s)
			dir := t.TempDir()
			if _, err := p.Write(dir); err != nil {
				t.Fatal(err)
			}
			mon := filepath.Join(dir, "monitoring")
			for _, f := range []string{"rules.yml", "prometheus.yml", "alertmanager.yml"} {
				b, err := os.ReadFile(filepath.Join(mon, f))
				if err != nil {
					t.Fatal(err)
				}
				for _, secret := range append(p.Generated, "offline-secret-", plan.Masked) {
					if strings.Contains(string(b), secret) {
						t.Errorf("%s contains a secret value (%q)", f, secret)
					}
				}
			}
			if out, ok := promtest.Run(t, mon, promtool, "check", "config", "prometheus.yml"); !ok {
				t.Errorf("promtool check config:\n%s", out)
			}
			if out, ok := promtest.Run(t, mon, promtool, "check", "rules", "rules.yml"); !ok {
				t.Errorf("promtool check rules:\n%s", out)
			}
			if out, ok := promtest.Run(t, mon, amtool, "check-config", "alertmanager.yml"); !ok {
				t.Errorf("amtool check-config:\n%s", out)
			}
			for labels, want := range s.routes {
				out, ok := promtest.Run(t, mon, amtool, "config", "routes", "test", "--config.file=alertmanager.yml", "--verify.receivers="+want, labels)
				if !ok {
					t.Errorf("%s: amtool routed elsewhere than %s:\n%s", labels, want, out)
				}
			}
		})
	}
}

// TestFocusdeckCarriesSeed000 reads seed 000's targets back from the
// rendered rules.
func TestFocusdeckCarriesSeed000(t *testing.T) {
	p := planMonitored(t, monitoredStacks[2])
	rules := p.Artifacts["monitoring/rules.yml"]
	for _, want := range []string{
		`1000 * histogram_quantile(0.95, sum by (job, le) (rate(http_request_duration_seconds_bucket{job="server"}[5m]))) > 200`,
		`code=~"5.."}[5m])) / sum by (job) (rate(http_requests_total{job="server"}[5m])) > 0.1`,
		`code="429"}[5m])) / sum by (job) (rate(http_requests_total{job="server"}[5m])) > 1`,
		`container_memory_working_set_bytes{container_label_com_docker_compose_service="server"}) / 1048576 > 500`,
		`rate(workflow_runs_total{job="server"}[1h])) < 95`,
	} {
		if !strings.Contains(strings.Join(strings.Fields(rules), " "), want) {
			t.Errorf("rules.yml lacks %s", want)
		}
	}
}
