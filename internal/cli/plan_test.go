package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"infra/internal/planner"
	"infra/stacks/config"
)

// stackFiles lists every stack file of the repository and its examples.
func stackFiles(t *testing.T) [][2]string {
	t.Helper()
	var out [][2]string
	for _, pattern := range []string{"../../Pulumi.*.yaml", "../../examples/*/Pulumi.*.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			stack := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), "Pulumi."), ".yaml")
			out = append(out, [2]string{filepath.Dir(f), stack})
		}
	}
	if len(out) < 3 {
		t.Fatalf("found only %d stack files", len(out))
	}
	return out
}

// No generated secret (role passwords, the cluster's admin password) may
// appear in what `infra plan` prints or writes, nor in any output.
func TestPlanNeverShowsSecrets(t *testing.T) {
	for _, sf := range stackFiles(t) {
		t.Run(sf[0]+"/"+sf[1], func(t *testing.T) {
			proj, err := openProject(sf[0], sf[1])
			if err != nil {
				t.Fatal(err)
			}
			raw, err := config.ReadFile(proj.StackFile())
			if err != nil {
				t.Fatal(err)
			}
			p, err := planner.Run(proj.Name, proj.Stack, raw)
			if err != nil {
				t.Fatal(err)
			}
			secrets := p.Generated
			if len(secrets) == 0 && p.Config.Database != nil && len(p.Config.Database.Roles) > 0 {
				t.Fatal("the mocks generated no passwords: the scan would prove nothing")
			}
			dir := t.TempDir()
			var printed bytes.Buffer
			if err := writePlan(&printed, p, dir, false); err != nil {
				t.Fatal(err)
			}
			if err := writePlan(&printed, p, filepath.Join(dir, "json"), true); err != nil {
				t.Fatal(err)
			}
			haystacks := map[string]string{"stdout": printed.String()}
			err = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(path)
				haystacks[path] = string(b)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(haystacks) < 3 {
				t.Fatalf("expected plan.json and artifacts, scanned only %d places", len(haystacks))
			}
			for where, text := range haystacks {
				for _, s := range secrets {
					if strings.Contains(text, s) {
						t.Errorf("generated secret found in plain text in %s", where)
					}
				}
			}
			if !strings.Contains(printed.String(), "SIMULATED") {
				t.Error("plan output must say that outputs are simulated")
			}
		})
	}
}

func TestPlanCommandExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"default stack", []string{"plan", "--stack", "dev", "--dir", "../..", "--out", "OUT"}, ExitOK},
		{"no stack flag", []string{"plan", "--dir", "../.."}, ExitUsage},
		{"unknown stack", []string{"plan", "--stack", "nope", "--dir", "../.."}, ExitUsage},
		{"unknown flag", []string{"plan", "--stakc", "dev"}, ExitUsage},
		{"bad config", []string{"plan", "--stack", "bad", "--dir", "BAD", "--out", "OUT"}, ExitConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			bad := filepath.Join(tmp, "bad")
			if err := os.MkdirAll(bad, 0o755); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(bad, "Pulumi.yaml"), []byte("name: bad\nruntime: go\n"), 0o644)
			os.WriteFile(filepath.Join(bad, "Pulumi.bad.yaml"), []byte("config:\n  infra:topology: vsp\n"), 0o644)
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.NewReplacer("OUT", filepath.Join(tmp, "out"), "BAD", bad).Replace(a)
			}
			var out, errOut bytes.Buffer
			got := Main(args, &IO{Out: &out, ErrOut: &errOut, Getenv: func(string) string { return "" }})
			if got != tt.want {
				t.Errorf("exit %d, want %d; stderr: %s", got, tt.want, errOut.String())
			}
		})
	}
}

