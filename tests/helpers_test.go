// Package tests holds cross-cutting tests: every example stack planned,
// rendered artifacts checked by the real tools that consume them, and bad
// input rejected.
package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"infra/internal/plan"
	"infra/internal/planner"
	"infra/internal/stacktest"
	"infra/stacks/config"
)

// repoRoot is the repository root, from this package's directory.
const repoRoot = ".."

// planStack plans dir/Pulumi.<stack>.yaml with the project name of dir.
func planStack(t *testing.T, dir, stack string, opts ...planner.Option) *plan.Plan {
	t.Helper()
	raw, err := config.ReadFile(config.StackFile(filepath.Join(repoRoot, dir), stack))
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Run(projectName(t, filepath.Join(repoRoot, dir)), stack, raw, opts...)
	if err != nil {
		t.Fatalf("plan %s/%s: %v", dir, stack, err)
	}
	return p
}

// planEdited plans a stack file after replacing old with new in it (each
// must occur exactly once), for tests that compare two configs.
func planEdited(t *testing.T, dir, stack string, edits ...[2]string) *plan.Plan {
	t.Helper()
	path := config.StackFile(filepath.Join(repoRoot, dir), stack)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, e := range edits {
		if n := strings.Count(doc, e[0]); n != 1 {
			t.Fatalf("test setup: %q occurs %d times in %s", e[0], n, path)
		}
		doc = strings.Replace(doc, e[0], e[1], 1)
	}
	tmp := filepath.Join(t.TempDir(), "Pulumi."+stack+".yaml")
	if err := os.WriteFile(tmp, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	raw, err := config.ReadFile(tmp)
	if err != nil {
		t.Fatal(err)
	}
	p, err := planner.Run(projectName(t, filepath.Join(repoRoot, dir)), stack, raw)
	if err != nil {
		t.Fatalf("plan edited %s/%s: %v", dir, stack, err)
	}
	return p
}

func projectName(t *testing.T, dir string) string {
	t.Helper()
	name, err := stacktest.ProjectName(dir)
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// ofType returns the planned resources of a type token.
func ofType(p *plan.Plan, typ string) []plan.Resource {
	var out []plan.Resource
	for _, r := range p.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// byURN indexes a plan's resources.
func byURN(p *plan.Plan) map[string]plan.Resource {
	m := map[string]plan.Resource{}
	for _, r := range p.Resources {
		m[r.URN] = r
	}
	return m
}
