package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"infra/internal/plan"
	"infra/stacks"
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
			raw, err := stacks.ReadFile(proj.StackFile())
			if err != nil {
				t.Fatal(err)
			}
			p, err := plan.Run(proj.Name, proj.Stack, raw)
			if err != nil {
				t.Fatal(err)
			}
			secrets := p.GeneratedSecrets()
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
