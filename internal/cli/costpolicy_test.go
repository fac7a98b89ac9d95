package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"infra/internal/graph"
	"infra/internal/stacktest"
)

// project writes a Pulumi project with one stack file into a temp dir.
func costProject(t *testing.T, stack string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.yaml"), []byte("name: shop\nruntime: go\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Pulumi.prod.yaml"), []byte(stack), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runInfra(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = Main(args, &IO{In: strings.NewReader(""), Out: &out, ErrOut: &errOut, Getenv: func(string) string { return "" }})
	return code, out.String(), errOut.String()
}

func TestPlanPrintsCostAndBlocksOnPolicy(t *testing.T) {
	dir := costProject(t, stacktest.ProdVPS)
	code, out, errOut := runInfra("plan", "--stack", "prod", "--dir", dir, "--out", t.TempDir())
	if code != ExitOK {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	// Two $30 db-s-1vcpu-2gb nodes (primary and standby, prices.yaml), the
	// $24 Droplet and the $5 Spaces subscription.
	for _, want := range []string{"Estimated cost: $89.00/month", "Policy: 11 rules passed."} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
	}

	bad := costProject(t, strings.Replace(stacktest.ProdVPS, "nodes: 2", "nodes: 1", 1))
	code, out, errOut = runInfra("plan", "--stack", "prod", "--dir", bad, "--out", t.TempDir())
	if code != ExitPolicy {
		t.Fatalf("exit %d, want %d (policy): %s%s", code, ExitPolicy, out, errOut)
	}
	if !strings.Contains(out, "VIOLATION prod-database-ha: shop-cluster: production database has no standby node") || !strings.Contains(errOut, "refused by 1 policy finding(s), listed above") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}

	t.Run("--json keeps stdout JSON and still blocks", func(t *testing.T) {
		code, out, errOut := runInfra("plan", "--stack", "prod", "--dir", bad, "--out", t.TempDir(), "--json")
		var doc map[string]any
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, out)
		}
		if code != ExitPolicy || !strings.Contains(errOut, "  - prod-database-ha: shop-cluster: production database has no standby node") {
			t.Errorf("exit %d, stderr:\n%s", code, errOut)
		}
	})

	t.Run("a waiver with a reason lets it through and is printed on every run", func(t *testing.T) {
		waived := costProject(t, strings.Replace(stacktest.ProdVPS, "nodes: 2", "nodes: 1", 1)+
			"  infra:policy:\n    waivers:\n      - { rule: prod-database-ha, resource: shop-cluster, reason: \"single node until launch; restore drill done\" }\n")
		for i := 0; i < 2; i++ {
			code, out, errOut := runInfra("plan", "--stack", "prod", "--dir", waived, "--out", t.TempDir())
			if code != ExitOK || !strings.Contains(out, "WAIVED    prod-database-ha: shop-cluster") || !strings.Contains(out, "reason: single node until launch") {
				t.Fatalf("run %d: exit %d\n%s%s", i, code, out, errOut)
			}
		}
	})

	t.Run("a waiver without a reason is a config error", func(t *testing.T) {
		noReason := costProject(t, stacktest.ProdVPS+"  infra:policy:\n    waivers:\n      - { rule: prod-database-ha }\n")
		code, _, errOut := runInfra("plan", "--stack", "prod", "--dir", noReason, "--out", t.TempDir())
		if code != ExitConfig || !strings.Contains(errOut, "infra:policy.waivers[0]") {
			t.Errorf("exit %d, stderr:\n%s", code, errOut)
		}
	})
}