// copyExample copies an example project's Pulumi files into a new
// directory, so plans write under it and not into the repository.
func copyExample(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	files, err := filepath.Glob(filepath.Join("..", "..", "examples", name, "Pulumi*.yaml"))
	if err != nil || len(files) < 2 {
		t.Fatalf("example %s: %v (%d files)", name, err, len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// filesUnder lists the files under dir, relative to it.
func filesUnder(t *testing.T, dir string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		out[rel] = true
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

func planDoc(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// Each project's plans go under its own directory, a plan folder holds one
// plan's files only, a failed plan leaves no earlier plan behind, and a
// refused plan says so in plan.json.
func TestPlanOutputFolders(t *testing.T) {
	run := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Main(args, &IO{Out: &out, ErrOut: &errOut, Getenv: func(string) string { return "" }})
		return code, out.String(), errOut.String()
	}
	a, b := copyExample(t, "focusdeck"), copyExample(t, "cesar")
	for _, dir := range []string{a, b} {
		if code, _, errOut := run("plan", "--stack", "prod", "--dir", dir); code != ExitOK {
			t.Fatalf("plan %s: exit %d: %s", dir, code, errOut)
		}
	}
	want := map[string]string{a: "focusdeck", b: "cesar"}
	for dir, project := range want {
		folder := filepath.Join(dir, "out", "prod")
		doc := planDoc(t, filepath.Join(folder, "plan.json"))
		if doc["project"] != project {
			t.Errorf("%s holds the plan of %v, want %s", folder, doc["project"], project)
		}
		// Exactly plan.json and the artifacts this plan lists.
		p, err := loadPlan(dir, "prod")
		if err != nil {
			t.Fatal(err)
		}
		files := filesUnder(t, folder)
		if len(files) != len(p.Artifacts)+1 {
			t.Errorf("%s holds %d files, the plan wrote %d", folder, len(files), len(p.Artifacts)+1)
		}
		for rel := range p.Artifacts {
			if !files[filepath.Clean(rel)] {
				t.Errorf("%s lacks %s", folder, rel)
			}
		}
		policy, _ := doc["policy"].(map[string]any)
		cost, _ := doc["cost"].(map[string]any)
		if policy["verdict"] != "passed" || cost["total"] == nil {
			t.Errorf("plan.json lacks the verdict or the cost: policy %v, cost total %v", policy["verdict"], cost["total"])
		}
	}
	if filesUnder(t, filepath.Join(a, "out", "prod"))["cesar"] {
		t.Error("a plan of one project wrote into another's folder")
	}

	folder := filepath.Join(a, "out", "prod")
	stale := filepath.Join(folder, "compose", "removed-service.env")
	if err := os.MkdirAll(filepath.Dir(stale), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte("A=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run("plan", "--stack", "prod", "--dir", a); code != ExitOK {
		t.Fatalf("replan: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("a file of an earlier plan survived the next plan: %v", err)
	}

	// Refused by the policy: written for review, the verdict in plan.json.
	stackFile := filepath.Join(a, "Pulumi.prod.yaml")
	good, err := os.ReadFile(stackFile)
	if err != nil {
		t.Fatal(err)
	}
	single := strings.Replace(string(good), "nodes: 2", "nodes: 1", 1)
	if single == string(good) {
		t.Fatal("test setup: the edit changed nothing")
	}
	if err := os.WriteFile(stackFile, []byte(single), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := run("plan", "--stack", "prod", "--dir", a, "--json")
	if code != ExitPolicy {
		t.Fatalf("a single-node prod database: exit %d, want %d", code, ExitPolicy)
	}
	var printed map[string]any
	if err := json.Unmarshal([]byte(stdout), &printed); err != nil {
		t.Fatalf("plan --json is not one JSON document: %v", err)
	}
	for _, doc := range []map[string]any{printed, planDoc(t, filepath.Join(folder, "plan.json"))} {
		policy, _ := doc["policy"].(map[string]any)
		violations, _ := policy["violations"].([]any)
		if policy["verdict"] != "refused" || len(violations) == 0 {
			t.Errorf("a refused plan must say so: verdict %v, %d violations", policy["verdict"], len(violations))
		}
	}

	// validate refuses what plan refuses.
	code, stdout, errOut := run("validate", "--stack", "prod", "--dir", a)
	if code != ExitPolicy || !strings.Contains(stdout+errOut, "prod-database-ha") {
		t.Errorf("validate of a config plan refuses: exit %d\n%s%s", code, stdout, errOut)
	}
	code, stdout, _ = run("validate", "--stack", "prod", "--dir", a, "--json")
	var v Validation
	if err := json.Unmarshal([]byte(stdout), &v); err != nil || code != ExitPolicy || v.Valid || v.Policy == nil || v.Policy.Verdict != "refused" {
		t.Errorf("validate --json: exit %d, %+v, %v", code, v, err)
	}

	// Invalid config: the plan fails and the folder holds no plan at all.
	if err := os.WriteFile(stackFile, []byte(strings.Replace(string(good), "nodes: 2", "nodes: many", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := run("plan", "--stack", "prod", "--dir", a); code != ExitConfig {
		t.Fatalf("invalid config: exit %d, want %d", code, ExitConfig)
	}
	if files := filesUnder(t, folder); len(files) != 0 {
		t.Errorf("a failed plan left %d files of the previous plan", len(files))
	}

	// A folder that is not a plan's is left alone.
	mine := filepath.Join(b, "mine")
	if err := os.MkdirAll(filepath.Join(mine, "prod"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mine, "prod", "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = run("plan", "--stack", "prod", "--dir", b, "--out", mine)
	if code != ExitUsage || !strings.Contains(errOut, "not a plan folder") {
		t.Errorf("a foreign folder: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(mine, "prod", "notes.txt")); err != nil {
		t.Errorf("the user's file is gone: %v", err)
	}
}
