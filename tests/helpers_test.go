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
	return planEditedWith(t, dir, stack, edits)
}

// planEditedWith is planEdited with planner options.
func planEditedWith(t *testing.T, dir, stack string, edits [][2]string, opts ...planner.Option) *plan.Plan {
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
	p, err := planner.Run(projectName(t, filepath.Join(repoRoot, dir)), stack, raw, opts...)
	if err != nil {
		t.Fatalf("plan edited %s/%s: %v", dir, stack, err)
	}
	return p
}

// stackOn is a committed stack file planned on one topology.
type stackOn struct {
	stacktest.File
	Topology config.Topology
}

// Name is dir/stack@topology: the subtest's name and flipEdits' key.
func (s stackOn) Name() string {
	return filepath.Join(s.Dir, s.Stack) + "@" + string(s.Topology)
}

// Plan plans the stack on s.Topology: the file as committed when that is
// its topology, else a copy with the topology line flipped and the
// stack's flipEdits applied.
func (s stackOn) Plan(t *testing.T, opts ...planner.Option) *plan.Plan {
	t.Helper()
	raw, err := config.ReadFile(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", s.Path, err)
	}
	if cfg.Topology == s.Topology {
		return planStack(t, s.Dir, s.Stack, opts...)
	}
	edits := append([][2]string{{"infra:topology: " + string(cfg.Topology), "infra:topology: " + string(s.Topology)}}, flipEdits[s.Name()]...)
	return planEditedWith(t, s.Dir, s.Stack, edits, opts...)
}

// onBothTopologies is every committed stack file (the root stacks and the
// examples') on each topology: its own and the other one.
func onBothTopologies(t *testing.T) []stackOn {
	t.Helper()
	files, err := stacktest.Committed(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no committed stack file under %s", repoRoot)
	}
	var out []stackOn
	for _, f := range files {
		for _, topology := range []config.Topology{config.TopologyVPS, config.TopologyKubernetes} {
			out = append(out, stackOn{File: f, Topology: topology})
		}
	}
	return out
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
