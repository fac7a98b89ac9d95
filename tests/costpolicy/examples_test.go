// Package costpolicy_test plans every example stack on disk offline and
// holds each to the policy and the price table: it passes validation and
// policy, every resource and every size it uses has a price, and its cost
// is printed. New examples (from other branches) are picked up as they land.
package costpolicy_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"infra/internal/cost"
	"infra/internal/plan"
	"infra/internal/planner"
	"infra/internal/policy"
	"infra/internal/stacktest"
	"infra/stacks/config"
)

const repoRoot = "../.."

// stack is one stack file of a project.
type stack struct {
	project, name, file string
}

// exampleStacks finds examples/*/Pulumi.<stack>.yaml and the root stacks.
func exampleStacks(t *testing.T) []stack {
	t.Helper()
	files, err := stacktest.Committed(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	var out []stack
	for _, f := range files {
		out = append(out, stack{project: f.Project, name: f.Stack, file: f.Path})
	}
	if len(out) < 3 {
		t.Fatalf("found only %d stacks: %v", len(out), files)
	}
	return out
}

func planStack(t *testing.T, s stack) *plan.Plan {
	t.Helper()
	raw, err := config.ReadFile(s.file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Run(s.project, s.name, raw)
	if err != nil {
		t.Fatalf("plan %s: %v", s.file, err)
	}
	return p
}

// configSizes are the size slugs a stack's config names, whether or not its
// topology uses them yet: switching topology must not meet an unpriced size.
func configSizes(cfg *config.Config) (droplets, databases []string) {
	if cfg.VPS != nil {
		droplets = append(droplets, cfg.VPS.Size)
	}
	if c := cfg.Cluster; c != nil {
		if c.SystemPool != nil {
			droplets = append(droplets, c.SystemPool.Size)
		}
		for _, p := range c.Pools {
			droplets = append(droplets, p.Size)
		}
	}
	if d := cfg.Database; d != nil && d.Engine == "managed" {
		databases = append(databases, d.Size)
	}
	return droplets, databases
}

func TestEveryExampleStackPlansPassesPolicyAndIsPriced(t *testing.T) {
	prices, err := cost.DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	var summary strings.Builder
	for _, s := range exampleStacks(t) {
		t.Run(s.project+"/"+s.name, func(t *testing.T) {
			p := planStack(t, s)

			rep := policy.Evaluate(p)
			var report bytes.Buffer
			if err := rep.Write(&report); err != nil {
				t.Fatal(err)
			}
			if rep.Blocked() {
				t.Errorf("policy blocks %s:\n%s", s.file, report.String())
			}
			for _, w := range rep.Waived {
				t.Logf("waived %s for %s: %s", w.Rule, w.Subject, w.Reason)
			}

			droplets, databases := configSizes(p.Config)
			for _, size := range droplets {
				if _, ok := prices.DropletSize(size); !ok {
					t.Errorf("size %q (Droplet or node pool) has no price in internal/cost/prices.yaml", size)
				}
			}
			for _, size := range databases {
				if _, ok := prices.DatabaseSize(size); !ok {
					t.Errorf("database size %q has no price in internal/cost/prices.yaml", size)
				}
			}

			est := prices.Estimate(p)
			for _, u := range est.Unpriced {
				t.Errorf("not priced: %s %s: %s", u.Type, u.Name, u.Reason)
			}
			var text bytes.Buffer
			if err := est.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			t.Logf("\n%s", text.String())
			fmtLine(&summary, s, est)

			// Once the topology declares the Droplet, it is priced at the
			// configured size.
			if p.Topology() == "vps" && len(p.ByType("digitalocean:index/droplet:Droplet")) > 0 {
				if !strings.Contains(text.String(), "Droplet "+p.Config.VPS.Size) {
					t.Errorf("the Droplet is not priced at infra:vps.size %s:\n%s", p.Config.VPS.Size, text.String())
				}
			}
		})
	}
	t.Logf("monthly estimates:\n%s", summary.String())
}

func fmtLine(b *strings.Builder, s stack, e *cost.Estimate) {
	b.WriteString("  " + s.project + "/" + s.name + ": " + cost.Money(e.Total))
	if e.MaxTotal != e.Total {
		b.WriteString(" (up to " + cost.Money(e.MaxTotal) + ")")
	}
	b.WriteString("\n")
}

// Seed 003 puts jarvis-agents (VPS, managed PostgreSQL, backups to Spaces,
// monitoring) at $69/month. Every one of its stacks stays within that
// figure, and a production stack on a single database node passes policy
// only through its stack file's waiver of prod-database-ha, with a reason.
func TestJarvisAgentsWithinSeedBudget(t *testing.T) {
	const budget = 69.0
	found := 0
	for _, s := range exampleStacks(t) {
		if filepath.Base(filepath.Dir(s.file)) != "jarvis-agents" {
			continue
		}
		found++
		t.Run(s.name, func(t *testing.T) {
			p := planStack(t, s)
			e, err := cost.EstimatePlan(p)
			if err != nil {
				t.Fatal(err)
			}
			var text bytes.Buffer
			if err := e.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			if e.Total > budget || e.MaxTotal > budget {
				t.Errorf("jarvis-agents/%s costs %s/month (up to %s), above seed 003's $69:\n%s", s.name, cost.Money(e.Total), cost.Money(e.MaxTotal), text.String())
			}
			t.Logf("jarvis-agents/%s: %s/month, within $69", s.name, cost.Money(e.Total))

			rep := policy.Evaluate(p)
			if rep.Blocked() {
				t.Errorf("policy blocks jarvis-agents/%s: %+v", s.name, rep.Violations)
			}
			if !p.Config.Production() || p.Config.Database == nil || p.Config.Database.Nodes > 1 {
				return
			}
			waived := false
			for _, w := range rep.Waived {
				waived = waived || (w.Rule == policy.RuleProdDatabaseHA && strings.Contains(w.Reason, "$69"))
			}
			if !waived {
				t.Errorf("a single-node production database passes only through a prod-database-ha waiver naming the $69 budget; waived: %+v", rep.Waived)
			}
		})
	}
	if found == 0 {
		t.Fatal("no examples/jarvis-agents/Pulumi.*.yaml: the seed 003 example is gone")
	}
}

// The size check above can fail: a stack naming a size the table lacks.
func TestSizeCheckCatchesAnUnpricedSize(t *testing.T) {
	prices, err := cost.DefaultPrices()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{
		VPS:      &config.VPS{Size: "s-64vcpu-1tb"},
		Cluster:  &config.Cluster{Pools: []config.NodePool{{Size: "s-2vcpu-4gb"}}},
		Database: &config.Database{Engine: "managed", Size: "db-s-99vcpu"},
	}
	droplets, databases := configSizes(cfg)
	var unpriced []string
	for _, s := range droplets {
		if _, ok := prices.DropletSize(s); !ok {
			unpriced = append(unpriced, s)
		}
	}
	for _, s := range databases {
		if _, ok := prices.DatabaseSize(s); !ok {
			unpriced = append(unpriced, s)
		}
	}
	if strings.Join(unpriced, ",") != "s-64vcpu-1tb,db-s-99vcpu" {
		t.Errorf("unpriced = %v", unpriced)
	}
}
