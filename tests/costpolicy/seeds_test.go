package costpolicy_test

import (
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"infra/internal/plan"
	"infra/stacks/config"
)

func loadExample(t *testing.T, project, name string) *plan.Plan {
	t.Helper()
	return planStack(t, stack{project: project, name: name, file: filepath.Join(repoRoot, "examples", project, "Pulumi."+name+".yaml")})
}

func service(t *testing.T, cfg *config.Config, name string) config.Service {
	t.Helper()
	for _, s := range cfg.Services {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no service %q", name)
	return config.Service{}
}

// CESAR's example carries what seed 002 says about the system.
func TestCesarMatchesSeed002(t *testing.T) {
	p := loadExample(t, "cesar", "prod")
	cfg := p.Config
	for _, c := range []struct {
		name, health string
		port         int
	}{{"api", "/health", 8000}, {"worker", "", 0}, {"dashboard", "/", 3000}, {"redis", "", 6379}, {"ollama", "/api/tags", 11434}} {
		s := service(t, cfg, c.name)
		if s.Port != c.port || s.Health != c.health {
			t.Errorf("%s: port %d health %q, want %d %q", c.name, s.Port, s.Health, c.port, c.health)
		}
	}
	if d := cfg.Database; d.Engine != "external" || d.ExternalURLSecret != "cockroach-url" || cfg.Secrets["cockroach-url"] == "" {
		t.Errorf("database = %+v: want the CockroachDB URL as an external secret", d)
	}
	for _, s := range cfg.Services {
		if len(s.Connections) > 0 && s.Env["PGSSLMODE"] != "require" {
			t.Errorf("%s connects to CockroachDB without PGSSLMODE=require", s.Name)
		}
	}
	alert := false
	for _, a := range cfg.Monitoring.Alerts {
		alert = alert || (a.Metric == "jobFailures" && a.Service == "worker")
	}
	if !alert {
		t.Error("no failed-job alert on the worker")
	}
	if cfg.Topology != config.TopologyVPS {
		t.Errorf("topology %s", cfg.Topology)
	}
	// The URL secret (offline: its placeholder) never shows in the plan.
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "offline-secret-") || strings.Contains(string(b), "sslmode=require") {
		t.Error("the database URL leaks into plan.json")
	}
}

// HotDash's two stacks follow seed 004: staging and production, the
// database in Supabase as a secret, the dashboard, Chatwoot and the agent
// service, and never a migration in a deploy file.
func TestHotdashMatchesSeed004(t *testing.T) {
	for _, name := range []string{"staging", "production"} {
		t.Run(name, func(t *testing.T) {
			p := loadExample(t, "hotdash", name)
			cfg := p.Config
			if got := cfg.Production(); got != (name == "production") {
				t.Errorf("Production() = %v", got)
			}
			for _, s := range []string{"dashboard", "chatwoot", "chatwoot-worker", "agent-service"} {
				service(t, cfg, s)
			}
			// On the VPS every port is published on the host: Chatwoot moved
			// off the dashboard's 3000, and what reaches it follows.
			cw, dash := service(t, cfg, "chatwoot"), service(t, cfg, "dashboard")
			port := strconv.Itoa(cw.Port)
			if cw.Port == dash.Port || !strings.Contains(strings.Join(cw.Command, " "), "-p "+port+" ") {
				t.Errorf("chatwoot port %d (command %q), dashboard port %d: distinct ports, and rails listens on its own", cw.Port, cw.Command, dash.Port)
			}
			if got := service(t, cfg, "agent-service").Env["CHATWOOT_BASE_URL"]; got != "http://chatwoot:"+port {
				t.Errorf("agent-service reaches Chatwoot at %q, want http://chatwoot:%s", got, port)
			}
			if d := cfg.Database; d.Engine != "external" || d.ExternalURLSecret != "supabase-url" {
				t.Errorf("database = %+v: want Supabase as an external secret", d)
			}
			// Phase 13's "backup verification": production's Supabase
			// database is dumped by the Droplet, which restore-drill restores.
			if dumped := cfg.Database.DumpedOn(cfg.Topology); dumped != (name == "production") {
				t.Errorf("database dumped by infra: %v, want %v (production only)", dumped, name == "production")
			}
			for _, s := range cfg.Services {
				if s.Migrate != nil {
					t.Errorf("service %s declares a migration: seed 004 forbids migrations in deploy files", s.Name)
				}
				for _, c := range s.CronJobs {
					if strings.Contains(strings.Join(c.Command, " "), "migrat") {
						t.Errorf("cron job %s of %s runs a migration", c.Name, s.Name)
					}
				}
				if strings.Contains(strings.Join(s.Command, " "), "db:migrate") || strings.Contains(strings.Join(s.Command, " "), "prisma migrate") {
					t.Errorf("service %s migrates on start", s.Name)
				}
			}
			for _, r := range p.Resources {
				if strings.Contains(strings.ToLower(r.Name), "migrat") {
					t.Errorf("resource %s %s runs a migration", r.Type, r.Name)
				}
			}
			if cfg.Ingress.Issuer != "letsencrypt-prod" {
				t.Errorf("issuer %s: staging is smoke-tested in a browser and needs trusted certificates", cfg.Ingress.Issuer)
			}
		})
	}
}
