package policy

import (
	"os"
	"path/filepath"
	"testing"

	"infra/internal/plan"
	"infra/internal/planner"
	"infra/stacks/config"
)

// stackPlan plans a stack file's text offline, the way `infra plan` does.
func stackPlan(t *testing.T, text string) *plan.Plan {
	t.Helper()
	p, err := planner.Run("test", "test", readStack(t, text))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// readStack reads a stack file's text the way the CLI reads the file.
func readStack(t *testing.T, text string) *config.Raw {
	t.Helper()
	path := filepath.Join(t.TempDir(), "Pulumi.test.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	raw, err := config.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func res(typ, name string, inputs map[string]any) plan.Resource {
	return plan.Resource{URN: "urn:pulumi:test::test::" + typ + "::" + name, Type: typ, Name: name, Custom: true, Inputs: inputs}
}

// with returns the plan with extra resources and artifacts.
func with(p *plan.Plan, rs ...plan.Resource) *plan.Plan {
	q := *p
	q.Resources = append(append([]plan.Resource(nil), p.Resources...), rs...)
	q.Artifacts = map[string]string{}
	for k, v := range p.Artifacts {
		q.Artifacts[k] = v
	}
	return &q
}

func withArtifact(p *plan.Plan, path, text string) *plan.Plan {
	q := with(p)
	q.Artifacts[path] = text
	return q
}

// mutate returns the plan with every resource of a type changed by f
// (f returns false to drop the resource).
func mutate(p *plan.Plan, typ string, f func(r *plan.Resource) bool) *plan.Plan {
	q := with(p)
	q.Resources = q.Resources[:0]
	for _, r := range p.Resources {
		if r.Type == typ {
			r.Inputs = copyMap(r.Inputs)
			if !f(&r) {
				continue
			}
		}
		q.Resources = append(q.Resources, r)
	}
	return q
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// violations returns the report's violations of one rule.
func violations(r Report, rule string) []Finding {
	var out []Finding
	for _, f := range r.Violations {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}
