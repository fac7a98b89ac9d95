package graph

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"infra/internal/plan"
	"infra/internal/planner"
	"infra/stacks/config"
)

func examplePlan(t *testing.T) *plan.Plan {
	t.Helper()
	raw, err := config.ReadFile(filepath.Join("..", "..", "examples", "focusdeck", "Pulumi.prod.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Run("focusdeck", "prod", raw)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// awkward is a plan whose names need escaping in both languages.
func awkward() *plan.Plan {
	parent := plan.Resource{URN: "urn:pulumi:s::p::infra:x:Comp::a\"b", Type: "infra:x:Comp", Name: `a"b`}
	child := plan.Resource{URN: "urn:pulumi:s::p::infra:x:Comp$digitalocean:index/droplet:Droplet::c<d>]", Type: "digitalocean:index/droplet:Droplet", Name: "c<d>]\\n", Custom: true, Parent: parent.URN, Protect: true}
	prov := plan.Resource{URN: "urn:pulumi:s::p::pulumi:providers:postgresql::admin", Type: "pulumi:providers:postgresql", Name: "admin", Custom: true}
	user := plan.Resource{URN: "urn:pulumi:s::p::postgresql:index/role:Role::r", Type: "postgresql:index/role:Role", Name: "r", Custom: true, Provider: prov.URN, Dependencies: []string{child.URN, child.URN, "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s"}}
	return &plan.Plan{Stack: "s", Resources: []plan.Resource{user, child, parent, prov}}
}

func TestBuildKeepsEdgeKindsApart(t *testing.T) {
	g := Build(awkward())
	if len(g.Nodes) != 4 {
		t.Fatalf("nodes = %d", len(g.Nodes))
	}
	kinds := map[string]int{}
	for _, e := range g.Edges {
		kinds[e.Kind]++
	}
	// One parent edge, one dependency (the duplicate and the root stack
	// outside the plan are dropped), one provider edge.
	if kinds[Parent] != 1 || kinds[DependsOn] != 1 || kinds[ProviderOf] != 1 {
		t.Errorf("edges = %+v", g.Edges)
	}
	if ShortType("digitalocean:index/droplet:Droplet") != "digitalocean:Droplet" || ShortType("kubernetes:apps/v1:Deployment") != "kubernetes:apps/v1:Deployment" {
		t.Error("ShortType")
	}
}

var (
	mermaidNode = regexp.MustCompile(`^  (r[0-9]+)(\["[^"]*"\]|\(\["[^"]*"\]\))$`)
	mermaidEdge = regexp.MustCompile(`^  (r[0-9]+) (-->|-\.->|-\.->\|provider\|) (r[0-9]+)$`)
)

// checkMermaid is a structural check of the flowchart subset WriteMermaid
// emits: a header, quoted node labels without raw quotes or brackets,
// edges between declared nodes only.
func checkMermaid(text string) (nodes int, edges map[string]int, err error) {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) == 0 || lines[0] != "flowchart LR" {
		return 0, nil, fmt.Errorf("first line %q is not a flowchart header", lines[0])
	}
	declared := map[string]bool{}
	edges = map[string]int{}
	for i, l := range lines[1:] {
		switch {
		case strings.HasPrefix(l, "  %%"), strings.HasPrefix(l, "  classDef "), strings.HasPrefix(l, "  class "):
		case mermaidNode.MatchString(l):
			m := mermaidNode.FindStringSubmatch(l)
			if strings.ContainsAny(strings.Trim(m[2], `(["])`), "<>") && !strings.Contains(m[2], "<br/>") {
				return 0, nil, fmt.Errorf("line %d: raw angle bracket in %q", i+2, l)
			}
			declared[m[1]] = true
			nodes++
		case mermaidEdge.MatchString(l):
			m := mermaidEdge.FindStringSubmatch(l)
			if !declared[m[1]] || !declared[m[3]] {
				return 0, nil, fmt.Errorf("line %d: edge between undeclared nodes: %q", i+2, l)
			}
			edges[m[2]]++
		default:
			return 0, nil, fmt.Errorf("line %d is not a node, an edge or a comment: %q", i+2, l)
		}
	}
	return nodes, edges, nil
}

func TestMermaidIsWellFormed(t *testing.T) {
	for name, p := range map[string]*plan.Plan{"focusdeck prod": examplePlan(t), "awkward names": awkward()} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Build(p).WriteMermaid(&b); err != nil {
				t.Fatal(err)
			}
			nodes, edges, err := checkMermaid(b.String())
			if err != nil {
				t.Fatalf("%v\n%s", err, b.String())
			}
			parents := 0
			known := map[string]bool{}
			for _, r := range p.Resources {
				known[r.URN] = true
			}
			for _, r := range p.Resources {
				if known[r.Parent] {
					parents++
				}
			}
			if nodes != len(p.Resources) || edges["-->"] != parents || edges["-.->"] == 0 {
				t.Errorf("nodes %d (want %d), parent edges %d (want %d), dependency edges %d\n%s", nodes, len(p.Resources), edges["-->"], parents, edges["-.->"], b.String())
			}
		})
	}
	t.Run("the check fails on a broken chart", func(t *testing.T) {
		for _, broken := range []string{
			"graph TD\n  r0[\"a\"]\n",
			"flowchart LR\n  r0[\"a \"quoted\" b\"]\n",
			"flowchart LR\n  r0[\"a\"]\n  r0 --> r9\n",
		} {
			if _, _, err := checkMermaid(broken); err == nil {
				t.Errorf("accepted %q", broken)
			}
		}
	})
}

// renderDOT runs Graphviz, the real consumer of the DOT output.
func renderDOT(t *testing.T, dot string) error {
	t.Helper()
	bin, err := exec.LookPath("dot")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("graphviz (dot) is required in CI: apt-get install graphviz")
		}
		t.Skip("SKIPPED: graphviz (dot) is not installed; `apt-get install graphviz` to validate the DOT output")
	}
	cmd := exec.Command(bin, "-Tsvg", "-o", os.DevNull)
	cmd.Stdin = strings.NewReader(dot)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("dot: %v: %s", err, out)
	}
	if len(bytes.TrimSpace(out)) > 0 {
		return fmt.Errorf("dot warned: %s", out)
	}
	return nil
}

func TestDOTRendersWithGraphviz(t *testing.T) {
	for name, p := range map[string]*plan.Plan{"focusdeck prod": examplePlan(t), "awkward names": awkward()} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Build(p).WriteDOT(&b); err != nil {
				t.Fatal(err)
			}
			if err := renderDOT(t, b.String()); err != nil {
				t.Fatalf("%v\n%s", err, b.String())
			}
			for _, want := range []string{"style=dashed", "style=solid", "->"} {
				if !strings.Contains(b.String(), want) {
					t.Errorf("DOT lacks %q", want)
				}
			}
		})
	}
	t.Run("graphviz rejects a broken graph", func(t *testing.T) {
		if err := renderDOT(t, "digraph \"s\" {\n  r0 [label=\"a\"b\"];\n}\n"); err == nil {
			t.Error("dot accepted an unescaped quote")
		}
	})
}