func TestCostCommand(t *testing.T) {
	head := costProject(t, stacktest.ProdVPS)
	base := costProject(t, strings.Replace(stacktest.ProdVPS, "nodes: 2", "nodes: 1", 1)+
		"  infra:policy:\n    waivers:\n      - { rule: prod-database-ha, reason: \"the base branch before the standby node\" }\n")
	out := t.TempDir()
	if code, o, e := runInfra("plan", "--stack", "prod", "--dir", base, "--out", out); code != ExitOK {
		t.Fatalf("plan base: exit %d\n%s%s", code, o, e)
	}
	basePlan := filepath.Join(out, "prod", "plan.json")

	code, text, errOut := runInfra("cost", "--stack", "prod", "--dir", head)
	if code != ExitOK || !strings.Contains(text, "$30.00  Managed database db-s-1vcpu-2gb, 1 standby node(s)") || !strings.Contains(text, "$24.00  Droplet s-2vcpu-4gb  [shop-prod-droplet]") || !strings.Contains(text, "Estimated cost: $89.00/month") {
		t.Errorf("cost: exit %d\n%s%s", code, text, errOut)
	}

	code, js, errOut := runInfra("cost", "--stack", "prod", "--dir", head, "--json", "--base-plan", basePlan)
	var rep struct {
		Estimate struct {
			Total      float64 `json:"total"`
			PricesAsOf string  `json:"pricesAsOf"`
		} `json:"estimate"`
		Delta struct {
			Before, After, Delta float64
		} `json:"delta"`
	}
	if err := json.Unmarshal([]byte(js), &rep); err != nil || code != ExitOK {
		t.Fatalf("exit %d, %v\n%s%s", code, err, js, errOut)
	}
	if rep.Estimate.Total != 89 || rep.Delta.Before != 59 || rep.Delta.Delta != 30 || rep.Estimate.PricesAsOf == "" {
		t.Errorf("json report = %+v", rep)
	}

	code, md, _ := runInfra("cost", "--stack", "prod", "--dir", head, "--markdown", "--base-plan", basePlan)
	if code != ExitOK || !strings.Contains(md, "$89.00/month (+$30.00 against the base branch)") || !strings.Contains(md, "| added | Managed database db-s-1vcpu-2gb, 1 standby node(s) |") {
		t.Errorf("markdown: exit %d\n%s", code, md)
	}

	for name, args := range map[string][]string{
		"json and markdown":  {"cost", "--stack", "prod", "--dir", head, "--json", "--markdown"},
		"missing base plan":  {"cost", "--stack", "prod", "--dir", head, "--base-plan", filepath.Join(out, "nope.json")},
		"no stack":           {"cost", "--dir", head},
		"unknown graph form": {"graph", "--stack", "prod", "--dir", head, "--format", "png"},
	} {
		if code, _, _ := runInfra(args...); code != ExitUsage {
			t.Errorf("%s: exit %d, want %d", name, code, ExitUsage)
		}
	}
}

func TestGraphCommand(t *testing.T) {
	dir := costProject(t, stacktest.ProdVPS)
	code, mermaid, errOut := runInfra("graph", "--stack", "prod", "--dir", dir)
	if code != ExitOK || !strings.HasPrefix(mermaid, "flowchart LR\n") || !strings.Contains(mermaid, "digitalocean:DatabaseCluster<br/>shop-cluster") {
		t.Errorf("mermaid: exit %d\n%s%s", code, mermaid, errOut)
	}
	code, dot, _ := runInfra("graph", "--stack", "prod", "--dir", dir, "--format", "dot")
	if code != ExitOK || !strings.HasPrefix(dot, `digraph "stack prod" {`) || !strings.Contains(dot, "style=dashed") {
		t.Errorf("dot: exit %d\n%s", code, dot)
	}
	// --json carries what the drawings carry: every resource of the plan,
	// and edges of the three kinds between them.
	code, out, errOut := runInfra("graph", "--stack", "prod", "--dir", dir, "--json")
	var g graph.Graph
	if err := json.Unmarshal([]byte(out), &g); code != ExitOK || err != nil {
		t.Fatalf("graph --json: exit %d, %v\n%s", code, err, errOut)
	}
	p, err := loadPlan(dir, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Nodes) != len(p.Resources) || g.Stack != "prod" {
		t.Errorf("graph --json has %d nodes for %d resources", len(g.Nodes), len(p.Resources))
	}
	ids := map[string]bool{}
	for _, n := range g.Nodes {
		ids[n.ID] = true
	}
	kinds := map[string]int{}
	for _, e := range g.Edges {
		kinds[e.Kind]++
		if !ids[e.From] || !ids[e.To] {
			t.Errorf("edge %+v joins unknown nodes", e)
		}
	}
	if kinds[graph.Parent] == 0 || kinds[graph.DependsOn] == 0 || kinds[graph.ProviderOf] == 0 {
		t.Errorf("edge kinds %v: want parent, depends-on and provider edges", kinds)
	}
	if code, _, _ := runInfra("graph", "--stack", "prod", "--dir", dir, "--json", "--format", "dot"); code != ExitUsage {
		t.Errorf("--json with --format dot: exit %d, want %d", code, ExitUsage)
	}
}
